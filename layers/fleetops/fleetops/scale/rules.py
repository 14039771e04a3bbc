"""Which rule an alarm transition falls under: a declared one, or one derived from its dimensions."""

from __future__ import annotations

from fleetops.errors import BadInputError
from fleetops.models.scale import (
    CONSOLIDATION_STEP,
    AlarmDetails,
    AlarmTransition,
    Direction,
    ScalingRule,
    Step,
    TargetKind,
    Tracking,
)
from fleetops.scale.settings import ScaleSettings
from fleetops.scale.tracking import falls_as_tasks_are_added

# CloudWatch comparison operators; the anomaly-detection band ("LessThanLowerOrGreaterThanUpper...")
# has no direction and needs a declared rule.
_OUT = frozenset({"GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "GreaterThanUpperThreshold"})
_IN = frozenset({"LessThanThreshold", "LessThanOrEqualToThreshold", "LessThanLowerThreshold"})


class UnknownAlarmError(BadInputError):
    """No rule is declared for the alarm and none can be derived from it: dead-lettered, never retried."""


def resolve_rule(settings: ScaleSettings, transition: AlarmTransition, alarm: AlarmDetails | None) -> ScalingRule:
    declared = settings.rule_for(transition.alarm_name)
    if declared is not None:
        return declared
    if not settings.derive_rules:
        raise UnknownAlarmError(f"no rule for alarm {transition.alarm_name!r} and DERIVE_RULES_FROM_DIMENSIONS is off")
    dimensions = dict(transition.dimensions or (alarm.dimensions if alarm else ()))
    cluster = dimensions.get("ClusterName")
    if not cluster:
        raise UnknownAlarmError(
            f"no rule for alarm {transition.alarm_name!r}, and its metrics share no ClusterName dimension "
            "to derive one from (declare it in SCALING_RULES)"
        )
    comparison = transition.comparison or (alarm.comparison if alarm else None)
    if comparison in _OUT:
        direction = Direction.OUT
    elif comparison in _IN:
        direction = Direction.IN
    else:
        raise UnknownAlarmError(
            f"no rule for alarm {transition.alarm_name!r}, and its comparison {comparison!r} says neither "
            "scale out (greater than) nor scale in (less than)"
        )
    service = dimensions.get("ServiceName")
    # A cluster's scale-in consolidates: every host whose tasks fit elsewhere, within the disruption budget.
    step = CONSOLIDATION_STEP if not service and direction is Direction.IN else Step(1, False, direction)
    if not settings.allows_cluster(cluster):
        raise UnknownAlarmError(f"alarm {transition.alarm_name!r} is for cluster {cluster!r}, not in CLUSTER_NAMES")
    return ScalingRule(
        alarm_name=transition.alarm_name,
        kind=TargetKind.SERVICE if service else TargetKind.CLUSTER,
        cluster=cluster,
        service=service,
        step=step,
        minimum=1 if service else None,
        maximum=settings.derived_service_max if service else None,
        cooldown_seconds=settings.cooldown_for(direction),
        derived=True,
        # A service's scale-out tracks the alarm's threshold (the step of one task is the fallback when the
        # alarm carries no value), if its metric falls as tasks are added (tracking.PER_TASK_NAMESPACE);
        # on any other metric it keeps the step of one task. Its scale-in keeps the step of one: a low
        # alarm's threshold (say 20 %) is a floor, not a value to hold, and the target the service runs at
        # is the other alarm's.
        tracking=Tracking() if service and direction is Direction.OUT and _per_task(transition, alarm) else None,
    )


def _per_task(transition: AlarmTransition, alarm: AlarmDetails | None) -> bool:
    """Whether the alarm watches one metric that falls as the service's tasks are added (a metric-math
    alarm does not count: its expression may be anything)."""
    if transition.metric_math:
        return False
    namespace = transition.namespace or (alarm.namespace if alarm else None)
    metric_name = transition.metric_name or (alarm.metric_name if alarm else None)
    dimensions = transition.dimensions or (alarm.dimensions if alarm else ())
    return falls_as_tasks_are_added(namespace, metric_name, {name for name, _ in dimensions})
