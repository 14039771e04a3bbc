"""ECS API responses -> the models: what DescribeServices, DescribeTasks, DescribeTaskDefinition,
DescribeContainerInstances and the service-deployment APIs return, as the verify and scale jobs read it.

Pure functions over the response dictionaries: no client, no call. The drain handler reads none of these:
``fleetops.aws.ecs`` imports this module inside the methods that use it, not at its top, and the verify and
scale models are imported inside the functions that build them, so the drain handler does not load them at
cold start, nor the scale handler the verify job's models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fleetops.models.ecs import (
    EcsService,
    LifecycleHookExecution,
    LoadBalancerBinding,
    PortBinding,
    ServiceDeployment,
    ServiceTask,
    TaskContainer,
)

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import (
        DeploymentLifecycleHookDetailTypeDef,
        ServiceDeploymentBriefTypeDef,
        ServiceDeploymentTypeDef,
        TaskTypeDef,
    )

    from fleetops.models.ecs_deployments import EcsServiceDeployment, StoppedTask, TaskSet
    from fleetops.models.scale import Resources


def ecs_service(item: Any) -> EcsService:
    return EcsService(
        arn=item["serviceArn"],
        cluster_arn=item.get("clusterArn", ""),
        name=item["serviceName"],
        status=item.get("status", ""),
        desired_count=int(item.get("desiredCount", 0)),
        running_count=int(item.get("runningCount", 0)),
        pending_count=int(item.get("pendingCount", 0)),
        task_definition=item.get("taskDefinition", ""),
        deployments=tuple(
            ServiceDeployment(
                id=d.get("id", ""),
                status=d.get("status", ""),
                task_definition=d.get("taskDefinition", ""),
                rollout_state=d.get("rolloutState", ""),
                rollout_state_reason=d.get("rolloutStateReason", ""),
                desired_count=int(d.get("desiredCount", 0)),
                running_count=int(d.get("runningCount", 0)),
                pending_count=int(d.get("pendingCount", 0)),
                failed_tasks=int(d.get("failedTasks", 0)),
            )
            for d in item.get("deployments", [])
        ),
        target_group_arns=tuple(
            dict.fromkeys(lb["targetGroupArn"] for lb in item.get("loadBalancers", []) if lb.get("targetGroupArn"))
        ),
        load_balancers=load_balancer_bindings(item.get("loadBalancers", [])),
        alternate_target_groups=tuple(
            (lb["targetGroupArn"], lb["advancedConfiguration"]["alternateTargetGroupArn"])
            for lb in item.get("loadBalancers", [])
            if lb.get("targetGroupArn") and lb.get("advancedConfiguration", {}).get("alternateTargetGroupArn")
        ),
        classic_load_balancers=tuple(
            dict.fromkeys(
                lb["loadBalancerName"]
                for lb in item.get("loadBalancers", [])
                if lb.get("loadBalancerName") and not lb.get("targetGroupArn")
            )
        ),
        deployment_controller=item.get("deploymentController", {}).get("type", "ECS"),
        circuit_breaker_rollback=bool(
            item.get("deploymentConfiguration", {}).get("deploymentCircuitBreaker", {}).get("rollback", False)
        ),
        alarms_rollback=alarms_rollback(item.get("deploymentConfiguration", {}).get("alarms", {})),
        task_sets=tuple(task_set(entry) for entry in item.get("taskSets", [])),
        # Tag (ECS API Reference): ``{"key", "value"}``, lowercase; a tag's value is optional.
        tags=tuple((str(tag["key"]), str(tag.get("value", ""))) for tag in item.get("tags", []) if tag.get("key")),
    )


def load_balancer_bindings(items: Any) -> tuple[LoadBalancerBinding, ...]:
    return tuple(
        LoadBalancerBinding(lb["targetGroupArn"], lb.get("containerName", ""), int(lb.get("containerPort", 0)))
        for lb in items
        if lb.get("targetGroupArn")
    )


def task_set(item: Any) -> TaskSet:
    from fleetops.models.ecs_deployments import TaskSet

    return TaskSet(
        id=item.get("id", ""),
        arn=item.get("taskSetArn", ""),
        status=item.get("status", ""),
        stability_status=item.get("stabilityStatus", ""),
        task_definition=item.get("taskDefinition", ""),
        computed_desired_count=int(item.get("computedDesiredCount", 0)),
        running_count=int(item.get("runningCount", 0)),
        pending_count=int(item.get("pendingCount", 0)),
        external_id=item.get("externalId", ""),
        load_balancers=load_balancer_bindings(item.get("loadBalancers", [])),
    )


def alarms_rollback(alarms: Any) -> bool:
    """DeploymentAlarms (ECS API Reference): ECS watches ``alarmNames`` only when ``enable`` is true, and
    rolls back by itself only when ``rollback`` is true too (with it false, ECS only fails the deployment)."""
    return bool(alarms.get("enable", False) and alarms.get("rollback", False) and alarms.get("alarmNames"))


def service_task(task: TaskTypeDef) -> ServiceTask:
    return ServiceTask(
        arn=task["taskArn"],
        task_definition=task.get("taskDefinitionArn", ""),
        last_status=task.get("lastStatus", "UNKNOWN"),
        desired_status=task.get("desiredStatus", "UNKNOWN"),
        health_status=task.get("healthStatus", "UNKNOWN"),
        containers=tuple(
            TaskContainer(
                name=c.get("name", ""),
                image=c.get("image", ""),
                image_digest=c.get("imageDigest", ""),
                health_status=c.get("healthStatus", "UNKNOWN"),
                last_status=c.get("lastStatus", "UNKNOWN"),
            )
            for c in task.get("containers", [])
        ),
        container_instance_arn=task.get("containerInstanceArn", ""),
        port_bindings=tuple(
            PortBinding(c.get("name", ""), int(b["containerPort"]), int(b["hostPort"]))
            for c in task.get("containers", [])
            for b in c.get("networkBindings", [])
            if b.get("containerPort") is not None and b.get("hostPort") is not None
        ),
        private_ipv4=eni_private_ipv4(task),
        ipv6_address=eni_ipv6(task),
        started_by=task.get("startedBy", ""),
    )


def eni_private_ipv4(task: TaskTypeDef) -> str:
    """The private IPv4 address of an awsvpc task's own network interface: its ElasticNetworkInterface
    attachment's ``privateIPv4Address`` (Attachment, ECS API Reference), else the container's
    ``networkInterfaces`` (NetworkInterface: "for tasks that use the awsvpc network mode"). ""
    for bridge and host mode tasks, which have neither."""
    return _eni_address(task, detail="privateIPv4Address", interface_field="privateIpv4Address")


def eni_ipv6(task: TaskTypeDef) -> str:
    """The IPv6 address of an awsvpc task's own network interface (NetworkInterface ``ipv6Address``;
    the attachment's ``ipv6Address`` detail where given): "The task is allocated its own elastic network
    interface (ENI) and a primary private IPv4 or IPv6 address" (Amazon ECS task networking options for
    EC2). An IPv6-only task has no IPv4 address, and an IPv6 target group registers it by this one."""
    return _eni_address(task, detail="ipv6Address", interface_field="ipv6Address")


def _eni_address(task: TaskTypeDef, *, detail: str, interface_field: str) -> str:
    """One address of the task's own network interface: from its ElasticNetworkInterface attachment's
    ``details`` (named ``detail``), else from its containers' ``networkInterfaces``; "" when neither has it."""
    for attachment in task.get("attachments", []):
        if attachment.get("type") == "ElasticNetworkInterface":
            for item in attachment.get("details", []):
                if item.get("name") == detail and item.get("value"):
                    return item["value"]
    for container in task.get("containers", []):
        for interface in container.get("networkInterfaces", []):
            value = interface.get(interface_field)
            if value:
                return str(value)
    return ""


def stopped_task(task: TaskTypeDef) -> StoppedTask:
    from fleetops.models.ecs_deployments import ContainerExit, StoppedTask

    when = task.get("stoppedAt") or task.get("stoppingAt")
    return StoppedTask(
        arn=task["taskArn"],
        task_definition=task.get("taskDefinitionArn", ""),
        stop_code=task.get("stopCode", ""),
        stopped_reason=task.get("stoppedReason", ""),
        stopped_at=when.timestamp() if when is not None else None,
        containers=tuple(
            ContainerExit(c.get("name", ""), c.get("exitCode"), c.get("reason", "")) for c in task.get("containers", [])
        ),
    )


def health_check_seconds(health_check: Mapping[str, Any]) -> int:
    """The longest a container's health check takes to decide: its start period (failures within it do
    not count), then ``retries`` checks ``interval`` apart, the last one up to ``timeout``. HealthCheck
    (ECS API Reference): interval 5-300 s, default 30; timeout 2-60 s, default 5; retries 1-10, default 3;
    startPeriod 0-300 s, off by default."""
    interval = int(health_check.get("interval") or 30)
    timeout = int(health_check.get("timeout") or 5)
    retries = int(health_check.get("retries") or 3)
    start_period = int(health_check.get("startPeriod") or 0)
    return start_period + interval * retries + timeout


def created_at(brief: ServiceDeploymentBriefTypeDef) -> float:
    created = brief.get("createdAt")
    return created.timestamp() if created is not None else 0.0


def ecs_service_deployment(item: ServiceDeploymentTypeDef, task_definitions: Mapping[str, str]) -> EcsServiceDeployment:
    """ServiceDeploymentAlarms and ServiceDeploymentCircuitBreaker ``status`` TRIGGERED: the alarm went to
    ALARM / the breaker's threshold was reached; whether ECS then rolls back is the deployment's own
    ``deploymentConfiguration`` (``alarms.rollback``, ``deploymentCircuitBreaker.rollback``)."""
    from fleetops.models.ecs_deployments import EcsServiceDeployment

    alarms = item.get("alarms", {})
    configuration: Any = item.get("deploymentConfiguration", {})
    configured_alarms = configuration.get("alarms")
    configured_breaker = configuration.get("deploymentCircuitBreaker")
    created = item.get("createdAt")
    return EcsServiceDeployment(
        arn=item.get("serviceDeploymentArn", ""),
        status=item.get("status", ""),
        created_at=created.timestamp() if created is not None else 0.0,
        rolled_back_to=task_definitions.get(item.get("rollback", {}).get("serviceRevisionArn", ""), ""),
        triggered_alarms=tuple(alarms.get("triggeredAlarmNames", ())) if alarms.get("status") == "TRIGGERED" else (),
        circuit_breaker_triggered=item.get("deploymentCircuitBreaker", {}).get("status") == "TRIGGERED",
        alarms_rollback=alarms_rollback(configured_alarms) if configured_alarms is not None else None,
        circuit_breaker_rollback=(
            bool(configured_breaker.get("enable", False) and configured_breaker.get("rollback", False))
            if configured_breaker is not None
            else None
        ),
    )


def hook_execution(detail: DeploymentLifecycleHookDetailTypeDef) -> LifecycleHookExecution:
    expires = detail.get("expiresAt")
    return LifecycleHookExecution(
        hook_id=detail.get("hookId", ""),
        target_type=detail.get("targetType", ""),
        target_arn=detail.get("targetArn", ""),
        status=detail.get("status", ""),
        expires_at=expires.timestamp() if expires is not None else None,
        timeout_action=detail.get("timeoutAction", ""),
    )


def resources(items: Any) -> Resources:
    from fleetops.models.scale import Resources

    values = {item.get("name"): int(item.get("integerValue", 0)) for item in items}
    return Resources(cpu=values.get("CPU", 0), memory=values.get("MEMORY", 0))


def used_ports(items: Any) -> frozenset[int]:
    """remainingResources' PORTS lists the TCP ports already taken on the host."""
    for item in items:
        if item.get("name") == "PORTS":
            return frozenset(int(port) for port in item.get("stringSetValue", []) if str(port).isdigit())
    return frozenset()
