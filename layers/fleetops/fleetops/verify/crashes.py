"""Which of a service's stopped tasks crashed: the evidence that tells ECS replacing a release's crashed
task from a scale-out under way. Pure: no AWS, no clock.

When an essential container exits, ECS stops the task (``stopCode`` EssentialContainerExited,
``stoppedReason`` "Essential container in task exited") and the service scheduler starts a replacement
at once without changing ``desiredCount``: a look at the running tasks alone sees a task starting, as in
a scale-out. The stopped task stays listed "for at least one hour" (ListTasks, ECS API Reference).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fleetops.models.ecs_deployments import StoppedTask

# Stop codes (Task.stopCode, ECS API Reference) that say the task itself failed: it could not start
# (TaskFailedToStart: an image that cannot be pulled, a container that cannot be created) or an essential
# container exited. UserInitiated (StopTask), SpotInterruption, TerminationNotice and InfrastructureHealth
# are someone else's doing, not the release's.
CRASH_STOP_CODES = frozenset({"EssentialContainerExited", "TaskFailedToStart"})
# ServiceSchedulerInitiated covers the scheduler's own choices (a scale-in, a deployment replacing the
# task, a task moved off a DRAINING host, Availability Zone rebalancing) and its replacing of a task that
# failed a health check. Only the stoppedReason tells them apart; the documents give no list of its
# values, only examples: "Task failed ELB health checks in (target-group ...)", "Task failed container
# health checks". A reason that names a failed health check is a crash; any other is not.


def is_crash(task: StoppedTask) -> bool:
    """The task stopped because it failed (it could not start, an essential container exited, or it failed
    its load balancer's or its container's health checks), not because something stopped a good task."""
    if task.stop_code in CRASH_STOP_CODES:
        return True
    reason = task.stopped_reason.lower()
    if task.stop_code in ("ServiceSchedulerInitiated", ""):
        # With no stop code (an older agent, or not reported yet), the reason ECS wrote is all there is.
        if reason.startswith("essential container in task exited"):
            return True
        return "failed" in reason and "health check" in reason
    return False


def crashes_of(stopped: Iterable[StoppedTask], revision: str, since: float) -> list[StoppedTask]:
    """The tasks of ``revision`` (the release's task definition ARN) that crashed at or after ``since``,
    newest first. A task ECS is still stopping has no ``stoppedAt`` yet: it stops now, so it counts."""
    found = [
        task
        for task in stopped
        if task.task_definition == revision and is_crash(task) and (task.stopped_at is None or task.stopped_at >= since)
    ]
    return sorted(found, key=lambda task: -(task.stopped_at if task.stopped_at is not None else float("inf")))


def describe_crash(task: StoppedTask) -> str:
    """``3f2a… EssentialContainerExited: Essential container in task exited (web exit 1)``: the task id,
    its stop code and reason, and how each container that exited ended."""
    exits = [
        f"{c.name} exit {c.exit_code}" + (f": {c.reason}" if c.reason else "")
        for c in task.containers
        if c.exit_code is not None or c.reason
    ]
    task_id = task.arn.rsplit("/", 1)[-1]
    what = f"{task_id} {task.stop_code or 'no stop code'}: {task.stopped_reason or 'no reason given'}"
    return what + (f" ({'; '.join(exits)})" if exits else "")


def crash_counts(crashes: Sequence[StoppedTask]) -> str:
    counts: dict[str, int] = {}
    for task in crashes:
        key = task.stop_code or "no stop code"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))
