"""Runs the drain job's steps against AWS through the adapters; every choice is made in ``decide``."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from botocore.exceptions import BotoCoreError, ClientError

from fleetops.aws.autoscaling import AutoScalingAdapter
from fleetops.aws.clients import error_code
from fleetops.aws.drain_records import COMPLETED_ON_ECS_EVENT, COMPLETED_ON_RECHECK, DrainRecords
from fleetops.aws.ecs import ClusterNotFoundError, EcsAdapter
from fleetops.aws.messaging import DelayedQueue
from fleetops.drain.capacity import StrandedView, decide_growth, leaving
from fleetops.drain.decide import (
    decide_next_step,
    decide_start,
    drain_deadline,
    failed_recheck_retry_seconds,
    refuse_stale_action,
    refuse_unless_waiting,
    spare_other_hooks,
)
from fleetops.drain.settings import DrainSettings
from fleetops.errors import BadInputError, LifecycleActionGoneError
from fleetops.models.drain import (
    ContainerInstanceEmptied,
    DrainAction,
    DrainDecision,
    DrainOutcome,
    DrainRequest,
    DrainState,
    DrainStepReport,
    GroupGrowth,
    HostObservation,
)
from fleetops.models.ecs import ContainerInstance, TaskOnHost, cluster_name
from fleetops.models.lifecycle import ECS_MANAGED_DRAINING_HOOK, LifecycleAction, LifecycleResult
from fleetops.observability import logger

STOP_REASON = "ecs-fleet-ops: host is draining for termination"
# How often a drain whose tasks have nowhere to go looks at the cluster's capacity again: the hosts a growth
# launched need a few minutes to boot and register (90 s in the simulated fleet), and a look costs a
# listing of the cluster's hosts and of the leaving hosts' tasks.
CAPACITY_LOOK_INTERVAL_SECONDS = 600


class ClusterNotAllowedError(BadInputError):
    """The hook names a cluster the stack may not act on."""


class DrainRunner:
    def __init__(
        self,
        *,
        ecs: EcsAdapter,
        autoscaling: AutoScalingAdapter,
        rechecks: DelayedQueue,
        settings: DrainSettings,
        clock: Callable[[], float],
        records: DrainRecords | None = None,
    ) -> None:
        self._records = records
        self._ecs = ecs
        self._autoscaling = autoscaling
        self._rechecks = rechecks
        self._settings = settings
        self._clock = clock

    def start(self, request: DrainRequest) -> DrainStepReport:
        """First invocation for a host: prove the action is live, find the host, set it DRAINING, and take
        the first look."""
        now = self._clock()
        if request.lifecycle_action is not None:
            refusal = self._refusal(request.lifecycle_action)
            if refusal is not None:
                return DrainStepReport(
                    ec2_instance_id=request.ec2_instance_id,
                    decision=refusal,
                    lifecycle_action=request.lifecycle_action,
                    started_at=now,
                    finished_at=now,
                )
        container_instance = self.locate(request.ec2_instance_id, request.cluster_hint)
        start = decide_start(container_instance)
        if start.complete_now is not None:
            return self._finish_without_state(request, container_instance, start.complete_now, now)
        assert container_instance is not None  # decide_start completes at once when there is none

        cluster = container_instance.cluster_arn
        if start.set_draining:
            self._ecs.set_draining(cluster, container_instance.arn)
        tasks = self._ecs.tasks_on_host(cluster, container_instance.arn)

        if request.lifecycle_action is None:
            # A Spot interruption: the instance is gone in two minutes and there is no hook to
            # complete. DRAINING makes ECS move the service tasks now; nothing is left to wait for.
            decision = DrainDecision(
                action=DrainAction.COMPLETE,
                outcome=DrainOutcome.SPOT_DRAINING,
                reason=f"Spot interruption warning: host set to DRAINING with {len(tasks)} task(s) on it",
            )
            return DrainStepReport(
                ec2_instance_id=request.ec2_instance_id,
                decision=decision,
                lifecycle_action=None,
                cluster_arn=cluster,
                container_instance_arn=container_instance.arn,
                tasks_at_start=len(tasks),
                tasks_left=len(tasks),
                started_at=now,
                finished_at=now,
                started_now=True,
            )

        state = self._first_state(
            request, request.lifecycle_action, container_instance, tasks, now, set_draining=start.set_draining
        )
        # The instance was in its wait state and the heartbeat restarted the action's timer moments ago
        # (``_refusal``): the first look spends no further Auto Scaling call.
        observation = HostObservation(
            request.lifecycle_action.wait_state, tuple(tasks), frozenset(state.daemon_services)
        )
        report = self._step(state, observation, now, heartbeat=False)
        if report.decision.action in (DrainAction.WAIT, DrainAction.STOP_LEFTOVERS):
            self._keep(state)  # ECS's event, when the host is empty, finds the drain by its instance
        return replace(report, started_now=True)

    def _refusal(self, action: LifecycleAction) -> DrainDecision | None:
        """Before anything is changed, the event must name a live action: the instance waits on a
        termination in the event's group, and a heartbeat with the event's token is accepted (which also
        restarts the action's heartbeat timer). A replayed event, a redriven dead letter or a test
        publish naming a healthy host is refused here."""
        refusal = refuse_unless_waiting(action, self._autoscaling.instance_lifecycle(action.ec2_instance_id))
        try:
            # Tried even when the read disagrees: nothing documents how soon DescribeAutoScalingInstances
            # shows a new wait state, nor that it lists an instance terminated out of a warm pool
            # (Warmed:Terminating:Wait). An accepted heartbeat for the event's group, hook, token and
            # instance is the proof; one refused changes nothing.
            self._autoscaling.record_heartbeat(action)
        except LifecycleActionGoneError:
            return refusal or refuse_stale_action(action)
        except ClientError as error:
            if refusal is not None and error_code(error) == "ValidationError":
                return refusal  # e.g. an instance in no group: the read's refusal says it better
            raise
        if refusal is not None:
            logger.warning(
                "Auto Scaling accepted a heartbeat for an action DescribeAutoScalingInstances did not show: "
                "the action is live, draining",
                extra={"ec2_instance_id": action.ec2_instance_id, "read": refusal.reason},
            )
        return None

    def _first_state(
        self,
        request: DrainRequest,
        action: LifecycleAction,
        container_instance: ContainerInstance,
        tasks: list[TaskOnHost],
        now: float,
        *,
        set_draining: bool,
    ) -> DrainState:
        cluster = container_instance.cluster_arn
        hooks = self._autoscaling.lifecycle_hooks(action.auto_scaling_group)
        own = next((hook for hook in hooks if hook.name == action.hook_name), None)
        beside_managed_draining = any(h.name == ECS_MANAGED_DRAINING_HOOK and h.is_termination for h in hooks)
        if beside_managed_draining:
            logger.warning(
                "the group also has ECS managed instance draining's hook: ECS and this drain both drain the host",
                extra={"auto_scaling_group": action.auto_scaling_group, "hook": ECS_MANAGED_DRAINING_HOOK},
            )
        # The action began when Auto Scaling announced it; a retried or redriven event is older than now.
        action_started_at = min(now, request.announced_at) if request.announced_at is not None else now
        global_timeout = own.global_timeout if own else None
        deadline, clamped = drain_deadline(now, action_started_at, self._settings.drain_budget_seconds, global_timeout)
        services = {task.service_name for task in tasks if task.service_name}
        return DrainState(
            cluster_arn=cluster,
            container_instance_arn=container_instance.arn,
            ec2_instance_id=request.ec2_instance_id,
            lifecycle_action=action,
            started_at=now,
            deadline=deadline,
            tasks_at_start=len(tasks),
            daemon_services=tuple(sorted(self._ecs.daemon_services(cluster, services)))
            if services and self._settings.stop_leftover_tasks
            else (),
            heartbeat_timeout=own.heartbeat_timeout if own else None,
            kept_alive_at=now,  # the heartbeat of ``_refusal``
            global_timeout=global_timeout,
            deadline_clamped=clamped,
            set_draining=set_draining,
            beside_managed_draining=beside_managed_draining,
        )

    def complete_on_ecs_event(self, event: ContainerInstanceEmptied) -> DrainStepReport | str:
        """ECS says the host is DRAINING with no task running or pending: complete its drain now, as a
        re-check would and with the same checks (the action still waits, no task left on the host, counted
        by the drain itself: ECS's counts leave out tasks still DEACTIVATING or STOPPING). Nothing else is
        done: no heartbeat, no re-check sent; a drain not ready yet goes on with its re-check loop. Returns
        the step's report, or why nothing was done."""
        if self._records is None:
            return "no drain records are kept"
        found = self._records.find(event.ec2_instance_id)
        if found is None:
            return "no drain of the suite waits on this instance"
        state, completed_by = found
        if completed_by is not None or state.container_instance_arn != event.container_instance_arn:
            return "the drain of this instance has ended already" if completed_by else "another host's drain"
        now = self._clock()
        seen = self._autoscaling.instance_lifecycle(state.ec2_instance_id)
        tasks = self._ecs.tasks_on_host(state.cluster_arn, state.container_instance_arn)
        observation = HostObservation(seen.state if seen else None, tuple(tasks), frozenset(state.daemon_services))
        decision = decide_next_step(state, observation, self._settings, now)
        if decision.outcome is not DrainOutcome.DRAINED:
            return f"not completed on this event: {decision.reason}"
        assert state.lifecycle_action is not None
        if not self._records.claim_completion(state, COMPLETED_ON_ECS_EVENT):
            return "a re-check is completing this drain"
        decision = replace(decision, reason=f"{decision.reason} (ECS's container instance event said so)")
        completed = self._complete(state.lifecycle_action, decision)
        return DrainStepReport.of_drain(state, decision, now=now, completed=completed)

    def recheck(self, state: DrainState) -> DrainStepReport:
        """One cycle of the durable wait: still ours? heartbeat, look at the tasks, decide."""
        now = self._clock()
        seen = self._autoscaling.instance_lifecycle(state.ec2_instance_id) if state.lifecycle_action else None
        # Looked at even when the action is no longer ours: the alert then says what was left behind.
        try:
            tasks, cluster_deleted = self._ecs.tasks_on_host(state.cluster_arn, state.container_instance_arn), False
        except ClusterNotFoundError:
            # Its tasks cannot run anywhere: the drain ends with a reason instead of failing until the
            # re-check is dead-lettered without one.
            tasks, cluster_deleted = [], True
        observation = HostObservation(
            seen.state if seen else None, tuple(tasks), frozenset(state.daemon_services), cluster_deleted
        )
        return self._step(state, observation, now, heartbeat=True)

    def bring_recheck_back_sooner(
        self, receipt_handle: str, state: DrainState, *, not_before_seconds: float = 0.0, why: str
    ) -> None:
        """Have SQS return this re-check before the hook's heartbeat timer runs out, when the queue's
        visibility timeout would not (``failed_recheck_retry_seconds``), and never sooner than
        ``not_before_seconds``. Used twice: before the work, at least past the invocation's own end, so
        a runtime that dies (a timeout, an out-of-memory kill) has its re-check back in time; after a
        failure the function caught, as soon as a third of the time left. Best effort: if SQS refuses,
        the message comes back after the queue's visibility timeout."""
        now = self._clock()
        seconds = failed_recheck_retry_seconds(state, now, self._settings.recheck_visibility_timeout_seconds)
        if seconds is None:
            return
        seconds = max(seconds, math.ceil(not_before_seconds))
        if state.heartbeat_left(now) <= seconds:
            return  # it would come too late all the same: the queue's own timeout reports the expiry
        try:
            self._rechecks.return_sooner(receipt_handle, seconds)
        except (ClientError, BotoCoreError) as error:
            logger.warning(
                "could not bring the re-check back sooner; SQS returns it after the queue's visibility timeout",
                extra={"ec2_instance_id": state.ec2_instance_id, "error": str(error), "why": why},
            )
            return
        logger.info(
            "re-check comes back sooner if it fails, before the hook's heartbeat timeout",
            extra={"ec2_instance_id": state.ec2_instance_id, "retry_in_seconds": seconds, "why": why},
        )

    def locate(self, ec2_instance_id: str, cluster_hint: str | None) -> ContainerInstance | None:
        """The hook's cluster, then the named ones, then (only with ``*``) every cluster. None (not in ECS)
        only when that search could have found it: every cluster was searched, or the hook named one of
        the stack's clusters."""
        allowed = self._settings.clusters
        outside = bool(cluster_hint and not allowed.includes(cluster_name(cluster_hint)))
        # A cluster outside ClusterNames is never asked (IAM would refuse): the host may still be in
        # one of the stack's own clusters (a wrong or stale hint).
        candidates = list(dict.fromkeys([c for c in (None if outside else cluster_hint, *allowed.names) if c]))
        if allowed.everything:
            # Searching every cluster needs account-wide ECS read access, which the template grants
            # only when ClusterNames is *.
            candidates.extend(arn for arn in self._ecs.cluster_arns() if cluster_name(arn) not in candidates)
        for cluster in candidates:
            try:
                found = self._ecs.find_container_instance(cluster, ec2_instance_id)
            except ClusterNotFoundError:
                logger.warning(
                    "cluster does not exist; looking elsewhere",
                    extra={"cluster": cluster, "named_by_hook": cluster == cluster_hint},
                )
                continue
            if found is not None:
                return found
        if outside:
            # Not in the stack's clusters, so most likely in the one the hook names, which the stack
            # may not touch: releasing it as "not in ECS" would terminate it undrained.
            raise ClusterNotAllowedError(
                f"{ec2_instance_id} is not in the stack's clusters {list(allowed.names)}, and the hook names cluster "
                f"{cluster_name(str(cluster_hint))!r}, outside ClusterNames: add it there to have its hosts drained"
            )
        if not allowed.everything and not cluster_hint:
            # Only the stack's clusters were searched, and nothing says the host belongs to one of them: it
            # may run tasks in a cluster this stack may not see (another stack of the suite, with the
            # default hook name prefix and no AutoScalingGroupNames, hears the same hooks). "Not in ECS"
            # is said only after every cluster was searched, or the hook named the cluster.
            raise ClusterNotAllowedError(
                f"{ec2_instance_id} is in none of the stack's clusters {list(allowed.names)} and its hook names no "
                "cluster: it may be in a cluster outside ClusterNames, so it is not released as 'not in ECS'. "
                'Name its cluster in the hook\'s NotificationMetadata ({"cluster": "<name>"}) or add the cluster '
                "to ClusterNames; keep another stack's hooks out with AutoScalingGroupNames or a "
                "DrainHookNamePrefix of its own"
            )
        return None

    def _step(self, state: DrainState, observation: HostObservation, now: float, *, heartbeat: bool) -> DrainStepReport:
        decision = decide_next_step(state, observation, self._settings, now)
        completed = reactivated = False
        growth: GroupGrowth | None = None
        next_state = state.next_attempt()
        if heartbeat:
            decision = self._mind_ecs_events(state, decision)
        if decision.action is DrainAction.COMPLETE and decision.result and state.lifecycle_action:
            if decision.result is LifecycleResult.ABANDON:
                hooks = self._autoscaling.lifecycle_hooks(state.lifecycle_action.auto_scaling_group)
                decision = spare_other_hooks(decision, state.lifecycle_action, hooks)
            # "No active Lifecycle Action found" counts as done: the decision stands as made.
            completed = self._complete(state.lifecycle_action, decision)
        elif decision.action is DrainAction.RESTORE and state.set_draining:
            # A drain never leaves a host DRAINING that is not leaving; one it did not drain is not its own.
            self._ecs.set_active(state.cluster_arn, state.container_instance_arn)
            reactivated = True
        elif decision.action in (DrainAction.WAIT, DrainAction.STOP_LEFTOVERS):
            if heartbeat and not self._heartbeat(state):
                decision = _expired(decision)
            else:
                next_state = state.next_attempt(kept_alive_at=now if heartbeat else None)
                if heartbeat:
                    decision, next_state, growth = self._look_at_capacity(state, observation, decision, next_state, now)
                if decision.action is DrainAction.STOP_LEFTOVERS:
                    for task_arn in decision.tasks_to_stop:
                        self._ecs.stop_task(state.cluster_arn, task_arn, STOP_REASON)
                    next_state = replace(next_state, leftovers_stopped=True)
                self._rechecks.send(next_state.to_json(), decision.wait_seconds)
        return DrainStepReport.of_drain(
            state,
            decision,
            now=now,
            completed=completed,
            tasks_left=len(observation.active_tasks),
            host_reactivated=reactivated,
            growth=growth,
            group_growth=next_state.group_growth or state.group_growth,
        )

    def _mind_ecs_events(self, state: DrainState, decision: DrainDecision) -> DrainDecision:
        """A re-check and ECS's event may both find the host empty: the one that claims the completion
        completes, the other stands down. A re-check that finds its action ended, by the event, says so
        quietly rather than alerting about a completion elsewhere. Without the store, a re-check completes
        as it always did (a second completion is refused by Auto Scaling, and counted as done)."""
        if self._records is None or state.lifecycle_action is None:
            return decision
        if decision.outcome not in (DrainOutcome.COMPLETED_ELSEWHERE, DrainOutcome.DRAINED):
            return decision
        try:
            if decision.outcome is DrainOutcome.DRAINED:
                event_came_first = not self._records.claim_completion(state, COMPLETED_ON_RECHECK)
            else:
                found = self._records.find(state.ec2_instance_id)
                event_came_first = (
                    found is not None
                    and found[1] == COMPLETED_ON_ECS_EVENT
                    and found[0].lifecycle_action == state.lifecycle_action
                )
        except (ClientError, BotoCoreError) as error:
            logger.warning("could not read or claim the drain's record", extra={"error": str(error)})
            return decision
        if not event_came_first:
            return decision
        if decision.outcome is DrainOutcome.DRAINED:
            # The event claimed it, yet the action still waits: that completion is under way or failed. Completing
            # again is harmless (Auto Scaling refuses a second one, counted as done) and never leaves it waiting.
            return replace(
                decision,
                outcome=DrainOutcome.COMPLETED_ON_ECS_EVENT,
                reason=f"{decision.reason}; claimed by ECS's container instance event, completed here too",
            )
        return DrainDecision(
            action=DrainAction.STOP_WATCHING,
            outcome=DrainOutcome.COMPLETED_ON_ECS_EVENT,
            reason="the drain was completed on ECS's container instance event, once no task was left on the host",
        )

    def _keep(self, state: DrainState) -> None:
        """Best effort: without the record, ECS's event finds no drain and the re-check loop completes it."""
        if self._records is None or state.lifecycle_action is None:
            return
        try:
            self._records.keep(state)
        except (ClientError, BotoCoreError) as error:
            logger.warning(
                "could not keep the drain's record; it completes at a re-check, not on ECS's event",
                extra={"ec2_instance_id": state.ec2_instance_id, "error": str(error)},
            )

    def _look_at_capacity(
        self,
        state: DrainState,
        observation: HostObservation,
        decision: DrainDecision,
        next_state: DrainState,
        now: float,
    ) -> tuple[DrainDecision, DrainState, GroupGrowth | None]:
        """When due, the look for a place for the leaving hosts' tasks (``_grow_for_stranded_tasks``); its
        finding joins the step's reason and, when the group grew, the drain's state for its last report."""
        if not self._capacity_look_due(state, observation, now):
            return decision, next_state, None
        try:
            growth = self._grow_for_stranded_tasks(state)
        except (ClientError, BotoCoreError, ClusterNotFoundError) as error:
            # Best effort: the drain goes on, and the next re-check looks again.
            logger.warning(
                "could not look at the cluster's capacity for the draining hosts' tasks",
                extra={"ec2_instance_id": state.ec2_instance_id, "error": str(error)},
            )
            return decision, next_state, None
        next_state = replace(next_state, capacity_looked_at=now)
        if growth is None:
            return decision, next_state, None
        if growth.raise_failed and state.group_growth == growth.reason:
            growth = replace(growth, attention=False)  # said once; the next look asks again, quietly
        last_word = _last_word(growth)
        if last_word and last_word != state.group_growth:
            next_state = replace(next_state, group_growth=last_word)
            self._keep(next_state)  # a completion on ECS's event reports it too
        return replace(decision, reason=f"{decision.reason}; {growth.reason}"), next_state, growth

    def _capacity_look_due(self, state: DrainState, observation: HostObservation, now: float) -> bool:
        """A look at the cluster's capacity is due when service tasks still hold the host (ECS moves them
        once their replacements have a place), at the first re-check and then every
        ``CAPACITY_LOOK_INTERVAL_SECONDS``: soon enough that new hosts come well within the budget."""
        if state.lifecycle_action is None:
            return False
        if state.capacity_looked_at is not None and now - state.capacity_looked_at < CAPACITY_LOOK_INTERVAL_SECONDS:
            return False
        return any(
            task.service_name is not None and task.service_name not in observation.daemon_services
            for task in observation.active_tasks
        )

    def _grow_for_stranded_tasks(self, state: DrainState) -> GroupGrowth | None:
        """Look at every leaving host of the cluster and, when their service tasks fit on no host that
        stays, raise the group's desired capacity to the hosts they need (``capacity.decide_growth``)."""
        assert state.lifecycle_action is not None
        group_name = state.lifecycle_action.auto_scaling_group
        found = self._autoscaling.group(group_name)
        if found is None:
            return None
        group, instances = found
        # The scale job's own lookup: a group that a capacity provider scales is left to its managed scaling.
        group = replace(group, managed_by=self._ecs.managed_capacity_provider(state.cluster_arn, group_name))
        hosts = tuple(
            replace(
                host,
                lifecycle_state=instances[host.ec2_instance_id].lifecycle_state
                if host.ec2_instance_id in instances
                else None,
            )
            for host in self._ecs.cluster_hosts(state.cluster_arn)
        )
        view = StrandedView(
            group=group,
            hosts=hosts,
            tasks_by_leaving_host={
                host.container_instance_arn: tuple(
                    self._ecs.sized_tasks_on_host(state.cluster_arn, host.container_instance_arn)
                )
                for host in hosts
                if leaving(host) and host.tasks
            },
            daemon_services=frozenset(state.daemon_services),
            instance_states={instance: item.lifecycle_state for instance, item in instances.items()},
        )
        growth = decide_growth(view, group_in_scope=self._settings.auto_scaling_groups.includes(group_name))
        if growth is not None and growth.grows:
            assert growth.capacity is not None
            logger.info(
                "growing the group for the draining hosts' tasks",
                extra={"auto_scaling_group": group_name, "from": growth.capacity[0], "to": growth.capacity[1]},
            )
            try:
                self._autoscaling.set_desired_capacity(group_name, growth.capacity[1])
            except ClientError as error:
                # Said exactly (an IAM policy edited by hand, an SCP, the group gone): not "could not look at
                # the cluster's capacity" at every look and a budget run out with no reason.
                code = error_code(error) or "an error"
                return replace(
                    growth,
                    reason=(
                        f"{growth.tasks_without_place} task(s) of the leaving hosts fit on no host that stays, and "
                        f"raising group {group_name} from {growth.capacity[0]} to {growth.capacity[1]} failed: "
                        f"{code} on SetDesiredCapacity for group {group_name}"
                    ),
                    capacity=None,
                    attention=True,
                    raise_failed=True,
                )
        return growth

    def _complete(self, action: LifecycleAction, decision: DrainDecision) -> bool:
        assert decision.result is not None
        try:
            self._autoscaling.complete(action, decision.result)
        except LifecycleActionGoneError as gone:
            logger.info("lifecycle action already gone; nothing to complete", extra={"detail": str(gone)})
            return False
        return True

    def _heartbeat(self, state: DrainState) -> bool:
        assert state.lifecycle_action is not None
        try:
            self._autoscaling.record_heartbeat(state.lifecycle_action)
        except LifecycleActionGoneError:
            return False
        return True

    def _finish_without_state(
        self,
        request: DrainRequest,
        container_instance: ContainerInstance | None,
        decision: DrainDecision,
        now: float,
    ) -> DrainStepReport:
        completed = False
        if request.lifecycle_action is not None and decision.result is not None:
            completed = self._complete(request.lifecycle_action, decision)
        return DrainStepReport(
            ec2_instance_id=request.ec2_instance_id,
            decision=decision,
            lifecycle_action=request.lifecycle_action,
            cluster_arn=container_instance.cluster_arn if container_instance else None,
            container_instance_arn=container_instance.arn if container_instance else None,
            started_at=now,
            finished_at=now,
            started_now=True,
            lifecycle_action_completed=completed,
        )


def _last_word(growth: GroupGrowth) -> str:
    """What a look did about the group's capacity that the drain's last report must say (empty: nothing)."""
    if growth.grows:
        return (
            f"{growth.reason}. The hosts added stay until consolidation (the scale job's scale-in) removes those "
            "the cluster no longer needs"
        )
    if growth.left_to is not None or growth.raise_failed:
        return growth.reason
    return ""


def _expired(decision: DrainDecision) -> DrainDecision:
    return DrainDecision(
        action=DrainAction.STOP_WATCHING,
        outcome=DrainOutcome.ACTION_EXPIRED,
        reason=f"the lifecycle action is no longer active (timed out or completed elsewhere); was: {decision.reason}",
    )
