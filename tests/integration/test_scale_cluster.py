"""The scale job on a simulated account: reservation alarms change the cluster's Auto Scaling group,
and a scale-in goes through the group, its termination hook and the drain job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.cloudformation.template import Template
from simulator.worlds.scale import ScaleWorld

EVENTS = Path(__file__).resolve().parents[2] / "events" / "scale"


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


CLUSTER_RULES = [
    {"alarm": "ecs-scale-prod-reservation-high", "cluster": "prod", "step": "+2"},
    {"alarm": "ecs-scale-prod-reservation-low", "cluster": "prod", "step": -1, "min": 1},
]


@pytest.fixture
def world(aws: None) -> Iterator[ScaleWorld]:
    world = ScaleWorld(hosts=3, rules=CLUSTER_RULES)
    world.services.add_service("web", cpu=1024, memory=2048)  # three per host
    for name, comparison, threshold in (
        ("ecs-scale-prod-reservation-high", "GreaterThanThreshold", 75),
        ("ecs-scale-prod-reservation-low", "LessThanThreshold", 30),
    ):
        world.cluster_reservation_alarm(
            name, comparison=comparison, threshold=threshold, period=300, evaluation_periods=5
        )
    yield world
    world.close()


def test_a_low_reservation_alarm_terminates_the_emptiest_host_through_the_group_and_the_drain_moves_its_tasks(
    world: ScaleWorld,
) -> None:
    a, b, c = world.cluster.instance_ids  # zones: a and c in us-east-1a, b in us-east-1b
    world.services.run_on(a, "web", 2)
    world.services.run_on(b, "web", 2)
    world.services.run_on(c, "web", 1)

    result = world.decide(world.fire("ecs-scale-prod-reservation-low", 22.0))

    assert result["outcome"] == "cluster-scaled-in"
    assert result["hosts_to_terminate"] == [c]  # the emptiest, not the oldest
    group = world.group()
    assert group["desired"] == 2  # decremented: the group does not replace it
    assert group["instances"][c] == "Terminating:Wait"  # held by the hook until the drain is done

    world.drain_terminations()

    assert world.cluster.lost_tasks == {c: 0}
    assert len(world.services.tasks("web")) == 5
    assert all(t.container_instance_arn != world.cluster.container_instances[c] for t in world.services.tasks("web"))
    assert c not in world.group()["instances"]
    [note] = [n for n in world.notifications() if "ecs-fleet-ops scale" in n["subject"]]
    assert note["message"].startswith(f"Terminating {c} (1 task(s)) through group prod-hosts (3 to 2 host(s))")
    assert "CPUReservation 22% < 30% for 25 min" in note["message"]


def test_scale_in_takes_a_host_of_the_larger_zone_so_auto_scaling_never_rebalances_away_an_unapproved_one(
    world: ScaleWorld,
) -> None:
    a, b, c = world.cluster.instance_ids  # zones: a and c in us-east-1a, b alone in us-east-1b
    world.services.run_on(a, "web", 2)
    world.services.run_on(b, "web", 1)  # the emptiest host sits in the smaller zone
    world.services.run_on(c, "web", 2)

    result = world.decide(world.fire("ecs-scale-prod-reservation-low", 22.0))
    world.drain_terminations()

    # Removing b would leave us-east-1a 2 / us-east-1b 0: Auto Scaling would launch in us-east-1b and
    # terminate a or c, whose tasks no packing check had placed. Taking a or c keeps the zones 1 / 1.
    assert world.rebalancing.activities == []
    [chosen] = result["hosts_to_terminate"]
    assert chosen in (a, c)
    assert set(world.group()["instances"]) == {a, b, c} - {chosen}
    assert world.cluster.lost_tasks == {chosen: 0} and len(world.services.tasks("web")) == 5


def test_scale_in_is_refused_when_the_tasks_would_not_fit_on_the_hosts_that_remain(world: ScaleWorld) -> None:
    a, b, c = world.cluster.instance_ids
    world.services.run_on(a, "web", 3)
    world.services.run_on(b, "web", 2)
    world.services.run_on(c, "web", 3)  # one free place in the whole cluster

    result = world.decide(world.fire("ecs-scale-prod-reservation-low", 28.0))

    assert result["outcome"] == "unsafe-scale-in"
    assert world.group()["desired"] == 3
    assert set(world.group()["instances"].values()) == {"InService"}
    [note] = [n for n in world.notifications() if "ecs-fleet-ops scale" in n["subject"]]
    assert note["subject"].startswith("ATTENTION")


def test_scale_in_protection_is_respected(world: ScaleWorld) -> None:
    a, b, c = world.cluster.instance_ids  # zones: a and c in us-east-1a, b in us-east-1b
    world.services.run_on(a, "web", 1)
    world.services.run_on(b, "web", 2)
    world.services.run_on(c, "web", 2)
    world.session.client("autoscaling").set_instance_protection(
        AutoScalingGroupName=world.cluster.group, InstanceIds=[a], ProtectedFromScaleIn=True
    )

    result = world.decide(world.fire("ecs-scale-prod-reservation-low", 20.0))

    assert result["hosts_to_terminate"] == [c]  # the emptiest, a, is protected


def test_a_group_whose_termination_hook_was_deleted_is_not_scaled_in_and_the_message_says_to_add_one(
    world: ScaleWorld,
) -> None:
    a, b, c = world.cluster.instance_ids
    world.services.run_on(a, "web", 2)
    world.services.run_on(b, "web", 1)
    world.services.run_on(c, "web", 2)
    world.session.client("autoscaling").delete_lifecycle_hook(
        AutoScalingGroupName=world.cluster.group, LifecycleHookName=world.cluster.hook_name
    )

    result = world.decide(world.fire("ecs-scale-prod-reservation-low", 22.0))

    # Without the hook, TerminateInstanceInAutoScalingGroup would stop host b with its task at once.
    assert (result["outcome"], result["acted"], result["hosts_to_terminate"]) == ("unsafe-scale-in", False, [])
    assert world.group()["desired"] == 3
    assert set(world.group()["instances"].values()) == {"InService"}
    assert world.cluster.lost_tasks == {}
    [note] = [n for n in world.notifications() if "ecs-fleet-ops scale" in n["subject"]]
    assert note["subject"].startswith("ATTENTION")
    assert "no termination lifecycle hook" in note["message"]
    assert "HookAutoScalingGroupName" in note["message"]


def test_a_group_whose_only_termination_hook_is_a_log_shipper_s_is_not_scaled_in(world: ScaleWorld) -> None:
    a, b, c = world.cluster.instance_ids
    world.services.run_on(a, "web", 2)
    world.services.run_on(b, "web", 1)
    world.services.run_on(c, "web", 2)
    autoscaling = world.session.client("autoscaling")
    autoscaling.delete_lifecycle_hook(
        AutoScalingGroupName=world.cluster.group, LifecycleHookName=world.cluster.hook_name
    )
    autoscaling.put_lifecycle_hook(
        AutoScalingGroupName=world.cluster.group,
        LifecycleHookName="ship-logs",
        LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
        HeartbeatTimeout=300,
        DefaultResult="CONTINUE",
    )

    result = world.decide(world.fire("ecs-scale-prod-reservation-low", 22.0))

    # The log shipper lets host b go once its logs are out: the drain, deaf to a foreign hook, never moves
    # its task.
    assert (result["outcome"], result["acted"], result["hosts_to_terminate"]) == ("unsafe-scale-in", False, [])
    assert set(world.group()["instances"].values()) == {"InService"}
    assert "ship-logs are not the drain's" in result["reason"]


def test_no_host_is_removed_while_a_service_wants_tasks_ecs_could_not_place(world: ScaleWorld) -> None:
    a, b, _ = world.cluster.instance_ids
    world.services.run_on(a, "web", 1)
    world.services.run_on(b, "web", 1)
    world.services.set_desired_count("web", 11)  # nine places in the cluster: two tasks wait for room

    result = world.decide(world.fire("ecs-scale-prod-reservation-low", 25.0))

    assert result["outcome"] == "unsafe-scale-in"
    assert "could not place: web (2)" in result["reason"]
    assert world.group()["desired"] == 3


def test_every_aws_call_of_a_scale_in_is_allowed_by_the_scale_policy(world: ScaleWorld) -> None:
    a, _, c = world.cluster.instance_ids
    world.services.run_on(a, "web", 2)
    world.services.run_on(c, "web", 1)
    event = world.fire("ecs-scale-prod-reservation-low", 15.0)
    world.api.reset()

    result = world.decide(event)

    assert result["outcome"] == "cluster-scaled-in"
    called = {f"{service}:{operation}" for service, _, operation in (c.partition(":") for c in world.api.calls)}
    assert {"autoscaling:DescribeLifecycleHooks", "autoscaling:TerminateInstanceInAutoScalingGroup"} <= called
    missing = called - Template().policy_actions("ScaleFunction")
    assert not missing, f"the scale function's policy lacks {sorted(missing)}"


def test_the_cluster_never_scales_in_below_the_groups_minimum(world: ScaleWorld) -> None:
    world.set_group_bounds(minimum=3, maximum=10)

    result = world.decide(world.fire("ecs-scale-prod-reservation-low", 5.0))

    assert result["outcome"] == "at-bound"
    assert world.group()["desired"] == 3


def test_a_scale_out_is_clamped_to_the_groups_maximum_which_aws_would_otherwise_reject(world: ScaleWorld) -> None:
    world.set_group_bounds(minimum=1, maximum=4)

    first = world.decide(world.fire("ecs-scale-prod-reservation-high", 90.0))
    world.clock.advance(61)
    world.fire("ecs-scale-prod-reservation-high", 50.0, state="OK")
    second = world.decide(world.fire("ecs-scale-prod-reservation-high", 92.0))

    assert first["group_capacity"] == [3, 4]  # +2 asked, 4 is the maximum
    assert second["outcome"] == "at-bound"
    assert world.group()["desired"] == 4
    # The simulation refuses what AWS refuses: the clamp is what kept the job from that error.
    with pytest.raises(Exception, match="above max value 4"):
        world.session.client("autoscaling").set_desired_capacity(
            AutoScalingGroupName=world.cluster.group, DesiredCapacity=6
        )


def test_a_reservation_alarm_still_in_alarm_adds_no_more_hosts_until_the_new_ones_have_joined_and_been_judged(
    world: ScaleWorld,
) -> None:
    # The alarm judges 5 periods of 300 s; new hosts take minutes to register with the cluster.
    first = world.decide(world.fire("ecs-scale-prod-reservation-high", 90.0))
    assert (first["group_capacity"], first["follow_up_in_seconds"]) == ([3, 5], 900)  # 60 + 1,500 s, SQS caps 900

    world.deliver_follow_up()  # 15 min on: the alarm has not judged 25 min of data since the change
    assert world.group()["desired"] == 5
    [(due, _)] = world.pending_follow_ups()
    assert due - world.clock() == 660  # the rest of cooldown + window

    world.deliver_follow_up()  # judged, but the two new hosts have not joined the cluster yet
    assert world.group()["desired"] == 5
    assert len(world.pending_follow_ups()) == 1  # still looking

    world.register_new_hosts()
    world.deliver_follow_up()  # still in ALARM with them in: now the next step

    assert world.group()["desired"] == 7


def test_an_alarm_without_a_rule_is_derived_from_its_cluster_dimension(aws: None) -> None:
    world = ScaleWorld(hosts=2, rules=[])
    try:
        world.alarm(
            "prod-memory-reservation-high",
            metric="MemoryReservation",
            dimensions={"ClusterName": "prod"},
            comparison="GreaterThanOrEqualToThreshold",
            threshold=80,
        )

        result = world.decide(world.fire("prod-memory-reservation-high", 85.0, via="sns"))

        assert (result["outcome"], result["group_capacity"]) == ("cluster-scaled-out", [2, 3])
        [note] = [n for n in world.notifications() if "ecs-fleet-ops scale" in n["subject"]]
        assert "Rule (derived from the alarm's dimensions): cluster prod, step +1" in note["message"]
    finally:
        world.close()


def test_a_metric_math_reservation_alarm_as_cloudwatch_sends_it_scales_in_by_a_rule_derived_from_its_inputs(
    aws: None,
) -> None:
    world = ScaleWorld(hosts=3, rules=[])
    try:
        world.services.add_service("web")
        a, b, c = world.cluster.instance_ids  # zones: a and c in us-east-1a, b in us-east-1b
        world.services.run_on(a, "web", 2)
        world.services.run_on(b, "web", 2)
        world.services.run_on(c, "web", 1)
        world.session.client("cloudwatch").put_metric_alarm(
            AlarmName="ecs-scale-prod-reservation-low",
            EvaluationPeriods=5,
            Threshold=30.0,
            ComparisonOperator="LessThanThreshold",
            Metrics=[
                {"Id": "e1", "Expression": "MAX([cpu, memory])", "ReturnData": True},
                *(
                    {
                        "Id": query_id,
                        "ReturnData": False,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/ECS",
                                "MetricName": metric,
                                "Dimensions": [{"Name": "ClusterName", "Value": "prod"}],
                            },
                            "Period": 300,
                            "Stat": "Average",
                        },
                    }
                    for query_id, metric in (("cpu", "CPUReservation"), ("memory", "MemoryReservation"))
                ),
            ],
        )
        world.set_state("ecs-scale-prod-reservation-low", "ALARM")

        result = world.decide(load_event("eventbridge-cluster-reservation-metric-math.json"))

        assert (result["outcome"], result["hosts_to_terminate"]) == ("cluster-scaled-in", [c])
        [note] = [n for n in world.notifications() if "ecs-fleet-ops scale" in n["subject"]]
        assert "metric math 22.5 < 30 for 25 min" in note["message"]
        assert "Rule (derived from the alarm's dimensions): cluster prod, step consolidate" in note["message"]
    finally:
        world.close()


def test_a_group_scaled_by_a_capacity_provider_with_managed_scaling_is_left_to_it(world: ScaleWorld) -> None:
    world.hand_group_to_capacity_provider("prod-capacity")

    result = world.decide(world.fire("ecs-scale-prod-reservation-high", 90.0))

    assert result["outcome"] == "deferred"
    assert "capacity provider prod-capacity (managed scaling)" in result["reason"]
    assert world.group()["desired"] == 3


def test_a_cluster_of_25_services_is_listed_in_one_list_services_call(world: ScaleWorld) -> None:
    # ListServices returns 10 services a page unless maxResults (at most 100) asks for more.
    for n in range(24):
        world.services.add_service(f"worker-{n:02d}", cpu=256, memory=512)
    a, b, c = world.cluster.instance_ids
    world.services.run_on(a, "web", 2)
    world.services.run_on(b, "web", 1)
    world.services.run_on(c, "web", 2)
    event = world.fire("ecs-scale-prod-reservation-low", 22.0)
    world.api.reset()

    world.decide(event)

    assert world.api.calls["ecs:ListServices"] == 1
    assert world.api.calls["ecs:DescribeServices"] == 3  # 10 services per call, its limit
