"""A task's containers and their health as ECS's DescribeTasks reports them; moto gets both wrong.

moto 5.2 gives a task one ``Container``, built from the task definition's first container definition,
and reports it HEALTHY whatever the definition says. ECS reports every container of the task, and:

- a container's ``healthStatus`` is HEALTHY or UNHEALTHY once its health check has run, and UNKNOWN
  while "the container health check is being evaluated, there's no container health check defined, or
  Amazon ECS doesn't have the health status of the container" (HealthCheck, ECS API Reference);
- the task's ``healthStatus`` is its *essential* containers', in priority UNHEALTHY, then UNKNOWN, then
  HEALTHY (same page; an older edition: "The container health check status of nonessential containers
  do not have an effect on the health status of a task"). An essential container without a health
  check reports UNKNOWN, so by the page's rule it makes the task UNKNOWN; the verify job reads
  container health only, so it is right whichever way ECS settles that case;
- ``essential``: "If this parameter is omitted, a container is assumed to be essential"
  (ContainerDefinition, ECS API Reference). DescribeTasks' ``Container`` does not carry it.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend, Task

HEALTH_STATUSES = ("HEALTHY", "UNHEALTHY", "UNKNOWN")


def start_containers(backend: EC2ContainerServiceBackend, task: Task) -> None:
    """Give a task that has just started RUNNING one container per container definition: HEALTHY where
    the definition has a health check (the task started healthy), UNKNOWN where it has none."""
    definition = backend.describe_task_definition(task.task_definition_arn)
    built = task.containers[0]  # moto's, from the first definition: a copy is set from each definition
    containers = []
    for container_definition in definition.container_definitions:
        container = copy.copy(built)
        container.container_arn = f"{definition.arn}/{uuid.uuid4()}"
        container.name = container_definition.get("name")
        container.image = container_definition.get("image")
        container.cpu = container_definition.get("cpu", 0)
        container.memory = container_definition.get("memory")
        container.last_status = "RUNNING"
        container.health_status = "HEALTHY" if _has_health_check(container_definition) else "UNKNOWN"
        containers.append(container)
    task.containers = containers
    _set_task_health(task, task_health(backend, task))


def set_health(backend: EC2ContainerServiceBackend, task: Task, status: str, container: str | None = None) -> None:
    """One container's health (``container``, by name), or every health-checked container's; the task's
    health follows from its essential containers, as ECS computes it."""
    assert status in HEALTH_STATUSES, status
    definitions = _definitions(backend, task)
    for each in task.containers:
        if container is not None and each.name != container:
            continue
        has_check = _has_health_check(definitions[str(each.name)])
        if container is not None and not has_check and status != "UNKNOWN":
            raise AssertionError(f"{each.name} defines no health check: ECS reports it UNKNOWN, never {status}")
        if has_check:
            each.health_status = status
    _set_task_health(task, task_health(backend, task))


def task_health(backend: EC2ContainerServiceBackend, task: Task) -> str:
    """UNHEALTHY if an essential container is, else UNKNOWN if one is, else HEALTHY; others do not count."""
    definitions = _definitions(backend, task)
    essential = [c.health_status for c in task.containers if definitions[str(c.name)].get("essential", True)]
    for status in ("UNHEALTHY", "UNKNOWN"):
        if status in essential:
            return status
    return "HEALTHY"


def _definitions(backend: EC2ContainerServiceBackend, task: Task) -> dict[str, dict[str, Any]]:
    definition = backend.describe_task_definition(task.task_definition_arn)
    return {str(c["name"]): c for c in definition.container_definitions}


def _set_task_health(task: Task, status: str) -> None:
    # moto's Task has no health status; DescribeTasks reports the attribute once it is set.
    task.health_status = status  # type: ignore[attr-defined]


def _has_health_check(container_definition: dict[str, Any]) -> bool:
    return bool(container_definition.get("healthCheck", {}).get("command"))
