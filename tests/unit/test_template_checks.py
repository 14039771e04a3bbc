"""`make test` lints the templates with cfn-lint once. That stands for `sam validate --lint` only while SAM
CLI runs the very same cfn-lint: its validate command with --lint calls nothing but cfn-lint's API."""

from __future__ import annotations

import re

import pytest

from simulator.paths import PROJECT_ROOT

SAM_VALIDATE = "samcli/commands/validate/validate.py"


def pinned(lock: str, package: str) -> str:
    text = (PROJECT_ROOT / "requirements" / lock).read_text()
    found = re.search(rf"^{re.escape(package)}==(\S+)$", text, re.M)
    assert found, f"{package} is not pinned in {lock}"
    return found.group(1)


def test_sam_cli_lints_with_the_same_cfn_lint_as_the_checks() -> None:
    assert pinned("sam.lock", "cfn-lint") == pinned("dev.lock", "cfn-lint")


def test_the_checks_lint_both_templates() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert ".venv/bin/cfn-lint template.yaml examples/ecs-on-ec2/template.yaml" in makefile


def test_sam_validate_with_lint_runs_cfn_lint_and_nothing_else() -> None:
    """Read from SAM CLI itself (its own virtualenv, when installed): --lint takes the cfn-lint branch only."""
    installed = sorted((PROJECT_ROOT / ".venv-sam" / "lib").glob(f"python3.*/site-packages/{SAM_VALIDATE}"))
    if not installed:
        pytest.skip("SAM CLI is not installed (make install puts it in .venv-sam)")
    source = installed[0].read_text()
    lint_branch = source[source.index("    if lint:") : source.index("    else:", source.index("    if lint:"))]
    assert [line.strip() for line in lint_branch.strip().splitlines()] == [
        "if lint:",
        "_lint(ctx, sam_template.serialized, template)",
    ]
    assert "from cfnlint.api import ManualArgs, lint" in source


def test_the_scanners_are_pinned_where_make_install_puts_them() -> None:
    """cfn-lint's serverless rules load into the lock's cfn-lint (.venv); checkov, which pins its own boto3,
    click and pydantic, lives alone in .venv-scan (requirements/scan.lock), never beside moto."""
    assert pinned("dev.lock", "cfn-lint-serverless")
    assert pinned("scan.lock", "checkov")
    assert not re.search(r"^checkov==", (PROJECT_ROOT / "requirements" / "dev.lock").read_text(), re.M)
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "-a cfn_lint_serverless.rules" in makefile
    assert "install: .venv/.installed .venv-sam/.installed .venv-scan/.installed" in makefile
