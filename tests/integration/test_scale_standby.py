"""A host an operator put in Standby (EnterStandby) on the simulated account: the cluster still scales
in, the Standby host is never the one removed, its room is not counted, and its service tasks keep a
place should the operator drain or reboot it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from simulator.worlds.scale import ScaleWorld

RULES = [{"alarm": "ecs-scale-prod-reservation-low", "cluster": "prod", "step": -1, "min": 1}]
LOW = "ecs-scale-prod-reservation-low"


@pytest.fixture
def world(aws: None) -> Iterator[ScaleWorld]:
    world = ScaleWorld(hosts=3, rules=RULES)
    world.services.add_service("web", cpu=1024, memory=2048)  # three per host
    world.cluster_reservation_alarm(LOW, comparison="LessThanThreshold", threshold=30, period=300, evaluation_periods=5)
    yield world
    world.close()


def test_a_cluster_with_one_host_in_standby_scales_in_when_otherwise_safe(world: ScaleWorld) -> None:
    a, b, c = world.cluster.instance_ids  # zones: a and c in us-east-1a, b in us-east-1b
    world.services.run_on(a, "web", 1)
    world.services.run_on(b, "web", 2)
    world.enter_standby(c)  # the emptiest host; still ACTIVE in ECS
    assert world.group()["desired"] == 2  # decremented: Auto Scaling launches no replacement

    result = world.decide(world.fire(LOW, 18.0))

    assert result["outcome"] == "cluster-scaled-in", result["reason"]
    assert result["hosts_to_terminate"] == [a]  # never c, the emptiest but in Standby
    assert world.group()["desired"] == 1
    assert world.group()["instances"][c] == "Standby"
    world.drain_terminations()
    assert world.cluster.lost_tasks == {a: 0}
    assert len(world.services.tasks("web")) == 3


def test_a_host_in_standby_is_never_chosen_for_termination_even_as_the_only_empty_one(world: ScaleWorld) -> None:
    a, b, c = world.cluster.instance_ids
    world.services.run_on(a, "web", 1)
    world.services.run_on(b, "web", 1)
    world.enter_standby(c)

    result = world.decide(world.fire(LOW, 10.0))

    assert result["outcome"] == "cluster-scaled-in", result["reason"]
    assert c not in result["hosts_to_terminate"]
    assert world.group()["instances"][c] == "Standby"
    [note] = [n for n in world.notifications() if "ecs-fleet-ops scale" in n["subject"]]
    assert f"in Standby, left to the operator and not counted as room: {c}" in note["message"]


def test_the_room_of_a_host_in_standby_is_not_counted_for_the_tasks_of_a_host_removed(world: ScaleWorld) -> None:
    a, b, c = world.cluster.instance_ids
    world.services.run_on(a, "web", 2)
    world.services.run_on(b, "web", 3)  # full: a's two tasks would fit only on c, which is in Standby
    world.enter_standby(c)

    result = world.decide(world.fire(LOW, 25.0))

    assert result["outcome"] == "unsafe-scale-in"
    assert "would not all fit on the other hosts" in result["reason"]
    assert world.group()["desired"] == 2
    assert world.group()["instances"] == {a: "InService", b: "InService", c: "Standby"}


def test_the_service_tasks_on_a_host_in_standby_keep_a_place_for_when_the_operator_drains_it(
    world: ScaleWorld,
) -> None:
    a, b, c = world.cluster.instance_ids
    world.services.run_on(a, "web", 1)
    world.services.run_on(b, "web", 1)
    world.services.run_on(c, "web", 2)
    world.enter_standby(c)  # not drained yet: its two tasks run on, and need a place when it is

    result = world.decide(world.fire(LOW, 20.0))

    # Removing a (or b) would leave one host with room for two more: a's task and c's two need three.
    assert result["outcome"] == "unsafe-scale-in"
    assert "and the 2 of host(s) in Standby it keeps a place for" in result["reason"]
    assert world.group()["desired"] == 2


def test_a_host_in_standby_that_the_operator_drained_does_not_hold_up_a_scale_in(world: ScaleWorld) -> None:
    a, b, c = world.cluster.instance_ids
    world.services.run_on(a, "web", 1)
    world.services.run_on(b, "web", 1)
    world.enter_standby(c)
    world.session.client("ecs").update_container_instances_state(
        cluster=world.cluster.name, containerInstances=[world.cluster.container_instances[c]], status="DRAINING"
    )

    result = world.decide(world.fire(LOW, 12.0))

    assert result["outcome"] == "cluster-scaled-in", result["reason"]
    assert c not in result["hosts_to_terminate"]


# -- the simulated Auto Scaling is as strict as Auto Scaling about Standby (standby_gaps) -------------


def test_only_an_in_service_instance_may_enter_standby(world: ScaleWorld) -> None:
    _, _, c = world.cluster.instance_ids
    world.enter_standby(c)

    with pytest.raises(ClientError, match=f"The instance {c} is not in InService"):
        world.enter_standby(c)


def test_entering_standby_may_not_take_the_desired_capacity_below_the_minimum(world: ScaleWorld) -> None:
    a, _, _ = world.cluster.instance_ids
    world.set_group_bounds(minimum=3, maximum=6)

    with pytest.raises(ClientError, match="below its minimum of 3"):
        world.enter_standby(a)
    world.enter_standby(a, decrement=False)  # without the decrement Auto Scaling launches a replacement

    assert world.group()["desired"] == 3
    assert sorted(world.group()["instances"].values()) == ["InService"] * 3 + ["Standby"]


def test_a_lower_desired_capacity_never_terminates_an_instance_in_standby(world: ScaleWorld) -> None:
    a, _, _ = world.cluster.instance_ids  # the first instance, the one moto would pick
    world.enter_standby(a)

    world.session.client("autoscaling").set_desired_capacity(
        AutoScalingGroupName=world.cluster.group, DesiredCapacity=0
    )

    assert world.group()["instances"] == {a: "Standby"}
