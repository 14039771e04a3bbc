"""A service's desired count changed while its release is verified: Application Auto Scaling, a person, or
the suite's own scale job calls UpdateService with a new ``desiredCount`` (no new deployment: the PRIMARY
deployment's ``desiredCount`` changes with the service's), and the service scheduler catches up over time.

What ECS shows meanwhile (Service and Deployment, ECS API Reference: ``runningCount`` counts tasks in the
RUNNING state, ``pendingCount`` those in PENDING; the task lifecycle, ECS Developer Guide):
- scale-out: the new tasks start PENDING (no network binding, no target, containers' health UNKNOWN) and
  run after ``starting_for`` seconds; ECS then registers them with the service's target groups. Until they
  run, ``runningCount`` stays below ``desiredCount`` and ``pendingCount`` counts them.
- scale-in: ECS sets the chosen tasks' ``desiredStatus`` to STOPPED first, while their ``lastStatus`` is
  still RUNNING (so ``runningCount`` still counts them, above the new ``desiredCount``), deregisters
  their targets (DEACTIVATING, for the target group's deregistration delay) and stops them.

moto's UpdateService instead sets ``runningCount`` to the new ``desiredCount`` at once and starts and
stops nothing (a gap): each change here puts back what ECS shows, after the real UpdateService call.
"""

from __future__ import annotations

from typing import Any

from moto.ecs.models import Task

from simulator.ecs.deployments import SimulatedDeployments, SimulatedService
from simulator.ecs.image_resolution import resolve_images
from simulator.ecs.task_containers import start_containers

# The target group's deregistration delay (ELB's default, moto's target groups keep it).
DEREGISTRATION_DELAY = 300


class DesiredCountChanges:
    def __init__(self, deployments: SimulatedDeployments) -> None:
        self._deployments = deployments

    def scale_out(self, name: str, desired: int, *, starting_for: float) -> list[str]:
        """UpdateService ``desiredCount`` up to ``desired``; the new tasks are PENDING for ``starting_for``
        seconds, then RUNNING and registered healthy. Returns the new tasks' ARNs."""
        service, backend = self._update(name, desired)
        added = desired - len(service.tasks)
        assert added > 0, f"{name} already runs {len(service.tasks)} task(s)"
        revision = backend.task_definition
        new = [self._deployments._start(service, revision, register=False) for _ in range(added)]
        bindings = {task.task_arn: _pending(task) for task in new}
        self._counts(name, running=len(service.tasks), pending=added)

        def run() -> None:
            for task in new:
                task.status = "RUNNING"
                start_containers(self._deployments.cluster.ecs_backend, task)
                resolve_images(self._deployments.cluster.ecs_backend, task)
                task.containers[0].network_bindings = bindings[task.task_arn]  # type: ignore[attr-defined]  # moto serialises it when set
            service.tasks.extend(new)
            self._deployments._register(service, new)
            self._counts(name, running=len(service.tasks), pending=0)

        self._later(starting_for, run)
        return [task.task_arn for task in new]

    def scale_in(self, name: str, desired: int) -> list[str]:
        """UpdateService ``desiredCount`` down to ``desired``: the leaving tasks are marked STOPPED (desired
        status) at once, still RUNNING, their targets deregistered; they stop after the deregistration
        delay. Returns the leaving tasks' ARNs."""
        service, _ = self._update(name, desired)
        leaving = service.tasks[desired:]
        assert leaving, f"{name} runs only {len(service.tasks)} task(s)"
        running = len(service.tasks)
        service.tasks = service.tasks[:desired]
        self._deployments._deregister(service, leaving)
        for task in leaving:
            task.desired_status = "STOPPED"  # lastStatus stays RUNNING until the agent deactivates it
        self._counts(name, running=running, pending=0)

        def stopped() -> None:
            for task in leaving:
                self._deployments.cluster.ecs_backend.stop_task(
                    self._deployments.cluster.name, task.task_arn, "Scaling activity initiated by (deployment)"
                )
            self._counts(name, running=len(service.tasks), pending=0)

        self._later(DEREGISTRATION_DELAY, stopped)
        return [task.task_arn for task in leaving]

    # -- internals -----------------------------------------------------------------------------------
    def _update(self, name: str, desired: int) -> tuple[SimulatedService, Any]:
        deployments = self._deployments
        deployments.cluster.session.client("ecs").update_service(
            cluster=deployments.cluster.name, service=name, desiredCount=desired
        )
        return deployments.services[name], deployments.backend_service(name)

    def _counts(self, name: str, *, running: int, pending: int) -> None:
        """The service's and its PRIMARY deployment's counts, as DescribeServices gives them."""
        backend = self._deployments.backend_service(name)
        backend.running_count, backend.pending_count = running, pending
        primary = backend.deployments[0]
        primary.update(desiredCount=backend.desired_count, runningCount=running, pendingCount=pending)

    def _later(self, seconds: float, change: Any) -> None:
        gaps = self._deployments.gaps
        gaps.later(self._deployments.cluster.clock() + seconds, change)


def _pending(task: Task) -> list[dict[str, Any]]:
    """Put a task just placed back to PENDING (images pulling): no binding, containers not started, health
    UNKNOWN. Returns the network bindings it will have once RUNNING."""
    task.status = "PENDING"
    bindings: list[dict[str, Any]] = list(getattr(task.containers[0], "network_bindings", None) or [])
    for container in task.containers:
        container.network_bindings = []  # type: ignore[attr-defined]
        container.last_status = "PENDING"
        container.health_status = "UNKNOWN"
    task.health_status = "UNKNOWN"  # type: ignore[attr-defined]
    return bindings
