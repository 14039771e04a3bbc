"""What the scale job needs from the simulation beyond ``cluster`` and the Auto Scaling gaps.

moto 5.2 gaps closed here (only while a world routes them, see ``route_scaling_to``):
- TerminateInstanceInAutoScalingGroup terminates at once and ignores termination lifecycle hooks:
  with hooks on the group it now puts the instance in ``Terminating:Wait`` through
  ``SimulatedLifecycleHooks.start_termination``, one lifecycle action per hook (decrementing the
  desired capacity first, as AWS does, by the instance's weight in a weighted group: ``weighted_groups``),
  so the drain job moves the tasks before the instance goes.
- SetDesiredCapacity and TerminateInstanceInAutoScalingGroup accept a desired capacity outside
  MinSize..MaxSize; AWS rejects it with a ValidationError, and so does this.
- Services start no tasks and UpdateService reports ``runningCount == desiredCount`` at once:
  ``ServiceScheduler.settle`` runs the cluster's scheduler (``cluster.SimulatedCluster.schedule``), which
  places the missing tasks where they fit (CPU, memory and static host ports, per host), replaces
  those on DRAINING hosts as ECS does, and reports the counts that really run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult
from moto.ecs.models import Task
from moto.moto_api._internal import mock_random

from simulator.autoscaling.lifecycle import LifecycleActionRecord, SimulatedLifecycleHooks
from simulator.autoscaling.weighted_groups import decrement_of
from simulator.fleet.cluster import SimulatedCluster
from simulator.patching import Patch, Replace

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import ContainerDefinitionTypeDef

_ORIGINAL_TERMINATE = AutoScalingResponse.terminate_instance_in_auto_scaling_group
_ORIGINAL_SET_DESIRED = AutoScalingResponse.set_desired_capacity


@dataclass
class ScalingRoute:
    hooks: SimulatedLifecycleHooks
    on_termination: Callable[[list[LifecycleActionRecord]], None]  # every hook's action of one termination


_route: ScalingRoute | None = None


def route_scaling_to(route: ScalingRoute | None) -> None:
    """Send the capacity calls to ``route`` (the world's hooks); None: moto's own behaviour."""
    global _route
    _route = route


def _set_desired_capacity(self: AutoScalingResponse) -> ActionResult:
    if _route is not None:
        group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
        _check_bounds(group, self._get_int_param("DesiredCapacity"))
    return _ORIGINAL_SET_DESIRED(self)


def _terminate_instance(self: AutoScalingResponse) -> ActionResult:
    if _route is None:
        return _ORIGINAL_TERMINATE(self)
    instance_id = self._get_param("InstanceId")
    decrement = self._get_bool_param("ShouldDecrementDesiredCapacity", False)
    backend = self.autoscaling_backend
    group = next(
        (
            g
            for g in backend.autoscaling_groups.values()
            if any(s.instance.id == instance_id for s in g.instance_states)
        ),
        None,
    )
    if group is None:
        raise ValidationError(f"Instance Id not found - No managed instance found for instance ID: {instance_id}")
    has_hook = any(
        h.auto_scaling_group_name == group.name and h.lifecycle_transition == "autoscaling:EC2_INSTANCE_TERMINATING"
        for h in backend.lifecycle_hooks.values()
    )
    if not has_hook:
        return _ORIGINAL_TERMINATE(self)
    if decrement:
        state = next(s for s in group.instance_states if s.instance.id == instance_id)
        by = decrement_of(state)
        desired = int(group.desired_capacity or 0) - by
        _check_bounds(group, desired)
        group.desired_capacity = desired
    _route.on_termination(_route.hooks.start_termination(group.name, instance_id))
    return ActionResult(
        {
            "Activity": {
                "ActivityId": str(mock_random.uuid4()),
                "AutoScalingGroupName": group.name,
                "Cause": f"instance {instance_id} was taken out of service in response to a user request",
                "StartTime": "2026-01-01T00:00:00Z",
                "StatusCode": "InProgress",
                "Progress": 0,
            }
        }
    )


def _check_bounds(group: Any, desired: int) -> None:
    # The messages real Auto Scaling sends.
    if desired > group.max_size:
        raise ValidationError(
            f"New SetDesiredCapacity value {desired} is above max value {group.max_size} for the AutoScalingGroup."
        )
    if desired < group.min_size:
        raise ValidationError(
            f"New SetDesiredCapacity value {desired} is below min value {group.min_size} for the AutoScalingGroup."
        )


PATCHES: tuple[Patch, ...] = (
    Replace(AutoScalingResponse, "terminate_instance_in_auto_scaling_group", _terminate_instance),
    Replace(AutoScalingResponse, "set_desired_capacity", _set_desired_capacity),
)


@dataclass
class ServiceScheduler:
    """Places a replica service's tasks on hosts with room, the way ECS's scheduler would."""

    cluster: SimulatedCluster
    task_definitions: dict[str, str] = field(default_factory=dict)  # service -> task definition ARN

    def add_service(
        self, name: str, *, cpu: int = 256, memory: int = 512, daemon: bool = False, host_port: int | None = None
    ) -> None:
        """A replica service (no task yet), or a daemon service whose task runs on every host.
        ``host_port``: a static host port (bridge mode), so at most one of its tasks per host."""
        ecs = self.cluster.session.client("ecs")
        container: ContainerDefinitionTypeDef = {
            "name": name,
            "image": "public.ecr.aws/nginx/nginx:1.27",
            "cpu": cpu,
            "memory": memory,
        }
        if host_port is not None:
            container["portMappings"] = [{"containerPort": 80, "hostPort": host_port, "protocol": "tcp"}]
        arn = ecs.register_task_definition(family=name, networkMode="bridge", containerDefinitions=[container])[
            "taskDefinition"
        ]["taskDefinitionArn"]
        strategy: dict[str, Any] = {"schedulingStrategy": "DAEMON"} if daemon else {"desiredCount": 0}
        ecs.create_service(cluster=self.cluster.name, serviceName=name, taskDefinition=arn, **strategy)
        self.task_definitions[name] = arn
        if daemon:
            self.cluster.daemon_services.add(name)  # the drain's scheduler never moves its tasks
            for instance_id in self.cluster.instance_ids:
                self._start(instance_id, name, 1)

    def run_on(self, instance_id: str, service: str, count: int) -> list[Task]:
        """Put ``count`` tasks of the service on one host, and count them as desired and running."""
        started = self._start(instance_id, service, count)
        model = self._service(service)
        model.desired_count += len(started)
        self.settle(service)
        return started

    def settle(self, service: str) -> int:
        """One pass of the cluster's scheduler over the service; returns how many tasks it wants
        that could not be placed (ECS reports them in the service's events as "unable to place")."""
        return self.cluster.schedule(service).unplaced

    def tasks(self, service: str) -> list[Task]:
        return self.cluster.service_tasks(service)

    def set_desired_count(self, service: str, count: int) -> None:
        """What UpdateService records, without moto's pretence that the tasks already run."""
        self._service(service).desired_count = count
        self.settle(service)

    def start_deployment(self, service: str) -> None:
        """A rolling deployment under way: a new PRIMARY and the old one still ACTIVE."""
        model = self._service(service)
        old = dict(model.deployments[0], status="ACTIVE")
        new = dict(model.deployments[0], id="ecs-svc/9999", rolloutState="IN_PROGRESS")
        model.deployments = [new, old]

    def _service(self, name: str) -> Any:
        return self.cluster.ecs_backend.services[f"{self.cluster.name}:{name}"]

    def _start(self, instance_id: str, service: str, count: int) -> list[Task]:
        return [self.cluster.start_service_task(instance_id, service) for _ in range(count)]
