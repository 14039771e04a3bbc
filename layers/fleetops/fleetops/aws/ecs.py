"""ECS: find a host, drain it, and see what is still running on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fleetops.aws.clients import batched, error_code
from fleetops.models.ecs import ContainerInstance, TaskOnHost

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

# API limits: DescribeTasks takes at most 100 tasks, DescribeServices 10 services,
# ListTasks and ListContainerInstances return at most 100 per page.
DESCRIBE_TASKS_BATCH = 100
DESCRIBE_SERVICES_BATCH = 10


class ClusterNotFoundError(Exception):
    def __init__(self, cluster: str) -> None:
        super().__init__(f"cluster {cluster!r} does not exist")
        self.cluster = cluster


class EcsAdapter:
    def __init__(self, client: ECSClient) -> None:
        self._client = client

    def find_container_instance(self, cluster: str, ec2_instance_id: str) -> ContainerInstance | None:
        """One filtered query, whatever the cluster's size, confirmed by describe."""
        try:
            arns = [
                arn
                for page in self._client.get_paginator("list_container_instances").paginate(
                    cluster=cluster, filter=f"ec2InstanceId == {ec2_instance_id}"
                )
                for arn in page["containerInstanceArns"]
            ]
            if not arns:
                return None
            described = self._client.describe_container_instances(
                cluster=cluster, containerInstances=arns[:DESCRIBE_TASKS_BATCH]
            )["containerInstances"]
        except ClientError as error:
            if error_code(error) == "ClusterNotFoundException":
                raise ClusterNotFoundError(cluster) from error
            raise
        # The filter is trusted, not blindly: only an exact match counts.
        for item in described:
            if item.get("ec2InstanceId") == ec2_instance_id:
                return ContainerInstance(
                    cluster_arn=_cluster_arn(item["containerInstanceArn"], cluster),
                    arn=item["containerInstanceArn"],
                    ec2_instance_id=ec2_instance_id,
                    status=item.get("status", ""),
                    agent_connected=bool(item.get("agentConnected", False)),
                    running_tasks_count=int(item.get("runningTasksCount", 0)),
                    pending_tasks_count=int(item.get("pendingTasksCount", 0)),
                )
        return None

    def cluster_arns(self) -> list[str]:
        return [arn for page in self._client.get_paginator("list_clusters").paginate() for arn in page["clusterArns"]]

    def set_draining(self, cluster: str, container_instance_arn: str) -> None:
        response = self._client.update_container_instances_state(
            cluster=cluster, containerInstances=[container_instance_arn], status="DRAINING"
        )
        if response.get("failures"):
            failure = response["failures"][0]
            raise RuntimeError(
                f"ECS refused to drain {container_instance_arn}: {failure.get('reason')} "
                f"{failure.get('detail', '')}".strip()
            )

    def tasks_on_host(self, cluster: str, container_instance_arn: str) -> list[TaskOnHost]:
        """Every task on the host whose last status is not STOPPED.

        ListTasks filters on *desired* status and defaults to RUNNING, so a task that is being
        stopped (desired STOPPED, last status DEACTIVATING or STOPPING, still in the load balancer's
        deregistration delay) appears only when STOPPED is asked for too. Both lists are read.
        """
        arns: list[str] = []
        for desired in ("RUNNING", "STOPPED"):
            pages = self._client.get_paginator("list_tasks").paginate(
                cluster=cluster, containerInstance=container_instance_arn, desiredStatus=desired
            )
            arns.extend(arn for page in pages for arn in page["taskArns"])
        tasks: list[TaskOnHost] = []
        for batch in batched(list(dict.fromkeys(arns)), DESCRIBE_TASKS_BATCH):
            for task in self._client.describe_tasks(cluster=cluster, tasks=batch)["tasks"]:
                if task.get("lastStatus") == "STOPPED":
                    continue
                tasks.append(
                    TaskOnHost(
                        arn=task["taskArn"],
                        last_status=task.get("lastStatus", "UNKNOWN"),
                        desired_status=task.get("desiredStatus", "UNKNOWN"),
                        group=task.get("group", ""),
                        started_by=task.get("startedBy", ""),
                    )
                )
        return tasks

    def daemon_services(self, cluster: str, service_names: set[str]) -> frozenset[str]:
        daemons: set[str] = set()
        for batch in batched(sorted(service_names), DESCRIBE_SERVICES_BATCH):
            for service in self._client.describe_services(cluster=cluster, services=batch)["services"]:
                if service.get("schedulingStrategy") == "DAEMON":
                    daemons.add(service["serviceName"])
        return frozenset(daemons)

    def stop_task(self, cluster: str, task_arn: str, reason: str) -> None:
        self._client.stop_task(cluster=cluster, task=task_arn, reason=reason[:255])


def _cluster_arn(container_instance_arn: str, cluster: str) -> str:
    """The cluster ARN, from the new-format container instance ARN or the name we asked for."""
    if cluster.startswith("arn:"):
        return cluster
    prefix, _, resource = container_instance_arn.partition(":container-instance/")
    return f"{prefix}:cluster/{cluster}" if resource else cluster
