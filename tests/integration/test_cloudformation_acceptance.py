"""The two templates as CloudFormation takes them: the suite's ``template.yaml`` (through ``sam deploy``)
and the example cluster (through ``aws cloudformation deploy``) pass everything CloudFormation checks
before it creates anything (``cfn_validation``, ``cfn_parameters``, ``cfn_rules``), and the template's
rule refuses exactly the deploys it is meant to refuse.

cfn-lint 1.58 and ``sam validate --lint`` both passed a rule CloudFormation rejects (Fn::Join in a
RuleCondition: the change set failed with a template format error), so these checks are the simulation's
own, each from the CloudFormation documents.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.support.cfn import REGION, TemplateError, sam_transform
from tests.support.cfn_validation import INLINE_BODY_BYTES
from tests.support.cluster_definition import EXAMPLE_TEMPLATE, ClusterDefinition
from tests.support.functions import ROOT
from tests.support.stack import TEMPLATE, deploy_stack

# The rule as it was written before issue 10: Fn::Join in its RuleCondition.
RULE_WITH_JOIN = """Rules:
  HookGroupIsListened:
    RuleCondition: !And
      - !Not [!Equals [!Ref HookAutoScalingGroupName, ""]]
      - !Not [!Equals [!Join ["", !Ref AutoScalingGroupNames], ""]]
    Assertions:
      - Assert: !Contains [!Ref AutoScalingGroupNames, !Ref HookAutoScalingGroupName]
        AssertDescription: AutoScalingGroupNames must include HookAutoScalingGroupName (or be empty).

Globals:"""


def with_rules(rules: str, directory: Path) -> Path:
    """template.yaml with its Rules section replaced by ``rules`` (which ends where Globals begins)."""
    text = TEMPLATE.read_text()
    start, end = text.index("\nRules:\n") + 1, text.index("\nGlobals:") + 1
    path = directory / "template.yaml"
    path.write_text(text[:start] + rules + text[end + len("Globals:") :])
    return path


def test_a_rule_condition_using_fn_join_is_refused_naming_the_rule_and_the_function(tmp_path: Path) -> None:
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        with pytest.raises(TemplateError) as refused:
            deploy_stack(session, template=with_rules(RULE_WITH_JOIN, tmp_path))
        created = session.client("sns").list_topics()["Topics"] + [
            {"queue": url} for url in session.client("sqs").list_queues().get("QueueUrls", [])
        ]
    message = str(refused.value)
    assert "rule HookGroupIsListened: RuleCondition uses Fn::Join" in message
    assert "rule-specific functions" in message
    assert created == [], "refused before anything was created"


# hook group, AutoScalingGroupNames -> accepted (the rule's meaning: a hook's group must be listened to)
RULE_MATRIX = {
    "no-hook-every-group": ("", "", True),
    "no-hook-named-groups": ("", "batch-hosts", True),
    "hook-every-group": ("prod-hosts", "", True),
    "hook-among-named-groups": ("prod-hosts", "batch-hosts,prod-hosts", True),
    "hook-among-named-groups-with-spaces": ("prod-hosts", " batch-hosts , prod-hosts ", True),
    "hook-not-among-named-groups": ("prod-hosts", "batch-hosts", False),
    "hook-not-among-named-groups-with-an-empty-member": ("prod-hosts", "batch-hosts,", False),
}


@pytest.mark.parametrize(("hook_group", "group_names", "accepted"), RULE_MATRIX.values(), ids=RULE_MATRIX.keys())
def test_the_hook_group_rule_refuses_only_a_hook_whose_group_the_drain_does_not_listen_to(
    hook_group: str, group_names: str, accepted: bool
) -> None:
    parameters = {"HookAutoScalingGroupName": hook_group, "AutoScalingGroupNames": group_names}
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        if not accepted:
            with pytest.raises(TemplateError, match="AutoScalingGroupNames must include HookAutoScalingGroupName"):
                deploy_stack(session, parameters=parameters)
            assert session.client("sns").list_topics()["Topics"] == []
            return
        stack = deploy_stack(session, parameters=parameters)
    assert ("TerminationLifecycleHook" in stack.resources) == bool(hook_group)


def test_the_template_is_checked_as_cloudformation_processes_it_after_the_sam_transform() -> None:
    document = sam_transform(TEMPLATE)
    assert "Rules" in document and "HookGroupIsListened" in document["Rules"]
    assert not any("AWS::Serverless" in resource["Type"] for resource in document["Resources"].values())


def test_the_example_cluster_passes_the_same_checks_with_its_defaults_and_refuses_a_malformed_name() -> None:
    definition = ClusterDefinition.from_template()
    assert definition.cluster_name == "demo"
    with pytest.raises(TemplateError, match=r"parameter ClusterName: the value given 'my cluster' is malformed"):
        ClusterDefinition.from_template(parameters={"ClusterName": "my cluster"})
    with pytest.raises(TemplateError, match="parameter MaxSize: the value given 'four' is not a number"):
        ClusterDefinition.from_template(parameters={"MaxSize": "four"})


def test_the_example_fits_the_inline_body_aws_cloudformation_deploy_sends() -> None:
    assert len(EXAMPLE_TEMPLATE.read_bytes()) <= INLINE_BODY_BYTES


def samconfig_environments() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    return {
        env: dict(sections.get("deploy", {}).get("parameters", {}))
        for env, sections in config.items()
        if env != "version"
    }


def test_every_samconfig_environment_uploads_the_template_which_is_too_big_to_send_inline() -> None:
    # Above 51,200 bytes CloudFormation takes a template only from S3: sam deploy must have a bucket.
    assert len(TEMPLATE.read_bytes()) > INLINE_BODY_BYTES
    environments = samconfig_environments()
    assert environments
    for env, deploy in environments.items():
        assert deploy.get("resolve_s3") is True or deploy.get("s3_bucket"), f"{env}: sam deploy has no S3 bucket"


@pytest.mark.parametrize("env", samconfig_environments())
def test_every_samconfig_environment_s_parameters_are_accepted_by_the_template(env: str) -> None:
    overrides = samconfig_environments()[env].get("parameter_overrides", [])
    assert isinstance(overrides, list)
    parameters = dict(str(item).split("=", 1) for item in overrides)
    with mock_aws():
        stack = deploy_stack(boto3.Session(region_name=REGION), parameters=parameters)
    assert stack.parameters == parameters
