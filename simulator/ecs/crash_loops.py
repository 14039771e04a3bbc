"""A release whose tasks crash after they started, and ECS's service scheduler replacing them.

What ECS does (the task lifecycle and "Amazon ECS service scheduler", ECS Developer Guide): when an
essential container exits, the task stops (``stopCode`` EssentialContainerExited, ``stoppedReason``
"Essential container in task exited") and the service scheduler, to keep ``desiredCount``, launches a
replacement at once: it is PENDING (image pulling) for a while, then RUNNING and registered. The
desired count does not change. A crash-looping release therefore shows, most of the time, either all its
tasks RUNNING or one of them PENDING as a replacement, never "a task missing with nothing starting":
``SimulatedDeployments.stop_running`` (crashed, not replaced yet) is gentler than ECS here. The crashed
task stays listed, stopped, with its stopCode, stoppedReason, stoppedAt and exit code
(``stopped_tasks.py``).
"""

from __future__ import annotations

from simulator.ecs.deployments import SimulatedDeployments
from simulator.ecs.desired_count import _pending
from simulator.ecs.image_resolution import resolve_images
from simulator.ecs.stopped_tasks import crash
from simulator.ecs.task_containers import start_containers


class CrashLoop:
    def __init__(self, deployments: SimulatedDeployments) -> None:
        self._deployments = deployments
        self.crashes = 0

    def start(self, name: str, *, starting_for: float, runs_for: float) -> None:
        """From now on, one task of ``name`` crashes; ECS replaces it at once (PENDING for ``starting_for``
        seconds, then RUNNING and registered), and the replacement crashes again after ``runs_for`` s."""
        self._crash(name, starting_for=starting_for, runs_for=runs_for)

    def _crash(self, name: str, *, starting_for: float, runs_for: float) -> None:
        deployments = self._deployments
        service = deployments.services[name]
        backend = deployments.backend_service(name)
        crashed = service.tasks[0]
        deployments._deregister(service, [crashed])
        crash(deployments.cluster.ecs_backend, deployments.cluster.name, crashed)
        service.tasks = service.tasks[1:]
        self.crashes += 1
        replacement = deployments._start(service, str(backend.task_definition), register=False)
        bindings = _pending(replacement)
        self._counts(name, running=len(service.tasks), pending=1)

        def run() -> None:
            replacement.status = "RUNNING"
            start_containers(deployments.cluster.ecs_backend, replacement)
            resolve_images(deployments.cluster.ecs_backend, replacement)
            replacement.containers[0].network_bindings = bindings  # type: ignore[attr-defined]
            service.tasks.append(replacement)
            deployments._register(service, [replacement])
            self._counts(name, running=len(service.tasks), pending=0)
            self._later(runs_for, lambda: self._crash(name, starting_for=starting_for, runs_for=runs_for))

        self._later(starting_for, run)

    def _counts(self, name: str, *, running: int, pending: int) -> None:
        backend = self._deployments.backend_service(name)
        backend.running_count, backend.pending_count = running, pending
        backend.deployments[0].update(desiredCount=backend.desired_count, runningCount=running, pendingCount=pending)

    def _later(self, seconds: float, change: object) -> None:
        gaps = self._deployments.gaps
        gaps.later(self._deployments.cluster.clock() + seconds, change)  # type: ignore[arg-type]
