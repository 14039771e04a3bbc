"""Review of issue 15 (a safe first deploy) against AWS's documents: what CloudFormation or IAM would
refuse, or read wider than what the deployer named, that the simulated deploy still accepts.

Each test fails on the change as reviewed and is marked with its finding; the lead removes the mark
with the fix.
"""

from __future__ import annotations

import json
import re

import boto3
import pytest

from simulator.cloudformation.stack import DeployedStack, deploy_stack
from simulator.cloudformation.transform import REGION, TemplateError, read_template
from simulator.cloudformation.validation import computed_literal_arguments
from simulator.fleet.cluster_definition import EXAMPLE_TEMPLATE
from simulator.paths import TEMPLATE

# "IAM and AWS STS quotas" (reference_iam-quotas.html): "Role policy size cannot exceed 10,240
# characters" (the aggregate of a role's inline policies; IAM does not count white space). SAM writes
# a function's Policies statements as inline policies of its role.
ROLE_INLINE_POLICY_CHARACTERS = 10_240
FUNCTION_ROLES = ("DrainFunctionRole", "ScaleFunctionRole", "VerifyFunctionRole")


def deployed(parameters: dict[str, str], name: str = "ecs-fleet-ops") -> DeployedStack:
    return deploy_stack(boto3.Session(region_name=REGION), name=name, parameters=parameters)


def test_no_fn_join_takes_a_function_for_its_delimiter_which_cloudformation_refuses() -> None:
    # Fn::Join, "Supported functions": "For the Fn::Join delimiter, you can't use any functions. You must
    # specify a string value." (CloudFormation's refusal: "every Fn::Join object requires two parameters,
    # (1) a string delimiter and (2) a list of strings ...".) cfn-lint passes it, as it passed Fn::Join in
    # a RuleCondition (test_cloudformation_acceptance.py).
    # The simulation now refuses such a delimiter before anything is resolved (cfn_validation); the
    # example template has none.
    assert list(computed_literal_arguments(read_template(EXAMPLE_TEMPLATE), "example")) == []
    found = list(computed_literal_arguments(read_template(TEMPLATE), "template"))
    assert found == [], f"{len(found)} Fn::Join with a function as delimiter, first: {found[:3]}"


# ECS CreateCluster, clusterName: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and
# hyphens are allowed." Anything else named in ClusterNames is no cluster, and in an IAM Resource ARN "*"
# and "?" are wildcards (IAM JSON policy elements: Resource): "prod*" grants every cluster whose name starts
# with prod, while the functions' Scope and the verify rule's prefix read it literally.
@pytest.mark.parametrize(
    "clusters",
    ["prod*", "prod,team-?", "prod/web", 'prod"'],
    ids=["star-suffix", "question-mark", "slash", "quote-in-the-json-pattern"],
)
def test_a_cluster_name_ecs_cannot_have_is_refused_before_it_widens_iam_or_breaks_the_verify_rule(
    aws: None, clusters: str
) -> None:
    with pytest.raises(TemplateError):
        deployed({"ClusterNames": clusters, "AutoScalingGroupNames": "prod-hosts"})


def inline_policy_characters(stack: DeployedStack, role: str) -> int:
    documents = [policy["PolicyDocument"] for policy in stack.properties[role].get("Policies", [])]
    return sum(len(re.sub(r"\s", "", json.dumps(document))) for document in documents)


def test_named_clusters_that_fit_the_event_pattern_quota_fit_each_role_s_inline_policy_quota_too(aws: None) -> None:
    # template.yaml says the verify rule holds "about 20 clusters of 20-character names"; each of those
    # names is repeated in every scoped statement of three roles. Thirteen such names, with rollback on:
    # either the deploy is refused before anything is created, or every role fits IAM's quota.
    clusters = ",".join(f"team-{i:02d}-prod-cluster" for i in range(13))
    groups = ",".join(f"team-{i:02d}-prod-hosts" for i in range(13))
    try:
        stack = deployed({"ClusterNames": clusters, "AutoScalingGroupNames": groups, "VerifyRollbackEnabled": "true"})
    except TemplateError:
        return
    sizes = {role: inline_policy_characters(stack, role) for role in FUNCTION_ROLES}
    over = {role: size for role, size in sizes.items() if size > ROLE_INLINE_POLICY_CHARACTERS}
    assert over == {}, f"IAM refuses a role whose inline policies exceed {ROLE_INLINE_POLICY_CHARACTERS}: {sizes}"
