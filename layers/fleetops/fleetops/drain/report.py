"""Turns a drain step into a structured log line, metrics, and a message a human can read."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from fleetops.aws.messaging import Notifier
from fleetops.drain.decide import GLOBAL_TIMEOUT_MARGIN_SECONDS
from fleetops.models.drain import DrainAction, DrainOutcome, DrainStepReport
from fleetops.models.lifecycle import ECS_MANAGED_DRAINING_HOOK
from fleetops.observability import logger, metrics

OUTCOME_METRICS = {
    DrainOutcome.DRAINED: "DrainsCompleted",
    DrainOutcome.NOT_IN_ECS: "DrainsNotInEcs",
    DrainOutcome.AGENT_DISCONNECTED: "DrainsAgentDisconnected",
    DrainOutcome.BUDGET_EXCEEDED: "DrainsTimedOut",
    DrainOutcome.COMPLETED_ELSEWHERE: "DrainsCompletedElsewhere",
    DrainOutcome.ACTION_EXPIRED: "DrainsActionExpired",
    DrainOutcome.SPOT_DRAINING: "DrainsSpotInterruption",
    DrainOutcome.NOT_TERMINATING: "DrainsRefusedNotTerminating",
    DrainOutcome.STALE_ACTION: "DrainsRefusedStaleAction",
    DrainOutcome.RETURNED_TO_SERVICE: "DrainsReturnedToService",
    DrainOutcome.CLUSTER_DELETED: "DrainsClusterDeleted",
    DrainOutcome.COMPLETED_ON_ECS_EVENT: "DrainRechecksAfterEcsEvent",
}
# A re-check that found its drain completed on ECS's event: the drain was reported when it completed.
ALREADY_REPORTED = frozenset({DrainOutcome.COMPLETED_ON_ECS_EVENT})

# Outcomes after which a host may have been terminated with tasks still on it: always announced.
BAD_OUTCOMES = frozenset(
    {
        DrainOutcome.BUDGET_EXCEEDED,
        DrainOutcome.AGENT_DISCONNECTED,
        DrainOutcome.COMPLETED_ELSEWHERE,
        DrainOutcome.ACTION_EXPIRED,
        DrainOutcome.SPOT_DRAINING,
        # An event that named no live action: a replay, a redriven dead letter or a test publish.
        DrainOutcome.NOT_TERMINATING,
        DrainOutcome.STALE_ACTION,
        DrainOutcome.RETURNED_TO_SERVICE,
        DrainOutcome.CLUSTER_DELETED,
    }
)


def report_drain_step(report: DrainStepReport, notifier: Notifier, *, notify_every_drain: bool) -> None:
    decision = report.decision
    logger.info(
        f"drain {decision.action.value}: {decision.reason}",
        extra={
            "ec2_instance_id": report.ec2_instance_id,
            "cluster": report.cluster_arn,
            "container_instance": report.container_instance_arn,
            "action": decision.action.value,
            "outcome": decision.outcome.value if decision.outcome else None,
            "result": decision.result.value if decision.result else None,
            "lifecycle_action_completed": report.lifecycle_action_completed,
            "attempt": report.attempt,
            "tasks_at_start": report.tasks_at_start,
            "tasks_left": report.tasks_left,
            "wait_seconds": decision.wait_seconds,
            "tasks_stopped": len(decision.tasks_to_stop),
            "group_capacity": report.growth.capacity if report.growth else None,
        },
    )
    if report.started_now:
        metrics.add_metric(name="DrainsStarted", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="TasksAtStart", unit=MetricUnit.Count, value=report.tasks_at_start)
        if report.beside_managed_draining:
            metrics.add_metric(name="DrainsBesideManagedDraining", unit=MetricUnit.Count, value=1)
    if decision.action is DrainAction.STOP_LEFTOVERS:
        metrics.add_metric(name="LeftoverTasksStopped", unit=MetricUnit.Count, value=len(decision.tasks_to_stop))
    growth = report.growth
    if growth is not None and growth.grows:
        metrics.add_metric(name="DrainGroupGrown", unit=MetricUnit.Count, value=1)
    if growth is not None and growth.attention:
        # Said at once, not when the budget runs out: someone may still raise MaxSize or free a host.
        metrics.add_metric(name="DrainTasksWithoutPlace", unit=MetricUnit.Count, value=growth.tasks_without_place)
        notifier.publish(
            f"ATTENTION ecs-fleet-ops drain of {report.ec2_instance_id}: tasks have nowhere to go",
            f"The drain of EC2 instance {report.ec2_instance_id} is waiting for ECS to move its tasks.\n"
            f"Why they cannot move: {growth.reason}.\n"
            "The drain goes on until its budget; raise the group's MaxSize or free room on the cluster "
            "to have the tasks moved before then.",
        )
    if not report.finished or decision.outcome is None:
        return
    metrics.add_metric(name=OUTCOME_METRICS[decision.outcome], unit=MetricUnit.Count, value=1)
    if decision.outcome in ALREADY_REPORTED:
        return
    if decision.action is not DrainAction.REFUSE:  # a refused event was never a drain
        metrics.add_metric(name="DrainDuration", unit=MetricUnit.Seconds, value=report.duration_seconds)
        # The tasks that left the host while it drained: moved by ECS, or stopped as leftovers (counted
        # apart too, as LeftoverTasksStopped). A drain that ran out of budget leaves tasks_left behind.
        metrics.add_metric(
            name="TasksMovedOff", unit=MetricUnit.Count, value=max(0, report.tasks_at_start - report.tasks_left)
        )
    if decision.outcome in BAD_OUTCOMES or notify_every_drain:
        notifier.publish(drain_subject(report), drain_message(report))


def drain_subject(report: DrainStepReport) -> str:
    outcome = report.decision.outcome.value if report.decision.outcome else "unknown"
    attention = "ATTENTION " if report.decision.outcome in BAD_OUTCOMES else ""
    return f"{attention}ecs-fleet-ops drain of {report.ec2_instance_id}: {outcome}"


def drain_message(report: DrainStepReport) -> str:
    decision = report.decision
    action = report.lifecycle_action
    lines = [
        f"Drain of EC2 instance {report.ec2_instance_id}: {decision.outcome.value if decision.outcome else '?'}.",
        f"Why: {decision.reason}.",
        f"Cluster: {report.cluster_arn or 'not found in ECS'}",
        f"Container instance: {report.container_instance_arn or '-'}",
    ]
    if action is not None:
        if report.lifecycle_action_completed and decision.result:
            done = f"completed with {decision.result.value}"
        elif decision.action is DrainAction.REFUSE:
            done = "left alone: the event names no live action"
        else:
            done = "not completed by ecs-fleet-ops (it was no longer active)"
        lines.append(f"Lifecycle action: group {action.auto_scaling_group}, hook {action.hook_name}: {done}.")
    if report.host_reactivated:
        lines.append("Host: set ACTIVE again (this drain had set it DRAINING).")
    if report.deadline_clamped:
        lines.append(
            f"Deadline: clamped to the lifecycle action's global timeout ({report.global_timeout} s: the lesser of "
            f"48 h and 100 x the hook's heartbeat timeout) less {GLOBAL_TIMEOUT_MARGIN_SECONDS} s, inside the "
            "drain budget."
        )
    if report.beside_managed_draining:
        lines.append(
            f"Note: the group also has ECS managed instance draining's hook ({ECS_MANAGED_DRAINING_HOOK}): ECS "
            'drains this host too. Keep one of the two (README, "ECS managed instance draining").'
        )
    if report.group_growth:
        lines.append(f"Capacity: {report.group_growth}.")
    lines.append(f"Tasks on the host at start: {report.tasks_at_start}; still on it at the end: {report.tasks_left}.")
    lines.append(f"Duration: {_duration(report.duration_seconds)} over {report.attempt + 1} check(s).")
    if decision.outcome in BAD_OUTCOMES:
        lines.append(_advice(decision.outcome))
    return "\n".join(lines)


def _advice(outcome: DrainOutcome | None) -> str:
    return {
        DrainOutcome.BUDGET_EXCEEDED: (
            "What to check: services whose tasks cannot be placed elsewhere (cluster capacity, "
            "placement constraints), long deregistration delays, or standalone tasks."
        ),
        DrainOutcome.AGENT_DISCONNECTED: (
            "What to check: the ECS agent on the host; its tasks were terminated with the instance."
        ),
        DrainOutcome.COMPLETED_ELSEWHERE: (
            "What to check: who else completes this group's lifecycle actions (another hook handler, "
            "a manual CompleteLifecycleAction)."
        ),
        DrainOutcome.ACTION_EXPIRED: (
            "What to check: the hook's heartbeat timeout and the re-check queue; the drain was still "
            "running when the lifecycle action ended."
        ),
        DrainOutcome.SPOT_DRAINING: (
            "EC2 reclaims a Spot instance two minutes after the warning: ECS is moving its service tasks now."
        ),
        DrainOutcome.NOT_TERMINATING: (
            "What to check: who sent this event (a replay, a redriven dead letter, a test publish); the host "
            "was not touched."
        ),
        DrainOutcome.STALE_ACTION: (
            "What to check: who sent this event; the host is leaving under another lifecycle action, whose "
            "own event the drain handles."
        ),
        DrainOutcome.RETURNED_TO_SERVICE: (
            "What to check: why the host came back during its drain (a warm pool reusing it, an operator)."
        ),
        DrainOutcome.CLUSTER_DELETED: (
            "What to check: who deleted the cluster; tasks still running on the host were not ECS's to move."
        ),
    }.get(outcome or DrainOutcome.DRAINED, "")


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
