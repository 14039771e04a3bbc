"""Adversarial review of issue 10's change: each test proves one finding (docs/review.md ranks them).

Every test here fails on the branch as reviewed and passes once its finding is fixed; each is marked
``xfail(strict=True)`` so the suite stays green until then (the lead removes the mark with the fix).
"""

from __future__ import annotations

import pytest

from tests.support.world import DrainWorld


def busy_host(world: DrainWorld, tasks: int = 6) -> str:
    host = world.cluster.instance_ids[0]
    world.cluster.add_service("web")
    world.cluster.start_tasks(host, tasks, group="service:web")
    return host


@pytest.mark.xfail(strict=True, reason="review finding 1")
def test_a_suite_hook_for_a_host_outside_cluster_names_is_never_completed_undrained(aws: None) -> None:
    # Two stacks of the suite in one account, both with the default DrainHookNamePrefix and the default
    # (empty) AutoScalingGroupNames: stack A's rule and IAM take stack B's hook for its own. Stack A is
    # scoped to cluster "staging"; the host is one of stack B's cluster ("prod"), six tasks on it, and
    # B's hook carries no NotificationMetadata (HookClusterName is optional). Stack A cannot look in
    # "prod" (ClusterNames scopes its IAM), so not finding the host there proves nothing about ECS.
    world = DrainWorld(environment={"CLUSTER_NAMES": "staging"})
    world.session.client("ecs").create_cluster(clusterName="staging")
    host = busy_host(world)
    action = world.hooks.begin_termination(world.cluster.group, host)

    world.invoke(world.hooks.eventbridge_event(action))
    world.run_until_quiet()

    # Today: "not-in-ecs", CompleteLifecycleAction CONTINUE at once, the host terminated with its six
    # tasks (the same release-undrained the hinted case refuses, runner.DrainRunner.locate).
    assert action.ended_by != "completion" or action.actor != "function:drain"
    assert world.cluster.lost_tasks.get(host, 0) == 0
