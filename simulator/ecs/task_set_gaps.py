"""What moto 5.2 gets wrong or lacks for services on the CODE_DEPLOY and EXTERNAL deployment controllers
(task sets), closed here and only here (each patch names the gap it closes).

moto already answers DescribeServices for such a service with ``deployments: []`` and its ``taskSets``,
as ECS does ("Deployment", ECS API Reference: used only with the ECS controller); these are the gaps:

- UpdateService with a ``taskDefinition`` on such a service is accepted (moto changes the service's
  task definition). ECS refuses it: "For services using the blue/green (CODE_DEPLOY) deployment
  controller, only the desired count, deployment configuration, health check grace period, task
  placement constraints and strategies, enable ECS managed tags option, and propagate tags can be
  updated using this API. If the network configuration, platform version, task definition, or load
  balancer need to be updated, create a new CodeDeploy deployment"; the external controller likewise
  ("create a new task set") (UpdateService, ECS API Reference). The refusal is an
  InvalidParameterException; its CODE_DEPLOY message is the one AWS gives (boto3 issue 1936); the
  EXTERNAL message is not documented, so this one is made up, with the same code.
- A task set's ``computedDesiredCount``, ``runningCount`` and ``pendingCount`` are never given, and its
  ``stabilityStatus`` is always STEADY_STATE. Here they follow its tasks (those ``startedBy`` its id):
  computedDesiredCount is the service's desiredCount times the task set's scale, rounded up; running
  and pending count its RUNNING and PENDING tasks; STEADY_STATE when running equals computedDesiredCount,
  nothing is pending and no task is UNHEALTHY, else STABILIZING (TaskSet, ECS API Reference; the load
  balancer's and service discovery's health are not modelled here).
- ListTasks accepts ``startedBy`` together with other filters. "When you specify startedBy as the
  filter, it must be the only filter that you use" (ListTasks, ECS API Reference): refused here, with
  InvalidParameterException (the code AWS gives is not documented).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskSet
from moto.ecs.responses import EC2ContainerServiceResponse

from simulator.patching import Patch, Wrap

_INSTALLED = "_fleetops_task_set_gaps"
TASK_SET_CONTROLLERS = ("CODE_DEPLOY", "EXTERNAL")
REFUSALS = {
    "CODE_DEPLOY": "Unable to update task definition on services with a CODE_DEPLOY deployment controller. "
    "Use AWS CodeDeploy to trigger a new deployment.",
    "EXTERNAL": "Unable to update task definition on services with an EXTERNAL deployment controller. "
    "Create a new task set.",  # not documented word for word
}
_OTHER_LIST_TASKS_FILTERS = ("containerInstance", "family", "serviceName", "desiredStatus", "launchType")


def _refusing_a_task_definition(original: Callable[[EC2ContainerServiceResponse], ActionResult]) -> Any:
    def update_service(self: EC2ContainerServiceResponse) -> ActionResult:
        if self._get_param("taskDefinition"):
            service = _service(self.ecs_backend, self._get_param("cluster") or "default", self._get_param("service"))
            controller = service.deployment_controller.get("type", "ECS") if service is not None else "ECS"
            if controller in TASK_SET_CONTROLLERS:
                raise InvalidParameterException(REFUSALS[controller])
        return original(self)

    return update_service


def _with_task_set_counts(original: Callable[[EC2ContainerServiceResponse], ActionResult]) -> Any:
    def describe(self: EC2ContainerServiceResponse) -> ActionResult:
        for service in self.ecs_backend.services.values():
            for task_set in service.task_sets:
                _count(self.ecs_backend, service, task_set)
        return original(self)

    return describe


def _started_by_alone(original: Callable[[EC2ContainerServiceResponse], ActionResult]) -> Any:
    def list_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
        if self._get_param("startedBy") and any(self._get_param(name) for name in _OTHER_LIST_TASKS_FILTERS):
            raise InvalidParameterException("startedBy must be the only filter when it is specified")
        return original(self)

    return list_tasks


def _count(backend: EC2ContainerServiceBackend, service: Service, task_set: TaskSet) -> None:
    scale = float(task_set.scale.get("value", 100.0)) if task_set.scale.get("unit", "PERCENT") == "PERCENT" else 0.0
    desired = math.ceil(service.desired_count * scale / 100)
    tasks = [
        task
        for tasks in backend.tasks.values()
        for task in tasks.values()
        if task.started_by == task_set.id and task.desired_status == "RUNNING"
    ]
    running = [t for t in tasks if t.last_status == "RUNNING"]
    pending = [t for t in tasks if t.last_status == "PENDING"]
    unhealthy = [t for t in running if getattr(t, "health_status", "UNKNOWN") == "UNHEALTHY"]
    # moto's TaskSet has no such attributes; DescribeServices and DescribeTaskSets report them once set.
    task_set.computedDesiredCount = desired  # type: ignore[attr-defined]
    task_set.runningCount = len(running)  # type: ignore[attr-defined]
    task_set.pendingCount = len(pending)  # type: ignore[attr-defined]
    steady = len(running) == desired and not pending and not unhealthy
    task_set.stabilityStatus = "STEADY_STATE" if steady else "STABILIZING"


def _service(backend: EC2ContainerServiceBackend, cluster: str, service: str) -> Service | None:
    return backend.services.get(f"{cluster.rsplit('/', 1)[-1]}:{service.rsplit('/', 1)[-1]}")


# Over whatever is installed before them (the service deployment gaps' UpdateService and DescribeServices,
# the ECS gaps' ListTasks): see simulator.moto_patches for the order.
PATCHES: tuple[Patch, ...] = (
    Wrap(EC2ContainerServiceResponse, "update_service", _refusing_a_task_definition),
    Wrap(EC2ContainerServiceResponse, "describe_services", _with_task_set_counts),
    Wrap(EC2ContainerServiceResponse, "describe_task_sets", _with_task_set_counts),
    Wrap(EC2ContainerServiceResponse, "list_tasks", _started_by_alone),
)
