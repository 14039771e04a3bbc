"""Pure decisions of the drain job: no AWS, no clock, no I/O. Everything is passed in."""

from __future__ import annotations

import math
from dataclasses import replace

from fleetops.drain.settings import DrainSettings
from fleetops.models.drain import (
    DrainAction,
    DrainDecision,
    DrainOutcome,
    DrainState,
    HostObservation,
    StartDecision,
)
from fleetops.models.ecs import ContainerInstance, TaskOnHost
from fleetops.models.lifecycle import (
    IN_SERVICE_STATES,
    InstanceLifecycle,
    LifecycleAction,
    LifecycleHook,
    LifecycleResult,
)

# Statuses in which a container instance cannot run tasks: there is nothing to wait for.
_GONE_STATUSES = frozenset({"INACTIVE", "DEREGISTERING", "REGISTRATION_FAILED"})
# How long before the hook's global timeout a drain ends by itself: two function timeouts (60 s each,
# template Globals), so a last re-check that comes late, or is retried once, still completes the action
# with the configured result before Auto Scaling applies the hook's default. The shortest global
# timeout is 3000 s (100 x the 30 s minimum heartbeat), so the margin never takes more than 4 % of it.
GLOBAL_TIMEOUT_MARGIN_SECONDS = 120
_REPLAY = "a replayed event, a redriven dead letter or a test publish"
# A failed re-check must come back, and heartbeat, before the hook's heartbeat timer runs out. Its own
# run may take up to the botocore retries' worst case (24 s, fleetops/aws/clients.py RETRY_CONFIG) and
# then some: 30 s of margin. It never comes back sooner than 5 s (a moment for a throttle to pass).
FAILED_RECHECK_MARGIN_SECONDS = 30
FAILED_RECHECK_MIN_RETRY_SECONDS = 5


# -- before anything is changed: is this a live lifecycle action? ---------------------------------------
def refuse_unless_waiting(action: LifecycleAction, seen: InstanceLifecycle | None) -> DrainDecision | None:
    """Refuse an event whose instance is not waiting on a termination in the event's group: draining it
    would take a healthy host out of service (issue 10, item 3). None: it waits, go on."""
    if seen is not None and seen.auto_scaling_group == action.auto_scaling_group and seen.state == action.wait_state:
        return None
    where = (
        "is in no Auto Scaling group"
        if seen is None
        else f"is {seen.state} in group {seen.auto_scaling_group}"
        if seen.auto_scaling_group != action.auto_scaling_group
        else f"is {seen.state}"
    )
    return DrainDecision(
        action=DrainAction.REFUSE,
        outcome=DrainOutcome.NOT_TERMINATING,
        reason=(
            f"{action.ec2_instance_id} {where}, not {action.wait_state} in group {action.auto_scaling_group}: "
            f"the event names no live termination ({_REPLAY}); nothing was changed"
        ),
    )


def spare_other_hooks(
    decision: DrainDecision, action: LifecycleAction, hooks: tuple[LifecycleHook, ...]
) -> DrainDecision:
    """ABANDON on a terminating instance "stops any remaining actions, such as other lifecycle hooks"
    (Auto Scaling User Guide, "Add lifecycle hooks", Default result): a log shipper's or a node handler's action,
    still within its own time, would be cut short by the drain (issue 10, item 2). With another
    termination hook on the group, CONTINUE is sent instead (the instance goes once every hook is done)
    and the report says so; that also forgoes ``TerminateHookAbandon: retain``, which only ABANDON triggers."""
    if decision.result is not LifecycleResult.ABANDON:
        return decision
    others = sorted(hook.name for hook in hooks if hook.is_termination and hook.name != action.hook_name)
    if not others:
        return decision
    return replace(
        decision,
        result=LifecycleResult.CONTINUE,
        reason=(
            f"{decision.reason}; CONTINUE was sent instead of the configured ABANDON, which would also end "
            f"the pending actions of the group's other termination hook(s) on this host ({', '.join(others)})"
        ),
    )


def refuse_stale_action(action: LifecycleAction) -> DrainDecision:
    """The instance waits, but Auto Scaling refused a heartbeat for this token: another action holds it."""
    return DrainDecision(
        action=DrainAction.REFUSE,
        outcome=DrainOutcome.STALE_ACTION,
        reason=(
            f"{action.ec2_instance_id} is {action.wait_state}, but Auto Scaling has no active action of hook "
            f"{action.hook_name} with the event's token: the event belongs to an action that has ended "
            f"({_REPLAY}); nothing was changed"
        ),
    )


def drain_deadline(
    now: float, action_started_at: float, budget_seconds: int, global_timeout: int | None
) -> tuple[float, bool]:
    """The drain's deadline, and whether the hook's global timeout clamped it: Auto Scaling ends the wait
    ``global_timeout`` after the action began whatever the heartbeats, and then applies the hook's
    default result, not the drain's. The drain ends by itself a margin before."""
    deadline = now + budget_seconds
    if global_timeout is None:
        return deadline, False
    ceiling = action_started_at + global_timeout - GLOBAL_TIMEOUT_MARGIN_SECONDS
    return (ceiling, True) if ceiling < deadline else (deadline, False)


def decide_start(container_instance: ContainerInstance | None) -> StartDecision:
    """Decide what to do with a host the first time its termination is announced."""
    if container_instance is None:
        return StartDecision(
            set_draining=False,
            complete_now=_complete(DrainOutcome.NOT_IN_ECS, "the instance is not registered with ECS"),
        )
    if container_instance.status in _GONE_STATUSES:
        return StartDecision(
            set_draining=False,
            complete_now=_complete(
                DrainOutcome.NOT_IN_ECS,
                f"the container instance is {container_instance.status}: no task can run on it",
            ),
        )
    if not container_instance.agent_connected:
        # With the agent gone, ECS cannot stop or move the tasks: waiting only delays the inevitable.
        return StartDecision(
            set_draining=False,
            complete_now=_complete(
                DrainOutcome.AGENT_DISCONNECTED,
                "the ECS agent is disconnected: its tasks cannot be drained",
            ),
        )
    return StartDecision(
        set_draining=container_instance.status == "ACTIVE",
        complete_now=None,
    )


def decide_next_step(
    state: DrainState,
    observation: HostObservation,
    settings: DrainSettings,
    now: float,
) -> DrainDecision:
    """Decide one re-check of a draining host."""
    action = state.lifecycle_action
    if action is not None and observation.lifecycle_state != action.wait_state:
        if observation.lifecycle_state in IN_SERVICE_STATES:
            restored = "set ACTIVE again" if state.set_draining else "left as it is (the drain did not drain it)"
            return DrainDecision(
                action=DrainAction.RESTORE,
                outcome=DrainOutcome.RETURNED_TO_SERVICE,
                reason=f"the instance is {observation.lifecycle_state} again, not leaving: the host is {restored}",
            )
        seen = observation.lifecycle_state or "no longer in an Auto Scaling group"
        if state.expired_by(now):
            assert state.kept_alive_at is not None
            return DrainDecision(
                action=DrainAction.STOP_WATCHING,
                outcome=DrainOutcome.ACTION_EXPIRED,
                reason=(
                    f"the instance is {seen}: its lifecycle action timed out, {now - state.kept_alive_at:.0f} s "
                    f"after the drain last kept it alive (heartbeat timeout {state.heartbeat_timeout} s)"
                ),
            )
        return DrainDecision(
            action=DrainAction.STOP_WATCHING,
            outcome=DrainOutcome.COMPLETED_ELSEWHERE,
            reason=f"the instance is {seen}: its lifecycle action was completed elsewhere",
        )

    if observation.cluster_deleted:
        return _complete(
            DrainOutcome.CLUSTER_DELETED,
            f"cluster {state.cluster_arn.rsplit('/', 1)[-1]} no longer exists: no task of it can run "
            "anywhere, so there is nothing left to wait for",
        )

    active = observation.active_tasks
    if not active:
        return _complete(DrainOutcome.DRAINED, "no task is left on the host")

    if now >= state.deadline or state.attempt >= settings.max_rechecks(state.heartbeat_timeout):
        return DrainDecision(
            action=DrainAction.COMPLETE,
            outcome=DrainOutcome.BUDGET_EXCEEDED,
            result=settings.budget_exceeded_result,
            reason=(
                f"{_what_ran_out(state, settings)} with {len(active)} task(s) still on the host ({_describe(active)})"
            ),
        )

    wait_seconds = _next_wait(state, settings, now)
    holding = [task for task in active if _moves_off_a_draining_host(task, observation)]
    leftovers = tuple(task.arn for task in active if task not in holding and task.desired_status != "STOPPED")
    if not holding and leftovers and settings.stop_leftover_tasks and not state.leftovers_stopped:
        return DrainDecision(
            action=DrainAction.STOP_LEFTOVERS,
            reason=(
                f"only standalone or daemon tasks are left ({len(leftovers)}), "
                "which ECS never moves off a draining host: stopping them"
            ),
            wait_seconds=wait_seconds,
            tasks_to_stop=leftovers,
        )
    return DrainDecision(
        action=DrainAction.WAIT,
        reason=f"{len(active)} task(s) still on the host ({_describe(active)})",
        wait_seconds=wait_seconds,
    )


def _moves_off_a_draining_host(task: TaskOnHost, observation: HostObservation) -> bool:
    """Replica-service tasks are moved by the scheduler; standalone and daemon tasks are not."""
    service = task.service_name
    return service is not None and service not in observation.daemon_services


def _next_wait(state: DrainState, settings: DrainSettings, now: float) -> int:
    # Never sleep past the deadline: the re-check that ends the drain should come on time. Each
    # re-check records a heartbeat: with a hook whose heartbeat timeout is shorter than the interval,
    # the action would expire between two checks and the host die with its tasks.
    remaining = math.ceil(state.deadline - now)
    return max(1, min(settings.effective_recheck_interval(state.heartbeat_timeout), remaining))


def _what_ran_out(state: DrainState, settings: DrainSettings) -> str:
    if state.deadline_clamped and state.global_timeout is not None:
        return (
            f"the drain's deadline came, clamped from the budget of {settings.drain_budget_seconds} s to "
            f"{GLOBAL_TIMEOUT_MARGIN_SECONDS} s before the lifecycle action's global timeout of "
            f"{state.global_timeout} s (when Auto Scaling ends the wait itself, with the hook's default result),"
        )
    return f"the drain budget of {settings.drain_budget_seconds} s ran out"


def _describe(tasks: tuple[TaskOnHost, ...]) -> str:
    counts: dict[str, int] = {}
    for task in tasks:
        counts[task.last_status] = counts.get(task.last_status, 0) + 1
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))


def _complete(outcome: DrainOutcome, reason: str) -> DrainDecision:
    return DrainDecision(action=DrainAction.COMPLETE, outcome=outcome, result=LifecycleResult.CONTINUE, reason=reason)


def failed_recheck_retry_seconds(state: DrainState, now: float, visibility_timeout: int) -> int | None:
    """When a failed re-check should come back, if sooner than the queue would return it.

    Lambda leaves a failed message in the queue, where it reappears "after your queue's visibility
    timeout runs out" (Lambda Developer Guide, "Handling errors for an SQS event source in Lambda"):
    360 s for the re-check queue (6 x the function's timeout, as Lambda advises). A hook whose heartbeat
    timer has less than that left (a 30 s or 300 s heartbeat) would end the action with its default
    result, the host still holding tasks. Then the failed message is made visible again sooner
    (ChangeMessageVisibility), within the time left: about a third of it, so that two or three tries
    fit. None: the queue's own timeout returns it in time, or the timer has already run out."""
    left = state.heartbeat_left(now)
    if left <= 0 or visibility_timeout + FAILED_RECHECK_MARGIN_SECONDS <= left:
        return None
    return max(FAILED_RECHECK_MIN_RETRY_SECONDS, min(visibility_timeout, int(left // 3)))
