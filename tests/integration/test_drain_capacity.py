"""The drain grows the group when the tasks of the hosts it drains have nowhere to go (issue 11, item 3).

The world is the scale job's (an Auto Scaling group whose terminations go through the drain's hook, a
scheduler that places tasks where they fit, Auto Scaling's zone rebalancing) with only the drain deployed:
no alarm, no scale job, nothing else that could grow the group.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
    # Each host the group launches runs the ECS agent, which registers it with the cluster.
    world.account.tickers.append(world.register_new_hosts)
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
