"""Every job package in the same shape: its public surface is its ``__all__``, whatever lives outside the
package (the Lambda functions, the console command, the scripts, the other jobs) uses only that, and
the Lambda layer carries no console command."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.paths import PROJECT_ROOT as ROOT

LAYER = ROOT / "layers" / "fleetops" / "fleetops"
JOBS = ("drain", "scale", "verify")
# What a console command needs and a Lambda handler never does.
CONSOLE_ONLY_MODULES = ("argparse", "fleetops_cli")


def _imports(path: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every ``import m`` and ``from m import a, b`` of a file, at any depth (lazy imports too)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, tuple(alias.name for alias in node.names)


def _outside(job: str) -> Iterator[Path]:
    """The files that use a job from outside it: the functions, the console command, the scripts, the
    demo, and the other jobs' packages."""
    for folder in ("functions", "fleetops_cli", "scripts", "demo"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    for other in JOBS:
        if other != job:
            yield from sorted((LAYER / other).rglob("*.py"))


def test_the_lambda_layer_carries_no_console_command() -> None:
    found = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted(LAYER.rglob("*.py"))
        for module, _ in _imports(path)
        if module.split(".")[0] in CONSOLE_ONLY_MODULES
    ]
    assert found == []


@pytest.mark.parametrize("job", JOBS)
def test_whatever_uses_a_job_from_outside_takes_only_names_of_its_public_surface(job: str) -> None:
    public = set(importlib.import_module(f"fleetops.{job}").__all__)
    package = f"fleetops.{job}"
    private = [
        f"{path.relative_to(ROOT)}: {module}.{name}"
        for path in _outside(job)
        for module, names in _imports(path)
        if module == package or module.startswith(package + ".")
        for name in names
        if name not in public
    ]
    assert private == []


@pytest.mark.parametrize("job", JOBS)
def test_every_public_name_of_a_job_can_be_imported_from_its_package(job: str) -> None:
    package = importlib.import_module(f"fleetops.{job}")
    missing = [name for name in package.__all__ if getattr(package, name, None) is None]
    assert missing == []


def test_the_verify_job_s_surface_loads_the_smoke_check_only_when_it_is_used() -> None:
    probe = (
        "import sys, fleetops.verify as verify\n"
        "assert 'fleetops.verify.smoke' not in sys.modules\n"
        "assert callable(verify.run_smoke_check) and 'fleetops.verify.smoke' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PYTHONPATH": str(LAYER.parent), "AWS_DEFAULT_REGION": "us-east-1", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
