"""The drain job end to end on a simulated cluster: the real handler, moto, and a simulated clock.

Each test reads like a runbook entry: what happens to a host, what the suite does, what is left.
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from fleetops.errors import ConfigurationError
from simulator.autoscaling.hook_handlers import LOG_SHIPPER_HOOK, LogShipper
from simulator.awslambda.functions import load_handler
from simulator.faults import outage
from simulator.worlds.drain import DrainWorld

EVENTS = Path(__file__).resolve().parents[2] / "events" / "drain"
# moto warns that ECS's model has no ThrottlingException shape; the error still reaches botocore as AWS
# sends it (HTTP 400, code ThrottlingException), and botocore retries it.
THROTTLING_WARNING = pytest.mark.filterwarnings(
    "ignore:Exception\\(OutageException\\) with code ThrottlingException:UserWarning"
)


def busy_host(world: DrainWorld, tasks: int = 6) -> str:
    host = world.cluster.instance_ids[0]
    world.cluster.add_service("web")
    world.cluster.start_tasks(host, tasks, group="service:web")
    return host


def test_a_busy_host_is_drained_over_several_rechecks_and_then_released(world: DrainWorld) -> None:
    world.cluster.deregistration_delay = 300  # tasks take 5 minutes to leave the load balancer
    host = busy_host(world)
    action = world.hooks.begin_termination(world.cluster.group, host, metadata='{"cluster": "prod"}')

    first = world.invoke(world.hooks.eventbridge_event(action))
    assert first["results"][0]["status"] == "wait"
    assert world.cluster.container_instance(host).status == "DRAINING"

    world.run_until_quiet()

    assert action.result == "CONTINUE" and action.ended_by == "completion"
    assert world.cluster.lost_tasks == {host: 0}
    rechecks = [i for i in world.invocations if i.trigger == "recheck"]
    assert len(rechecks) >= 5  # the wait spanned several invocations
    # One at the start (the proof that the action is live), then one per cycle that went on waiting.
    assert action.heartbeats == 1 + len(rechecks) - 1
    assert action.ended_at is not None and 300 <= action.ended_at - action.started_at <= 400
    other = world.cluster.instance_ids[1]
    assert len(world.cluster.tasks_on(other)) == 6  # the replacements run elsewhere
    assert world.notifications() == []  # a drain that ends well is quiet by default
    # The dashboard's figures: the drain completed (on ECS's event) and counted the tasks that moved off.
    assert {"DrainsCompleted", "TasksMovedOff", "DrainDuration"} <= set(world.emitted_metrics())


def test_the_classic_sns_hook_notification_drains_the_same_way(world: DrainWorld) -> None:
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.sns_event(action, "arn:aws:sns:us-east-1:123456789012:hooks"))
    world.run_until_quiet()
    assert action.result == "CONTINUE" and world.cluster.lost_tasks == {host: 0}


def test_tasks_still_deregistering_keep_the_hook_open_until_they_are_stopped(world: DrainWorld) -> None:
    world.cluster.deregistration_delay = 170
    host = busy_host(world, 3)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    world.advance_to(world.clock() + 60)
    # Every task has left RUNNING but none is STOPPED: a runningTasksCount check would complete now.
    assert {t.last_status for t in world.cluster.tasks_on(host)} == {"DEACTIVATING"}
    world.run_until_quiet()
    assert action.ended_at is not None and action.ended_at - action.started_at >= 170
    assert world.cluster.lost_tasks == {host: 0}


def test_a_hook_with_a_short_heartbeat_timeout_is_kept_alive_through_a_long_drain(aws: None) -> None:
    world = DrainWorld(hook_timeout=45)  # shorter than the 60 s re-check interval
    world.cluster.deregistration_delay = 300
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    world.run_until_quiet()
    assert action.ended_by == "completion" and action.result == "CONTINUE"  # never timed out
    assert world.cluster.lost_tasks == {host: 0}


def test_an_instance_that_is_not_in_ecs_is_released_at_once(world: DrainWorld) -> None:
    stranger = world.cluster.instance_ids[1]
    world.cluster.container_instance(stranger).status = "INACTIVE"
    action = world.hooks.begin_termination(world.cluster.group, stranger)
    result = world.invoke(world.hooks.eventbridge_event(action))
    assert result["results"][0]["outcome"] == "not-in-ecs"
    assert action.result == "CONTINUE"
    assert world.pending_rechecks() == []


def test_a_host_whose_agent_is_disconnected_is_released_at_once_and_announced(world: DrainWorld) -> None:
    host = busy_host(world, 2)
    world.cluster.container_instance(host).agent_connected = False
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    assert action.result == "CONTINUE" and world.pending_rechecks() == []
    [note] = world.notifications()
    assert "agent-disconnected" in note["subject"] and host in note["message"]


def test_a_test_notification_is_acknowledged_and_touches_nothing(world: DrainWorld) -> None:
    world.api.reset()
    event = json.loads((EVENTS / "sns-test-notification.json").read_text())
    assert world.invoke(event)["results"][0]["status"] == "ignored"
    assert world.api.total(service="ecs") == world.api.total(service="autoscaling") == 0


def test_a_duplicated_lifecycle_event_starts_one_drain_loop(world: DrainWorld) -> None:
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    world.invoke(world.hooks.sns_event(action, "arn:aws:sns:us-east-1:123456789012:hooks"))  # same action, via SNS
    world.invoke(world.hooks.eventbridge_event(action))
    assert len(world.pending_rechecks()) == 1


def test_a_duplicated_recheck_message_does_not_fork_the_wait(world: DrainWorld) -> None:
    world.cluster.deregistration_delay = 200
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    [body] = world.drop_pending_rechecks()
    world.advance_to(world.clock() + 60)
    world.invoke(world.recheck_event(body))
    world.invoke(world.recheck_event(body))  # SQS delivers at least once
    assert len(world.pending_rechecks()) == 1
    world.run_until_quiet()
    assert action.result == "CONTINUE" and world.cluster.lost_tasks == {host: 0}


def test_an_expired_lifecycle_action_is_a_clean_no_op(world: DrainWorld) -> None:
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    event = world.hooks.eventbridge_event(action)
    world.advance_to(world.clock() + action.heartbeat_timeout + 10)  # the hook timed out, the instance is gone
    assert action.ended_by == "timeout"
    world.api.reset()
    result = world.invoke(event)  # a late delivery of the original event
    assert result["results"][0]["outcome"] == "not-terminating"
    assert world.pending_rechecks() == []
    # Nothing was asked of ECS, nothing completed: the instance was no longer waiting on a termination.
    assert world.api.total(service="ecs") == 0 and world.api.calls["autoscaling:CompleteLifecycleAction"] == 0


def test_an_action_completed_by_someone_else_ends_the_watch_and_is_announced(world: DrainWorld) -> None:
    world.cluster.deregistration_delay = 600
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    world.session.client("autoscaling").complete_lifecycle_action(
        AutoScalingGroupName=action.group,
        LifecycleHookName=action.hook,
        LifecycleActionToken=action.token,
        LifecycleActionResult="CONTINUE",
    )
    world.run_until_quiet()
    assert world.invocations[-1].result["batchItemFailures"] == []
    [note] = world.notifications()
    assert "completed-elsewhere" in note["subject"]
    assert world.cluster.lost_tasks == {host: 2}  # what the early completion cost, in the simulation


def test_a_drain_that_outlives_its_budget_ends_with_the_configured_result_and_alerts(aws: None) -> None:
    world = DrainWorld(
        parameters={"DrainBudgetSeconds": "600", "BudgetExceededResult": "ABANDON", "StopLeftoverTasks": "false"}
    )
    host = world.cluster.instance_ids[0]
    world.cluster.start_tasks(host, 2, group="family:batch")  # standalone tasks never leave a draining host
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    world.run_until_quiet()
    assert action.result == "ABANDON" and action.ended_by == "completion"
    assert action.ended_at is not None and action.ended_at - action.started_at == pytest.approx(600, abs=1)
    assert len(world.invocations) <= 12  # 10 minutes at one re-check a minute, then done
    [note] = world.notifications()
    assert note["subject"].startswith("ATTENTION") and "budget-exceeded" in note["subject"]
    assert "2 task(s) still on the host" in note["message"] and "ABANDON" in note["message"]
    # What DrainBudgetExceededAlarm counts; none of the two tasks left the host.
    assert world.function.last_output.values["DrainsTimedOut"] == [1.0]
    assert world.function.last_output.values["TasksMovedOff"] == [0.0]
    # CloudWatch Logs extracted it: the alarm's own metric, read as the alarm reads it, has the datapoint.
    cloudwatch = world.session.client("cloudwatch")
    [alarm] = [a for a in cloudwatch.describe_alarms()["MetricAlarms"] if "DrainBudgetExceeded" in a["AlarmName"]]
    counted = cloudwatch.get_metric_statistics(
        Namespace=alarm["Namespace"],
        MetricName=alarm["MetricName"],
        Dimensions=alarm["Dimensions"],
        StartTime=action.started_at,
        EndTime=action.ended_at + 60,
        Period=alarm["Period"],
        Statistics=[alarm["Statistic"]],
    )["Datapoints"]
    assert [d["Sum"] for d in counted] == [1.0]


def full_cluster(world: DrainWorld, *, minimum_healthy_percent: int = 100) -> tuple[str, str]:
    """A busy host with 6 tasks of service web, and the only other host filled by standalone tasks."""
    host, other = world.cluster.instance_ids
    world.cluster.add_service("web", minimum_healthy_percent=minimum_healthy_percent)
    world.cluster.start_tasks(host, 6, group="service:web")
    world.cluster.start_tasks(other, 16, group="family:batch")  # 16 x 256 CPU: moto's 4,096 taken
    return host, other


def running_on(world: DrainWorld, host: str) -> list[str]:
    return [t.last_status for t in world.cluster.tasks_on(host) if t.desired_status == "RUNNING"]


def test_a_drain_out_of_budget_never_ends_another_handlers_action_on_the_same_host(aws: None) -> None:
    # BudgetExceededResult ABANDON (a template choice; with an instance retention policy it keeps the
    # host). For a terminating instance "ABANDON stops any remaining actions, such as other lifecycle
    # hooks" (Auto Scaling User Guide, "Add lifecycle hooks"): the log shipper's action, still within its
    # own time, would be ended by the drain's completion and its logs never shipped. With another
    # termination hook on the group, the drain sends CONTINUE instead and says so.
    world = DrainWorld(
        parameters={"DrainBudgetSeconds": "600", "BudgetExceededResult": "ABANDON", "StopLeftoverTasks": "false"}
    )
    world.add_termination_hook(LogShipper(world.hooks, seconds=900), heartbeat_timeout=1800)
    host = world.cluster.instance_ids[0]
    world.cluster.start_tasks(host, 2, group="family:batch")  # standalone: never leave a draining host
    ours, shipper = world.hooks.start_termination(world.cluster.group, host)

    world.invoke(world.hooks.eventbridge_event(ours))
    world.run_until_quiet()  # the drain's budget runs out at 600 s
    world.advance_to(world.clock() + 600)  # the shipper finishes at 900 s

    assert (ours.ended_by, ours.actor, ours.result) == ("completion", "function:drain", "CONTINUE")
    assert (shipper.ended_by, shipper.actor) == ("completion", LOG_SHIPPER_HOOK)
    assert any("instead of the configured ABANDON" in note["message"] for note in world.notifications())


def test_in_a_full_cluster_the_tasks_keep_running_on_the_draining_host_until_capacity_appears(
    world: DrainWorld,
) -> None:
    host, _ = full_cluster(world)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    assert world.cluster.container_instance(host).status == "DRAINING"

    # Ten times the deregistration delay later: no replacement found a place, so ECS (minimum healthy
    # 100 %) stopped none of them, and nothing was lost while the drain waits.
    world.run_until(world.clock() + 10 * world.cluster.deregistration_delay)
    assert running_on(world, host) == ["RUNNING"] * 6
    assert world.cluster.lost_tasks == {} and action.active
    # The drain sees them and waits: five re-checks on, it is still scheduled to look again.
    assert world.invocations[0].result["results"][0]["reason"] == "6 task(s) still on the host (6 RUNNING)"
    [state] = world.pending_rechecks()
    assert json.loads(state)["attempt"] >= 5
    events = world.session.client("ecs").describe_services(cluster="prod", services=["web"])["services"][0]["events"]
    assert "unable to place a task" in events[0]["message"]

    [new_host] = world.cluster.add_idle_hosts(1)  # capacity appears: the tasks move at once
    world.advance_to(world.clock() + 5)  # one pass of the scheduler
    assert len(world.cluster.tasks_on(new_host)) == 6
    assert {t.last_status for t in world.cluster.tasks_on(host)} == {"DEACTIVATING"}
    world.run_until_quiet()

    assert action.result == "CONTINUE" and world.cluster.lost_tasks == {host: 0}
    assert len(world.cluster.tasks_on(new_host)) == 6


def test_with_minimum_healthy_below_100_percent_ecs_stops_some_tasks_before_their_replacements_start(
    world: DrainWorld,
) -> None:
    host, _ = full_cluster(world, minimum_healthy_percent=50)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))

    world.run_until(world.clock() + 10 * world.cluster.deregistration_delay)

    # "A minimum of 50% allows the scheduler to stop two existing tasks before starting two new tasks":
    # half of the six are stopped with nowhere to go; the other three keep the service at its floor.
    assert running_on(world, host) == ["RUNNING"] * 3
    web = world.session.client("ecs").describe_services(cluster="prod", services=["web"])["services"][0]
    assert (web["desiredCount"], web["runningCount"]) == (6, 3)
    [new_host] = world.cluster.add_idle_hosts(1)
    world.run_until_quiet()
    assert action.result == "CONTINUE" and world.cluster.lost_tasks == {host: 0}
    assert len(world.cluster.tasks_on(new_host)) == 6


def test_standalone_and_daemon_tasks_are_stopped_once_the_service_tasks_have_moved(world: DrainWorld) -> None:
    host = busy_host(world, 3)
    world.cluster.add_service("log-agent", daemon=True)
    world.cluster.start_tasks(host, 1, group="service:log-agent")
    world.cluster.start_tasks(host, 2, group="family:batch", started_by="nightly-job")
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    world.run_until_quiet()
    assert action.result == "CONTINUE"
    assert world.cluster.lost_tasks == {host: 0}
    stopped = [
        t for t in world.cluster.ecs_backend.tasks["prod"].values() if t.stopped_reason.startswith("ecs-fleet-ops")
    ]
    assert len(stopped) == 3  # the daemon task and the two standalone ones; service tasks moved on their own
    assert action.ended_at is not None and action.ended_at - action.started_at < 600


def test_a_host_with_250_tasks_is_watched_in_batches_of_100(world: DrainWorld) -> None:
    world.cluster.deregistration_delay = 30
    host = world.cluster.instance_ids[0]
    # Minimum healthy 0 %: with no room anywhere else, ECS may stop all 250 before any replacement starts.
    world.cluster.add_service("web", minimum_healthy_percent=0)
    # moto's hosts have room for 16 of these tasks; a real host of 250 small tasks is the point here.
    world.cluster.start_tasks(host, 250, group="service:web")
    world.cluster.container_instance(world.cluster.instance_ids[1]).status = "DRAINING"  # no room elsewhere
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.api.reset()
    world.invoke(world.hooks.eventbridge_event(action))
    assert world.api.calls["ecs:DescribeTasks"] == 3  # 250 tasks in 3 batches, never more than 100
    assert world.api.calls["ecs:ListTasks"] == 4  # RUNNING: 3 pages of 100; STOPPED: 1
    world.run_until_quiet()
    assert action.result == "CONTINUE" and world.cluster.lost_tasks == {host: 0}


def test_finding_a_host_costs_the_same_in_a_cluster_of_1000(aws: None) -> None:
    world = DrainWorld()
    world.cluster.add_idle_hosts(1000)
    host = busy_host(world, 1)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.api.reset()
    world.invoke(world.hooks.eventbridge_event(action))
    assert world.api.calls["ecs:ListContainerInstances"] == 1
    assert world.api.calls["ecs:DescribeContainerInstances"] == 1


def test_the_hooks_cluster_is_searched_first_and_a_missing_one_falls_back_to_configuration(world: DrainWorld) -> None:
    host = busy_host(world, 1)
    action = world.hooks.begin_termination(world.cluster.group, host, metadata='{"cluster": "no-such-cluster"}')
    result = world.invoke(world.hooks.eventbridge_event(action))
    assert result["results"][0]["status"] == "wait"  # found in the configured cluster all the same


def test_with_cluster_names_star_every_cluster_is_searched(aws: None) -> None:
    world = DrainWorld(parameters={"ClusterNames": "*"})
    ecs = world.session.client("ecs")
    for n in range(3):
        ecs.create_cluster(clusterName=f"other-{n}")
    host = busy_host(world, 1)
    action = world.hooks.begin_termination(world.cluster.group, host)
    assert world.invoke(world.hooks.eventbridge_event(action))["results"][0]["status"] == "wait"
    assert world.api.calls["ecs:ListClusters"] == 1


def test_a_host_outside_the_stacks_clusters_whose_hook_names_none_is_never_released_undrained(aws: None) -> None:
    # Two stacks of the suite in one account, both with the default DrainHookNamePrefix and no
    # AutoScalingGroupNames: stack A hears stack B's hook. A is scoped to cluster "staging"; the host is
    # in B's cluster, six tasks on it, and B's hook names no cluster. A may not look beyond "staging"
    # (ClusterNames scopes its IAM), so not finding the host there proves nothing: before the review's
    # finding, A completed the action as "not in ECS" and the host went with its six tasks.
    world = DrainWorld(parameters={"ClusterNames": "staging"})
    world.session.client("ecs").create_cluster(clusterName="staging")
    host = busy_host(world)
    action = world.hooks.begin_termination(world.cluster.group, host)

    [result] = world.invoke(world.hooks.eventbridge_event(action))["results"]
    world.run_until_quiet()

    assert result["status"] == "rejected" and "its hook names no cluster" in result["reason"]
    assert action.active  # left to B's drain, or to the hook's timeout and default result
    assert world.cluster.container_instance(host).status == "ACTIVE"
    [letter] = world.dead_letters()
    assert "NotificationMetadata" in letter["reason"]
    [note] = world.notifications()
    assert note["subject"] == f"ATTENTION ecs-fleet-ops drain of {host}: not drained"


def test_a_host_whose_hook_names_one_of_the_stacks_clusters_and_is_not_in_it_is_released_at_once(
    world: DrainWorld,
) -> None:
    # The hook says where its hosts are, and the stack may look there: a host not registered in that
    # cluster (its agent never started) has no task to move, and its termination is not held up.
    host = world.cluster.instance_ids[0]
    arn = world.cluster.container_instances.pop(host)  # the simulation forgets it too
    world.cluster.ecs_backend.deregister_container_instance(world.cluster.name, arn, force=True)
    action = world.hooks.begin_termination(world.cluster.group, host, metadata=f'{{"cluster": "{world.cluster.name}"}}')
    [result] = world.invoke(world.hooks.eventbridge_event(action))["results"]
    assert result["outcome"] == "not-in-ecs"
    assert (action.result, action.actor) == ("CONTINUE", "function:drain")


def test_invalid_events_are_dead_lettered_with_their_reason_and_never_raised(world: DrainWorld) -> None:
    bad = [
        {"detail-type": "EC2 Instance-terminate Lifecycle Action", "source": "aws.autoscaling", "detail": {}},
        {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{oops"}}]},
        {"something": "else"},
    ]
    for event in bad:
        assert world.invoke(event)["status"] == "rejected"
    world.invoke(world.recheck_event("not a drain state"))
    letters = world.dead_letters()
    assert len(letters) == 4
    assert all(letter["function"] == "drain" and letter["reason"] for letter in letters)
    assert "LifecycleTransition" in letters[0]["reason"]


def attempts_of(world: DrainWorld, operation: str) -> list[tuple[int, float]]:
    """From now on, each HTTP attempt of the function's calls of ``operation``: its number within its
    call (botocore's retries) and when it was made."""
    seen: list[tuple[int, float]] = []

    def record(called: str, attempt: int) -> None:
        if called == f"drain:{operation}":
            seen.append((attempt, world.clock()))

    world.account.attempt_faults.append(record)
    return seen


@THROTTLING_WARNING
def test_throttling_is_retried_and_never_mistaken_for_an_empty_host(aws: None) -> None:
    # ECS throttles every ListTasks of the function: the re-check must fail (and be retried by SQS), not complete.
    world = DrainWorld()
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    [body] = world.drop_pending_rechecks()
    world.api.reset()
    # The whole batch failed: the invocation fails, and SQS delivers the message again later.
    with (
        outage(world.account, "ecs", lasts=60, operations={"ListTasks"}),
        pytest.raises(BatchProcessingError, match="ThrottlingException"),
    ):
        world.invoke(world.recheck_event(body, "m-1"))
    # Retried by the function's own clients (their retry configuration) before giving up.
    assert world.api.attempts["ListTasks"] > world.api.calls["ecs:ListTasks"] == 1
    assert action.active  # not completed
    world.advance_to(world.clock() + 360)  # SQS redelivers after the visibility timeout
    world.invoke(world.recheck_event(body, "m-1"))
    world.run_until_quiet()
    assert action.result == "CONTINUE" and world.cluster.lost_tasks == {host: 0}


@THROTTLING_WARNING
def test_a_start_that_aws_keeps_failing_is_tried_three_times_in_its_invocation_then_left_to_lambda(
    aws: None,
) -> None:
    # ECS throttles every ListContainerInstances of the function, past botocore's own retries: the start
    # is tried three times, 5 s apart (a short hook's heartbeat would expire before Lambda's retry a
    # minute later), then raised for Lambda.
    world = DrainWorld()
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    attempts = attempts_of(world, "ListContainerInstances")
    with (
        outage(world.account, "ecs", lasts=60, operations={"ListContainerInstances"}),
        pytest.raises(Exception, match="ThrottlingException"),
    ):
        world.invoke(world.hooks.eventbridge_event(action))
    assert world.api.calls["ecs:ListContainerInstances"] == 3
    # Two pauses of 5 s: from each call's last attempt to the next call's first (botocore's own backoff
    # between the attempts of one call is random).
    assert [later - earlier for (_, earlier), (attempt, later) in pairwise(attempts) if attempt == 1] == [5, 5]
    assert action.active and world.cluster.container_instance(host).status == "ACTIVE"
    # Lambda's retry, the throttle over: the drain starts as if nothing had happened.
    assert world.invoke(world.hooks.eventbridge_event(action))["results"][0]["status"] == "wait"


def test_every_recheck_of_a_batch_is_held_to_come_back_before_a_short_heartbeat_ends_before_any_work(
    aws: None,
) -> None:
    # A runtime that dies on one record of a batch (the function's timeout, an out-of-memory kill) runs
    # no ``except``, and the records after it never start. With a 300 s heartbeat, the queue's 360 s
    # visibility timeout would return them all too late: before any work, each record's message is made
    # to come back just past the invocation's end (60 s + 10 s).
    world = DrainWorld(hook_timeout=300)
    for host in world.cluster.instance_ids[:2]:
        world.cluster.start_tasks(host, 2, group="service:web")
        world.invoke(world.hooks.eventbridge_event(world.hooks.begin_termination(world.cluster.group, host)))
    batch = {"Records": [world.recheck_event(body)["Records"][0] for body in world.drop_pending_rechecks()]}
    world.advance_to(world.clock() + 60)
    world.api.reset()
    world.invoke(batch)
    assert world.api.calls["sqs:ChangeMessageVisibility"] == 2
    assert next(iter(world.api.calls)) == "sqs:ChangeMessageVisibility"  # before any look at the hosts


def test_with_the_default_heartbeat_a_recheck_makes_no_visibility_call(world: DrainWorld) -> None:
    # A long heartbeat (this world's hook: 3,600 s; the stack's own: 900 s): the queue's own 360 s
    # visibility timeout returns a failed re-check in time, and nothing is spent on it.
    host = busy_host(world, 2)
    world.invoke(world.hooks.eventbridge_event(world.hooks.begin_termination(world.cluster.group, host)))
    world.api.reset()
    world.run_until_quiet()
    assert world.api.calls["sqs:ChangeMessageVisibility"] == 0


def test_a_spot_interruption_warning_sets_the_host_draining_and_says_so(world: DrainWorld) -> None:
    host = busy_host(world, 2)
    event = json.loads((EVENTS / "eventbridge-spot-interruption-warning.json").read_text())
    event["detail"]["instance-id"] = host
    result = world.invoke(event)
    assert result["results"][0]["outcome"] == "spot-draining"
    assert world.cluster.container_instance(host).status == "DRAINING"
    assert world.pending_rechecks() == []
    [note] = world.notifications()
    assert "Spot" in note["message"]


def test_a_wrong_deployment_fails_at_cold_start_and_says_what_is_wrong() -> None:
    with pytest.raises(ConfigurationError, match=r"RECHECK_QUEUE_URL is required.*IDEMPOTENCY_TABLE is required"):
        load_handler("drain", {"RECHECK_QUEUE_URL": "", "DEAD_LETTER_QUEUE_URL": "d", "IDEMPOTENCY_TABLE": ""})


# -- only the suite's own hooks, and only live actions (issue 10, items 2 and 3) ----------------------------
def lagging_read(world: DrainWorld, host: str, state: str) -> None:
    """What DescribeAutoScalingInstances says of ``host``, whatever its actions (a read that lags)."""
    group = world.hooks.backend.autoscaling_groups[world.cluster.group]
    next(s for s in group.instance_states if s.instance.id == host).lifecycle_state = state


def replayed_event(world: DrainWorld, host: str, token: str = "0f0f0f0f-1111-2222-3333-444455556666") -> dict[str, Any]:
    """The sample lifecycle event, naming this world's group, the suite's hook and ``host``."""
    event = json.loads((EVENTS / "eventbridge-terminate-lifecycle-action.json").read_text())
    event["detail"].update(
        AutoScalingGroupName=world.cluster.group,
        LifecycleHookName=world.cluster.hook_name,
        EC2InstanceId=host,
        LifecycleActionToken=token,
        NotificationMetadata='{"cluster": "prod"}',
    )
    return event


def test_a_foreign_hooks_event_is_ignored_through_both_paths_and_its_action_left_to_its_handler(
    world: DrainWorld,
) -> None:
    world.add_termination_hook(LogShipper(world.hooks, seconds=600), heartbeat_timeout=900)
    host = busy_host(world, 2)
    ours, shipper = world.hooks.start_termination(world.cluster.group, host)
    for event in (world.hooks.eventbridge_event(shipper), world.hooks.sns_event(shipper, "arn:aws:sns:us-east-1:1:t")):
        [result] = world.invoke(event)["results"]
        assert result["status"] == "ignored" and "'ship-logs' is not the suite's" in result["reason"]
        assert world.emitted_metrics() == ["ForeignHookEventsIgnored"]
    assert world.pending_rechecks() == []

    world.invoke(world.hooks.eventbridge_event(ours))
    world.run_until_quiet()
    assert (ours.result, ours.actor) == ("CONTINUE", "function:drain")
    assert shipper.active  # the drain is done; the log shipper is not, and the instance waits for it
    world.advance_to(shipper.started_at + 610)
    assert (shipper.result, shipper.actor) == ("CONTINUE", "ship-logs")
    assert world.cluster.lost_tasks == {host: 0}


def test_a_termination_in_a_group_outside_auto_scaling_group_names_changes_nothing_and_is_counted(aws: None) -> None:
    # The stack was given group batch-hosts only; the suite's own hook on prod-hosts (a rule or a
    # subscription someone widened, or a hook left from an earlier scope) is not the suite's to drain.
    # (LogLevel INFO, the template's default: the line that says why is an INFO one.)
    world = DrainWorld(parameters={"AutoScalingGroupNames": "batch-hosts", "LogLevel": "INFO"})
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.api.reset()
    logged: list[dict[str, Any]] = []  # the function's log lines (its CloudWatch Logs)
    for event in (world.hooks.eventbridge_event(action), world.hooks.sns_event(action, "arn:aws:sns:us-east-1:1:t")):
        [result] = world.invoke(event)["results"]
        assert result["status"] == "ignored"
        assert "Auto Scaling group 'prod-hosts' is not in AutoScalingGroupNames (batch-hosts)" in result["reason"]
        assert world.function.last_output.metrics == ["OutOfScopeGroupEventsIgnored"]
        logged += world.function.last_output.logs
    assert [line["message"] for line in logged] == [f"event ignored: {result['reason']}"] * 2
    assert world.api.total() == 0  # no heartbeat, no DRAINING, no completion: not one AWS call
    assert world.pending_rechecks() == [] and world.dead_letters() == []
    assert action.active and action.heartbeats == 0
    assert world.cluster.container_instance(host).status == "ACTIVE"


@pytest.mark.parametrize("groups", ["*", "batch-hosts,prod-hosts"])
def test_with_auto_scaling_group_names_star_or_naming_the_group_its_termination_is_drained(
    aws: None, groups: str
) -> None:
    world = DrainWorld(parameters={"AutoScalingGroupNames": groups})
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    [result] = world.invoke(world.hooks.eventbridge_event(action))["results"]
    assert result["status"] == "wait"
    world.run_until_quiet()
    assert (action.result, action.actor) == ("CONTINUE", "function:drain")
    assert world.cluster.lost_tasks == {host: 0}


def test_a_drain_deployed_with_an_empty_cluster_names_fails_at_cold_start_naming_the_variable(aws: None) -> None:
    with pytest.raises(ConfigurationError, match=r"CLUSTER_NAMES is required: the ECS clusters the suite may act on"):
        DrainWorld(environment={"CLUSTER_NAMES": ""})


def test_a_replayed_terminate_event_for_an_in_service_host_changes_nothing(
    world: DrainWorld,
) -> None:
    host = busy_host(world, 2)
    world.api.reset()
    [result] = world.invoke(replayed_event(world, host))["results"]
    assert (result["status"], result["outcome"]) == ("refuse", "not-terminating")
    assert f"{host} is InService, not Terminating:Wait" in result["reason"]
    assert world.cluster.container_instance(host).status == "ACTIVE"
    assert world.api.total(service="ecs") == 0 and world.pending_rechecks() == []
    # A look at the instance, and a heartbeat with the event's token that Auto Scaling refused.
    assert sorted(call for call in world.api.calls if call.startswith("autoscaling:")) == [
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:RecordLifecycleActionHeartbeat",
    ]
    assert "DrainsRefusedNotTerminating" in world.emitted_metrics()
    [note] = world.notifications()
    assert note["subject"] == f"ATTENTION ecs-fleet-ops drain of {host}: not-terminating"
    assert "left alone: the event names no live action" in note["message"]


def test_a_live_action_the_instance_read_does_not_show_yet_is_drained_once_its_heartbeat_is_accepted(
    world: DrainWorld,
) -> None:
    # Nothing documents how soon DescribeAutoScalingInstances shows a new wait state (nor that it lists an
    # instance terminated out of a warm pool): the read still says InService. Auto Scaling accepting a
    # heartbeat for the event's group, hook, token and instance proves the action live; refusing it as a
    # replay would let the host go undrained when the heartbeat timeout ends the action.
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    lagging_read(world, host, "InService")
    [result] = world.invoke(world.hooks.eventbridge_event(action))["results"]
    assert result["status"] == "wait"
    assert world.cluster.container_instance(host).status == "DRAINING"
    lagging_read(world, host, "Terminating:Wait")  # the read catches up
    world.run_until_quiet()
    assert (action.result, action.actor) == ("CONTINUE", "function:drain")
    assert world.cluster.lost_tasks == {host: 0}


def test_a_redriven_dead_letter_naming_an_old_token_of_a_host_now_terminating_for_another_action_changes_nothing(
    world: DrainWorld,
) -> None:
    host = busy_host(world, 2)
    # The host went back to a warm pool once (its event lost, the action completed by an operator), was
    # reused, and is now going back again under a new action.
    old = world.hooks.begin_termination(world.cluster.group, host, destination="WarmPool")
    world.hooks.complete(group=old.group, hook=old.hook, token=old.token, instance_id=host, result="CONTINUE")
    world.hooks.reuse_from_warm_pool(world.cluster.group, host)
    world.cluster.start_tasks(host, 2, group="service:web")
    current = world.hooks.begin_termination(world.cluster.group, host, destination="WarmPool")
    world.api.reset()
    [result] = world.invoke(world.hooks.eventbridge_event(old))["results"]  # the dead letter, redriven
    assert (result["status"], result["outcome"]) == ("refuse", "stale-action")
    assert world.cluster.container_instance(host).status == "ACTIVE" and world.pending_rechecks() == []
    assert world.api.total(service="ecs") == 0 and world.api.calls["autoscaling:CompleteLifecycleAction"] == 0
    assert current.active and current.heartbeats == 0  # the live action is untouched


def test_a_warm_pool_return_is_drained_and_no_task_is_lost(world: DrainWorld) -> None:
    world.cluster.deregistration_delay = 120
    host = busy_host(world, 4)
    action = world.hooks.begin_termination(world.cluster.group, host, destination="WarmPool")
    world.invoke(world.hooks.eventbridge_event(action))
    assert world.cluster.container_instance(host).status == "DRAINING"
    world.run_until_quiet()
    world.advance_to(action.started_at + action.heartbeat_timeout + 10)
    assert (action.result, action.actor) == ("CONTINUE", "function:drain")
    assert world.cluster.lost_tasks == {host: 0}  # moved before the host was stopped into the pool
    assert len(world.cluster.tasks_on(world.cluster.instance_ids[1])) == 4


def test_a_drain_that_finds_its_instance_back_in_service_sets_it_active_again(aws: None) -> None:
    world = DrainWorld(parameters={"StopLeftoverTasks": "false"})
    host = world.cluster.instance_ids[0]
    world.cluster.start_tasks(host, 1, group="family:batch")  # never moves: the drain keeps waiting
    action = world.hooks.begin_termination(world.cluster.group, host, destination="WarmPool")
    world.invoke(world.hooks.eventbridge_event(action))
    assert world.cluster.container_instance(host).status == "DRAINING"
    # Between two re-checks an operator completes the action, and a scale-out reuses the stopped host.
    world.hooks.complete(group=action.group, hook=action.hook, token=action.token, instance_id=host, result="CONTINUE")
    world.hooks.reuse_from_warm_pool(world.cluster.group, host)
    world.emitted_metrics()  # only what the re-checks publish
    world.run_until_quiet()
    assert world.invocations[-1].result["batchItemFailures"] == []
    ci = world.cluster.container_instance(host)
    assert (ci.status, ci.agent_connected) == ("ACTIVE", True)  # it can take tasks again
    assert "DrainsReturnedToService" in world.emitted_metrics()
    [note] = world.notifications()
    assert "returned-to-service" in note["subject"] and "Host: set ACTIVE again" in note["message"]


def test_a_drain_leaves_active_a_host_back_in_service_that_it_did_not_drain(aws: None) -> None:
    world = DrainWorld(parameters={"StopLeftoverTasks": "false"})
    host = world.cluster.instance_ids[0]
    world.cluster.start_tasks(host, 1, group="family:batch")
    arn = world.cluster.container_instances[host]
    ecs = world.session.client("ecs")
    ecs.update_container_instances_state(cluster="prod", containerInstances=[arn], status="DRAINING")  # someone else
    action = world.hooks.begin_termination(world.cluster.group, host, destination="WarmPool")
    world.invoke(world.hooks.eventbridge_event(action))
    world.hooks.complete(group=action.group, hook=action.hook, token=action.token, instance_id=host, result="CONTINUE")
    world.hooks.reuse_from_warm_pool(world.cluster.group, host)
    world.run_until_quiet()
    assert world.cluster.container_instance(host).status == "DRAINING"  # not the drain's to undo
    [note] = world.notifications()
    assert "did not drain it" in note["message"]


# -- the effective wait and the hook's global timeout (issue 10, item 5) -------------------------------------
def test_a_short_heartbeat_never_ends_a_drain_before_its_budget(aws: None) -> None:
    world = DrainWorld(
        parameters={"RecheckIntervalSeconds": "900", "DrainBudgetSeconds": "3600", "StopLeftoverTasks": "false"},
        hook_timeout=300,  # each wait is shortened to 150 s
    )
    host = world.cluster.instance_ids[0]
    world.cluster.start_tasks(host, 2, group="family:batch")  # standalone: never leave
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    world.run_until_quiet()
    assert (action.ended_by, action.actor) == ("completion", "function:drain")
    assert action.ended_at is not None and action.ended_at - action.started_at == pytest.approx(3600, abs=1)
    [note] = world.notifications()
    assert "the drain budget of 3600 s ran out" in note["message"] and "Deadline: clamped" not in note["message"]


def test_a_30_s_heartbeat_ends_the_drain_by_itself_before_the_hooks_global_timeout_and_says_so(aws: None) -> None:
    # Global timeout: 100 x 30 s = 3000 s, inside the 3600 s budget. The hook's default is ABANDON; the
    # drain's configured result (CONTINUE) must be the one applied.
    world = DrainWorld(parameters={"DrainBudgetSeconds": "3600", "StopLeftoverTasks": "false"}, hook_timeout=30)
    host = world.cluster.instance_ids[0]
    world.cluster.start_tasks(host, 2, group="family:batch")
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.advance_to(world.clock() + 10)  # the event reaches the drain 10 s after the action began
    world.invoke(world.hooks.eventbridge_event(action))
    world.run_until_quiet()
    assert (action.ended_by, action.result, action.actor) == ("completion", "CONTINUE", "function:drain")
    assert action.ended_at is not None and action.ended_at - action.started_at == pytest.approx(3000 - 120, abs=1)
    [note] = world.notifications()
    assert "budget-exceeded" in note["subject"]
    assert "clamped from the budget of 3600 s" in note["message"] and "global timeout of 3000 s" in note["message"]
    assert "Deadline: clamped to the lifecycle action's global timeout (3000 s" in note["message"]


# -- a re-check whose cluster is gone (issue 10, item 9) ------------------------------------------------------
def test_a_recheck_whose_cluster_was_deleted_ends_the_drain_with_continue_and_a_reason(world: DrainWorld) -> None:
    host = world.cluster.instance_ids[0]
    world.cluster.start_tasks(host, 2, group="family:batch")
    world.cluster.start_tasks(world.cluster.instance_ids[1], 1, group="family:batch")
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    # The cluster is torn down while the host drains: its hosts deregistered (tasks and all), then deleted.
    ecs = world.session.client("ecs")
    for instance_id in list(world.cluster.container_instances):
        ecs.deregister_container_instance(
            cluster="prod", containerInstance=world.cluster.container_instances.pop(instance_id), force=True
        )
    ecs.delete_cluster(cluster="prod")
    world.run_until_quiet()
    assert world.invocations[-1].result["batchItemFailures"] == []
    assert (action.result, action.actor) == ("CONTINUE", "function:drain")
    assert world.dead_letters() == []
    [note] = world.notifications()
    assert "cluster-deleted" in note["subject"] and "cluster prod no longer exists" in note["message"]
