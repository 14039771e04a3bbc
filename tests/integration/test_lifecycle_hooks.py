"""The simulated Auto Scaling lifecycle hooks behave as AWS documents them, with several hooks on one
group: each hook's action lives and ends on its own, and the instance goes only when all have ended.
(The drain job is not involved here: these are the rules it is tested against.)"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from simulator.autoscaling.hook_handlers import ECS_MANAGED_DRAINING_HOOK, EcsManagedDraining, LogShipper
from simulator.autoscaling.lifecycle import acting_as
from simulator.worlds.drain import DrainWorld


@pytest.fixture
def three_hooks(aws: None) -> DrainWorld:
    """The drain's hook (heartbeat 3600 s, ABANDON), a log shipper's and ECS managed draining's."""
    world = DrainWorld()
    world.add_termination_hook(LogShipper(world.hooks, seconds=120), heartbeat_timeout=600)
    world.add_termination_hook(EcsManagedDraining(world.hooks, world.cluster), heartbeat_timeout=3600)
    return world


def test_every_termination_hook_of_the_group_gets_its_own_action_token_and_timers(three_hooks: DrainWorld) -> None:
    world = three_hooks
    actions = world.hooks.start_termination(world.cluster.group, world.cluster.instance_ids[0])
    assert [a.hook for a in actions] == [world.cluster.hook_name, "ship-logs", ECS_MANAGED_DRAINING_HOOK]
    assert len({a.token for a in actions}) == 3
    assert [(a.heartbeat_timeout, a.global_timeout) for a in actions] == [(3600, 172800), (600, 60000), (3600, 172800)]
    events = [world.hooks.eventbridge_event(a)["detail"] for a in actions]
    assert [(e["LifecycleHookName"], e["LifecycleActionToken"]) for e in events] == [(a.hook, a.token) for a in actions]


def test_the_instance_waits_until_every_action_has_ended_and_each_says_who_ended_it(three_hooks: DrainWorld) -> None:
    world = three_hooks
    host = world.cluster.instance_ids[1]  # no task on it: ECS managed draining completes at once
    ours, shipper, managed = world.hooks.start_termination(world.cluster.group, host)
    world.advance_to(world.clock() + 130)
    assert (managed.ended_by, managed.actor) == ("completion", "ECS managed instance draining")
    assert (shipper.ended_by, shipper.actor) == ("completion", "ship-logs")
    assert ours.active and world.cluster.container_instance(host).status == "DRAINING"  # ECS set it
    assert _lifecycle_state(world, host) == "Terminating:Wait"

    with acting_as("function:drain"):
        world.session.client("autoscaling").complete_lifecycle_action(
            AutoScalingGroupName=ours.group,
            LifecycleHookName=ours.hook,
            LifecycleActionToken=ours.token,
            InstanceId=host,
            LifecycleActionResult="CONTINUE",
        )
    assert (ours.result, ours.actor) == ("CONTINUE", "function:drain")
    assert _lifecycle_state(world, host) is None  # gone from the group: terminated


def test_abandon_ends_the_instances_other_pending_actions(three_hooks: DrainWorld) -> None:
    world = three_hooks
    host = world.cluster.instance_ids[0]
    world.cluster.add_service("web")
    world.cluster.start_tasks(host, 1, group="family:batch")  # holds ECS managed draining's action
    ours, shipper, managed = world.hooks.start_termination(world.cluster.group, host)
    world.hooks.complete(group=ours.group, hook=ours.hook, token=ours.token, instance_id=host, result="ABANDON")
    assert [(a.ended_by, a.result) for a in (shipper, managed)] == [("abandoned", None)] * 2
    assert _lifecycle_state(world, host) is None


def test_an_action_ends_at_its_global_timeout_however_often_it_is_heartbeated(aws: None) -> None:
    world = DrainWorld(hook_timeout=30)  # global timeout: 100 x 30 s = 3000 s
    [action] = world.hooks.start_termination(world.cluster.group, world.cluster.instance_ids[0])
    autoscaling = world.session.client("autoscaling")
    while world.clock() < action.started_at + 2990:
        autoscaling.record_lifecycle_action_heartbeat(
            AutoScalingGroupName=action.group, LifecycleHookName=action.hook, LifecycleActionToken=action.token
        )
        world.advance_to(world.clock() + 10)
    assert action.active
    world.advance_to(action.started_at + 3000)
    assert (action.ended_by, action.result, action.actor) == ("global-timeout", "ABANDON", "Auto Scaling")


def test_describe_lifecycle_hooks_gives_each_hooks_global_timeout(aws: None) -> None:
    world = DrainWorld(hook_timeout=30)
    [hook] = world.session.client("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName=world.cluster.group)[
        "LifecycleHooks"
    ]
    assert (hook["HeartbeatTimeout"], hook["GlobalTimeout"]) == (30, 3000)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"LifecycleHookName": "drain me!"}, "regular expression pattern"),
        ({"LifecycleHookName": "x" * 256}, "length 1 to 255"),
        ({"HeartbeatTimeout": 29}, "between 30 and 7200"),
        ({"HeartbeatTimeout": 7201}, "between 30 and 7200"),
        ({"DefaultResult": "RETRY"}, "CONTINUE or ABANDON"),
    ],
)
def test_a_hook_auto_scaling_would_refuse_is_refused(
    world: DrainWorld, change: dict[str, object], message: str
) -> None:
    hook: dict[str, object] = {
        "AutoScalingGroupName": world.cluster.group,
        "LifecycleHookName": "ship-logs",
        "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
        "HeartbeatTimeout": 300,
        "DefaultResult": "CONTINUE",
        **change,
    }
    with pytest.raises(ClientError, match=message):
        world.session.client("autoscaling").put_lifecycle_hook(**hook)  # type: ignore[arg-type]


def test_a_warm_pool_return_waits_in_warmed_pending_wait_and_stops_the_instance_with_its_tasks(
    world: DrainWorld,
) -> None:
    host = world.cluster.instance_ids[0]
    world.cluster.start_tasks(host, 2, group="family:batch")
    action = world.hooks.begin_termination(world.cluster.group, host, destination="WarmPool")
    assert _lifecycle_state(world, host) == "Warmed:Pending:Wait"
    assert world.hooks.eventbridge_event(action)["detail"]["Destination"] == "WarmPool"
    world.hooks.complete(group=action.group, hook=action.hook, token=action.token, instance_id=host, result="CONTINUE")
    assert _lifecycle_state(world, host) == "Warmed:Stopped"
    assert world.cluster.lost_tasks == {host: 2}  # stopped with them
    ci = world.cluster.container_instance(host)
    assert (ci.status, ci.agent_connected) == ("ACTIVE", False)  # still registered, as ECS keeps it
    world.hooks.reuse_from_warm_pool(world.cluster.group, host)
    assert _lifecycle_state(world, host) == "InService" and ci.agent_connected


def _lifecycle_state(world: DrainWorld, instance_id: str) -> str | None:
    found = world.session.client("autoscaling").describe_auto_scaling_instances(InstanceIds=[instance_id])
    instances = found["AutoScalingInstances"]
    return str(instances[0]["LifecycleState"]) if instances else None
