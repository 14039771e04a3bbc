"""ECS container instances and tasks, reduced to what the jobs decide on."""

from __future__ import annotations

from dataclasses import dataclass

# ECS task lifecycle: PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING → STOPPING →
# DEPROVISIONING → STOPPED. Only STOPPED means the task is gone from the host; a task that is
# DEACTIVATING or STOPPING may still be serving connections within the load balancer's
# deregistration delay.
TASK_STOPPED = "STOPPED"
SERVICE_GROUP_PREFIX = "service:"


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
        return self.cluster_arn.rsplit("/", 1)[-1]


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
