"""Re-review of the fixes to issue 15's review findings, against AWS's documents and real deploys: what
EventBridge would still refuse in the rebuilt template that the simulated deploy accepts.

Each test fails on the change as reviewed and is marked with its finding; the lead removes the mark
with the fix.
"""

from __future__ import annotations

import boto3
import pytest

from simulator.cloudformation.stack import DeployedStack, deploy_stack, refuse_complex_wildcards, wildcards_in
from simulator.cloudformation.transform import REGION, TemplateError

# EventBridge measures a rule's wildcard "complexity" and refuses a rule over its limit: "If a rule is too
# complex, EventBridge returns an InvalidEventPatternException when attempting to create the rule"
# (eb-create-pattern-operators.html#eb-filtering-wildcard-matching-complexity). The limit is not published.
# EventBridge's matcher is aws/event-ruler: its README says wildcard values of one field "should avoid common
# prefixes leading up to their first wildcard character" and "limit repeating character sequences that occur
# following a wildcard character". A real deploy (vals-ai/Valkyrie#278) saw EventBridge accept 3 values
# {"wildcard": "*:stack/<name>/*"} in one field (6 wildcards; Event Ruler's MachineComplexityEvaluator: 9)
# and refuse 4 with "Rule is too complex" (8 wildcards; complexity 12). The verify rule's value per cluster,
# "arn:*:ecs:*:*:service/<cluster>/*", has 4 wildcards with the common prefix "arn:" and ":" repeated after
# them: complexity 8 for one cluster, 16 for two, 8 more for each further one (computed with Event Ruler at
# its HEAD). The most a deploy was seen to keep is taken as the bound.
WILDCARDS_EVENTBRIDGE_WAS_SEEN_TO_ACCEPT = 6


def deployed(parameters: dict[str, str], name: str = "ecs-fleet-ops") -> DeployedStack:
    return deploy_stack(boto3.Session(region_name=REGION), name=name, parameters=parameters)


def verify_rule_wildcards(stack: DeployedStack) -> int:
    [rule] = [r for r in stack.rules if r.name == stack.physical["VerifyFunctionDeploymentStateChange"]]
    return wildcards_in(rule.pattern)


def test_the_verify_rule_of_two_named_clusters_is_one_eventbridge_accepts(aws: None) -> None:
    # Two clusters, as the suite's own scope test and the walk-through name them; the README promises 16.
    stack = deployed({"ClusterNames": "prod,batch", "EnableDrain": "false"})
    assert verify_rule_wildcards(stack) <= WILDCARDS_EVENTBRIDGE_WAS_SEEN_TO_ACCEPT, (
        "EventBridge refuses a rule this complex (Rule is too complex): the stack fails to create"
    )


def test_the_verify_rule_matches_named_clusters_by_prefix_with_no_wildcard_at_all(aws: None) -> None:
    for clusters in ("prod", "prod,batch", ",".join(f"c{i}" for i in range(16))):
        assert (
            verify_rule_wildcards(
                deployed({"ClusterNames": clusters, "EnableDrain": "false"}, name=f"s{len(clusters)}")
            )
            == 0
        )


def test_the_simulated_eventbridge_refuses_a_rule_as_complex_as_the_one_aws_refused() -> None:
    # Two of the values the verify rule once had: 8 wildcards, past the 6 EventBridge was seen to accept.
    values = [{"wildcard": f"arn:*:ecs:*:*:service/{cluster}/*"} for cluster in ("prod", "batch")]
    with pytest.raises(TemplateError, match="Rule is too complex"):
        refuse_complex_wildcards("Rule", {"source": ["aws.ecs"], "resources": values})
    refuse_complex_wildcards("Rule", {"source": ["aws.ecs"], "resources": values[:1]})
