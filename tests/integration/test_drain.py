"""The drain job end to end on a simulated cluster: the real handler, moto, and a simulated clock.

Each test reads like a runbook entry: what happens to a host, what the suite does, what is left.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.config import Config
from moto.core.exceptions import JsonRESTError
from moto.ecs.responses import EC2ContainerServiceResponse

from fleetops.errors import ConfigurationError
from tests.support.functions import load_handler
from tests.support.world import DrainWorld

EVENTS = Path(__file__).resolve().parents[2] / "events" / "drain"


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
    assert action.heartbeats == len(rechecks) - 1  # one per cycle that went on waiting
    assert action.ended_at is not None and 300 <= action.ended_at - action.started_at <= 400
    other = world.cluster.instance_ids[1]
    assert len(world.cluster.tasks_on(other)) == 6  # the replacements run elsewhere
    assert world.notifications() == []  # a drain that ends well is quiet by default


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
    world.invoke(world.sqs_event(body))
    world.invoke(world.sqs_event(body))  # SQS delivers at least once
    assert len(world.pending_rechecks()) == 1
    world.run_until_quiet()
    assert action.result == "CONTINUE" and world.cluster.lost_tasks == {host: 0}


def test_an_expired_lifecycle_action_is_a_clean_no_op(world: DrainWorld) -> None:
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    event = world.hooks.eventbridge_event(action)
    world.advance_to(world.clock() + action.heartbeat_timeout + 10)  # the hook timed out, the instance is gone
    assert action.ended_by == "timeout"
    result = world.invoke(event)  # a late delivery of the original event
    assert result["results"][0]["outcome"] == "not-in-ecs"
    assert world.pending_rechecks() == []


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
        environment={"DRAIN_BUDGET_SECONDS": "600", "BUDGET_EXCEEDED_RESULT": "ABANDON", "STOP_LEFTOVER_TASKS": "false"}
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


def full_cluster(world: DrainWorld, *, minimum_healthy_percent: int = 100) -> tuple[str, str]:
    """A busy host with 6 tasks of service web, and the only other host filled by standalone tasks."""
    host, other = world.cluster.instance_ids
    world.cluster.add_service("web", minimum_healthy_percent=minimum_healthy_percent)
    world.cluster.start_tasks(host, 6, group="service:web")
    world.cluster.start_tasks(other, 16, group="family:batch")  # 16 x 256 CPU: moto's 4,096 taken
    return host, other


def running_on(world: DrainWorld, host: str) -> list[str]:
    return [t.last_status for t in world.cluster.tasks_on(host) if t.desired_status == "RUNNING"]


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


def test_with_no_cluster_configured_every_cluster_is_searched(aws: None) -> None:
    world = DrainWorld(environment={"CLUSTER_NAMES": ""})
    ecs = world.session.client("ecs")
    for n in range(3):
        ecs.create_cluster(clusterName=f"other-{n}")
    host = busy_host(world, 1)
    action = world.hooks.begin_termination(world.cluster.group, host)
    assert world.invoke(world.hooks.eventbridge_event(action))["results"][0]["status"] == "wait"
    assert world.api.calls["ecs:ListClusters"] == 1


def test_invalid_events_are_dead_lettered_with_their_reason_and_never_raised(world: DrainWorld) -> None:
    bad = [
        {"detail-type": "EC2 Instance-terminate Lifecycle Action", "source": "aws.autoscaling", "detail": {}},
        {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{oops"}}]},
        {"something": "else"},
    ]
    for event in bad:
        assert world.invoke(event)["status"] == "rejected"
    world.invoke(world.sqs_event("not a drain state"))
    letters = world.dead_letters()
    assert len(letters) == 4
    assert all(letter["function"] == "drain" and letter["reason"] for letter in letters)
    assert "LifecycleTransition" in letters[0]["reason"]


def test_throttling_is_retried_and_never_mistaken_for_an_empty_host(aws: None) -> None:
    # Throttle ListTasks on every call: the re-check must fail (and be retried by SQS), not complete.
    world = DrainWorld(client_config=Config(retries={"mode": "standard", "max_attempts": 2}))
    host = busy_host(world, 2)
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.invoke(world.hooks.eventbridge_event(action))
    [body] = world.drop_pending_rechecks()
    original = EC2ContainerServiceResponse.list_tasks

    def throttled(self: EC2ContainerServiceResponse) -> object:
        raise JsonRESTError("ThrottlingException", "Rate exceeded")

    EC2ContainerServiceResponse.list_tasks = throttled  # type: ignore[method-assign]
    try:
        world.api.reset()
        # The whole batch failed: the invocation fails, and SQS delivers the message again later.
        with pytest.raises(BatchProcessingError, match="ThrottlingException"):
            world.invoke(world.sqs_event(body, "m-1"))
    finally:
        EC2ContainerServiceResponse.list_tasks = original  # type: ignore[method-assign]
    assert world.api.attempts["ListTasks"] > world.api.calls["ecs:ListTasks"] == 1  # retried before giving up
    assert action.active  # not completed
    world.advance_to(world.clock() + 360)  # SQS redelivers after the visibility timeout
    world.invoke(world.sqs_event(body, "m-1"))
    world.run_until_quiet()
    assert action.result == "CONTINUE" and world.cluster.lost_tasks == {host: 0}


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
