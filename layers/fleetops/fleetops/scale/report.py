"""Turns a scale decision into a structured log line, a metric, and a message a human can read:
"scaled service web from 4 to 6: CPUUtilization 83 > 75 for 3 min; cluster has room for 2 more task(s)"."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from fleetops.aws.messaging import Notifier
from fleetops.models.scale import (
    AlarmDetails,
    AlarmTransition,
    PlacementFailure,
    ScaleOutcome,
    ScaleReport,
    ScalingDecision,
    ScalingRule,
)
from fleetops.observability import logger, metrics

OUTCOME_METRICS = {
    ScaleOutcome.SERVICE_SCALED_OUT: "ServiceScaledOut",
    ScaleOutcome.SERVICE_SCALED_IN: "ServiceScaledIn",
    ScaleOutcome.CLUSTER_SCALED_OUT: "ClusterScaledOut",
    ScaleOutcome.CLUSTER_SCALED_IN: "ClusterScaledIn",
    ScaleOutcome.ALARM_RECOVERED: "ScaleSkippedAlarmRecovered",
    ScaleOutcome.COOLDOWN: "ScaleSkippedCooldown",
    ScaleOutcome.DEFERRED: "ScaleDeferred",
    ScaleOutcome.DEPLOYMENT_IN_PROGRESS: "ScaleSkippedDeployment",
    ScaleOutcome.AT_BOUND: "ScaleAtBound",
    ScaleOutcome.UNSAFE_SCALE_IN: "ScaleInRefusedUnsafe",
    ScaleOutcome.NO_CAPACITY: "ScaleOutNoCapacity",
    ScaleOutcome.ALREADY_ACTED: "ScaleSkippedAlreadyActed",
    ScaleOutcome.OUT_OF_SCOPE: "ScaleRefusedOutOfScope",
    ScaleOutcome.QUIET_WINDOW: "ScaleInQuietWindow",
    ScaleOutcome.BUDGET_SPENT: "ScaleInBudgetSpent",
    ScaleOutcome.ON_TARGET: "ScaleSkippedOnTarget",
    ScaleOutcome.NOTHING_WAITING: "ScaleSkippedNothingWaiting",
}

# Outcomes a human should look at even when only changes are announced.
ATTENTION = frozenset(
    {ScaleOutcome.AT_BOUND, ScaleOutcome.UNSAFE_SCALE_IN, ScaleOutcome.NO_CAPACITY, ScaleOutcome.OUT_OF_SCOPE}
)

_OPERATORS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def report_scale(report: ScaleReport, notifier: Notifier, *, notify_every_decision: bool) -> None:
    decision = report.decision
    logger.info(
        f"scale {decision.outcome.value}: {decision.reason}",
        extra={
            "alarm": report.transition.alarm_name,
            "trigger": trigger_summary(report.transition, report.alarm),
            "target": report.rule.target_key,
            "rule": "derived" if report.rule.derived else "declared",
            "step": str(report.rule.tracking or report.rule.step),
            "outcome": decision.outcome.value,
            "acted": report.acted,
            "dry_run": report.dry_run,
            "service_count": list(decision.service_count) if decision.service_count else None,
            "group": report.group_name,
            "group_capacity": list(decision.group_capacity) if decision.group_capacity else None,
            "hosts_to_terminate": list(decision.hosts_to_terminate),
            "capacity": decision.capacity_note,
            "follow_up": report.transition.follow_up,
            "follow_up_in_seconds": report.follow_up_in_seconds,
        },
    )
    metrics.add_metric(name=OUTCOME_METRICS[decision.outcome], unit=MetricUnit.Count, value=1)
    if report.dry_run and decision.outcome.acted:
        metrics.add_metric(name="ScaleDryRunDecisions", unit=MetricUnit.Count, value=1)
    if report.acted:
        count_changes(decision)
    # A follow-up announces only what changed or needs a human: not each "still cooling down"; nor
    # does the second delivery of a transition already announced.
    every = (
        notify_every_decision
        and report.transition.follow_up == 0
        and decision.outcome is not ScaleOutcome.ALREADY_ACTED
    )
    if decision.outcome.acted or decision.outcome in ATTENTION or every:
        notifier.publish(scale_subject(report), scale_message(report))


# What a change sent to AWS added or removed, for the dashboard: a dry run or a refused change counts nothing.
CHANGE_METRICS = {
    ("hosts", True): "HostsAdded",
    ("hosts", False): "HostsRemoved",
    ("tasks", True): "TasksAdded",
    ("tasks", False): "TasksRemoved",
}


def count_changes(decision: ScalingDecision) -> None:
    """Hosts and tasks added and removed by a change the job sent to AWS (a group's desired capacity, a
    service's desired count): each figure only when it changed, so a graph's Sum is what was changed."""
    for what, change in (("hosts", decision.group_capacity), ("tasks", decision.service_count)):
        if change is None or change[0] == change[1]:
            continue
        grew = change[1] > change[0]
        metrics.add_metric(name=CHANGE_METRICS[(what, grew)], unit=MetricUnit.Count, value=abs(change[1] - change[0]))


def scale_subject(report: ScaleReport) -> str:
    decision = report.decision
    prefix = "[dry run] " if report.dry_run else ("ATTENTION " if decision.outcome in ATTENTION else "")
    what = report.rule.target_label
    if decision.service_count and decision.service_count[0] != decision.service_count[1]:
        what += f" {decision.service_count[0]} -> {decision.service_count[1]}"
    elif decision.group_capacity and decision.group_capacity[0] != decision.group_capacity[1]:
        what += f" {decision.group_capacity[0]} -> {decision.group_capacity[1]} hosts"
    return f"{prefix}ecs-fleet-ops scale: {what}: {decision.outcome.value}"


def scale_message(report: ScaleReport) -> str:
    decision = report.decision
    headline = decision.reason
    if report.dry_run and decision.outcome.acted:
        headline = f"DRY RUN, nothing was changed. Would have {decision.reason}"
    first = f"{headline[0].upper()}{headline[1:]}: {trigger_summary(report.transition, report.alarm)}"
    if decision.capacity_note:
        first += f"; {decision.capacity_note}"
    lines = [first + "."]
    lines.append(f"Alarm: {report.transition.alarm_name} ({_state_change(report.transition)}).")
    if report.follow_up_in_seconds is not None:
        lines.append(f"Looked at again in {report.follow_up_in_seconds} s, and acted on only if still in ALARM.")
    origin = "derived from the alarm's dimensions" if report.rule.derived else "declared in SCALING_RULES"
    bounds = f"{_bound(report.rule.minimum)} to {_bound(report.rule.maximum)}"
    if report.rule.bounds_from_tags:
        bounds += " (narrowed by the service's tags)"
    lines.append(
        f"Rule ({origin}): {report.rule.target_label}, step {report.rule.step}{_limits(report.rule)}, bounds {bounds}, "
        f"cooldown {report.rule.cooldown_seconds} s."
    )
    if report.group_name:
        lines.append(f"Auto Scaling group: {report.group_name}.")
    if decision.hosts_to_terminate:
        lines.append(
            "Terminated through the group with TerminateInstanceInAutoScalingGroup (desired capacity decremented): "
            + ", ".join(decision.hosts_to_terminate)
            + ". The termination lifecycle hook holds each host while the drain job moves its tasks."
        )
    lines.append(_meaning(decision.outcome))
    return "\n".join(lines)


def trigger_summary(transition: AlarmTransition, alarm: AlarmDetails | None) -> str:
    """ "CPUUtilization 83 > 75 for 3 min", from whatever the trigger and DescribeAlarms told."""
    metric = transition.metric_name or (alarm.metric_name if alarm else None)
    metric = metric or ("metric math" if transition.metric_math else "the alarm's metric")
    threshold = transition.threshold if transition.threshold is not None else (alarm.threshold if alarm else None)
    comparison = transition.comparison or (alarm.comparison if alarm else None)
    # ECS's CPUUtilization, MemoryUtilization, CPUReservation and MemoryReservation are percentages.
    unit = "%" if metric.endswith(("Utilization", "Reservation")) else ""
    text = metric
    if transition.latest_value is not None:
        text += f" {_number(transition.latest_value)}{unit}"
    if threshold is not None:
        text += f" {_OPERATORS.get(comparison or '', 'vs')} {_number(threshold)}{unit}"
    breach = alarm.breach_seconds if alarm else None
    if breach:
        text += f" for {breach // 60} min" if breach >= 60 else f" for {breach} s"
    return text


def _meaning(outcome: ScaleOutcome) -> str:
    return {
        ScaleOutcome.SERVICE_SCALED_OUT: "ECS places the new tasks; new hosts register within a few minutes.",
        ScaleOutcome.SERVICE_SCALED_IN: "ECS stops the surplus tasks, after their load balancer deregistration.",
        ScaleOutcome.CLUSTER_SCALED_OUT: "Auto Scaling launches the hosts; they take tasks once registered with ECS.",
        ScaleOutcome.CLUSTER_SCALED_IN: "Every moved task has a place: they all fit on the hosts that remain.",
        ScaleOutcome.ALARM_RECOVERED: "Nothing changed: the alarm had already returned to OK when checked.",
        ScaleOutcome.COOLDOWN: "Nothing changed: the target was scaled recently; the next transition decides again.",
        ScaleOutcome.DEFERRED: "Nothing changed: another scaler owns this target.",
        ScaleOutcome.DEPLOYMENT_IN_PROGRESS: "Nothing changed: scale-in waits for deployments to finish.",
        ScaleOutcome.AT_BOUND: "Nothing changed. What to check: the rule's or the group's bounds, if more is needed.",
        ScaleOutcome.UNSAFE_SCALE_IN: (
            "Nothing changed. What to check: fragmentation (tasks too big for the free space of any one host), "
            "the headroom setting, scale-in protection, standalone tasks."
        ),
        ScaleOutcome.NO_CAPACITY: (
            "Nothing changed. What to check: the group's MaxSize and the instance type; the service cannot grow "
            "until there is room for its tasks."
        ),
        ScaleOutcome.ALREADY_ACTED: "Nothing changed: this alarm transition was already acted on (delivered twice).",
        ScaleOutcome.NOTHING_WAITING: "Nothing changed: the hosts have room, or the hosts launching will have it.",
        ScaleOutcome.ON_TARGET: (
            "Nothing changed: the tasks already asked for bring the metric to the target; looked at again at the "
            "alarm's next datapoint while it stays in ALARM."
        ),
        ScaleOutcome.OUT_OF_SCOPE: (
            "Nothing changed. What to check: the stack's AutoScalingGroupNames, if the suite should change this "
            "group (its IAM permissions are scoped to the same names), or the rule, if it names the wrong target."
        ),
        ScaleOutcome.QUIET_WINDOW: (
            "Nothing changed: no host is taken away during a quiet window (CONSOLIDATION_QUIET_WINDOWS); the alarm "
            "is looked at again when it ends."
        ),
        ScaleOutcome.BUDGET_SPENT: (
            "Nothing changed: as many hosts as the disruption budget allows (CONSOLIDATION_DISRUPTION_BUDGET) are "
            "still leaving; the next look removes more once their drains are done."
        ),
    }[outcome]


def _limits(rule: ScalingRule) -> str:
    """A consolidating rule's disruption budget and quiet windows: " (budget 10%, quiet Mon-Fri 08:00-18:00 UTC)"."""
    if not rule.step.consolidate:
        return ""
    quiet = "; ".join(str(window) for window in rule.consolidation.quiet_windows)
    return f" (budget {rule.consolidation.budget}" + (f", quiet {quiet})" if quiet else ")")


def _state_change(transition: AlarmTransition) -> str:
    old = transition.old_state.value if transition.old_state else "?"
    change = f"{old} -> {transition.new_state.value}, via {transition.source.value}"
    return f"{change}; still in ALARM at follow-up {transition.follow_up}" if transition.follow_up else change


def _bound(value: int | None) -> str:
    return "the group's own" if value is None else str(value)


def _number(value: float) -> str:
    return f"{value:.3g}"  # 83.2, 75, 0.0667


def report_placement(
    failure: PlacementFailure, decision: ScalingDecision, notifier: Notifier, *, acted: bool, dry_run: bool
) -> None:
    """What a placement failure led to: logged and counted always; announced when the group grew or cannot."""
    logger.info(
        f"scale {decision.outcome.value}: {decision.reason}",
        extra={
            "trigger": f"ECS could not place a task of {failure.cluster}/{failure.service}: {failure.reason}",
            "outcome": decision.outcome.value,
            "acted": acted,
            "group_capacity": list(decision.group_capacity) if decision.group_capacity else None,
            "capacity": decision.capacity_note,
        },
    )
    metrics.add_metric(name=OUTCOME_METRICS[decision.outcome], unit=MetricUnit.Count, value=1)
    if acted:
        count_changes(decision)
    if decision.outcome.acted or decision.outcome in ATTENTION:
        prefix = "[dry run] " if dry_run else ("ATTENTION " if decision.outcome in ATTENTION else "")
        notifier.publish(
            f"{prefix}ecs-fleet-ops scale: cluster {failure.cluster}: {decision.outcome.value}",
            f"ECS could not place a task of service {failure.service} ({failure.reason}).\n"
            f"Decision: {decision.reason}.\n"
            + (f"Capacity: {decision.capacity_note}.\n" if decision.capacity_note else "")
            + _meaning(decision.outcome),
        )
