"""Service steps sized from the alarm's metric, as Application Auto Scaling target tracking sizes them.

Target tracking "adds and removes capacity as required to keep the metric at, or close to, the specified
target value", assuming the metric falls as capacity rises ("How target tracking scaling for Application
Auto Scaling works", Application Auto Scaling User Guide). With a metric shared evenly by the tasks (a
service's CPUUtilization or MemoryUtilization, requests per task) that is: desired = ceil(running x metric /
target). Two refinements, both because a number can hide how far off it is:

- a utilization at 100 % (or more) says only that the tasks have no more to give: the load may be any
  multiple of what they serve. The step is then at least a doubling, and the next look (one alarm period
  later) may double again, so the hosts are sized for that next step too (``TrackedCount.anticipated``,
  bounded by the rule's maximum);
- scale-in is gentler than scale-out: only down to what keeps the metric ``SCALE_IN_MARGIN`` under the
  target, and never by more than half of the tasks in one decision (a low reading may be a lull).

Pure functions over plain data: no AWS, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fleetops.models.scale import Direction, ScalingRule

# Metrics in percent of what the tasks reserved: at 100 % or more the tasks are saturated and the metric no
# longer tells the load ("Amazon ECS CloudWatch metrics", ECS Developer Guide: service CPUUtilization and
# MemoryUtilization are the tasks' use as a percentage of what they reserve).
SATURATING_METRICS = frozenset({"CPUUtilization", "MemoryUtilization"})
SATURATED_PERCENT = 100.0
# The only metrics a derived rule tracks: a service's AWS/ECS CPUUtilization or MemoryUtilization (dimensions
# ClusterName and ServiceName) is what its tasks use over what they reserve, so for the same load it falls in
# proportion as tasks are added. Target tracking needs exactly that: a metric that changes in inverse
# proportion to the capacity, capacity doubled -> metric halved (Application Auto Scaling User Guide,
# "Target tracking scaling policies for Application Auto Scaling"). A total
# (Container Insights' CpuUtilized, network bytes, a request count) does not fall as tasks are added:
# tracking it would add tasks at every datapoint up to the rule's maximum.
PER_TASK_NAMESPACE = "AWS/ECS"
PER_TASK_DIMENSIONS = frozenset({"ClusterName", "ServiceName"})


def falls_as_tasks_are_added(namespace: str | None, metric_name: str | None, dimension_names: set[str]) -> bool:
    """Whether an alarm's metric is a share of what the service's tasks reserve, which target tracking can
    hold by changing the count (see PER_TASK_NAMESPACE)."""
    return (
        namespace == PER_TASK_NAMESPACE and metric_name in SATURATING_METRICS and dimension_names == PER_TASK_DIMENSIONS
    )


# A scale-in leaves the metric at least this share under the target, so that it does not cross it again at
# the next ripple of load and scale out at once.
SCALE_IN_MARGIN = 0.1
# Floating-point slack: 16 x 87.890625 / 75 is 18.75 and must not round up to 19 because of a last bit.
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class TrackedCount:
    """The desired count the metric asks for, within the rule's bounds, and why."""

    count: int
    limited: bool  # the metric asked for more (out) or fewer (in) than the rule's bound allows
    anticipated: int  # what the next look may ask for if the metric stays as it is (hosts are sized for it)
    why: str


def tracking_target(rule: ScalingRule, threshold: float | None) -> float | None:
    """The value to hold: the rule's own, or the alarm's threshold. None: none is known (or it is not above
    zero), and the rule's step is used instead."""
    if rule.tracking is None:
        return None
    target = rule.tracking.target if rule.tracking.target is not None else threshold
    return target if target is not None and target > 0 else None


def tracked_count(
    rule: ScalingRule, *, desired: int, running: int, value: float, target: float, metric_name: str | None
) -> TrackedCount | None:
    """What the metric ``value``, measured over ``running`` tasks, asks of a service that wants ``desired``.
    None when no task runs (the metric of no task says nothing about the load)."""
    assert rule.minimum is not None and rule.maximum is not None  # every service rule has bounds
    if running <= 0:
        return None
    reading = f"{metric_name or 'the metric'} {value:g} on {running} running task(s), target {target:g}"
    if rule.direction is Direction.OUT:
        need = math.ceil(running * value / target - _EPSILON)
        saturated = metric_name in SATURATING_METRICS and value >= SATURATED_PERCENT
        if saturated:
            need = max(need, 2 * running)
        count = min(need, rule.maximum)
        anticipated = min(2 * count, rule.maximum) if saturated else count
        why = f"{reading}: " + (
            f"saturated, so the load may be more than it shows: at least double, {need} task(s)"
            if saturated
            else f"{need} task(s) bring it to the target"
        )
        if need > rule.maximum:
            why += f", held to the rule's maximum of {rule.maximum}"
        return TrackedCount(count, need > rule.maximum, max(count, anticipated), why)
    keeps_under = target * (1 - SCALE_IN_MARGIN)
    need = math.ceil(running * value / keeps_under - _EPSILON)
    halved = math.ceil(desired / 2)
    count = max(need, halved, rule.minimum)
    why = f"{reading}: {need} task(s) keep it {SCALE_IN_MARGIN:.0%} under the target"
    if count == halved and halved > need:
        why += f"; at most half of the {desired} task(s) go in one step"
    elif count == rule.minimum and rule.minimum > need:
        why += f"; the rule's minimum is {rule.minimum}"
    return TrackedCount(count, rule.minimum > max(need, halved), count, why)
