"""Hosts in Standby (EnterStandby) in the pure scale decisions: an operator's, for as long as they like.
Not a change in progress, never removed, their room not counted, their service tasks kept a place."""

from __future__ import annotations

from dataclasses import replace

import pytest

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
    ScalingDecision,
    ScalingRule,
    ServiceStatus,
    Step,
    TargetKind,
)
from fleetops.scale.decide import decide_cluster_in, decide_service

HOST = Resources(4096, 8192)
TASK = Resources(1024, 2048)  # four per host
IN_ALARM = AlarmDetails("alarm", AlarmState.ALARM, "LessThanThreshold", 30.0, "CPUReservation", 60, 3)
# Three hosts in service: the desired capacity leaves out the one in Standby (decremented on the way in).
GROUP = GroupStatus("prod-hosts", minimum=1, maximum=6, desired=3)


def host(name: str, tasks: int, *, lifecycle: str = "InService", status: str = "ACTIVE") -> Host:
    used = TASK.times(tasks)
    return Host(name, f"arn:ci/{name}", status, HOST, HOST - used, tasks, lifecycle_state=lifecycle)


def placed(name: str, count: int, group: str = "service:web") -> tuple[PlacedTask, ...]:
    return tuple(PlacedTask(f"{name}-task-{i}", group, TASK) for i in range(count))


def scale_in(hosts: list[Host], tasks: dict[str, tuple[PlacedTask, ...]], **extra: object) -> ScalingDecision:
    rule = ScalingRule("alarm", TargetKind.CLUSTER, "prod", Step(1, False, Direction.IN), 300)
    view = ClusterView("prod", tuple(hosts), {f"arn:ci/{name}": ts for name, ts in tasks.items()}, **extra)  # type: ignore[arg-type]
    return decide_cluster_in(
        rule,
        IN_ALARM,
        GROUP,
        view,
        headroom_percent=0,
        termination_hooks=("ecs-fleet-ops-drain-before-terminate",),
        drain_hook_name_prefix="ecs-fleet-ops-drain",
        last_scaled_at=None,
        now=1_000_000.0,
    )


@pytest.mark.parametrize(
    ("lifecycle", "status"),
    [("Standby", "ACTIVE"), ("EnteringStandby", "ACTIVE"), ("Standby", "DRAINING"), ("Standby", "DISCONNECTED")],
)
def test_a_host_in_standby_is_not_a_change_in_progress_that_holds_up_a_scale_in(lifecycle: str, status: str) -> None:
    hosts = [host("a", 1), host("b", 2), host("c", 2), host("s", 0, lifecycle=lifecycle, status=status)]

    decision = scale_in(hosts, {"a": placed("a", 1), "b": placed("b", 2), "c": placed("c", 2)})

    assert decision.outcome is ScaleOutcome.CLUSTER_SCALED_IN, decision.reason
    assert decision.hosts_to_terminate == ("a",)
    assert decision.group_capacity == (3, 2)


def test_a_host_in_standby_is_never_chosen_even_when_it_is_the_emptiest() -> None:
    hosts = [host("a", 1), host("b", 1), host("c", 1), host("s", 0, lifecycle="Standby")]

    decision = scale_in(hosts, {n: placed(n, 1) for n in "abc"} | {"s": ()})

    assert decision.outcome is ScaleOutcome.CLUSTER_SCALED_IN
    assert "s" not in decision.hosts_to_terminate
    assert "fit on the 2 remaining host(s) that take tasks" in decision.capacity_note
    assert "in Standby, left to the operator and not counted as room: s" in decision.capacity_note


def test_the_room_of_a_host_in_standby_is_not_counted_for_the_tasks_of_a_host_removed() -> None:
    # a's three tasks fit only if the empty host in Standby took them.
    hosts = [host("a", 3), host("b", 4), host("c", 4), host("s", 0, lifecycle="Standby")]

    decision = scale_in(hosts, {"a": placed("a", 3), "b": placed("b", 4), "c": placed("c", 4), "s": ()})

    assert decision.outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert "would not all fit on the other hosts" in decision.reason


def test_the_service_tasks_of_a_host_in_standby_keep_a_place_on_the_hosts_that_remain() -> None:
    # Without s's two tasks, a's one fits on b or c; with them, b and c hold only two of the three.
    # (s's tasks are first given their place on a, the roomiest.)
    hosts = [host("a", 1), host("b", 3), host("c", 3), host("s", 2, lifecycle="Standby")]

    decision = scale_in(hosts, {"a": placed("a", 1), "b": placed("b", 3), "c": placed("c", 3), "s": placed("s", 2)})

    assert decision.outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert "the 1 task(s) of a and the 2 of host(s) in Standby it keeps a place for" in decision.reason


def test_a_place_kept_for_a_standby_host_s_task_moves_with_the_host_removed_and_is_no_drain_placement() -> None:
    # s's task is first given a place on a, the host then chosen: it is placed again, on b.
    hosts = [host("a", 0), host("b", 2), host("c", 3), host("s", 1, lifecycle="Standby")]

    decision = scale_in(hosts, {"a": (), "b": placed("b", 2), "c": placed("c", 3), "s": placed("s", 1)})

    assert decision.hosts_to_terminate == ("a",)
    assert decision.placements == {}  # a had no task to move; s's is not the drain's to place


def test_daemon_and_standalone_tasks_on_a_host_in_standby_need_no_place() -> None:
    hosts = [host("a", 1), host("b", 3), host("c", 4), host("s", 2, lifecycle="Standby")]
    tasks = {
        "a": placed("a", 1),
        "b": placed("b", 3),
        "c": placed("c", 4),
        "s": (*placed("s-agent", 1, "service:agent"), *placed("s-batch", 1, "family:batch")),
    }

    decision = scale_in(hosts, tasks, daemon_services=frozenset({"agent"}))

    assert decision.hosts_to_terminate == ("a",)


def test_a_host_in_standby_whose_tasks_were_not_looked_at_stops_the_scale_in() -> None:
    hosts = [host("a", 0), host("b", 1), host("s", 2, lifecycle="Standby")]

    decision = scale_in(hosts, {"a": (), "b": placed("b", 1)})

    assert decision.outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert "the 2 task(s) of s, in Standby, were not looked at" in decision.reason


def test_a_service_scale_out_does_not_count_the_room_of_a_host_in_standby() -> None:
    rule = ScalingRule("alarm", TargetKind.SERVICE, "prod", Step(2, False, Direction.OUT), 60, "web", None, 1, 10)
    full = [host("a", 4), host("b", 4)]
    group = replace(GROUP, desired=2, maximum=2)  # cannot grow: only what fits is added
    service = ServiceStatus("web", 8, 8, 0, TASK)

    decision = decide_service(
        rule, IN_ALARM, service, (*full, host("s", 0, lifecycle="Standby")), group, last_scaled_at=None, now=1e6
    )

    assert decision.outcome is ScaleOutcome.NO_CAPACITY
