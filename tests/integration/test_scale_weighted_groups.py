"""The scale job on a group whose capacity is in weights, not hosts: a mixed instances policy whose
c5.xlarge counts 4 units and c5.2xlarge 8 ("Configure an Auto Scaling group to use instance weights").
Four c5.xlarge hosts fulfil a desired capacity of 16, with nothing launching."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.autoscaling import weighted_groups
from simulator.autoscaling.weighted_groups import make_weighted
from simulator.worlds.scale import ScaleWorld

RULES = [
    {"alarm": "ecs-scale-prod-reservation-high", "cluster": "prod", "step": "+1"},
    {"alarm": "ecs-scale-prod-reservation-low", "cluster": "prod", "step": -1},
    {"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": 2, "min": 1, "max": 40},
]
HIGH, LOW, WEB_HIGH = "ecs-scale-prod-reservation-high", "ecs-scale-prod-reservation-low", "ecs-scale-web-cpu-high"


@pytest.fixture
def world(aws: None) -> Iterator[ScaleWorld]:
    world = ScaleWorld(hosts=0, rules=RULES)
    make_weighted(
        world.session, world.cluster.group, [("c5.xlarge", 4), ("c5.2xlarge", 8)], minimum=4, maximum=40, desired=16
    )
    world.register_new_hosts()
    world.services.add_service("web", cpu=1024, memory=1024)  # four per c5.xlarge (4,096 CPU units)
    for name, comparison, threshold in ((HIGH, "GreaterThanThreshold", 75), (LOW, "LessThanThreshold", 30)):
        world.cluster_reservation_alarm(
            name, comparison=comparison, threshold=threshold, period=300, evaluation_periods=5
        )
    world.service_cpu_alarm(WEB_HIGH, comparison="GreaterThanThreshold", threshold=75)
    yield world
    weighted_groups.terminate_decrements_by_weight = True
    world.close()


def test_the_simulated_group_launches_in_weights_and_reports_each_instances_weighted_capacity(
    world: ScaleWorld,
) -> None:
    group = world.session.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[world.cluster.group]
    )["AutoScalingGroups"][0]

    assert group["DesiredCapacity"] == 16
    assert [(i["InstanceType"], i["WeightedCapacity"]) for i in group["Instances"]] == [("c5.xlarge", "4")] * 4
    registered = world.session.client("ecs").describe_container_instances(
        cluster=world.cluster.name, containerInstances=list(world.cluster.container_instances.values())
    )["containerInstances"]
    assert {r["integerValue"] for ci in registered for r in ci["registeredResources"] if r["name"] == "CPU"} == {4096}
    # 18 units: one more c5.xlarge, 2 units over, as AWS launches until the desired capacity is met.
    world.session.client("autoscaling").set_desired_capacity(
        AutoScalingGroupName=world.cluster.group, DesiredCapacity=18
    )
    assert len(world.group()["instances"]) == 5


def test_a_cluster_scale_out_adds_one_hosts_worth_of_units_and_is_not_still_launching_phantom_hosts(
    world: ScaleWorld,
) -> None:
    result = world.decide(world.fire(HIGH, 90.0))

    assert result["outcome"] == "cluster-scaled-out", result["reason"]
    assert result["group_capacity"] == [16, 20]  # +1 host: one c5.xlarge, 4 units
    assert "(1 host(s), 4 capacity units more)" in result["reason"]
    assert len(world.group()["instances"]) == 5

    world.register_new_hosts()
    # An hour on, the alarm's own transition asks again (the follow-up that would have made the same step
    # meanwhile is taken off the queue: the clock jumps, nothing is delivered on the way).
    world.drop_follow_ups()
    world.clock.advance(3600)
    again = world.decide(world.fire(HIGH, 91.0, state="ALARM"))
    assert again["outcome"] == "cluster-scaled-out", again["reason"]
    assert again["group_capacity"] == [20, 24]


def test_a_cluster_scale_out_waits_for_the_units_really_launching_and_says_so_in_hosts_and_units(
    world: ScaleWorld,
) -> None:
    world.session.client("autoscaling").set_desired_capacity(
        AutoScalingGroupName=world.cluster.group, DesiredCapacity=20
    )

    result = world.decide(world.fire(HIGH, 90.0))  # the fifth host has not joined the cluster yet

    assert result["outcome"] == "cooldown"
    assert "still launching 1 host(s), 4 capacity units" in result["reason"]
    assert world.group()["desired"] == 20


def test_a_service_scale_out_that_does_not_fit_grows_the_group_instead_of_counting_phantom_hosts(
    world: ScaleWorld,
) -> None:
    for instance_id in world.cluster.instance_ids:
        world.services.run_on(instance_id, "web", 4)  # every host full

    result = world.decide(world.fire(WEB_HIGH, 90.0))

    assert result["outcome"] == "service-scaled-out", result["reason"]
    assert result["group_capacity"] == [16, 20]
    assert result["service_count"] == [16, 18]
    world.register_new_hosts()
    assert world.services.settle("web") == 0  # the two new tasks have a place on the new host


def test_a_scale_in_removes_one_host_and_lowers_the_desired_capacity_by_its_weight(world: ScaleWorld) -> None:
    for instance_id in world.cluster.instance_ids[:3]:  # the fourth host is empty
        world.services.run_on(instance_id, "web", 1)

    result = world.decide(world.fire(LOW, 10.0))
    world.drain_terminations()

    assert result["outcome"] == "cluster-scaled-in", result["reason"]
    assert result["group_capacity"] == [16, 12]
    assert "(16 to 12 capacity units: 1 host(s), 4 capacity units fewer)" in result["reason"]
    assert world.group()["desired"] == 12
    assert len(world.group()["instances"]) == 3  # no replacement launched
    assert sum(world.cluster.lost_tasks.values()) == 0


def test_a_scale_in_is_right_even_if_auto_scaling_decrements_a_weighted_instance_by_one(world: ScaleWorld) -> None:
    # The documents do not say by how much ShouldDecrementDesiredCapacity lowers a weighted group.
    weighted_groups.terminate_decrements_by_weight = False
    for instance_id in world.cluster.instance_ids[:3]:
        world.services.run_on(instance_id, "web", 1)

    result = world.decide(world.fire(LOW, 10.0))
    world.drain_terminations()

    assert result["outcome"] == "cluster-scaled-in", result["reason"]
    assert world.group()["desired"] == 12  # not 15, which would launch a replacement for 3 units
    assert len(world.group()["instances"]) == 3


def test_a_scale_in_never_takes_a_weighted_group_below_its_minimum(world: ScaleWorld) -> None:
    world.set_group_bounds(minimum=14, maximum=40)  # 2 units above the minimum: less than any host counts

    result = world.decide(world.fire(LOW, 10.0))

    assert result["outcome"] == "unsafe-scale-in", result["reason"]
    assert "counts for 4 capacity unit(s), more than the 2 the group's minimum leaves" in result["reason"]
    assert world.group()["desired"] == 16
    assert len(world.group()["instances"]) == 4
