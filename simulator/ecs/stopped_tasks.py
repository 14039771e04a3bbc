"""Stopped tasks as ECS's DescribeTasks reports them; moto 5.2 keeps too little of why and when a task stopped.

What ECS gives (Task and Container, ECS API Reference; "Amazon ECS stopped tasks error codes", ECS
Developer Guide):
- ``stopCode``: TaskFailedToStart, EssentialContainerExited, UserInitiated (StopTask), ServiceSchedulerInitiated
  (the service scheduler: a scale-in, a deployment replacing the task, a task moved off a DRAINING host, a
  task that failed its health checks), SpotInterruption, TerminationNotice, InfrastructureHealth;
- ``stoppedReason`` in words ("Essential container in task exited"), ``stoppingAt`` and ``stoppedAt``;
- each container's ``exitCode`` and ``reason`` once it stopped;
- stopped tasks stay listed by ListTasks with ``desiredStatus`` STOPPED "for at least one hour".

moto's StopTask sets ``lastStatus`` and ``desiredStatus`` STOPPED and ``stoppedReason``, and keeps the task
listed for ever (at least as long as ECS); it sets no ``stopCode``, no ``stoppingAt``/``stoppedAt`` and no
container exit (every moto container reports ``exitCode`` 0, even while running: only a crash's is set
here). Closed here: every stop through the backend (the simulation playing ECS's service
scheduler: rollouts, scale-ins, draining) is ServiceSchedulerInitiated at the simulated clock's time; the
StopTask API call is UserInitiated; ``crash`` stops a task as an essential container's exit does.
(moto's ListTasks also ignores ``serviceName``: the verify job's adapter keeps a service's tasks by their
``group``, ``service:<name>``, as it does for running tasks.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from moto.core.responses import ActionResult
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.ecs.responses import EC2ContainerServiceResponse

from simulator.patching import Patch, Replace

ESSENTIAL_CONTAINER_EXITED = "Essential container in task exited"

_ORIGINAL_BACKEND_STOP_TASK = EC2ContainerServiceBackend.stop_task
_ORIGINAL_RESPONSE_STOP_TASK = EC2ContainerServiceResponse.stop_task
_clock: Callable[[], float] = time.time
# The backend's StopTask is the simulated service scheduler's, unless the StopTask API is being answered.
_stop_code_of_the_call = "ServiceSchedulerInitiated"


def _backend_stop_task(self: EC2ContainerServiceBackend, cluster_str: str, task_str: str, reason: str) -> Task:
    task = _ORIGINAL_BACKEND_STOP_TASK(self, cluster_str, task_str, reason)
    if getattr(task, "stopped_at", None) is None:  # a task is stopped once: a second StopTask changes nothing
        at = datetime.fromtimestamp(_clock(), tz=UTC)
        task.stopping_at = task.stopped_at = at  # type: ignore[attr-defined]
        task.stop_code = _stop_code_of_the_call  # type: ignore[attr-defined]
        for container in task.containers:
            container.last_status = "STOPPED"
    return task


def _response_stop_task(self: EC2ContainerServiceResponse) -> ActionResult:
    """StopTask, the API: "UserInitiated" (whoever called it: a person, a pipeline, this suite's drain)."""
    global _stop_code_of_the_call
    _stop_code_of_the_call = "UserInitiated"
    try:
        return _ORIGINAL_RESPONSE_STOP_TASK(self)
    finally:
        _stop_code_of_the_call = "ServiceSchedulerInitiated"


def crash(backend: EC2ContainerServiceBackend, cluster: str, task: Task, *, exit_code: int = 1) -> None:
    """The task's first (essential) container exited with ``exit_code``: ECS stops the task with stopCode
    EssentialContainerExited and stoppedReason "Essential container in task exited"."""
    backend.stop_task(cluster, task.task_arn, ESSENTIAL_CONTAINER_EXITED)
    task.stop_code = "EssentialContainerExited"  # type: ignore[attr-defined]
    task.containers[0].exitCode = exit_code  # moto's own attribute (0 from the start: a gap, see above)


def time_stops_on(clock: Callable[[], float]) -> None:
    """Stops are timed on ``clock`` (the world's simulated clock; the wall clock until a world says so)."""
    global _clock
    _clock = clock


PATCHES: tuple[Patch, ...] = (
    Replace(EC2ContainerServiceBackend, "stop_task", _backend_stop_task),
    Replace(EC2ContainerServiceResponse, "stop_task", _response_stop_task),
)
