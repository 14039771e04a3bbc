"""Pure decisions of the scale job: no AWS, no clock, no I/O. Everything is passed in."""

from __future__ import annotations

import math
from dataclasses import replace

from fleetops.models.consolidation import ConsolidationPolicy
from fleetops.models.lifecycle import holds_host_for_drain
from fleetops.models.scale import (
    NOTHING,
    AlarmDetails,
    AlarmState,
    AlarmTransition,
    ClusterView,
    Direction,
    GroupStatus,
    Host,
    PlacedTask,
    Resources,
    ScaleOutcome,
    ScalingDecision,
    ScalingRule,
    ServiceStatus,
)
from fleetops.packing import hosts_needed_for, new_host_shape, plan_scale_in, room_for
from fleetops.scale.consolidation import Disruption, disruption
from fleetops.scale.tracking import TrackedCount, tracked_count, tracking_target

# SQS delays a message by at most 900 s; a longer cooldown is waited out in several follow-ups.
from fleetops.settings import SQS_MAX_DELAY_SECONDS


def decide_service(
    rule: ScalingRule,
    alarm: AlarmDetails,
    service: ServiceStatus,
    hosts: tuple[Host, ...],
    group: GroupStatus | None,
    *,
    last_scaled_at: float | None,
    now: float,
    daemon_overhead: Resources = NOTHING,
    group_may_change: bool = True,
    metric_value: float | None = None,
    last_target: int | None = None,
) -> ScalingDecision:
    """Change a service's desired count; before growing it, make sure the new tasks have a place.

    ``daemon_overhead``: what the daemon tasks of a new host reserve (one task per daemon service).
    ``group_may_change``: whether the group is in the stack's AutoScalingGroupNames; if not, the service
    grows only by what the cluster holds, and the group is never raised.
    ``metric_value``: the alarm's metric now (a tracking rule sizes its step from it; None: the rule's step).
    ``last_target``: the count the last change set (None: not recorded). A tracking rule's cooldown holds
    back only a step that goes no further than it, as target tracking's does.
    """
    target_value = tracking_target(rule, alarm.threshold)
    tracked = None
    if target_value is not None and metric_value is not None:
        tracked = tracked_count(
            rule,
            desired=service.desired,
            running=service.running,
            value=metric_value,
            target=target_value,
            metric_name=alarm.metric_name,
        )
    held = held_back(rule, alarm, None if tracked else last_scaled_at, now)
    if held is not None:
        return held
    if service.managed_by:
        return ScalingDecision(
            ScaleOutcome.DEFERRED,
            f"service {service.name} is scaled by {service.managed_by}; changing its desired count here would "
            "fight it (use that target's own policies, or deregister it)",
        )
    assert rule.minimum is not None and rule.maximum is not None  # every service rule has bounds
    current = service.desired
    if tracked is not None:
        target = _towards(rule.direction, current, tracked.count)
        if target == current and not tracked.limited:
            return ScalingDecision(
                ScaleOutcome.ON_TARGET,
                f"service {service.name} stays at {current} task(s): {tracked.why}",
                service_count=(current, current),
                retry_after_seconds=alarm.period_seconds,
            )
        cooling = _tracking_cooldown(rule, alarm, service.name, (current, target), (last_scaled_at, last_target), now)
        if cooling is not None:
            return cooling
    else:
        target = _towards(rule.direction, current, _clamp(rule.step.target(current), rule.minimum, rule.maximum))
    if target == current:
        bound = "maximum" if rule.direction is Direction.OUT else "minimum"
        past = current > rule.maximum if rule.direction is Direction.OUT else current < rule.minimum
        return ScalingDecision(
            ScaleOutcome.AT_BOUND,
            f"service {service.name} already has {current} task(s), "
            + (
                f"beyond its {bound}: a scale-{rule.direction.value} never moves it the other way"
                if past
                else f"its {bound}"
            )
            + f" (rule bounds {rule.minimum} to {rule.maximum})",
            service_count=(current, current),
        )
    sized = _sizing(rule, tracked, metric_value, target_value)
    if rule.direction is Direction.IN:
        if service.deployment_in_progress:
            return ScalingDecision(
                ScaleOutcome.DEPLOYMENT_IN_PROGRESS,
                f"service {service.name} is being deployed: no scale-in until the deployment completes",
                service_count=(current, current),
            )
        return ScalingDecision(
            ScaleOutcome.SERVICE_SCALED_IN,
            f"scaled service {service.name} from {current} to {target}{sized}",
            service_count=(current, target),
        )
    anticipated = max(target, tracked.anticipated) if tracked is not None else target
    decision = _service_out(
        service, target, hosts, group, daemon_overhead, group_may_change=group_may_change, anticipated=anticipated
    )
    return replace(decision, reason=decision.reason + sized) if decision.outcome.acted else decision


def _sizing(
    rule: ScalingRule, tracked: TrackedCount | None, metric_value: float | None, target_value: float | None
) -> str:
    """How the step was sized, for the decision's reason: from the metric, or the rule's step and why."""
    if tracked is not None:
        return f" ({tracked.why})"
    if rule.tracking is None:
        return ""
    if metric_value is None:
        why = "the alarm carried no value of its metric to size the step from"
    elif target_value is None:
        why = "the alarm has no threshold above zero to track"
    else:
        why = "no task runs to measure the metric on"
    return f" (by the rule's step of {rule.step}: {why})"


def _tracking_cooldown(
    rule: ScalingRule,
    alarm: AlarmDetails,
    service: str,
    change: tuple[int, int],
    last: tuple[float | None, int | None],
    now: float,
) -> ScalingDecision | None:
    """Target tracking's cooldown: within it, the count changes again only for a step that goes further than
    the last one did ("won't increase the desired capacity again unless either a larger scale out is
    triggered or the cooldown period ends", Application Auto Scaling User Guide, "Define cooldown periods"); a
    scale-in cooldown blocks every scale-in until it has expired (``ScaleInCooldown``, API Reference).
    ``change``: (current, target) counts; ``last``: when the last change was made and the count it set. A
    held-back step is looked at again at the next datapoint (or when the cooldown ends, if sooner)."""
    current, target = change
    last_scaled_at, last_target = last
    if last_scaled_at is None or now >= last_scaled_at + rule.cooldown_seconds:
        return None
    reached = current if last_target is None else last_target
    if rule.direction is Direction.OUT and target > reached:
        return None  # a scale-in's cooldown blocks every scale-in until it has expired (ScaleInCooldown)
    left = math.ceil(last_scaled_at + rule.cooldown_seconds - now)
    return ScalingDecision(
        ScaleOutcome.COOLDOWN,
        f"service {service} was scaled to {reached} task(s) {round(now - last_scaled_at)} s ago; a step to {target} "
        f"goes no further, and the scale-{rule.direction.value} cooldown of {rule.cooldown_seconds} s has {left} s "
        "left",
        service_count=(current, current),
        retry_after_seconds=min(left, alarm.period_seconds or left),
    )


def _service_out(
    service: ServiceStatus,
    target: int,
    hosts: tuple[Host, ...],
    group: GroupStatus | None,
    daemon_overhead: Resources,
    *,
    group_may_change: bool,
    anticipated: int | None = None,
) -> ScalingDecision:
    """Grow the service to ``target``; if its waiting tasks (the new ones and those ECS could not place) do not
    fit, raise the group in one call to the hosts they need, counting the hosts it is still launching.

    ``anticipated`` (at least ``target``): the count the next look may ask for (a saturated metric doubles
    again). The group is sized for it, so that the next host is launched before the service outgrows the
    last one: a host takes minutes to boot and register, a service step one alarm period."""
    current = service.desired
    size = service.task_size
    room = room_for(size, hosts, service.host_ports)
    # Tasks the service already wants but ECS could not place need a host too.
    needed = target - current + service.unplaced
    ahead = max(target, anticipated or target) - current + service.unplaced
    if room >= ahead:
        return ScalingDecision(
            ScaleOutcome.SERVICE_SCALED_OUT,
            f"scaled service {service.name} from {current} to {target}",
            service_count=(current, target),
            capacity_note=f"cluster has room for {room - needed} more task(s) of {_size(size)} after these",
        )
    if group is not None and group.unknown_weights and not group.managed_by:
        return _limited(service, room, _unknown_weights(group)) if room < needed else _fits(service, target, room)
    coming_units = _units_launching(hosts, group)
    coming = _hosts_in(coming_units, group)
    waiting = _waiting_tasks(service, ahead - room)
    shape = new_host_shape(hosts)
    hosts_for_all = _hosts_for(waiting, shape, daemon_overhead)
    hosts_for_now = _hosts_for(waiting[: max(0, needed - room)], shape, daemon_overhead)
    if hosts_for_all is None or hosts_for_now is None:
        return _limited(
            service,
            room,
            f"a task of {_size(size)} fits on no new host of the group's shape ({_size(shape or NOTHING)})",
        )
    if room >= needed and (group is None or group.managed_by or not group_may_change):
        return _fits(service, target, room)  # ahead of need only: nothing this job may anticipate with
    if hosts_for_all <= coming:
        # A scale-out already under way brings the room: another host would be one too many.
        return ScalingDecision(
            ScaleOutcome.SERVICE_SCALED_OUT,
            f"scaled service {service.name} from {current} to {target}",
            service_count=(current, target),
            capacity_note=(
                f"the cluster has room for {room} of {needed} task(s) now; the "
                f"{group.amount(coming, coming_units) if group else f'{coming} host(s)'} group "
                f"{group.name if group else '?'} is launching take the rest"
            ),
        )
    if group is not None and group.managed_by:
        return ScalingDecision(
            ScaleOutcome.SERVICE_SCALED_OUT,
            f"scaled service {service.name} from {current} to {target}",
            service_count=(current, target),
            capacity_note=(
                f"the cluster has room for {room} of {needed} task(s); {group.managed_by} scales group "
                f"{group.name} and will add the {max(0, needed - room)} missing place(s)"
            ),
        )
    hosts_needed = hosts_for_all - coming
    if group is not None and not group_may_change:
        return _limited(service, room, f"{group_out_of_scope(group.name)} (it needs {hosts_needed} more host(s))")
    if group is None:
        return _limited(
            service,
            room,
            f"no single Auto Scaling group holds the cluster's hosts to add {hosts_needed} host(s) to "
            "(name it in a cluster rule's 'group')",
        )
    new_capacity = min(group.maximum, group.desired + hosts_needed * group.units_per_host)
    if new_capacity <= group.desired:
        if room >= needed:
            return _fits(service, target, room)
        return _limited(
            service,
            room,
            f"group {group.name} is at its maximum of {group.maximum} {_unit(group)} "
            f"(needs {group.amount(hosts_needed, hosts_needed * group.units_per_host)} more)",
        )
    # Units short of a whole host still launch one: Auto Scaling launches until the desired capacity is
    # met, even past it ("Configure an Auto Scaling group to use instance weights").
    added = _hosts_in(new_capacity - group.desired, group)
    places = room + _places_on_new_hosts(waiting, added + coming, shape, daemon_overhead)
    final = max(current, min(target, current + places - service.unplaced))
    short = "" if final == target else f"; the group's maximum ({group.maximum}) holds only {final} of {target}"
    ahead_note = (
        f"; sized for {current + ahead - service.unplaced} task(s), the next step if the load keeps growing"
        if ahead > needed and hosts_for_now < hosts_for_all
        else ""
    )
    return ScalingDecision(
        ScaleOutcome.SERVICE_SCALED_OUT,
        f"scaled group {group.name} from {group.desired} to {new_capacity} {_unit(group)}"
        + (f" ({group.amount(added, new_capacity - group.desired)} more)" if group.weighted else "")
        + f" first, then service {service.name} from {current} to {final}",
        service_count=(current, final),
        group_capacity=(group.desired, new_capacity),
        capacity_note=(
            f"the new task(s) did not fit: the cluster had room for {room} of {needed} task(s) of {_size(size)}; the "
            "waiting task(s) need "
            f"{hosts_for_all} new host(s) by bin-packing"
            + (f", {coming} of them already launching" if coming else "")
            + ahead_note
            + short
        ),
    )


def decide_waiting_tasks(
    service: ServiceStatus,
    hosts: tuple[Host, ...],
    group: GroupStatus | None,
    daemon_overhead: Resources = NOTHING,
    *,
    group_may_change: bool = True,
) -> ScalingDecision:
    """ECS could not place tasks of ``service``: raise the group, in one call, to the hosts its waiting tasks
    need (the tasks it wants that are neither running nor pending), counting the room the hosts have now and
    the hosts the group is still launching. The service's count is not touched: it already says what is
    wanted. A repeated failure for the same tasks finds those hosts launching and changes nothing."""
    if service.unplaced == 0:
        return ScalingDecision(
            ScaleOutcome.NOTHING_WAITING,
            f"every task service {service.name} wants is placed now ({service.running} running, {service.pending} "
            "pending): nothing waits for a host",
        )
    decision = _service_out(service, service.desired, hosts, group, daemon_overhead, group_may_change=group_may_change)
    if decision.group_capacity is not None and decision.group_capacity[0] != decision.group_capacity[1]:
        assert group is not None
        low, high = decision.group_capacity
        return ScalingDecision(
            ScaleOutcome.CLUSTER_SCALED_OUT,
            f"scaled group {group.name} from {low} to {high} {_unit(group)} for the {service.unplaced} task(s) of "
            f"service {service.name} ECS could not place",
            group_capacity=decision.group_capacity,
            capacity_note=decision.capacity_note,
        )
    if decision.outcome is ScaleOutcome.SERVICE_SCALED_OUT:
        # Room enough now, or on the hosts launching: ECS places the tasks at its next attempt.
        return ScalingDecision(
            ScaleOutcome.NOTHING_WAITING,
            f"the {service.unplaced} task(s) of service {service.name} ECS could not place have a place coming: "
            + decision.capacity_note,
        )
    return replace(decision, service_count=None)  # no capacity, or not the suite's to add: said in the reason


def _fits(service: ServiceStatus, target: int, room: int) -> ScalingDecision:
    needed = target - service.desired + service.unplaced
    return ScalingDecision(
        ScaleOutcome.SERVICE_SCALED_OUT,
        f"scaled service {service.name} from {service.desired} to {target}",
        service_count=(service.desired, target),
        capacity_note=f"cluster has room for {room - needed} more task(s) of {_size(service.task_size)} after these",
    )


def _waiting_tasks(service: ServiceStatus, count: int) -> list[PlacedTask]:
    """``count`` tasks of the service that need a place (not placed yet: no ARN of their own)."""
    return [
        PlacedTask(f"waiting-{index}", f"service:{service.name}", service.task_size, service.host_ports)
        for index in range(max(0, count))
    ]


def _places_on_new_hosts(
    waiting: list[PlacedTask], new_hosts: int, shape: Resources | None, daemon_overhead: Resources
) -> int:
    """How many of the waiting tasks (all of one shape) ``new_hosts`` empty hosts take, by the same packing:
    what one host takes, times the hosts. No host seen to know the shape by: one task per host."""
    if not waiting or new_hosts <= 0:
        return 0
    one_host = 0
    while one_host < len(waiting) and _hosts_for(waiting[: one_host + 1], shape, daemon_overhead) == 1:
        one_host += 1
    return min(len(waiting), one_host * new_hosts)


def _hosts_for(tasks: list[PlacedTask], shape: Resources | None, daemon_overhead: Resources) -> int | None:
    """New hosts the tasks need by bin-packing (``packing.hosts_needed_for``); with no host seen to know the
    group's shape by, one per task (errs towards too many, never too few)."""
    return hosts_needed_for(tasks, shape, daemon_overhead) if shape is not None else len(tasks)


def _units_launching(hosts: tuple[Host, ...], group: GroupStatus | None) -> int:
    """Capacity the group wants that has not registered with the cluster yet (launching, booting), in the
    group's units: its desired capacity less the weights of the hosts in service in it and in the cluster.
    Not a count of hosts: 4 hosts of weight 4 fulfil a desired capacity of 16, with nothing launching."""
    if group is None or group.managed_by:
        return 0
    in_service = sum(host.weight for host in hosts if host.lifecycle_state is not None and not host.leaving)
    return max(0, group.desired - in_service)


def _hosts_in(units: int, group: GroupStatus | None) -> int:
    """Hosts that many units bring: Auto Scaling launches until they are met, so a part of one host's
    weight is one more host (the smallest weight the group launches with, ``units_per_host``)."""
    per_host = group.units_per_host if group is not None else 1
    return math.ceil(units / per_host) if units > 0 else 0


def _unit(group: GroupStatus) -> str:
    return group.unit_name if group.weighted else "host(s)"


def _unknown_weights(group: GroupStatus) -> str:
    return (
        f"group {group.name} counts its capacity in {group.capacity_type} and does not say how many its host(s) "
        f"{', '.join(group.unknown_weights)} count for (no WeightedCapacity), so its capacity cannot be changed "
        "safely here"
    )


def _limited(service: ServiceStatus, room: int, why: str) -> ScalingDecision:
    """Grow only by what fits: a task ECS cannot place helps nobody and hides the real problem."""
    final = service.desired + max(0, room - service.unplaced)
    if final == service.desired:
        return ScalingDecision(
            ScaleOutcome.NO_CAPACITY,
            f"service {service.name} stays at {service.desired}: no host has room for another task of "
            f"{_size(service.task_size)}, and {why}",
            service_count=(service.desired, service.desired),
        )
    return ScalingDecision(
        ScaleOutcome.SERVICE_SCALED_OUT,
        f"scaled service {service.name} from {service.desired} to {final} only, what the cluster holds",
        service_count=(service.desired, final),
        capacity_note=f"the cluster had room for {room} task(s) and {why}",
    )


def decide_cluster_out(
    rule: ScalingRule,
    alarm: AlarmDetails,
    group: GroupStatus,
    hosts: tuple[Host, ...],
    *,
    last_scaled_at: float | None,
    now: float,
) -> ScalingDecision:
    """Raise the group's desired capacity by the rule's step, less the hosts it is still launching.

    A reservation alarm keeps firing until new hosts have registered and its whole evaluation window
    has seen them: without counting them, each look would add the step again (3, 4, 5, 6...).
    """
    held = held_back(rule, alarm, last_scaled_at, now) or _deferred(group)
    if held is not None:
        return held
    low, high = _group_bounds(rule, group)
    step = step_units(rule, group)
    target = _towards(Direction.OUT, group.desired, _clamp(group.desired + step, low, high))
    coming_units = _units_launching(hosts, group)
    coming = _hosts_in(coming_units, group)
    if coming_units and target > group.desired:
        target = _towards(Direction.OUT, group.desired, min(target, group.desired + step - coming_units))
        if target == group.desired:
            wait = max(rule.cooldown_seconds, MIN_FOLLOW_UP_SECONDS)
            return ScalingDecision(
                ScaleOutcome.COOLDOWN,
                f"group {group.name} is still launching {group.amount(coming, coming_units)}, as many as the step "
                f"of {rule.step} would add: no more until they have joined the cluster and the alarm has judged them",
                group_capacity=(group.desired, group.desired),
                retry_after_seconds=wait,
            )
    if target == group.desired:
        return ScalingDecision(
            ScaleOutcome.AT_BOUND,
            f"group {group.name} already has a desired capacity of {group.desired}, "
            + ("above" if group.desired > high else "at")
            + f" its maximum of {high}",
            group_capacity=(group.desired, group.desired),
        )
    added = target - group.desired
    return ScalingDecision(
        ScaleOutcome.CLUSTER_SCALED_OUT,
        f"scaled group {group.name} from {group.desired} to {target} {_unit(group)}"
        + (f" ({group.amount(_hosts_in(added, group), added)} more)" if group.weighted else ""),
        group_capacity=(group.desired, target),
        capacity_note=f"{group.amount(coming, coming_units)} already launching counted in the step" if coming else "",
    )


def step_units(rule: ScalingRule, group: GroupStatus) -> int:
    """The rule's step in the group's units. A step of N hosts is N x ``units_per_host`` (the smallest weight
    the group launches with: never more than N hosts' worth); a percentage is of the desired capacity, as
    Auto Scaling's PercentChangeInCapacity is, and at least one host's worth. Weight 1: the step itself."""
    if rule.step.percent:
        return max(group.units_per_host, rule.step.delta(group.desired))
    return rule.step.amount * group.units_per_host


def hosts_to_remove(rule: ScalingRule, group: GroupStatus, hosts: tuple[Host, ...] | list[Host]) -> int:
    """How many hosts a scale-in step removes (0 at the group's minimum). Without weights: the step, less
    what would go below the minimum. With weights the hosts chosen lower the desired capacity by their own
    weights, each within what the minimum leaves (``plan_scale_in``'s ``unit_budget``).

    A consolidating step removes at most what the rule's disruption budget still allows, and as many of
    those as fit."""
    low = max(group.minimum, rule.minimum if rule.minimum is not None else group.minimum)
    if rule.step.consolidate:
        allowed = disruption(hosts, rule.consolidation.budget).allowed
        above_minimum = group.desired - low if not group.weighted else (allowed if group.desired > low else 0)
        return max(0, min(allowed, above_minimum, MAX_HOSTS_PER_DECISION))
    if not group.weighted:
        return max(0, group.desired - max(rule.step.target(group.desired), low))
    if group.desired <= low:
        return 0
    if not rule.step.percent:
        return rule.step.amount
    in_service = sum(1 for host in hosts if host.takes_tasks and host.lifecycle_state is not None)
    return max(1, math.floor(in_service * rule.step.amount / 100))


def decide_cluster_in(
    rule: ScalingRule,
    alarm: AlarmDetails,
    group: GroupStatus,
    view: ClusterView,
    *,
    headroom_percent: int,
    termination_hooks: tuple[str, ...],
    drain_hook_name_prefix: str | None,
    last_scaled_at: float | None,
    now: float,
) -> ScalingDecision:
    """Remove hosts only if every task on them has a place on the hosts that remain.

    A consolidating rule (``"step": "consolidate"``) removes every host whose tasks fit on the others, as
    many as the rule's disruption budget allows with the hosts already leaving counted against
    it (their tasks keep a place in the plan), and none during its quiet windows. A ``-N`` rule removes N, and
    none while another host is leaving.

    ``termination_hooks``: the group's ``EC2_INSTANCE_TERMINATING`` hooks. Only one that drains (the
    suite's own, named with ``drain_hook_name_prefix``, or ECS managed draining's) holds a terminating host
    while its tasks move; with none, or only foreign ones, the tasks may die with the host. A prefix of None:
    no drain of this stack answers the suite's hooks, and only ECS managed draining's counts.
    """
    policy = rule.consolidation
    held = held_back(rule, alarm, last_scaled_at, now) or _deferred(group)
    if held is None and rule.step.consolidate:
        held = _quiet(policy, now)
    if held is not None:
        return held
    low, _ = _group_bounds(rule, group)
    # Never negative: a scale-in never raises the capacity.
    count = hosts_to_remove(rule, group, view.hosts)
    budget = disruption(view.hosts, policy.budget) if rule.step.consolidate else None
    if count <= 0 and budget is not None and budget.allowed == 0 and group.desired > low:
        return _budget_spent(group, budget, policy, rule)
    if count <= 0:
        return ScalingDecision(
            ScaleOutcome.AT_BOUND,
            f"group {group.name} already has a desired capacity of {group.desired}, "
            + ("below" if group.desired < low else "at")
            + f" its minimum of {low}",
            group_capacity=(group.desired, group.desired),
        )
    if not any(holds_host_for_drain(hook, drain_hook_name_prefix) for hook in termination_hooks):
        return ScalingDecision(
            ScaleOutcome.UNSAFE_SCALE_IN,
            _no_draining_hook(group.name, termination_hooks, drain_hook_name_prefix),
            group_capacity=(group.desired, group.desired),
        )
    if view.unplaced_tasks:
        wanted = ", ".join(f"{name} ({count})" for name, count in view.unplaced_tasks)
        return ScalingDecision(
            ScaleOutcome.UNSAFE_SCALE_IN,
            f"no host is removed while service(s) want task(s) ECS could not place: {wanted}; "
            "the cluster is short of room, not over it",
            group_capacity=(group.desired, group.desired),
        )
    if view.deployments_in_progress:
        return ScalingDecision(
            ScaleOutcome.DEPLOYMENT_IN_PROGRESS,
            f"no host is removed while service(s) {', '.join(view.deployments_in_progress)} are being deployed "
            "(a rolling deployment needs room for old and new tasks at once)",
        )
    # A host in Standby is an operator's, for as long as they like: not a change in progress (its tasks
    # keep a place in the plan instead, see packing.py). Under a disruption budget a host already draining or
    # terminating is counted against it, and its tasks keep a place too; a host still launching means the
    # group is growing, and nothing is taken away while it does.
    busy = [
        host for host in view.hosts if host.leaving and not host.in_standby and (budget is None or not host.departing)
    ]
    if busy:
        host = busy[0]
        return ScalingDecision(
            ScaleOutcome.UNSAFE_SCALE_IN,
            f"host {host.ec2_instance_id} is {host.ecs_status} in ECS and {host.lifecycle_state or 'in no group'} "
            "in Auto Scaling: the cluster is still changing, and no host is removed until it has settled",
        )
    units = group.desired - low if group.weighted else None
    plan = plan_scale_in(view, count, headroom_percent, group.instances_by_zone, unit_budget=units)
    if not plan.chosen:
        protected = sum(1 for host in view.hosts if host.protected_from_scale_in)
        why = "; ".join(plan.refusals) or (
            f"every host is protected from scale-in ({protected})" if protected else "no host can be removed"
        )
        return ScalingDecision(
            ScaleOutcome.UNSAFE_SCALE_IN,
            f"no host of group {group.name} can be removed safely: {why}",
            group_capacity=(group.desired, group.desired),
        )
    chosen = plan.chosen
    moved = len(plan.placements)
    remaining = sum(1 for host in view.hosts if host.takes_tasks) - len(chosen)
    standby = [host.ec2_instance_id for host in view.hosts if host.in_standby]
    names = ", ".join(f"{host.ec2_instance_id} ({host.tasks} task(s))" for host in chosen)
    # Each host lowers the desired capacity by its own weight (1 without weights).
    removed = sum(host.weight for host in chosen)
    change = (
        f"{group.desired} to {group.desired - removed} {group.unit_name}: {group.amount(len(chosen), removed)} fewer"
        if group.weighted
        else f"{group.desired} to {group.desired - removed} host(s)"
    )
    return ScalingDecision(
        ScaleOutcome.CLUSTER_SCALED_IN,
        f"terminating {names} through group {group.name} ({change}); the drain moves its tasks",
        group_capacity=(group.desired, group.desired - removed),
        hosts_to_terminate=tuple(host.ec2_instance_id for host in chosen),
        placements=plan.placements,
        capacity_note=(
            f"its {moved} service task(s) fit on the {remaining} remaining host(s) that take tasks "
            f"with {headroom_percent}% headroom"
            + (f"; {_standby_kept(standby)}" if standby else "")
            + (f"; {_budget_note(budget, policy, len(chosen), count)}" if budget is not None else "")
            + (f"; {_zones_kept(group)}" if group.instances_by_zone else "")
            + (f"; passed over: {'; '.join(plan.refusals)}" if plan.refusals else "")
        ),
    )


def _quiet(policy: ConsolidationPolicy, now: float) -> ScalingDecision | None:
    quiet = policy.quiet_at(now)
    if quiet is None:
        return None
    window, left = quiet
    return ScalingDecision(
        ScaleOutcome.QUIET_WINDOW,
        f"no host is taken away during the quiet window {window}: {math.ceil(left / 60)} min left",
        retry_after_seconds=left,
    )


def _budget_spent(
    group: GroupStatus, budget: Disruption, policy: ConsolidationPolicy, rule: ScalingRule
) -> ScalingDecision:
    return ScalingDecision(
        ScaleOutcome.BUDGET_SPENT,
        f"{budget.leaving} host(s) of group {group.name} are already draining or terminating, as many as the "
        f"disruption budget of {policy.budget} of {budget.group_hosts} host(s) allows at once ({budget.most}): "
        "no more until their drains are done",
        group_capacity=(group.desired, group.desired),
        retry_after_seconds=max(rule.cooldown_seconds, MIN_FOLLOW_UP_SECONDS),
    )


def _budget_note(budget: Disruption, policy: ConsolidationPolicy, chosen: int, count: int) -> str:
    note = f"disruption budget {policy.budget} of {budget.group_hosts} host(s): at most {budget.most} leaving at once"
    if budget.leaving:
        note += f", {budget.leaving} already leaving (their service tasks keep a place on the remaining hosts)"
    if chosen < count:
        note += f"; no other host's tasks fit on the rest ({chosen} of the {count} the budget and minimum allow)"
    elif chosen == MAX_HOSTS_PER_DECISION:
        note += f"; at most {MAX_HOSTS_PER_DECISION} host(s) go in one decision, the next look takes more"
    return note


def _standby_kept(standby: list[str]) -> str:
    return (
        f"in Standby, left to the operator and not counted as room: {', '.join(standby)} "
        "(its service tasks keep a place on the remaining hosts)"
    )


def _zones_kept(group: GroupStatus) -> str:
    zones = ", ".join(f"{zone} {count}" for zone, count in group.instances_by_zone)
    return f"taken from the zone with the most instances ({zones}), so Auto Scaling has nothing to rebalance"


def held_back(
    rule: ScalingRule, alarm: AlarmDetails, last_scaled_at: float | None, now: float
) -> ScalingDecision | None:
    if alarm.state is not AlarmState.ALARM:
        return ScalingDecision(
            ScaleOutcome.ALARM_RECOVERED,
            f"alarm {alarm.name} is {alarm.state.value} now: the condition has passed, nothing to do",
        )
    if last_scaled_at is not None and now < last_scaled_at + rule.cooldown_seconds:
        left = math.ceil(last_scaled_at + rule.cooldown_seconds - now)
        return ScalingDecision(
            ScaleOutcome.COOLDOWN,
            f"{rule.target_label} was scaled {round(now - last_scaled_at)} s ago; the scale-{rule.direction.value} "
            f"cooldown of {rule.cooldown_seconds} s has {left} s left",
            retry_after_seconds=left,
        )
    return None


def judging_the_last_change(
    rule: ScalingRule, alarm: AlarmDetails, last_scaled_at: float | None, now: float
) -> ScalingDecision | None:
    """For a follow-up: an ALARM state still based on data from before the last change says nothing
    about it. The alarm has judged the change once its whole evaluation window (period x evaluation
    periods) has passed after the cooldown; until then the follow-up waits."""
    if last_scaled_at is None:
        return None
    left = _until_judged(rule, alarm, last_scaled_at, now)
    if left is None:
        return None
    window = alarm.breach_seconds
    return ScalingDecision(
        ScaleOutcome.COOLDOWN,
        f"{rule.target_label} was scaled {round(now - last_scaled_at)} s ago; alarm {alarm.name} judges "
        f"{window} s of data ({alarm.evaluation_periods} x {alarm.period_seconds} s), so its ALARM state does not "
        f"show that change yet: {left} s left",
        retry_after_seconds=left,
    )


def _until_judged(rule: ScalingRule, alarm: AlarmDetails, since: float, now: float) -> int | None:
    """Seconds until the alarm has judged a whole evaluation window (period x evaluation periods) of data
    after ``since`` and the rule's cooldown; None when that is already so, or the window is not known."""
    window = alarm.breach_seconds
    if not window:
        return None
    ready = since + rule.cooldown_seconds + window
    return math.ceil(ready - now) if now < ready else None


def waiting_without_a_record(
    rule: ScalingRule, alarm: AlarmDetails, transition: AlarmTransition, now: float
) -> ScalingDecision | None:
    """For a tracking rule's follow-up that finds no record of a last change (none was made, or its record
    is lost): no datapoint can be told to have seen a change, so none sizes a step. The follow-up waits as
    if the target had changed at the transition, until the alarm has judged a whole evaluation window
    (period x evaluation periods) after it; after that, the rule's own step applies to an alarm still in
    ALARM."""
    left = _until_judged(rule, alarm, transition.changed_at, now)
    if left is None:
        return None
    window = alarm.breach_seconds
    return ScalingDecision(
        ScaleOutcome.COOLDOWN,
        f"no record of a change to {rule.target_label} since alarm {alarm.name} went to ALARM "
        f"{round(now - transition.changed_at)} s ago, so no datapoint of its metric can be told to have seen one: "
        f"the step is not sized from the metric; waiting until the alarm has judged {window} s of data after "
        f"it ({alarm.evaluation_periods} x {alarm.period_seconds} s): {left} s left",
        retry_after_seconds=left,
    )


def group_out_of_scope(group_name: str) -> str:
    return f"group {group_name} is not in AutoScalingGroupNames: the suite may not change it"


def refuse_group_out_of_scope(rule: ScalingRule, group: GroupStatus) -> ScalingDecision:
    """A cluster rule whose group the stack was not given: refused before any write, in a sentence, rather
    than left to IAM's AccessDenied (which would come after the cooldown was taken)."""
    return ScalingDecision(
        ScaleOutcome.OUT_OF_SCOPE,
        f"{group_out_of_scope(group.name)} (scale-{rule.direction.value} of cluster {rule.cluster}, "
        f"alarm {rule.alarm_name})",
        group_capacity=(group.desired, group.desired),
    )


def _deferred(group: GroupStatus) -> ScalingDecision | None:
    if group.managed_by:
        return ScalingDecision(
            ScaleOutcome.DEFERRED,
            f"group {group.name} is scaled by {group.managed_by}; changing its capacity here would fight it",
        )
    if group.unknown_weights:
        return ScalingDecision(ScaleOutcome.DEFERRED, _unknown_weights(group))
    return None


def _group_bounds(rule: ScalingRule, group: GroupStatus) -> tuple[int, int]:
    """The rule may narrow the group's bounds, never widen them: AWS rejects a desired capacity
    outside MinSize..MaxSize with a ValidationError."""
    low = max(group.minimum, rule.minimum if rule.minimum is not None else group.minimum)
    high = min(group.maximum, rule.maximum if rule.maximum is not None else group.maximum)
    return low, max(low, high)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _towards(direction: Direction, current: int, target: int) -> int:
    """A scale-out never lowers the count and a scale-in never raises it, even when the current
    count lies outside the bounds (set by hand, or by a derived rule's default maximum of 20)."""
    return max(current, target) if direction is Direction.OUT else min(current, target)


def _size(size: Resources) -> str:
    return f"{size.cpu} CPU / {size.memory} MiB"


# A consolidation removes at most this many hosts in one decision, whatever its budget: each costs the runner
# a ListTasks and a DescribeTasks (its tasks) and a TerminateInstanceInAutoScalingGroup, about 0.1 s apiece
# and more once Auto Scaling throttles, inside the function's 60 s timeout. The next look takes more.
MAX_HOSTS_PER_DECISION = 50
# After a change, metrics need a few periods to show its effect before the alarm is judged again.
MIN_FOLLOW_UP_SECONDS = 60
# Whatever happens, an alarm is looked at no more often than this after one transition: a bound on
# the loop that holds even if a rule's bounds were absurdly wide.
MAX_LOOKS_PER_TRANSITION = 200


def decide_follow_up(
    transition: AlarmTransition,
    rule: ScalingRule,
    decision: ScalingDecision,
    *,
    dry_run: bool,
    max_follow_ups: int,
    alarm_window_seconds: int | None = None,
    alarm_period_seconds: int | None = None,
) -> int | None:
    """Seconds until the alarm is looked at again, or None.

    CloudWatch announces a transition once; an alarm that stays in ALARM after a change, or through
    a cooldown or a deployment, says nothing more. So the job looks again itself, after the cooldown,
    and stops as soon as the alarm is no longer in ALARM, a bound or a refusal is reached, or after
    ``max_follow_ups`` looks in a row that changed nothing. Looks that change something are not
    capped by it: each moves one step towards a bound, where the chain ends (a sustained spike keeps
    scaling until the alarm recovers or the bound is reached), and ``MAX_LOOKS_PER_TRANSITION``
    bounds them all.

    ``alarm_window_seconds`` (period x evaluation periods; None if unknown): after a change, the
    alarm's state means something about it only once a whole window of data has come in after it.

    A rule that tracks the metric (``rule.tracking``) reads the newest datapoint at each look, so it looks
    again every ``alarm_period_seconds`` while the alarm stays in ALARM, as target tracking acts on every
    datapoint, and a look that finds the count already enough (``ON_TARGET``) is an idle one.
    """
    if dry_run or transition.follow_up >= MAX_LOOKS_PER_TRANSITION:
        return None
    if decision.outcome.counts_as_idle and transition.idle_looks >= max_follow_ups:
        return None
    every_datapoint = alarm_period_seconds if rule.tracking is not None and alarm_period_seconds else None
    if decision.outcome.acted:
        delay = every_datapoint or max(rule.cooldown_seconds + (alarm_window_seconds or 0), MIN_FOLLOW_UP_SECONDS)
    elif decision.outcome in (ScaleOutcome.COOLDOWN, ScaleOutcome.ALREADY_ACTED):
        delay = decision.retry_after_seconds or MIN_FOLLOW_UP_SECONDS
    elif decision.outcome is ScaleOutcome.ON_TARGET:
        delay = every_datapoint or decision.retry_after_seconds or MIN_FOLLOW_UP_SECONDS
    elif decision.outcome is ScaleOutcome.DEPLOYMENT_IN_PROGRESS:
        delay = max(rule.cooldown_seconds, MIN_FOLLOW_UP_SECONDS)
    elif decision.outcome in (ScaleOutcome.QUIET_WINDOW, ScaleOutcome.BUDGET_SPENT):
        delay = decision.retry_after_seconds or MIN_FOLLOW_UP_SECONDS
    else:
        return None
    return max(1, min(SQS_MAX_DELAY_SECONDS, delay))


def _no_draining_hook(group_name: str, termination_hooks: tuple[str, ...], prefix: str | None) -> str:
    if prefix is None:
        return (
            f"group {group_name} has no ECS managed draining hook, and this stack has no drain job (EnableDrain "
            f"is false) to answer its own{': ' + ', '.join(termination_hooks) if termination_hooks else ''}; a "
            "host terminated through the group could go with its tasks on it. Deploy the drain job with the "
            "scale job, or turn on ECS managed instance draining, and scale-in resumes"
        )
    add = (
        "Add the hook (the stack's HookAutoScalingGroupName parameter creates it, or add your own named "
        f"{prefix}-...) and scale-in resumes"
    )
    if not termination_hooks:
        return (
            f"group {group_name} has no termination lifecycle hook (autoscaling:EC2_INSTANCE_TERMINATING): a host "
            "terminated through it would stop at once, its tasks with it, before the drain job could move them. " + add
        )
    return (
        f"group {group_name}'s termination lifecycle hook(s) {', '.join(termination_hooks)} are not the drain's "
        f"(named {prefix}..., DrainHookNamePrefix) nor ECS managed draining's: a host terminated through the group "
        "would be let go by their handlers whatever still runs on it. " + add
    )
