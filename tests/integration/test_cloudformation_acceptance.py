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

from simulator.cloudformation.stack import deploy_stack
from simulator.cloudformation.transform import REGION, TemplateError, sam_transform
from simulator.cloudformation.validation import INLINE_BODY_BYTES
from simulator.fleet.cluster_definition import EXAMPLE_TEMPLATE, ClusterDefinition
from simulator.moto_patches import simulated_aws
from simulator.paths import PROJECT_ROOT as ROOT
from simulator.paths import TEMPLATE

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
    with simulated_aws():
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


# The scope is explicit, and a hook is only made where the drain hears it. Each case: ClusterNames,
# AutoScalingGroupNames, HookAutoScalingGroupName, EnableDrain -> None (accepted) or CloudFormation's refusal.
SCOPE_MATRIX: dict[str, tuple[str, str, str, str, str | None]] = {
    "named-clusters-and-groups": ("prod,batch", "prod-hosts", "", "true", None),
    "every-cluster-and-group": ("*", "*", "", "true", None),
    "no-cluster-named": ("", "prod-hosts", "", "true", "ClusterNames must name the ECS clusters"),
    "a-blank-among-the-clusters": ("prod,", "prod-hosts", "", "true", "ClusterNames must name the ECS clusters"),
    "every-cluster-and-a-name": ("prod,*", "prod-hosts", "", "true", r"ClusterNames is either \*"),
    "the-drain-without-a-group": ("prod", "", "", "true", "The drain job needs AutoScalingGroupNames"),
    "scale-and-verify-without-a-group": ("prod", "", "", "false", None),
    "a-blank-among-the-groups": ("prod", "batch-hosts,", "", "false", r"AutoScalingGroupNames has an empty name"),
    "every-group-and-a-name": ("prod", "batch-hosts,*", "", "true", r"AutoScalingGroupNames is either \*"),
    "hook-every-group": ("prod", "*", "prod-hosts", "true", None),
    "hook-among-named-groups": ("prod", "batch-hosts,prod-hosts", "prod-hosts", "true", None),
    "hook-among-named-groups-with-spaces": ("prod", " batch-hosts , prod-hosts ", "prod-hosts", "true", None),
    "hook-not-among-named-groups": (
        "prod",
        "batch-hosts",
        "prod-hosts",
        "true",
        "must include HookAutoScalingGroupName",
    ),
    "hook-with-the-drain-off": ("prod", "prod-hosts", "prod-hosts", "false", "set EnableDrain to true"),
}


@pytest.mark.parametrize(
    ("clusters", "groups", "hook_group", "drain", "refusal"), SCOPE_MATRIX.values(), ids=SCOPE_MATRIX.keys()
)
def test_a_stack_acts_only_on_the_clusters_and_groups_it_names_or_on_every_one_when_asked_with_a_star(
    clusters: str, groups: str, hook_group: str, drain: str, refusal: str | None
) -> None:
    parameters = {
        "ClusterNames": clusters,
        "AutoScalingGroupNames": groups,
        "HookAutoScalingGroupName": hook_group,
        "EnableDrain": drain,
    }
    with simulated_aws():
        session = boto3.Session(region_name=REGION)
        if refusal:
            with pytest.raises(TemplateError, match=refusal):
                deploy_stack(session, parameters=parameters)
            assert session.client("sns").list_topics()["Topics"] == [], "refused before anything was created"
            return
        stack = deploy_stack(session, parameters=parameters)
    assert ("TerminationLifecycleHook" in stack.resources) == bool(hook_group)


def test_a_deploy_that_names_no_cluster_at_all_is_refused_by_cloudformation_itself() -> None:
    with simulated_aws(), pytest.raises(TemplateError, match="parameter ClusterNames has no Default and no value"):
        deploy_stack(boto3.Session(region_name=REGION), parameters={})


def test_a_stack_with_no_job_switched_on_is_refused() -> None:
    off = {"EnableDrain": "false", "EnableScale": "false", "EnableVerify": "false"}
    with simulated_aws(), pytest.raises(TemplateError, match="Switch on at least one job"):
        deploy_stack(boto3.Session(region_name=REGION), parameters={"ClusterNames": "prod", **off})


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
    with simulated_aws():
        if "ClusterNames" not in parameters:  # the default environment: tool settings only
            with pytest.raises(TemplateError, match="ClusterNames"):
                deploy_stack(boto3.Session(region_name=REGION), parameters=parameters)
            return
        stack = deploy_stack(boto3.Session(region_name=REGION), parameters=parameters)
    assert stack.parameters == parameters
