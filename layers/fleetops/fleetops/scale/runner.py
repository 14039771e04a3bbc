"""Runs one scale decision against AWS through the adapters; every choice is made in ``decide``."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from fleetops.aws.application_autoscaling import ApplicationAutoScalingAdapter
from fleetops.aws.autoscaling import AutoScalingAdapter
from fleetops.aws.bad_tags import BadTagReports
from fleetops.aws.cloudwatch import AlarmReader
from fleetops.aws.cooldowns import CooldownLedger, LastChange
from fleetops.aws.ecs import ClusterNotFoundError, EcsAdapter, deployment_in_progress
from fleetops.errors import BadInputError
from fleetops.models.scale import (
    AlarmDetails,
    AlarmTransition,
    ClusterView,
    Direction,
    GroupStatus,
    Host,
    PlacementFailure,
    Resources,
    ScaleOutcome,
    ScaleReport,
    ScalingDecision,
    ScalingRule,
    ServiceStatus,
    Step,
    TargetKind,
    cluster_target_key,
)
from fleetops.observability import logger
from fleetops.packing import scale_in_candidates
from fleetops.scale.decide import (
    decide_cluster_in,
    decide_cluster_out,
    decide_service,
    decide_waiting_tasks,
    held_back,
    hosts_to_remove,
    judging_the_last_change,
    refuse_group_out_of_scope,
    waiting_without_a_record,
)
from fleetops.scale.rules import UnknownAlarmError, resolve_rule
from fleetops.scale.settings import ScaleSettings
from fleetops.scale.tags import rule_with_tags

# Hosts whose tasks are looked at beyond the ones to remove: each costs a ListTasks and a
# DescribeTasks call, and a host further down the list is rarely the emptiest that fits.
EXTRA_CANDIDATES = 4
DESIRED_CAPACITY_SET = "group desired capacity set"


class TargetNotFoundError(BadInputError):
    """The rule names a service, cluster or group that does not exist: dead-lettered, never retried."""


class ScaleRunner:
    def __init__(
        self,
        *,
        ecs: EcsAdapter,
        autoscaling: AutoScalingAdapter,
        alarms: AlarmReader,
        application_autoscaling: ApplicationAutoScalingAdapter,
        cooldowns: CooldownLedger,
        settings: ScaleSettings,
        clock: Callable[[], float],
        bad_tags: BadTagReports | None = None,
    ) -> None:
        self._ecs = ecs
        self._bad_tags = bad_tags
        self._autoscaling = autoscaling
        self._alarms = alarms
        self._application_autoscaling = application_autoscaling
        self._cooldowns = cooldowns
        self._settings = settings
        self._clock = clock

    def run(self, transition: AlarmTransition) -> ScaleReport:
        alarm = self._alarms.details(transition.alarm_name)
        if alarm is None:
            raise UnknownAlarmError(f"alarm {transition.alarm_name!r} no longer exists")
        rule = resolve_rule(self._settings, transition, alarm)
        change = self._cooldowns.last_change(rule.target_key)
        last = change.at if change else None
        now = self._clock()
        metric_value = self._metric_value(transition, rule, alarm, change, now)
        # A tracking step with a value weighs the cooldown against its own size (decide_service), and a
        # value read after the last change is that change judged: neither waits here.
        tracks = metric_value is not None
        held = held_back(rule, alarm, None if tracks else last, now) or _already_acted(
            transition, rule, alarm, change, now
        )
        if held is None and transition.follow_up and not tracks:
            held = judging_the_last_change(rule, alarm, last, now)
            if held is None and last is None and rule.tracking is not None:
                held = waiting_without_a_record(rule, alarm, transition, now)
        group: GroupStatus | None = None
        if held is not None:
            decision = held  # no need to look at the cluster
        elif rule.kind is TargetKind.SERVICE:
            decision, group, rule = self._decide_service(
                rule, alarm, last, now, metric_value=metric_value, last_target=change.target if change else None
            )
        else:
            decision, group = self._decide_cluster(rule, alarm, last, now)
        report = ScaleReport(
            transition=transition,
            rule=rule,
            decision=decision,
            dry_run=self._settings.dry_run,
            alarm=alarm,
            group_name=group.name if group else rule.auto_scaling_group,
        )
        if not decision.outcome.acted or self._settings.dry_run:
            return report
        if not self._cooldowns.record(
            rule.target_key,
            now,
            rule.direction.value,
            previous=last,
            caused_by=transition.cause,
            transition_at=transition.changed_at,
            target=decision.service_count[1] if decision.service_count else None,
            cooldown_seconds=rule.cooldown_seconds,
        ):
            lost = ScalingDecision(
                ScaleOutcome.COOLDOWN,
                f"another decision scaled {rule.target_label} a moment ago; this one stands down "
                f"(was: {decision.reason})",
            )
            return replace(report, decision=lost)
        done: list[str] = []  # the changes AWS accepted, in order
        try:
            self._act(rule, decision, group, done)
        except Exception:
            if not done:
                # Nothing changed: give the cooldown back so that the retry may act.
                self._cooldowns.release(rule.target_key, now, previous=last)
            else:
                # Something did change (the group grew, then UpdateService failed): the cooldown
                # stands, or the retry would add the same hosts again on top of the new ones.
                logger.warning(
                    "scale change failed halfway: the cooldown is kept for what was changed",
                    extra={"target": rule.target_key, "changed": done},
                )
                self._start_cluster_cooldown(rule, decision, done, now)
            raise
        self._start_cluster_cooldown(rule, decision, done, now)
        return replace(report, acted=True)

    def _start_cluster_cooldown(
        self, rule: ScalingRule, decision: ScalingDecision, done: list[str], now: float
    ) -> None:
        if rule.kind is TargetKind.SERVICE and decision.group_capacity is not None and DESIRED_CAPACITY_SET in done:
            # The group grew for this service: the cluster's own cooldown starts too, or a low
            # reservation alarm could take the new, still empty host away before ECS fills it.
            cluster = cluster_target_key(rule.cluster)
            self._cooldowns.record(cluster, now, Direction.OUT.value, previous=self._cooldowns.last_scaled_at(cluster))

    # -- observing ------------------------------------------------------------------------------
    def _metric_value(
        self, transition: AlarmTransition, rule: ScalingRule, alarm: AlarmDetails, change: LastChange | None, now: float
    ) -> float | None:
        """The alarm's metric now, for a rule that sizes its step from it (None for the others, or when it
        cannot be known: the rule's step then applies). The transition carries the value that made it; a
        later look reads the metric's newest datapoint, one whose period started at or after the last change
        (so it measured only the count that change set). Without a record of the last change, no datapoint
        can be told to have seen it: a follow-up sizes nothing from the metric (``waiting_without_a_record``)."""
        if rule.tracking is None or rule.kind is not TargetKind.SERVICE:
            return None
        if not transition.follow_up and transition.latest_value is not None:
            return transition.latest_value
        if change is None:
            return None
        return self._alarms.latest_datapoint(alarm, since=max(change.at, transition.changed_at), now=now)

    def _decide_service(
        self,
        rule: ScalingRule,
        alarm: AlarmDetails,
        last: float | None,
        now: float,
        *,
        metric_value: float | None = None,
        last_target: int | None = None,
    ) -> tuple[ScalingDecision, GroupStatus | None, ScalingRule]:
        """The decision, the group looked at, and the rule as the service's tags narrowed it."""
        assert rule.service is not None
        service = self._service_status(rule.cluster, rule.service, f"rule for {rule.alarm_name!r}")
        rule, bad = rule_with_tags(rule, service.arn, service.tags)
        if bad and self._bad_tags is not None:
            self._bad_tags.report_once(bad)
        hosts: tuple[Host, ...] = ()
        group: GroupStatus | None = None
        if rule.direction is Direction.OUT and service.managed_by is None:
            hosts_list, group = self._hosts_and_group(rule, required=False)
            hosts = tuple(hosts_list)
        may_change = group is not None and self._settings.allows_group(group.name)
        decide = partial(
            decide_service,
            rule,
            alarm,
            service,
            hosts,
            group,
            last_scaled_at=last,
            now=now,
            group_may_change=may_change,
            metric_value=metric_value,
            last_target=last_target,
        )
        decision = decide()
        if decision.group_capacity is not None:
            # The group must grow: each new host also runs one task of every daemon service, so
            # look at those (only now: it costs a ListServices and a DescribeServices per 10).
            overhead = self._daemon_overhead(rule.cluster)
            if overhead.cpu or overhead.memory:
                decision = decide(daemon_overhead=overhead)
        return decision, group, rule

    def _service_status(self, cluster: str, name: str, asked_by: str) -> ServiceStatus:
        try:
            found = self._ecs.describe_service(cluster, name)
        except ClusterNotFoundError as error:
            raise TargetNotFoundError(f"cluster {cluster!r} does not exist ({asked_by})") from error
        if found is None:
            raise TargetNotFoundError(f"service {name!r} does not exist in cluster {cluster!r} ({asked_by})")
        return ServiceStatus(
            name=found.name,
            desired=found.desired_count,
            running=found.running_count,
            pending=found.pending_count,
            task_size=self._ecs.task_size(found.task_definition),
            host_ports=self._ecs.task_host_ports(found.task_definition),
            deployment_in_progress=deployment_in_progress(found),
            managed_by=self._application_autoscaling.service_target(cluster, name),
            arn=found.arn,
            tags=found.tags,
        )

    def _daemon_overhead(self, cluster: str) -> Resources:
        """What the daemon tasks of one new host reserve: one task of each daemon service."""
        overview = self._ecs.services_overview(cluster)
        sizes = [self._ecs.task_size(definition) for definition in overview.daemon_task_definitions]
        return Resources(sum(s.cpu for s in sizes), sum(s.memory for s in sizes))

    # -- a placement failure ---------------------------------------------------------------------
    def place_waiting_tasks(self, failure: PlacementFailure) -> tuple[ScalingDecision, bool]:
        """ECS could not place tasks of a service: raise its cluster's group to the hosts they need, in one
        call (``decide_waiting_tasks``). Returns the decision and whether the change was made. The change
        starts the cluster's cooldown, so a low reservation alarm does not take the new hosts away before ECS
        fills them; the cooldown does not hold this decision back (hosts launching are counted instead)."""
        if not self._settings.allows_cluster(failure.cluster):
            raise TargetNotFoundError(f"cluster {failure.cluster!r} is not in CLUSTER_NAMES")
        declared = next(
            (r for r in self._settings.rules if r.kind is TargetKind.CLUSTER and r.cluster == failure.cluster), None
        )
        rule = ScalingRule(
            alarm_name=f"placement failure of {failure.service}",
            kind=TargetKind.CLUSTER,
            cluster=failure.cluster,
            step=Step(1, False, Direction.OUT),
            cooldown_seconds=self._settings.scale_out_cooldown_seconds,
            auto_scaling_group=declared.auto_scaling_group if declared else None,
            derived=True,
        )
        asked_by = f"placement failure of service {failure.service}"
        service = self._service_status(failure.cluster, failure.service, asked_by)
        hosts, group = self._hosts_and_group(rule, required=False)
        may_change = group is not None and self._settings.allows_group(group.name)
        decision = decide_waiting_tasks(service, tuple(hosts), group, group_may_change=may_change)
        if decision.group_capacity is not None:
            overhead = self._daemon_overhead(failure.cluster)
            if overhead.cpu or overhead.memory:
                decision = decide_waiting_tasks(service, tuple(hosts), group, overhead, group_may_change=may_change)
        if not decision.outcome.acted or self._settings.dry_run or decision.group_capacity is None:
            return decision, False
        assert group is not None
        now = self._clock()
        last = self._cooldowns.last_scaled_at(rule.target_key)
        if not self._cooldowns.record(
            rule.target_key, now, Direction.OUT.value, previous=last, cooldown_seconds=rule.cooldown_seconds
        ):
            return (
                ScalingDecision(
                    ScaleOutcome.COOLDOWN,
                    f"another decision changed cluster {failure.cluster}'s group a moment ago; this one stands down "
                    f"(was: {decision.reason})",
                ),
                False,
            )
        try:
            self._autoscaling.set_desired_capacity(group.name, decision.group_capacity[1])
        except Exception:
            self._cooldowns.release(rule.target_key, now, previous=last)
            raise
        return decision, True

    def _decide_cluster(
        self, rule: ScalingRule, alarm: AlarmDetails, last: float | None, now: float
    ) -> tuple[ScalingDecision, GroupStatus | None]:
        hosts, group = self._hosts_and_group(rule, required=True)
        assert group is not None
        if not self._settings.allows_group(group.name):
            return refuse_group_out_of_scope(rule, group), group
        if rule.direction is Direction.OUT:
            return decide_cluster_out(rule, alarm, group, tuple(hosts), last_scaled_at=last, now=now), group
        overview = self._ecs.services_overview(rule.cluster)
        count = hosts_to_remove(rule, group, hosts)
        # The hosts of the zone(s) with the most instances come first: only they may go.
        looked_at = scale_in_candidates(hosts, group.instances_by_zone)[: count + EXTRA_CANDIDATES] if count else []
        # The tasks of hosts in Standby, and under a disruption budget of hosts already leaving, keep a place on
        # the others (packing.py): look at them too.
        looked_at += [
            host
            for host in hosts
            if count and host.tasks and (host.in_standby or (rule.step.consolidate and host.departing))
        ]
        view = ClusterView(
            cluster=rule.cluster,
            hosts=tuple(hosts),
            tasks_by_host={
                host.container_instance_arn: tuple(
                    self._ecs.sized_tasks_on_host(rule.cluster, host.container_instance_arn)
                )
                for host in looked_at
            },
            daemon_services=overview.daemons,
            deployments_in_progress=overview.deploying,
            unplaced_tasks=overview.unplaced,
        )
        decision = decide_cluster_in(
            rule,
            alarm,
            group,
            view,
            headroom_percent=self._settings.scale_in_headroom_percent,
            # Only asked when a host would go: one DescribeLifecycleHooks call.
            termination_hooks=self._autoscaling.termination_hooks(group.name) if count else (),
            drain_hook_name_prefix=self._settings.trusted_drain_hook_prefix,
            last_scaled_at=last,
            now=now,
        )
        return decision, group

    def _hosts_and_group(self, rule: ScalingRule, *, required: bool) -> tuple[list[Host], GroupStatus | None]:
        """The cluster's hosts, annotated with what their Auto Scaling group says, and the group."""
        try:
            hosts = self._ecs.cluster_hosts(rule.cluster)
        except ClusterNotFoundError as error:
            raise TargetNotFoundError(
                f"cluster {rule.cluster!r} does not exist (rule for {rule.alarm_name!r})"
            ) from error
        name = rule.auto_scaling_group or self._group_name(rule, hosts, required=required)
        if name is None:
            return [replace(host, lifecycle_state=None) for host in hosts], None
        found = self._autoscaling.group(name)
        if found is None:
            raise TargetNotFoundError(f"Auto Scaling group {name!r} does not exist (rule for {rule.alarm_name!r})")
        group, instances = found
        group = replace(group, managed_by=self._ecs.managed_capacity_provider(rule.cluster, name))
        annotated: list[Host] = []
        unknown: list[str] = []  # hosts whose units in the group neither Auto Scaling nor ECS tell
        for host in hosts:
            instance = instances.get(host.ec2_instance_id)
            if instance is None:
                annotated.append(replace(host, lifecycle_state=None))
                continue
            weight = _weight_of(host, instance.weight, group.capacity_type)
            if weight is None:
                unknown.append(host.ec2_instance_id)
            annotated.append(
                replace(
                    host,
                    lifecycle_state=instance.lifecycle_state,
                    protected_from_scale_in=instance.protected_from_scale_in,
                    zone=instance.zone,
                    weight=weight or 1,
                )
            )
        group = replace(group, unknown_weights=tuple(sorted(unknown)))
        if group.capacity_type == "vcpu" and group.units_per_host == 1:
            # No weights in the policy or the answer: a host adds what the smallest one counts for.
            known = [host.weight for host in annotated if host.lifecycle_state and host.ec2_instance_id not in unknown]
            group = replace(group, units_per_host=min(known, default=1))
        return annotated, group

    def _group_name(self, rule: ScalingRule, hosts: list[Host], *, required: bool) -> str | None:
        # The group is whatever group the cluster's hosts are in; the first 50 tell (one call).
        groups = set(self._autoscaling.groups_of([host.ec2_instance_id for host in hosts][:50]).values())
        if len(groups) == 1:
            return groups.pop()
        if not required:
            return None
        found = ", ".join(sorted(groups)) or "none"
        raise TargetNotFoundError(
            f"cannot tell which Auto Scaling group scales cluster {rule.cluster!r} (groups of its hosts: {found}); "
            f"name it as 'group' in the rule for {rule.alarm_name!r}"
        )

    # -- acting -----------------------------------------------------------------------------------
    def _lower_by_weights(self, group_name: str, intended: int, done: list[str]) -> None:
        """The documents do not say whether ShouldDecrementDesiredCapacity lowers a weighted group's desired
        capacity by the instance's weight or by 1 (docs/aws-behaviour.md). By 1, the group would launch a
        replacement for the rest: so the desired capacity is read back and, if above the intended one, set
        to it. Lowering it to what the remaining hosts count for makes Auto Scaling terminate none of them."""
        now = self._autoscaling.desired_capacity(group_name)
        if now is not None and now > intended:
            logger.info("lowering the desired capacity by the terminated hosts' weights", extra={"to": intended})
            self._autoscaling.set_desired_capacity(group_name, intended)
            done.append(DESIRED_CAPACITY_SET)

    def _act(self, rule: ScalingRule, decision: ScalingDecision, group: GroupStatus | None, done: list[str]) -> None:
        """Make the decided changes, noting in ``done`` each one AWS accepted."""
        if decision.hosts_to_terminate:
            for instance_id in decision.hosts_to_terminate:
                logger.info("terminating host through its group", extra={"ec2_instance_id": instance_id})
                self._autoscaling.terminate_through_group(instance_id)
                done.append(f"terminated {instance_id}")
            if group is not None and group.weighted and decision.group_capacity is not None:
                self._lower_by_weights(group.name, decision.group_capacity[1], done)
            return
        if decision.group_capacity is not None and decision.group_capacity[0] != decision.group_capacity[1]:
            assert group is not None
            self._autoscaling.set_desired_capacity(group.name, decision.group_capacity[1])
            done.append(DESIRED_CAPACITY_SET)
        if decision.service_count is not None and decision.service_count[0] != decision.service_count[1]:
            assert rule.service is not None
            self._ecs.set_desired_count(rule.cluster, rule.service, decision.service_count[1])
            done.append("service count set")


def _weight_of(host: Host, reported: int | None, capacity_type: str) -> int | None:
    """The units a host counts for: what Auto Scaling reports; in a group counted in vCPUs without it, the
    vCPUs ECS registered (ECS registers 1,024 CPU units per vCPU); else unknown. ECS registers less memory
    than the instance has (the agent reserves some), so it cannot stand in for a memory-mib weight."""
    if reported is not None:
        return reported
    if capacity_type == "vcpu" and host.registered.cpu >= CPU_UNITS_PER_VCPU:
        return host.registered.cpu // CPU_UNITS_PER_VCPU
    return None


CPU_UNITS_PER_VCPU = 1024


def _already_acted(
    transition: AlarmTransition, rule: ScalingRule, alarm: AlarmDetails, change: LastChange | None, now: float
) -> ScalingDecision | None:
    """The same transition delivered again under another idempotency key (EventBridge and SNS need not
    carry the same timestamp): it changed the target once already. Like a cooldown, a follow-up looks
    again once the alarm has judged that change (the first delivery's own follow-up does too)."""
    if change is None or not transition.made(change.caused_by, change.transition_at):
        return None
    judged_at = change.at + rule.cooldown_seconds + (alarm.breach_seconds or 0)
    return ScalingDecision(
        ScaleOutcome.ALREADY_ACTED,
        f"alarm {transition.alarm_name}'s transition to {transition.new_state.value} already changed "
        f"{rule.target_label} {round(now - change.at)} s ago: this is a second delivery of it",
        retry_after_seconds=max(1, math.ceil(judged_at - now)),
    )
