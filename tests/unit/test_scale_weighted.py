"""Pure scaling decisions for a group whose capacity is in weights (or vCPUs, or MiB), not hosts, and
bin-packing over hosts of different sizes."""

from __future__ import annotations

from dataclasses import replace

from fleetops.models.scale import (
    AlarmDetails,
    AlarmState,
    ClusterView,
    Direction,
    GroupStatus,
    Host,
    PlacedTask,
    Resources,
    ScaleOutcome,
    ScalingRule,
    ServiceStatus,
    Step,
    TargetKind,
)
from fleetops.packing import plan_scale_in, room_for
from fleetops.scale.decide import decide_cluster_in, decide_cluster_out, decide_service

SMALL = Resources(4096, 7474)  # c5.xlarge as ECS registers it: weight 4
LARGE = Resources(8192, 15307)  # c5.2xlarge: weight 8
TASK = Resources(1024, 1024)
NOW = 1_000_000.0
IN_ALARM = AlarmDetails("alarm", AlarmState.ALARM, "GreaterThanThreshold", 75.0, "CPUReservation", 300, 5)
WEIGHTED = GroupStatus("prod-hosts", minimum=4, maximum=40, desired=16, weighted=True, units_per_host=4)


def host(name: str, tasks: int, *, size: Resources = SMALL, weight: int = 4) -> Host:
    return Host(name, f"arn:ci/{name}", "ACTIVE", size, size - TASK.times(tasks), tasks, weight=weight)


def cluster_rule(amount: int, *, percent: bool = False) -> ScalingRule:
    direction = Direction.OUT if amount > 0 else Direction.IN
    return ScalingRule("alarm", TargetKind.CLUSTER, "prod", Step(abs(amount), percent, direction), 300)


def web(desired: int) -> ServiceStatus:
    return ServiceStatus("web", desired, desired, 0, TASK)


def service_rule(step: int) -> ScalingRule:
    return ScalingRule(
        "alarm", TargetKind.SERVICE, "prod", Step(step, False, Direction.OUT), 60, service="web", minimum=1, maximum=40
    )


FOUR_HOSTS = tuple(host(f"i-{n}", 0) for n in range(4))  # 16 units: the desired capacity, met


def test_four_hosts_of_weight_four_meet_a_desired_capacity_of_16_and_a_scale_out_adds_one_hosts_worth() -> None:
    decision = decide_cluster_out(cluster_rule(1), IN_ALARM, WEIGHTED, FOUR_HOSTS, last_scaled_at=None, now=NOW)

    assert decision.outcome is ScaleOutcome.CLUSTER_SCALED_OUT, decision.reason
    assert decision.group_capacity == (16, 20)
    assert decision.reason == "scaled group prod-hosts from 16 to 20 capacity units (1 host(s), 4 capacity units more)"


def test_units_still_launching_are_counted_in_units_and_reported_in_hosts_and_units() -> None:
    group = replace(WEIGHTED, desired=24)  # two hosts' worth not registered yet

    decision = decide_cluster_out(cluster_rule(2), IN_ALARM, group, FOUR_HOSTS, last_scaled_at=None, now=NOW)

    assert decision.outcome is ScaleOutcome.COOLDOWN
    assert "still launching 2 host(s), 8 capacity units" in decision.reason


def test_a_scale_out_never_sets_the_desired_capacity_above_max_size() -> None:
    group = replace(WEIGHTED, maximum=18)

    decision = decide_cluster_out(cluster_rule(1), IN_ALARM, group, FOUR_HOSTS, last_scaled_at=None, now=NOW)

    assert decision.group_capacity == (16, 18)  # Auto Scaling may launch a whole host past it; the job never asks


def test_a_service_that_does_not_fit_counts_no_phantom_hosts_and_grows_the_group_in_units() -> None:
    full = tuple(host(f"i-{n}", 4) for n in range(4))

    decision = decide_service(service_rule(2), IN_ALARM, web(16), full, WEIGHTED, last_scaled_at=None, now=NOW)

    assert decision.outcome is ScaleOutcome.SERVICE_SCALED_OUT
    assert decision.group_capacity == (16, 20)
    assert decision.service_count == (16, 18)
    assert "from 16 to 20 capacity units (1 host(s), 4 capacity units more) first" in decision.reason


def test_a_scale_in_lowers_the_desired_capacity_by_the_chosen_hosts_weight() -> None:
    hosts = (host("i-busy", 2), host("i-big", 0, size=LARGE, weight=8), host("i-empty", 0))
    tasks = {"arn:ci/i-busy": placed("busy", 2), "arn:ci/i-big": (), "arn:ci/i-empty": ()}
    group = replace(WEIGHTED, desired=16, minimum=4)

    decision = decide_cluster_in(
        cluster_rule(-1),
        IN_ALARM,
        group,
        ClusterView("prod", hosts, tasks),
        headroom_percent=0,
        termination_hooks=("ecs-fleet-ops-drain-prod-hosts",),
        drain_hook_name_prefix="ecs-fleet-ops-drain",
        last_scaled_at=None,
        now=NOW,
    )

    assert decision.outcome is ScaleOutcome.CLUSTER_SCALED_IN, decision.reason
    assert decision.hosts_to_terminate == ("i-big",)  # empty, first by id; not one step of 1 unit
    assert decision.group_capacity == (16, 8)


def placed(name: str, count: int) -> tuple[PlacedTask, ...]:
    return tuple(PlacedTask(f"{name}-{i}", "service:web", TASK) for i in range(count))


def test_the_minimum_leaves_room_for_a_small_host_only_so_the_large_emptier_one_is_passed_over() -> None:
    big = host("i-big", 0, size=LARGE, weight=8)
    small = host("i-small", 1)
    keep = host("i-keep", 0)
    cluster = ClusterView(
        "prod", (big, small, keep), {"arn:ci/i-big": (), "arn:ci/i-small": placed("s", 1), "arn:ci/i-keep": ()}
    )

    plan = plan_scale_in(cluster, 1, 0, unit_budget=4)

    assert [h.ec2_instance_id for h in plan.chosen] in (["i-small"], ["i-keep"])
    assert any("i-big counts for 8 capacity unit(s), more than the 4" in why for why in plan.refusals)


def test_room_is_counted_on_each_host_by_its_own_remaining_resources_in_a_mixed_cluster() -> None:
    # Two full c5.xlarge and a c5.2xlarge with half its CPU free: four more tasks, all on the large one.
    hosts = (host("i-a", 4), host("i-b", 4), host("i-big", 4, size=LARGE, weight=8))

    assert room_for(TASK, hosts) == 4
