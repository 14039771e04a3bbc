"""ECS container instances and tasks, reduced to what the jobs decide on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # built by the ECS adapter only where a service has task sets (verify's models)
    from fleetops.models.ecs_deployments import TaskSet

# ECS task lifecycle: PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING → STOPPING →
# DEPROVISIONING → STOPPED. Only STOPPED means the task is gone from the host; a task that is
# DEACTIVATING or STOPPING may still be serving connections within the load balancer's
# deregistration delay.
TASK_STOPPED = "STOPPED"
SERVICE_GROUP_PREFIX = "service:"
# Deployment controllers whose services run task sets instead of deployments (DeploymentController).
TASK_SET_CONTROLLERS = ("CODE_DEPLOY", "EXTERNAL")


def cluster_name(cluster: str) -> str:
    """A cluster's name from its name or ARN (``arn:aws:ecs:…:cluster/prod``): ECS cluster names have no
    '/' (CreateCluster: letters, numbers, hyphens and underscores)."""
    return cluster.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class ContainerInstance:
    cluster_arn: str
    arn: str
    ec2_instance_id: str
    status: str  # ACTIVE | DRAINING | INACTIVE | DEREGISTERING | REGISTERING | REGISTRATION_FAILED
    agent_connected: bool
    running_tasks_count: int
    pending_tasks_count: int

    @property
    def cluster_name(self) -> str:
        return cluster_name(self.cluster_arn)


@dataclass(frozen=True, slots=True)
class TaskOnHost:
    arn: str
    last_status: str
    desired_status: str
    group: str  # "service:<name>" for service tasks, "family:<name>" or custom for RunTask
    started_by: str = ""

    @property
    def is_stopped(self) -> bool:
        return self.last_status == TASK_STOPPED

    @property
    def service_name(self) -> str | None:
        if self.group.startswith(SERVICE_GROUP_PREFIX):
            return self.group[len(SERVICE_GROUP_PREFIX) :]
        return None


# -- services and their deployments (the verify job) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceDeployment:
    """One entry of DescribeServices' ``deployments``: PRIMARY is the newest, ACTIVE ones are draining."""

    id: str
    status: str  # PRIMARY | ACTIVE | INACTIVE
    task_definition: str
    rollout_state: str  # IN_PROGRESS | COMPLETED | FAILED ("" for CODE_DEPLOY/EXTERNAL controllers)
    rollout_state_reason: str
    desired_count: int
    running_count: int
    pending_count: int
    failed_tasks: int


@dataclass(frozen=True, slots=True)
class LoadBalancerBinding:
    """One entry of a service's ``loadBalancers`` with a target group: where ECS registers each task,
    the container and port of the task that the group's targets lead to."""

    target_group_arn: str
    container_name: str
    container_port: int


@dataclass(frozen=True, slots=True)
class EcsService:
    arn: str
    cluster_arn: str
    name: str
    status: str
    desired_count: int
    running_count: int
    pending_count: int
    task_definition: str
    deployments: tuple[ServiceDeployment, ...]
    target_group_arns: tuple[str, ...]
    deployment_controller: str = "ECS"
    circuit_breaker_rollback: bool = False  # ECS rolls a failed deployment back by itself
    # deploymentConfiguration.alarms with ``enable`` and ``rollback`` (DeploymentAlarms, ECS API Reference):
    # when one of these CloudWatch alarms goes to ALARM, ECS fails the deployment and rolls the service
    # back to the last deployment that completed, by itself.
    alarms_rollback: bool = False
    task_sets: tuple[TaskSet, ...] = ()  # CODE_DEPLOY / EXTERNAL controllers only
    # ECS native blue/green: (target group, alternate target group) per load balancer. The two swap
    # roles at each deployment, so the service's tasks may be registered in either one.
    alternate_target_groups: tuple[tuple[str, str], ...] = ()
    load_balancers: tuple[LoadBalancerBinding, ...] = ()
    # ``loadBalancerName`` entries: Classic Load Balancers, which register the service's hosts, not
    # target groups. ECS gives no ``rolloutState`` for a rolling service behind one (Deployment, ECS
    # API Reference).
    classic_load_balancers: tuple[str, ...] = ()
    # The service's own tags (DescribeServices with ``include=["TAGS"]``), as (key, value) pairs: where a
    # service team configures its verification and scaling bounds (fleetops/service_tags.py).
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def primary(self) -> ServiceDeployment | None:
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)

    @property
    def uses_task_sets(self) -> bool:
        """CODE_DEPLOY or EXTERNAL controller: the service runs task sets, and ECS refuses UpdateService
        with a task definition ("create a new CodeDeploy deployment" / "create a new task set": UpdateService)."""
        return self.deployment_controller in TASK_SET_CONTROLLERS

    @property
    def task_set_statuses(self) -> tuple[str, ...]:
        return tuple(task_set.status for task_set in self.task_sets)

    @property
    def primary_task_set(self) -> TaskSet | None:
        return next((t for t in self.task_sets if t.status == "PRIMARY"), None)

    @property
    def ecs_rollback_mechanisms(self) -> tuple[str, ...]:
        """What makes ECS roll a failed deployment back by itself on this service, if anything."""
        return tuple(
            name
            for name, on in (
                ("circuit breaker", self.circuit_breaker_rollback),
                ("deployment alarms", self.alarms_rollback),
            )
            if on
        )


@dataclass(frozen=True, slots=True)
class TaskContainer:
    name: str
    image: str
    image_digest: str
    health_status: str  # HEALTHY | UNHEALTHY | UNKNOWN (UNKNOWN also when no health check is defined)
    last_status: str


@dataclass(frozen=True, slots=True)
class ContainerHealthChecks:
    """What a task definition says of its containers' health (DescribeTaskDefinition), by container name.

    DescribeTasks does not say which container is essential: only the task definition does."""

    health_checked: frozenset[str]  # the definition has a health check: only these ever report HEALTHY
    # ``essential: false``. ECS's HealthCheck reference: a task's health is its essential containers'
    # ("If this parameter is omitted, a container is assumed to be essential": ContainerDefinition).
    non_essential: frozenset[str] = frozenset()
    # How long an essential container may stay UNKNOWN ("The container health check is being evaluated")
    # before its health check has had its say: the longest startPeriod + interval x retries + timeout of
    # the essential health-checked containers (HealthCheck, ECS API Reference; defaults 0, 30 s, 3, 5 s).
    settle_seconds: int = 0


@dataclass(frozen=True, slots=True)
class PortBinding:
    """One of a container's ``networkBindings`` (DescribeTasks): the host port a container port is
    published on (bridge and host network modes)."""

    container_name: str
    container_port: int
    host_port: int


@dataclass(frozen=True, slots=True)
class ServiceTask:
    arn: str
    task_definition: str
    last_status: str
    desired_status: str
    health_status: str
    containers: tuple[TaskContainer, ...]
    # Where the load balancer reaches the task: its host and published ports (bridge, host), or the
    # addresses of its own network interface (awsvpc: a private IPv4 address, an IPv6 address, or both
    # in a dual-stack subnet; "" otherwise).
    container_instance_arn: str = ""
    port_bindings: tuple[PortBinding, ...] = ()
    private_ipv4: str = ""
    ipv6_address: str = ""
    started_by: str = ""  # a service's task: the id of the deployment (or task set) that started it

    @property
    def has_own_interface(self) -> bool:
        """awsvpc: the task is reached at its own addresses, not through its host."""
        return bool(self.private_ipv4 or self.ipv6_address)


@dataclass(frozen=True, slots=True)
class LifecycleHookExecution:
    """One entry of a service deployment's ``lifecycleHookDetails`` (DescribeServiceDeployments): a
    deployment lifecycle hook active in the deployment, with the deadline ECS acts on."""

    hook_id: str
    target_type: str  # AWS_LAMBDA | PAUSE
    target_arn: str  # the Lambda function's ARN as the hook names it ("" for PAUSE hooks)
    status: str  # AWAITING_ACTION | IN_PROGRESS | SUCCEEDED | FAILED | TIMED_OUT
    expires_at: float | None  # epoch seconds; not complete by then, ECS takes ``timeout_action``
    timeout_action: str  # ROLLBACK | CONTINUE ("" when not given)
