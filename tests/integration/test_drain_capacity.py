"""The drain grows the group when the tasks of the hosts it drains have nowhere to go (issue 11, item 3).

The world is the scale job's (an Auto Scaling group whose terminations go through the drain's hook, a
scheduler that places tasks where they fit, Auto Scaling's zone rebalancing) with only the drain deployed:
no alarm, no scale job, nothing else that could grow the group.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from simulator.fleet.fleet import BOOT_SECONDS
from simulator.worlds.scale import ScaleWorld

# moto registers every host with 4,096 CPU units: one task of 3,072 per host leaves 1,024 free on each,
# 4,096 free over four hosts and room for no second task anywhere (fragmentation).
TASK_CPU = 3072


@pytest.fixture
def world(aws: None) -> Iterator[ScaleWorld]:
    world = ScaleWorld(hosts=6, jobs=("drain",))
    world.services.add_service("web", cpu=TASK_CPU, memory=1024)
    for host in world.cluster.instance_ids:
        world.services.run_on(host, "web", 1)
    # Each host the group launches runs the ECS agent, which registers it with the cluster once booted.
    world.account.tickers.append(world.hosts_boot_in(BOOT_SECONDS))
    yield world
    world.close()


def test_two_hosts_terminated_at_once_whose_tasks_fit_nowhere_grow_the_group_once_and_lose_no_task(
    world: ScaleWorld,
) -> None:
    # One host of each zone, as an instance refresh batch or a manual scale-in takes them: both through the
    # group, which lowers its desired capacity by one for each (ShouldDecrementDesiredCapacity).
    first, second = world.cluster.instance_ids[:2]
    autoscaling = world.session.client("autoscaling")
    for host in (first, second):
        autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=host, ShouldDecrementDesiredCapacity=True)
    assert world.group()["desired"] == 4
    actions = [a for a in world.hooks.active_actions(world.cluster.hook_name)]
    assert len(actions) == 2

    world.drain_terminations()

    # Both drains ended well within five minutes, every task on a host the drain's growth brought.
    for action in actions:
        assert (action.result, action.ended_by) == ("CONTINUE", "completion")
        assert action.ended_at is not None and action.ended_at - action.started_at <= 300
    assert world.cluster.lost_tasks == {first: 0, second: 0}
    assert len([t for t in world.services.tasks("web") if t.last_status == "RUNNING"]) == 6
    # One growth for the batch, to what both hosts' tasks need: the second drain found the hosts coming.
    assert world.group()["desired"] == 6
    assert world.account.function("drain").api_since_cold_start.calls["autoscaling:SetDesiredCapacity"] == 1
    # The last word of the drain that grew the group says so, and who removes the extra hosts.
    messages = [n["message"] for n in world.notifications() if "drained" in n["subject"]]
    assert len(messages) == 2
    [grown] = [message for message in messages if "grown from 4 to 6" in message]
    assert "2 new host(s) needed" in grown and "consolidation" in grown


def test_a_group_that_a_capacity_provider_scales_is_left_to_managed_scaling_and_the_drain_says_so(
    world: ScaleWorld,
) -> None:
    # Review of issue 11, finding 2: the group belongs to a capacity provider with managed scaling.
    world.hand_group_to_capacity_provider("prod-capacity")
    first, second = world.cluster.instance_ids[:2]
    autoscaling = world.session.client("autoscaling")
    for host in (first, second):
        autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=host, ShouldDecrementDesiredCapacity=True)

    # The drains look at the capacity at their first re-checks, under their own IAM role, and leave it alone.
    world.run_until(world.clock() + 300)
    assert world.group()["desired"] == 4
    assert world.account.function("drain").api_since_cold_start.calls["autoscaling:SetDesiredCapacity"] == 0
    assert not [n for n in world.notifications() if "nowhere to go" in n["subject"]]

    # Managed scaling adds the hosts (here the story does, as it would); the drains then complete.
    autoscaling.set_desired_capacity(AutoScalingGroupName=world.cluster.group, DesiredCapacity=6)
    world.drain_terminations()
    assert world.cluster.lost_tasks == {first: 0, second: 0}
    messages = [n["message"] for n in world.notifications() if "drained" in n["subject"]]
    assert len(messages) == 2
    for message in messages:
        assert "Capacity: 2 task(s) of the leaving hosts fit on no host that stays" in message
        assert "scaled by capacity provider prod-capacity (managed scaling)" in message
        assert "the drain leaves its capacity alone" in message


def test_a_raise_refused_by_iam_is_announced_once_with_the_call_and_the_group(world: ScaleWorld) -> None:
    # Review of issue 11, finding 7: someone denies the drain's role SetDesiredCapacity.
    role = world.account.function("drain").spec.role_arn.rsplit("/", 1)[-1]
    world.session.client("iam").put_role_policy(
        RoleName=role,
        PolicyName="no-growth",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "autoscaling:SetDesiredCapacity", "Resource": "*"}],
            }
        ),
    )
    first = world.cluster.instance_ids[0]
    world.session.client("autoscaling").terminate_instance_in_auto_scaling_group(
        InstanceId=first, ShouldDecrementDesiredCapacity=True
    )

    # Two looks at the capacity (ten minutes apart), one alert that names the call and the group.
    world.run_until(world.clock() + 700)
    assert world.group()["desired"] == 5
    # Each look asked again (the policy may have been mended), and only the first one said so.
    assert world.account.function("drain").api_since_cold_start.calls["autoscaling:SetDesiredCapacity"] == 2
    alerts = [n for n in world.notifications() if "nowhere to go" in n["subject"]]
    assert len(alerts) == 1
    assert (
        f"raising group {world.cluster.group} from 5 to 6 failed: AccessDenied on SetDesiredCapacity for group "
        f"{world.cluster.group}" in alerts[0]["message"]
    )
