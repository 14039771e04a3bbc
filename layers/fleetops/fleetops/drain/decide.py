"""Pure decisions of the drain job: no AWS, no clock, no I/O. Everything is passed in."""

from __future__ import annotations

import math

from fleetops.models.drain import (
    DrainAction,
    DrainDecision,
    DrainOutcome,
    DrainState,
    HostObservation,
    StartDecision,
)
from fleetops.models.ecs import ContainerInstance, TaskOnHost
from fleetops.models.lifecycle import TERMINATING_WAIT, LifecycleResult
from fleetops.settings import DrainSettings

# Statuses in which a container instance cannot run tasks: there is nothing to wait for.
_GONE_STATUSES = frozenset({"INACTIVE", "DEREGISTERING", "REGISTRATION_FAILED"})


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
    if state.lifecycle_action is not None and observation.lifecycle_state != TERMINATING_WAIT:
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

    active = observation.active_tasks
    if not active:
        return _complete(DrainOutcome.DRAINED, "no task is left on the host")

    if now >= state.deadline or state.attempt >= settings.max_rechecks:
        return DrainDecision(
            action=DrainAction.COMPLETE,
            outcome=DrainOutcome.BUDGET_EXCEEDED,
            result=settings.budget_exceeded_result,
            reason=(
                f"the drain budget of {settings.drain_budget_seconds} s ran out with "
                f"{len(active)} task(s) still on the host ({_describe(active)})"
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
    # Never sleep past the deadline: the re-check that ends the drain should come on time.
    remaining = math.ceil(state.deadline - now)
    wait = min(settings.recheck_interval_seconds, remaining)
    if state.heartbeat_timeout:
        # Each re-check records a heartbeat: with a hook whose heartbeat timeout is shorter than the
        # interval, the action would expire between two checks and the host die with its tasks.
        wait = min(wait, state.heartbeat_timeout // 2)
    return max(1, wait)


def _describe(tasks: tuple[TaskOnHost, ...]) -> str:
    counts: dict[str, int] = {}
    for task in tasks:
        counts[task.last_status] = counts.get(task.last_status, 0) + 1
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))


def _complete(outcome: DrainOutcome, reason: str) -> DrainDecision:
    return DrainDecision(action=DrainAction.COMPLETE, outcome=outcome, result=LifecycleResult.CONTINUE, reason=reason)
