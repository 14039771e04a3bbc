"""What moto 5.2 lacks, closed here and only here (each patch names the gap it closes).

- ECS ListContainerInstances ignores ``filter`` and never pages: this applies the one filter the
  suite uses (``ec2InstanceId == i-...``) and pages at ``maxResults`` (default 100) like AWS.
- ECS ListTasks never pages: this pages at ``maxResults`` (default 100) like AWS.
- ECS ListServices never pages: this pages like AWS, 10 services unless ``maxResults`` (1 to 100) asks
  for more ("If this parameter isn't used, then ListServices returns up to 10 results", ListServices,
  Amazon ECS API Reference). Every List* here rejects a ``maxResults`` outside 1..100, as AWS does.
- ECS CreateService drops ``deploymentConfiguration``: it is kept on the service (and described), with
  ECS's defaults where it is not given (DeploymentConfiguration, Amazon ECS API Reference: a replica
  service 100 % minimum healthy and 200 % maximum, a daemon service 0 % and 100 %); the simulated
  scheduler (``service_scheduler``) replaces tasks by it.
- Auto Scaling CompleteLifecycleAction / RecordLifecycleActionHeartbeat raise NotImplementedError
  and hooks never fire: they are routed to ``lifecycle.SimulatedLifecycleHooks``.
- ECS DescribeTasks advances every task one status step: its state manager is set to manual, and
  the simulated scheduler (``scheduler``) moves tasks instead.
- Auto Scaling launches every instance of a group into the group's first subnet; AWS balances them
  across the group's zones. Each launch here goes to the subnet with the fewest of the group's
  instances.
- Auto Scaling PutLifecycleHook drops NotificationTargetARN, RoleARN and NotificationMetadata (and
  describes made-up ones): they are kept on the hook, as AWS keeps them. It describes every hook's
  GlobalTimeout as 172800; AWS's is "172800 seconds (48 hours) or 100 times HeartbeatTimeout, whichever
  is smaller" (API reference, LifecycleHook). And it accepts any name, heartbeat timeout and default
  result; AWS refuses a name outside ``[A-Za-z0-9-_/]+`` or longer than 255, a heartbeat timeout
  outside 30..7200 s and a result other than CONTINUE or ABANDON (PutLifecycleHook), and so does this.
- ECS ListTasks answers for a deleted (INACTIVE) cluster as for a live one. ECS keeps a deleted cluster
  "discoverable for a period of time" (DeleteCluster) and does not say what ListTasks then answers; this
  takes the stricter answer, ClusterNotFoundException, the one it gives once the cluster is gone.
- Auto Scaling EnterStandby and a lower desired capacity: see ``standby_gaps``.
- ELBv2 target groups hold one target per instance ID; AWS tells targets apart by ID and port, as
  tasks in bridge mode on one host (dynamic host ports) need. Targets here are kept by ID and port.
  And it registers any Id in any group; AWS takes an instance ID in a group of target type
  ``instance`` and an IP address in one of type ``ip`` (TargetDescription, Elastic Load Balancing API
  Reference), and refuses other targets (``InvalidTarget``): so does this.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from typing import Any, Protocol

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import FakeAutoScalingGroup
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.ecs.exceptions import ClusterNotFoundException, InvalidParameterException
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.exceptions import InvalidTargetError
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup
from moto.moto_api import state_manager

from simulator.autoscaling.standby_gaps import close_standby_gaps
from simulator.sns.gaps import close_sns_gaps
from simulator.sqs.gaps import close_sqs_gaps

_EC2_FILTER = re.compile(r"^\s*ec2InstanceId\s*==\s*(i-[0-9a-f]+)\s*$")
# PutLifecycleHook's constraints (API reference): LifecycleHookName, HeartbeatTimeout, DefaultResult.
_HOOK_NAME = re.compile(r"^[A-Za-z0-9\-_\/]{1,255}$")
HEARTBEAT_TIMEOUT_RANGE = (30, 7200)
GLOBAL_TIMEOUT_CAP_SECONDS = 172_800
# ECS API Reference, maxResults of each List call: "This value can be between 1 and 100. If this parameter
# isn't used, then <call> returns up to <default> results and a nextToken value if applicable."
DEFAULT_PAGE = 100  # ListTasks, ListContainerInstances
LIST_SERVICES_DEFAULT_PAGE = 10
LARGEST_PAGE = 100


class LifecycleBackend(Protocol):
    def complete(self, *, group: str, hook: str, token: str | None, instance_id: str | None, result: str) -> None: ...

    def heartbeat(self, *, group: str, hook: str, token: str | None, instance_id: str | None) -> None: ...


_lifecycle: LifecycleBackend | None = None


def route_lifecycle_actions_to(backend: LifecycleBackend | None) -> None:
    global _lifecycle
    _lifecycle = backend


def _page(items: list[str], params: dict[str, Any], default: int = DEFAULT_PAGE) -> tuple[list[str], str | None]:
    asked = params.get("maxResults")
    if asked is not None and not 1 <= int(asked) <= LARGEST_PAGE:
        raise InvalidParameterException(f"maxResults must be between 1 and {LARGEST_PAGE}, got {asked}")
    size = int(asked) if asked is not None else default
    start = int(params.get("nextToken") or 0)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _list_container_instances(self: EC2ContainerServiceResponse) -> ActionResult:
    cluster = self._get_param("cluster", "default")
    arns = self.ecs_backend.list_container_instances(cluster, status=self._get_param("status"))
    query = self._get_param("filter")
    if query:
        match = _EC2_FILTER.match(query)
        if match is None:
            raise InvalidParameterException(f"simulation supports only 'ec2InstanceId == i-...', got {query!r}")
        instances = self.ecs_backend.container_instances.get(cluster.split("/")[-1], {})
        wanted = {ci.container_instance_arn for ci in instances.values() if ci.ec2_instance_id == match.group(1)}
        arns = [arn for arn in arns if arn in wanted]
    page, token = _page(arns, self._get_params())
    return ActionResult({"containerInstanceArns": page, **({"nextToken": token} if token else {})})


def _list_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    cluster = self._get_param("cluster", "default")
    known = self.ecs_backend.clusters.get(cluster.split("/")[-1])
    if known is not None and known.status == "INACTIVE":
        raise ClusterNotFoundException
    tasks = self.ecs_backend.list_tasks(
        cluster,
        self._get_param("containerInstance"),
        self._get_param("family"),
        self._get_param("startedBy"),
        self._get_param("serviceName"),
        # Like AWS, ListTasks lists desiredStatus RUNNING unless told otherwise.
        self._get_param("desiredStatus") or "RUNNING",
    )
    page, token = _page(sorted(t.task_arn for t in tasks), self._get_params())
    return ActionResult({"taskArns": page, **({"nextToken": token} if token else {})})


def _list_services(self: EC2ContainerServiceResponse) -> ActionResult:
    arns = self.ecs_backend.list_services(
        self._get_param("cluster", "default"),
        self._get_param("schedulingStrategy"),
        launch_type=self._get_param("launchType"),
    )
    page, token = _page(arns, self._get_params(), LIST_SERVICES_DEFAULT_PAGE)
    return ActionResult({"serviceArns": page, **({"nextToken": token} if token else {})})


_ORIGINAL_CREATE_SERVICE = EC2ContainerServiceResponse.create_service


def _create_service(self: EC2ContainerServiceResponse) -> ActionResult:
    result = _ORIGINAL_CREATE_SERVICE(self)
    service = self.ecs_backend.services[
        f"{self._get_param('cluster', 'default').split('/')[-1]}:{self._get_param('serviceName')}"
    ]
    daemon = self._get_param("schedulingStrategy") == "DAEMON"
    defaults = (
        {"minimumHealthyPercent": 0, "maximumPercent": 100}
        if daemon
        else {
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
        }
    )
    service.deployment_configuration = {  # type: ignore[attr-defined]
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        **defaults,
        **(self._get_param("deploymentConfiguration") or {}),
    }
    return result


def _complete_lifecycle_action(self: AutoScalingResponse) -> ActionResult:
    _require_lifecycle().complete(
        group=self._get_param("AutoScalingGroupName"),
        hook=self._get_param("LifecycleHookName"),
        token=self._get_param("LifecycleActionToken"),
        instance_id=self._get_param("InstanceId"),
        result=self._get_param("LifecycleActionResult"),
    )
    return EmptyResult()


def _record_lifecycle_action_heartbeat(self: AutoScalingResponse) -> ActionResult:
    _require_lifecycle().heartbeat(
        group=self._get_param("AutoScalingGroupName"),
        hook=self._get_param("LifecycleHookName"),
        token=self._get_param("LifecycleActionToken"),
        instance_id=self._get_param("InstanceId"),
    )
    return EmptyResult()


def _require_lifecycle() -> LifecycleBackend:
    if _lifecycle is None:
        raise NotImplementedError("no SimulatedLifecycleHooks is active (moto has no lifecycle actions)")
    return _lifecycle


_ORIGINAL_PUT_LIFECYCLE_HOOK = AutoScalingResponse.put_lifecycle_hook


def _put_lifecycle_hook(self: AutoScalingResponse) -> ActionResult:
    group, name = self._get_param("AutoScalingGroupName"), self._get_param("LifecycleHookName")
    _check_hook(name, self._get_int_param("HeartbeatTimeout"), self._get_param("DefaultResult"))
    result = _ORIGINAL_PUT_LIFECYCLE_HOOK(self)
    hook = self.autoscaling_backend.lifecycle_hooks[f"{group}_{name}"]
    hook.notification_target_arn = self._get_param("NotificationTargetARN")
    hook.role_arn = self._get_param("RoleARN")
    hook.notification_metadata = self._get_param("NotificationMetadata")  # type: ignore[attr-defined]
    hook.global_timeout = min(GLOBAL_TIMEOUT_CAP_SECONDS, 100 * int(hook.heartbeat_timeout))
    return result


def _check_hook(name: str | None, heartbeat_timeout: int | None, default_result: str | None) -> None:
    """What PutLifecycleHook refuses, with the messages AWS sends."""
    if not name or not _HOOK_NAME.match(name):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'lifecycleHookName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [A-Za-z0-9\\-_\\/]+ and have length 1 to 255"
        )
    low, high = HEARTBEAT_TIMEOUT_RANGE
    if heartbeat_timeout is not None and not low <= heartbeat_timeout <= high:
        raise ValidationError(f"Heartbeat timeout must be between {low} and {high} seconds, got {heartbeat_timeout}")
    if default_result is not None and default_result not in ("CONTINUE", "ABANDON"):
        raise ValidationError(f"Invalid DefaultResult {default_result!r}: must be CONTINUE or ABANDON")


_ORIGINAL_LAUNCH = FakeAutoScalingGroup.replace_autoscaling_group_instances


def _launch_balanced_across_zones(
    self: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]
) -> None:
    subnets = [s for s in (self.vpc_zone_identifier or "").split(",") if s]
    if len(subnets) < 2:
        _ORIGINAL_LAUNCH(self, count_needed, propagated_tags)
        return
    try:
        for _ in range(count_needed):
            launched = Counter(state.instance.subnet_id for state in self.instance_states)
            self.vpc_zone_identifier = min(subnets, key=lambda subnet: (launched[subnet], subnets.index(subnet)))
            _ORIGINAL_LAUNCH(self, 1, dict(propagated_tags))
    finally:
        self.vpc_zone_identifier = ",".join(subnets)


_ORIGINAL_HEALTH_FOR = FakeTargetGroup.health_for


def _target_key(group: FakeTargetGroup, target: dict[str, Any]) -> str:
    return f"{target['Id']}:{target.get('Port', group.port)}"


def _register_targets(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
    for target in targets:
        if not _fits_target_type(self.target_type, str(target["Id"])):
            raise InvalidTargetError()
    for target in targets:
        key = _target_key(self, target)
        self.targets[key] = {"Id": target["Id"], "Port": target.get("Port", self.port)}
        self.deregistered_targets.pop(key, None)


def _fits_target_type(target_type: str, target_id: str) -> bool:
    if target_type == "instance":
        return target_id.startswith("i-")
    if target_type == "ip":
        try:
            ipaddress.ip_address(target_id)
        except ValueError:
            return False
    return True


def _deregister_targets(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
    # "If the specified target does not exist, the action returns successfully" (Elastic Load
    # Balancing API Reference, DeregisterTargets): a target deregistered twice, or never registered.
    for target in targets:
        key = _target_key(self, target)
        registered = self.targets.pop(key, None)
        if registered is not None:
            self.deregistered_targets[key] = registered


def _health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
    if _target_key(self, target) in self.targets:
        return FakeHealthStatus(target["Id"], target.get("Port", self.port), self.health_check_port, "healthy")
    return _ORIGINAL_HEALTH_FOR(self, target, ec2_backend)


def close_moto_gaps() -> None:
    """Install the patches (idempotent). They add behaviour moto lacks and change nothing else."""
    close_sqs_gaps()
    close_sns_gaps()
    close_standby_gaps()
    EC2ContainerServiceResponse.list_container_instances = _list_container_instances  # type: ignore[method-assign]
    EC2ContainerServiceResponse.list_tasks = _list_tasks  # type: ignore[method-assign]
    EC2ContainerServiceResponse.list_services = _list_services  # type: ignore[method-assign]
    EC2ContainerServiceResponse.create_service = _create_service  # type: ignore[method-assign]
    AutoScalingResponse.complete_lifecycle_action = _complete_lifecycle_action  # type: ignore[attr-defined]
    AutoScalingResponse.record_lifecycle_action_heartbeat = _record_lifecycle_action_heartbeat  # type: ignore[attr-defined]
    AutoScalingResponse.put_lifecycle_hook = _put_lifecycle_hook  # type: ignore[method-assign]
    FakeTargetGroup.register = _register_targets  # type: ignore[method-assign]
    FakeTargetGroup.deregister = _deregister_targets  # type: ignore[method-assign]
    FakeTargetGroup.health_for = _health_for  # type: ignore[method-assign]
    FakeAutoScalingGroup.replace_autoscaling_group_instances = _launch_balanced_across_zones  # type: ignore[method-assign]
    state_manager.set_transition(model_name="ecs::task", transition={"progression": "manual", "times": 1_000_000})
