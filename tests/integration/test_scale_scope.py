"""The scale job changes only the Auto Scaling groups the stack names (AUTO_SCALING_GROUP_NAMES): a decision
that would change another group is refused in a sentence before any AWS write, not left to IAM halfway."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fleetops.errors import ConfigurationError
from simulator.worlds.scale import ScaleWorld

CLUSTER_RULES = [
    {"alarm": "ecs-scale-prod-reservation-high", "cluster": "prod", "step": "+2"},
    {"alarm": "ecs-scale-prod-reservation-low", "cluster": "prod", "step": -1, "min": 1},
]
WEB_RULES = [{"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": "+50%", "max": 12}]
# Every call that changes something in Auto Scaling or ECS.
WRITES = (
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
    "autoscaling:UpdateAutoScalingGroup",
    "ecs:UpdateService",
    "ecs:UpdateContainerInstancesState",
)


def cluster_world(groups: str) -> ScaleWorld:
    world = ScaleWorld(hosts=3, rules=CLUSTER_RULES, parameters={"AutoScalingGroupNames": groups})
    world.services.add_service("web", cpu=1024, memory=2048)  # three per host
    for name, comparison, threshold in (
        ("ecs-scale-prod-reservation-high", "GreaterThanThreshold", 75),
        ("ecs-scale-prod-reservation-low", "LessThanThreshold", 30),
    ):
        world.cluster_reservation_alarm(name, comparison=comparison, threshold=threshold)
    return world


@pytest.fixture
def outside(aws: None) -> Iterator[ScaleWorld]:
    """The stack was given group batch-hosts only; the cluster's hosts are in prod-hosts."""
    world = cluster_world("batch-hosts")
    yield world
    world.close()


@pytest.mark.parametrize(
    ("alarm", "value"), [("ecs-scale-prod-reservation-high", 90.0), ("ecs-scale-prod-reservation-low", 10.0)]
)
def test_a_cluster_scale_of_a_group_outside_the_scope_is_refused_with_its_sentence_and_nothing_is_written(
    outside: ScaleWorld, alarm: str, value: float
) -> None:
    a, b, c = outside.cluster.instance_ids
    outside.services.run_on(a, "web", 1)
    outside.api.reset()

    result = outside.decide(outside.fire(alarm, value))

    assert result["outcome"] == "out-of-scope" and result["acted"] is False
    assert result["reason"].startswith("group prod-hosts is not in AutoScalingGroupNames: the suite may not change it")
    assert result["hosts_to_terminate"] == [] and result["group_capacity"] == [3, 3]
    assert [call for call in WRITES if outside.api.calls[call]] == []
    assert outside.group()["desired"] == 3 and set(outside.group()["instances"]) == {a, b, c}
    assert outside.pending_follow_ups() == []  # a refusal is not looked at again: a person must act
    [note] = [n for n in outside.notifications() if "ecs-fleet-ops scale" in n["subject"]]
    assert note["subject"].startswith("ATTENTION ")
    assert note["message"].startswith("Group prod-hosts is not in AutoScalingGroupNames: the suite may not change it")
    assert "What to check: the stack's AutoScalingGroupNames" in note["message"]


@pytest.mark.parametrize("groups", ["*", "batch-hosts,prod-hosts"])
def test_a_cluster_scale_out_of_a_group_in_the_scope_named_or_star_changes_it(aws: None, groups: str) -> None:
    world = cluster_world(groups)
    try:
        result = world.decide(world.fire("ecs-scale-prod-reservation-high", 90.0))
        assert result["outcome"] == "cluster-scaled-out" and result["group_capacity"] == [3, 5]
        assert world.group()["desired"] == 5
    finally:
        world.close()


def test_with_no_group_named_a_service_grows_only_by_what_the_cluster_holds_and_says_why(aws: None) -> None:
    # AutoScalingGroupNames empty: a stack that scales services only (the drain, which needs a group, is
    # not deployed). Both hosts are full but one.
    world = ScaleWorld(hosts=2, rules=WEB_RULES, jobs=("scale",), parameters={"AutoScalingGroupNames": ""})
    try:
        world.services.add_service("web", cpu=1024, memory=2048)  # three per host
        world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
        first, second = world.cluster.instance_ids
        world.services.run_on(first, "web", 3)
        world.services.run_on(second, "web", 2)
        world.api.reset()

        result = world.decide(world.fire("ecs-scale-web-cpu-high", 91.0))

        assert result["outcome"] == "service-scaled-out" and result["service_count"] == [5, 6]
        assert result["group_capacity"] is None  # without the scope, 2 hosts more would have been asked for
        assert world.group()["desired"] == 2 and world.api.calls["autoscaling:SetDesiredCapacity"] == 0
        [note] = [n for n in world.notifications() if "ecs-fleet-ops scale" in n["subject"]]
        assert "group prod-hosts is not in AutoScalingGroupNames: the suite may not change it" in note["message"]
    finally:
        world.close()


def test_a_scale_function_deployed_with_an_empty_cluster_names_fails_at_cold_start_naming_the_variable(
    aws: None,
) -> None:
    with pytest.raises(ConfigurationError, match=r"CLUSTER_NAMES is required: the ECS clusters the suite may act on"):
        ScaleWorld(hosts=1, rules=[], environment={"CLUSTER_NAMES": ""})
