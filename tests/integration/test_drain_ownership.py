"""The drain on a group it shares with other people's termination hooks, end to end through the
template's wiring: a log shipper's hook and ECS managed instance draining's, beside the example's own.
Every hook's action is announced; the suite's rule and subscription deliver only its own, and no
foreign action is ever completed by the suite (issue 10, item 2: the drain completed ship-logs'
action after 60 s)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.autoscaling.hook_handlers import (
    ECS_MANAGED_DRAINING_HEARTBEAT_TIMEOUT,
    ECS_MANAGED_DRAINING_HOOK,
    LOG_SHIPPER_HOOK,
    EcsManagedDraining,
    LogShipper,
)
from simulator.fleet.fleet import SimulatedFleet
from simulator.moto_patches import simulated_aws

TASKS = 8


@pytest.fixture
def shared_group() -> Iterator[SimulatedFleet]:
    """The example cluster, eight tasks on two hosts, and three termination hooks on its group."""
    with simulated_aws():
        fleet = SimulatedFleet(parameters={"Announce": "everything"})
        try:
            fleet.add_termination_hook(
                LogShipper(fleet.hooks, seconds=300), heartbeat_timeout=900, default_result="CONTINUE"
            )
            fleet.add_termination_hook(
                EcsManagedDraining(fleet.hooks, fleet.cluster),
                heartbeat_timeout=ECS_MANAGED_DRAINING_HEARTBEAT_TIMEOUT,
                default_result="CONTINUE",
            )
            d = fleet.definition
            fleet.clients("ecs").update_service(cluster=d.cluster_name, service=d.service_name, desiredCount=TASKS)
            fleet.set_traffic(TASKS * d.task_cpu / 2)
            fleet.run_for(5)
            yield fleet
        finally:
            fleet.close()


def test_terminations_on_a_group_with_three_hooks_complete_no_foreign_action(shared_group: SimulatedFleet) -> None:
    fleet = shared_group
    d = fleet.definition
    hosts = list(fleet.hosts())
    for host in hosts:  # one after the other, each through its group (the group replaces it)
        fleet.clients("autoscaling").terminate_instance_in_auto_scaling_group(
            InstanceId=host, ShouldDecrementDesiredCapacity=False
        )
        fleet.run_for(ECS_MANAGED_DRAINING_HEARTBEAT_TIMEOUT + 120)
    fleet.run_until_quiet()

    actions = [a for a in fleet.hooks.actions.values() if a.instance_id in hosts]
    assert sorted(a.hook for a in actions) == sorted([d.hook_name, LOG_SHIPPER_HOOK, ECS_MANAGED_DRAINING_HOOK] * 2)
    ended_by = {(a.hook, a.ended_by, a.actor) for a in actions}
    assert ended_by == {
        (d.hook_name, "completion", "function:drain"),
        (LOG_SHIPPER_HOOK, "completion", LOG_SHIPPER_HOOK),
        (ECS_MANAGED_DRAINING_HOOK, "completion", "ECS managed instance draining"),
    }
    assert fleet.tasks_lost() == 0

    # The foreign hooks' events were announced and matched no rule of the suite's stack.
    unmatched = [e.event for e in fleet.account.timeline if "no rule of the stack matches" in e.event]
    assert len(unmatched) == 4
    starts = [e for e in fleet.account.timeline if e.function == "drain" and "drain requested" in e.decision]
    assert len(starts) == 2 and all(e.via in ("EventBridge", "SNS") for e in starts)
    # Each drain warned that ECS managed instance draining drains the same host.
    assert all("DrainsBesideManagedDraining" in e.metrics for e in starts)
    reports = [n for n in fleet.account.notifications() if "drain of" in n["subject"]]
    assert len(reports) == 2
    assert all("Note: the group also has ECS managed instance draining's hook" in n["message"] for n in reports)
