"""The scanners' suppressions in both templates (docs/deploy.md, "Your own scan of the stack"): each names a
check and says why, in the resource it excuses, and none outlives its finding.

checkov's stale suppressions are caught by `make scan` (scripts/scan_templates.py runs checkov on copies
without them: checkov is in .venv-scan, too slow to import here); cfn-lint's serverless rules are plain
classes, so whether each suppressed one still fires is checked here, on the template as written."""

from __future__ import annotations

import inspect
import re
from functools import cache
from pathlib import Path
from typing import Any

import cfn_lint_serverless.rules
import pytest
from cfnlint.rules import CloudFormationLintRule
from cfnlint.template import Template

from scripts.scan_templates import ROOT, TEMPLATES, Suppression, read_template, suppressions, verdict
from simulator.cloudformation.transform import sam_transform

# A reason says what the check asks for and why it does not apply here: a sentence or two, not a word.
SHORTEST_REASON = 80
CHECK_ID = {"checkov": re.compile(r"CKV2?_AWS_\d+"), "cfn-lint": re.compile(r"[EWI]S?\d{4}")}
SERVERLESS_RULES: dict[str, type[CloudFormationLintRule]] = {
    rule.id: rule
    for _, rule in inspect.getmembers(cfn_lint_serverless.rules, inspect.isclass)
    if issubclass(rule, CloudFormationLintRule) and rule is not CloudFormationLintRule
}

EVERY_SUPPRESSION = [s for template in TEMPLATES for s in suppressions(template)]


@cache
def _linted(template: Path) -> Template:
    """The template as cfn-lint's rules see it (read once: decoding template.yaml takes about 0.3 s)."""
    document: dict[str, Any] = read_template(template)
    return Template(str(ROOT / template), document, ["us-east-1"])


def _name(suppression: Suppression) -> str:
    return f"{suppression.template}:{suppression.resource}:{suppression.check}"


def test_both_templates_explain_their_suppressions() -> None:
    tools = {(s.template, s.tool) for s in EVERY_SUPPRESSION}
    assert (Path("template.yaml"), "checkov") in tools
    assert (Path("template.yaml"), "cfn-lint") in tools
    assert (Path("examples/ecs-on-ec2/template.yaml"), "checkov") in tools


@pytest.mark.parametrize("suppression", EVERY_SUPPRESSION, ids=_name)
def test_every_suppression_names_a_check_and_says_why(suppression: Suppression) -> None:
    assert CHECK_ID[suppression.tool].fullmatch(suppression.check), f"{suppression.check!r} is no check id"
    assert len(suppression.reason) >= SHORTEST_REASON, (
        f"{_name(suppression)}: the reason ({suppression.reason!r}) must say why the check does not apply"
    )


def test_a_cfn_lint_reason_is_the_comment_that_names_its_check() -> None:
    """cfn-lint's configuration has no field for a reason: it is the YAML comment above the entry, opened by
    the check's id, so that a comment cannot drift to the next entry unnoticed."""
    for suppression in (s for s in EVERY_SUPPRESSION if s.tool == "cfn-lint"):
        assert suppression.reason.startswith(f"{suppression.check}:"), _name(suppression)


def test_no_suppression_is_written_twice() -> None:
    keys = [(s.template, s.resource, s.tool, s.check) for s in EVERY_SUPPRESSION]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("suppression", [s for s in EVERY_SUPPRESSION if s.tool == "cfn-lint"], ids=_name)
def test_every_cfn_lint_suppression_hides_a_finding_that_still_fires(suppression: Suppression) -> None:
    """A suppression whose rule no longer matches would hide the next real finding on that resource."""
    rule = SERVERLESS_RULES.get(suppression.check)
    assert rule is not None, f"{suppression.check} is not a serverless rule: check by hand that it still fires"
    matches = rule().match(_linted(suppression.template))
    assert ["Resources", suppression.resource] in [list(match.path[:2]) for match in matches], (
        f"{_name(suppression)} no longer fires: remove the suppression"
    )


def test_the_scan_fails_on_an_unsuppressed_finding_and_on_a_stale_suppression() -> None:
    """How `make scan` judges checkov's findings (scripts/scan_templates.py), on plain data."""
    template = Path("template.yaml")
    failed = {(template, "DrainFunction", "CKV_AWS_117"), (template, "NotificationTopic", "CKV_AWS_26")}
    suppressed = {(template, "DrainFunction", "CKV_AWS_117"), (template, "DrainFunction", "CKV_AWS_116")}

    unsuppressed, stale = verdict(failed, suppressed)

    assert unsuppressed == [(template, "NotificationTopic", "CKV_AWS_26")]
    assert stale == [(template, "DrainFunction", "CKV_AWS_116")]
    assert verdict(failed, failed) == ([], [])


def test_what_the_function_suppressions_rest_on_holds_after_the_sam_transform() -> None:
    """ES1007's and CKV_AWS_116's reason: every function's EventInvokeConfig becomes an AWS::Lambda::EventInvokeConfig
    whose on-failure destination is the dead-letter queue. WS1002's: every invoke permission names its source.
    And the suppressions ride along to the deployed functions (SAM copies Metadata), where a scan of the
    processed template looks for them."""
    resources = sam_transform(ROOT / "template.yaml")["Resources"]
    functions = [name for name, body in resources.items() if body["Type"] == "AWS::Lambda::Function"]
    invoke_configs = {
        body["Properties"]["FunctionName"]["Ref"]: body["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
        for body in resources.values()
        if body["Type"] == "AWS::Lambda::EventInvokeConfig"
    }
    permissions = [body["Properties"] for body in resources.values() if body["Type"] == "AWS::Lambda::Permission"]

    assert sorted(functions) == ["DrainFunction", "ScaleFunction", "VerifyFunction"]
    assert invoke_configs == {name: {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]} for name in functions}
    assert permissions and all("SourceArn" in permission for permission in permissions)
    assert all("checkov" in resources[name]["Metadata"] for name in functions)
