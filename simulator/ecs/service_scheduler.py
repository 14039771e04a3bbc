"""The ECS service scheduler's rules for a replica service, shared by the per-job cluster
(``cluster.SimulatedCluster``) and the whole fleet (``fleet.SimulatedFleet``): one pass, every tick.

What ECS does (Amazon ECS Developer Guide, "Draining Amazon ECS container instances",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-draining.html, and the API
Reference, UpdateContainerInstancesState):

- A service task on a DRAINING host that is still PENDING is stopped at once.
- A RUNNING one is replaced according to the service's deployment configuration. ``maximumPercent``
  (of the desired count, rounded down) caps the service's tasks in the RUNNING or PENDING state:
  replacements start first, up to it ("a maximum of 200% starts four new tasks before stopping the four
  tasks to be drained, provided that the cluster resources required to do this are available"; at 100 %
  "replacement tasks can't start until the draining tasks have stopped").
  ``minimumHealthyPercent`` (rounded up) is the floor of healthy tasks: an old task is stopped only while
  the healthy tasks stay at or above it. At 100 % "the service scheduler can't remove existing tasks until
  the replacement tasks are considered healthy"; below 100 % it "can ignore desiredCount temporarily" and
  stop tasks before their replacements start.
  So a task whose replacement has nowhere to go keeps RUNNING on the draining host (and ECS says so in the
  service's events) until capacity appears or the host goes.
- Standalone tasks (RunTask, StartTask) and daemon tasks are not moved: callers pass only replica services.

The same rule replaces the tasks of an older revision in a rolling deployment (``outdated``): the
documents give the two parameters one meaning for both.

Where the documents are silent this takes the stricter reading: a task that is being stopped
(DEACTIVATING or STOPPING, still in the load balancer's deregistration delay) counts against
``maximumPercent`` until it is STOPPED, and a task counts as healthy while its last status is RUNNING
and no health check says UNHEALTHY (the simulation's tasks pass their checks once RUNNING).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class SchedulableTask(Protocol):
    """What the scheduler reads of a task (moto's ``Task`` has it)."""

    @property
    def last_status(self) -> str: ...

    @property
    def container_instance_arn(self) -> str | None: ...


class StopReason(StrEnum):
    PENDING_ON_DRAINING_HOST = "its container instance is DRAINING and the task had not started"
    DRAINED = "its container instance is DRAINING: replaced on another container instance"
    REPLACED = "replaced by a task of the service's new revision"
    SCALED_IN = "the service's desired count was lowered"


@dataclass(frozen=True, slots=True)
class DeploymentConfiguration:
    """A service's ``deploymentConfiguration``; the defaults are ECS's for a replica service."""

    minimum_healthy_percent: int = 100
    maximum_percent: int = 200

    @classmethod
    def of(cls, service: Any) -> DeploymentConfiguration:
        """From a moto service (``simulator.ecs.gaps`` keeps the configuration moto drops)."""
        configuration = getattr(service, "deployment_configuration", None) or {}
        return cls(
            int(configuration.get("minimumHealthyPercent", 100)),
            int(configuration.get("maximumPercent", 200)),
        )

    def healthy_floor(self, desired: int) -> int:
        return math.ceil(desired * self.minimum_healthy_percent / 100)

    def ceiling(self, desired: int) -> int:
        return desired * self.maximum_percent // 100


@dataclass
class ReplicaTasks[T: SchedulableTask]:
    """One replica service's tasks as the scheduler sorts them (every task ECS wants running)."""

    desired: int
    placed: list[T]  # of the current revision, on hosts that take tasks: they stay
    draining: list[T]  # on DRAINING hosts: each to be replaced
    outdated: list[T] = field(default_factory=list)  # of an older revision (a rolling deployment)
    stopping: int = 0  # being stopped, not STOPPED yet: they still count against maximumPercent


class Scheduling[T: SchedulableTask](Protocol):
    """What the scheduler does to the cluster; each simulation places and stops in its own way."""

    def place(self) -> T | None:
        """Start one task of the service's current revision where it fits; None when nothing fits."""
        ...

    def stop(self, task: T, reason: StopReason) -> None: ...


@dataclass
class SchedulerPass[T: SchedulableTask]:
    started: list[T] = field(default_factory=list)
    stopped: list[tuple[T, StopReason]] = field(default_factory=list)
    unplaced: int = 0  # tasks the service wants on a host that takes tasks and found no place for


def healthy(task: SchedulableTask) -> bool:
    # moto's tasks carry a health status only where the simulation sets one.
    return task.last_status == "RUNNING" and getattr(task, "health_status", "UNKNOWN") != "UNHEALTHY"


def schedule_replicas[T: SchedulableTask](
    tasks: ReplicaTasks[T], configuration: DeploymentConfiguration, scheduling: Scheduling[T]
) -> SchedulerPass[T]:
    """One pass of the scheduler over one replica service: stop PENDING tasks on draining hosts, start
    replacements up to ``maximumPercent``, then stop old tasks while ``minimumHealthyPercent`` allows,
    and tasks beyond the desired count."""
    result: SchedulerPass[T] = SchedulerPass()

    def stop(task: T, reason: StopReason) -> None:
        scheduling.stop(task, reason)
        result.stopped.append((task, reason))

    for task in [t for t in tasks.draining if t.last_status == "PENDING"]:
        tasks.draining.remove(task)
        stop(task, StopReason.PENDING_ON_DRAINING_HOST)

    live = len(tasks.placed) + len(tasks.draining) + len(tasks.outdated) + tasks.stopping
    room = min(tasks.desired - len(tasks.placed), configuration.ceiling(tasks.desired) - live)
    for _ in range(max(0, room)):
        started = scheduling.place()
        if started is None:
            result.unplaced = tasks.desired - len(tasks.placed)
            break
        tasks.placed.append(started)
        result.started.append(started)

    floor = configuration.healthy_floor(tasks.desired)
    in_service = sum(1 for task in [*tasks.placed, *tasks.draining, *tasks.outdated] if healthy(task))
    for leaving, reason in [
        *((task, StopReason.DRAINED) for task in tasks.draining),
        *((task, StopReason.REPLACED) for task in tasks.outdated),
    ]:
        if healthy(leaving):
            if in_service - 1 < floor:
                continue  # it keeps running until a replacement is healthy (or the floor allows)
            in_service -= 1
        stop(leaving, reason)
    while len(tasks.placed) > tasks.desired:
        stop(_from_busiest_host(tasks.placed), StopReason.SCALED_IN)
    return result


def unable_to_place_message(service: str, reason: str = "RESOURCE:CPU") -> str:
    """The service event ECS writes when a task has no place (the drain's waiting tasks show here)."""
    return (
        f"(service {service}) was unable to place a task because no container instance met all of its "
        f"requirements. Reason: {reason}"
    )


def _from_busiest_host[T: SchedulableTask](tasks: list[T]) -> T:
    per_host = Counter(t.container_instance_arn for t in tasks)
    task = max(tasks, key=lambda t: per_host[t.container_instance_arn])
    tasks.remove(task)
    return task
