"""ECS: find a host, drain it, and see what is still running on it; a service's tasks and deployments (the
verify job); a cluster's hosts, task sizes and services (the scale job).

One adapter for every job, so every handler imports this module; what only the verify and scale jobs use
is imported where it is used, not here, so the drain handler does not pay for it at each cold start:
``ecs_responses`` (the responses turned into models), ``ecs_service_deployments`` (the service-deployment
APIs), and the verify and scale models (about 15 ms for the scale job's, 10 ms for verify's).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fleetops.aws.clients import batched, error_code
from fleetops.models.ecs import (
    SERVICE_GROUP_PREFIX,
    ContainerHealthChecks,
    ContainerInstance,
    EcsService,
    LifecycleHookExecution,
    ServiceTask,
    TaskOnHost,
)
from fleetops.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.literals import DesiredStatusType
    from mypy_boto3_ecs.type_defs import ServiceTypeDef, TaskTypeDef

    from fleetops.aws.ecs_service_deployments import ServiceDeploymentsAdapter
    from fleetops.models.ecs_deployments import EcsRollbackEvidence, StoppedTask
    from fleetops.models.scale import Host, PlacedTask, Resources, ServicesOverview

# API limits: DescribeTasks takes at most 100 tasks, DescribeServices 10 services,
# ListTasks and ListContainerInstances return at most 100 per page (and 100 by default).
DESCRIBE_TASKS_BATCH = 100
# Stopped tasks described for one look at a service at most (five DescribeTasks calls): ECS lists stopped
# tasks "for at least one hour" (ListTasks), so a busy service may list thousands. Every page of ARNs is
# still listed, and how many were left undescribed is returned: ListTasks states no order, so the unread
# may be the newest (``stopped_service_tasks``).
MAX_STOPPED_TASKS_READ = 500
DESCRIBE_SERVICES_BATCH = 10
# ListServices returns 10 services a page unless maxResults (1 to 100) asks for more: a cluster of 100
# services would cost 10 calls instead of 1 (ListServices, Amazon ECS API Reference).
LIST_SERVICES_PAGE = 100


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

    def set_active(self, cluster: str, container_instance_arn: str) -> None:
        """Undo a drain: "When a container instance has been drained, you can set a container instance to
        ACTIVE status and once it has reached that status the Amazon ECS scheduler can begin scheduling
        tasks on the instance again" (UpdateContainerInstancesState)."""
        response = self._client.update_container_instances_state(
            cluster=cluster, containerInstances=[container_instance_arn], status="ACTIVE"
        )
        if response.get("failures"):
            failure = response["failures"][0]
            raise RuntimeError(
                f"ECS refused to set {container_instance_arn} ACTIVE: {failure.get('reason')} "
                f"{failure.get('detail', '')}".strip()
            )

    def tasks_on_host(self, cluster: str, container_instance_arn: str) -> list[TaskOnHost]:
        """Every task on the host whose last status is not STOPPED.

        ListTasks filters on *desired* status and defaults to RUNNING, so a task that is being
        stopped (desired STOPPED, last status DEACTIVATING or STOPPING, still in the load balancer's
        deregistration delay) appears only when STOPPED is asked for too. Both lists are read.
        Raises ClusterNotFoundError when ECS no longer knows the cluster.
        """
        arns: list[str] = []
        try:
            for desired in ("RUNNING", "STOPPED"):
                pages = self._client.get_paginator("list_tasks").paginate(
                    cluster=cluster, containerInstance=container_instance_arn, desiredStatus=desired
                )
                arns.extend(arn for page in pages for arn in page["taskArns"])
        except ClientError as error:
            if error_code(error) == "ClusterNotFoundException":
                raise ClusterNotFoundError(cluster) from error
            raise
        tasks: list[TaskOnHost] = []
        for task in self._described_tasks(cluster, arns):
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

    def _described_tasks(self, cluster: str, arns: list[str]) -> Iterator[TaskTypeDef]:
        """DescribeTasks of each distinct task, 100 per call (its limit), in the order listed."""
        for batch in batched(list(dict.fromkeys(arns)), DESCRIBE_TASKS_BATCH):
            yield from self._client.describe_tasks(cluster=cluster, tasks=batch)["tasks"]

    def daemon_services(self, cluster: str, service_names: set[str]) -> frozenset[str]:
        daemons: set[str] = set()
        for batch in batched(sorted(service_names), DESCRIBE_SERVICES_BATCH):
            for service in self._client.describe_services(cluster=cluster, services=batch)["services"]:
                if service.get("schedulingStrategy") == "DAEMON":
                    daemons.add(service["serviceName"])
        return frozenset(daemons)

    def stop_task(self, cluster: str, task_arn: str, reason: str) -> None:
        self._client.stop_task(cluster=cluster, task=task_arn, reason=reason[:255])

    # -- services and deployments (the verify job) -----------------------------------------------
    def describe_service(self, cluster: str, service: str) -> EcsService | None:
        """The service as DescribeServices sees it, with its tags; None when it does not exist or is INACTIVE.

        ``include=["TAGS"]``: "If this field is omitted, tags aren't included in the response"
        (DescribeServices, ECS API Reference). The Service Authorization Reference lists no dependent action
        for DescribeServices, so ecs:DescribeServices alone should do; should AWS ever refuse the tags
        (AccessDenied) while it grants the call, the service is described without them and its tags are
        read as none: the stack's configuration then applies, and a verification or a scale decision is
        not lost for want of them."""
        from fleetops.aws.ecs_responses import ecs_service

        try:
            found = self._described_services(cluster, service)
        except ClientError as error:
            if error_code(error) == "ClusterNotFoundException":
                raise ClusterNotFoundError(cluster) from error
            raise
        for item in found:
            if item.get("status") == "ACTIVE":
                return ecs_service(item)
        return None

    def _described_services(self, cluster: str, service: str) -> list[ServiceTypeDef]:
        try:
            return self._client.describe_services(cluster=cluster, services=[service], include=["TAGS"])["services"]
        except ClientError as error:
            if error_code(error) not in ("AccessDeniedException", "AccessDenied"):
                raise
            logger.warning(f"the tags of service {service} could not be read ({error_code(error)}); read as none")
        return self._client.describe_services(cluster=cluster, services=[service])["services"]

    def service_tasks(self, cluster: str, service: str) -> list[ServiceTask]:
        """Every task of the service that ECS wants running: every ListTasks page, described 100 at a time.

        The ``group`` filter guards against a ListTasks that ignored ``serviceName``: a service's
        tasks are always in group ``service:<name>``.
        """
        from fleetops.aws.ecs_responses import service_task

        name = service.rsplit("/", 1)[-1]
        arns = self._service_task_arns(cluster, name, "RUNNING")
        return [service_task(task) for task in self._described_service_tasks(cluster, name, arns)]

    def stopped_service_tasks(self, cluster: str, service: str) -> tuple[list[StoppedTask], int]:
        """The service's tasks that ECS has stopped or is stopping, as far back as ECS keeps them.

        ListTasks with ``desiredStatus`` STOPPED "limits the results to tasks that Amazon ECS has set the
        desired status to STOPPED"; "Currently, stopped tasks appear in the returned results for at least
        one hour" (ListTasks, ECS API Reference). At most ``MAX_STOPPED_TASKS_READ`` are described, and how
        many were listed beyond them is returned too: ListTasks documents no order, so those left unread
        may be the newest, and the caller must not take their absence for "no crash". The ``group`` filter
        guards against a ListTasks that ignored ``serviceName``, as ``service_tasks``."""
        from fleetops.aws.ecs_responses import stopped_task

        name = service.rsplit("/", 1)[-1]
        arns = self._service_task_arns(cluster, name, "STOPPED")  # 100 a page, ARNs only
        read = self._described_service_tasks(cluster, name, arns[:MAX_STOPPED_TASKS_READ])
        return [stopped_task(task) for task in read], max(0, len(arns) - MAX_STOPPED_TASKS_READ)

    def _service_task_arns(self, cluster: str, name: str, desired_status: DesiredStatusType) -> list[str]:
        """Every ListTasks page of the service's tasks with that desired status, each ARN once."""
        pages = self._client.get_paginator("list_tasks").paginate(
            cluster=cluster, serviceName=name, desiredStatus=desired_status
        )
        return list(dict.fromkeys(arn for page in pages for arn in page["taskArns"]))

    def _described_service_tasks(self, cluster: str, name: str, arns: list[str]) -> list[TaskTypeDef]:
        """DescribeTasks of those ARNs, keeping the service's own (group ``service:<name>``)."""
        return [
            task
            for task in self._described_tasks(cluster, arns)
            if task.get("group") == f"{SERVICE_GROUP_PREFIX}{name}"
        ]

    def task_set_tasks(self, cluster: str, service: EcsService) -> list[ServiceTask]:
        """The tasks of a CODE_DEPLOY or EXTERNAL service's PRIMARY task set.

        Listed by ``serviceName`` and by ``startedBy`` = the task set's id, both: the documents say that a
        service's tasks carry "the deployment ID of the service that starts it" in ``startedBy`` (Task) but
        not whether a task set's id is that ID, nor whether ListTasks' ``serviceName`` lists a task set's
        tasks (containers-roadmap #1436 asks for a way to list them). The tasks of the service's *other*
        task sets (by their ids) are left out; a task that names no task set is the service's, as before.
        ``startedBy`` "must be the only filter that you use" (ListTasks), so that listing has no other.
        """
        from fleetops.aws.ecs_responses import service_task

        primary = service.primary_task_set
        name = service.name.rsplit("/", 1)[-1]
        pages = self._client.get_paginator("list_tasks").paginate(
            cluster=cluster, serviceName=name, desiredStatus="RUNNING"
        )
        arns = [arn for page in pages for arn in page["taskArns"]]
        if primary is not None and primary.id:
            by_task_set = self._client.get_paginator("list_tasks").paginate(cluster=cluster, startedBy=primary.id)
            arns.extend(arn for page in by_task_set for arn in page["taskArns"])
        others = {t.id for t in service.task_sets if t is not primary and t.id}
        return [
            service_task(task)
            for task in self._described_tasks(cluster, arns)
            if task.get("desiredStatus") == "RUNNING"
            and task.get("startedBy", "") not in others
            and (
                task.get("group") == f"{SERVICE_GROUP_PREFIX}{name}"
                or (primary is not None and task.get("startedBy") == primary.id)
            )
        ]

    def ec2_instance_ids(self, cluster: str, container_instance_arns: list[str]) -> dict[str, str]:
        """The EC2 instance behind each container instance: the target id ECS registers a bridge or
        host mode task under. DescribeContainerInstances, 100 at a time (its limit)."""
        found: dict[str, str] = {}
        for batch in batched(list(dict.fromkeys(container_instance_arns)), DESCRIBE_TASKS_BATCH):
            described = self._client.describe_container_instances(cluster=cluster, containerInstances=batch)
            for item in described["containerInstances"]:
                if item.get("ec2InstanceId"):
                    found[item["containerInstanceArn"]] = item["ec2InstanceId"]
        return found

    def container_health_checks(self, task_definition: str) -> ContainerHealthChecks:
        """Which containers have a health check (only those report HEALTHY) and which are not essential."""
        from fleetops.aws.ecs_responses import health_check_seconds

        definition = self._client.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
        containers = definition.get("containerDefinitions", [])
        checked = [c for c in containers if c.get("healthCheck", {}).get("command")]
        # Omitted, ``essential`` is true (ContainerDefinition, ECS API Reference).
        non_essential = frozenset(c["name"] for c in containers if c.get("essential", True) is False)
        return ContainerHealthChecks(
            health_checked=frozenset(c["name"] for c in checked),
            non_essential=non_essential,
            settle_seconds=max(
                (health_check_seconds(c["healthCheck"]) for c in checked if c["name"] not in non_essential), default=0
            ),
        )

    def roll_service_to(self, cluster: str, service: str, task_definition: str) -> str | None:
        """UpdateService back to ``task_definition``; returns the new PRIMARY deployment's id."""
        updated = self._client.update_service(cluster=cluster, service=service, taskDefinition=task_definition)
        primary = next((d for d in updated["service"].get("deployments", []) if d.get("status") == "PRIMARY"), None)
        return primary["id"] if primary else None

    # -- service deployments (the verify job), in fleetops/aws/ecs_service_deployments.py ---------------
    def in_progress_service_deployment(self, cluster: str, service: str, task_definition: str) -> str | None:
        """The ARN of the in-progress service deployment that rolls out ``task_definition``, if the API
        knows exactly one (``ServiceDeploymentsAdapter.in_progress_service_deployment``)."""
        return self._service_deployments().in_progress_service_deployment(cluster, service, task_definition)

    def ecs_rollback_evidence(self, cluster: str, service: str) -> EcsRollbackEvidence:
        """What the service deployments say of ECS's own rollbacks
        (``ServiceDeploymentsAdapter.ecs_rollback_evidence``)."""
        return self._service_deployments().ecs_rollback_evidence(cluster, service)

    def lifecycle_hook_executions(self, service_deployment_arn: str) -> tuple[LifecycleHookExecution, ...] | None:
        """The lifecycle hooks active in a service deployment, with their deadlines
        (``ServiceDeploymentsAdapter.lifecycle_hook_executions``)."""
        return self._service_deployments().lifecycle_hook_executions(service_deployment_arn)

    def stop_service_deployment_with_rollback(self, service_deployment_arn: str) -> None:
        """ECS's own rollback: stop the deployment and return to the last completed service revision."""
        self._service_deployments().stop_service_deployment_with_rollback(service_deployment_arn)

    def _service_deployments(self) -> ServiceDeploymentsAdapter:
        from fleetops.aws.ecs_service_deployments import ServiceDeploymentsAdapter

        return ServiceDeploymentsAdapter(self._client)

    def find_service_cluster(self, service: str, clusters: list[str]) -> str | None:
        """The cluster holding ``service`` (an old short ARN names none): the first with it ACTIVE."""
        for cluster in clusters:
            try:
                if self.describe_service(cluster, service) is not None:
                    return cluster
            except ClusterNotFoundError:
                continue
        return None

    # -- capacity: hosts, task sizes, services (the scale job) ---------------------------------
    def cluster_hosts(self, cluster: str) -> list[Host]:
        """Every registered container instance (ACTIVE, DRAINING, ...) with its registered and remaining
        CPU and memory.

        Auto Scaling's view (lifecycle state, scale-in protection) is added by the caller.
        """
        from fleetops.aws.ecs_responses import resources, used_ports
        from fleetops.models.scale import Host

        try:
            # Without a status filter ListContainerInstances lists every status but INACTIVE: one
            # listing covers ACTIVE, DRAINING and REGISTERING hosts.
            arns = [
                arn
                for page in self._client.get_paginator("list_container_instances").paginate(cluster=cluster)
                for arn in page["containerInstanceArns"]
            ]
            hosts: list[Host] = []
            # DescribeContainerInstances takes at most 100 container instances per call.
            for batch in batched(arns, DESCRIBE_TASKS_BATCH):
                for item in self._client.describe_container_instances(cluster=cluster, containerInstances=batch)[
                    "containerInstances"
                ]:
                    if item.get("status") in ("INACTIVE", "DEREGISTERING", "REGISTRATION_FAILED"):
                        continue  # gone, going, or never there: it holds no task and takes none
                    hosts.append(
                        Host(
                            ec2_instance_id=item.get("ec2InstanceId", ""),
                            container_instance_arn=item["containerInstanceArn"],
                            # A host whose agent is gone cannot take tasks, whatever its status says.
                            ecs_status=item.get("status", "") if item.get("agentConnected", False) else "DISCONNECTED",
                            registered=resources(item.get("registeredResources", [])),
                            remaining=resources(item.get("remainingResources", [])),
                            used_ports=used_ports(item.get("remainingResources", [])),
                            tasks=int(item.get("runningTasksCount", 0)) + int(item.get("pendingTasksCount", 0)),
                        )
                    )
        except ClientError as error:
            if error_code(error) == "ClusterNotFoundException":
                raise ClusterNotFoundError(cluster) from error
            raise
        return hosts

    def sized_tasks_on_host(self, cluster: str, container_instance_arn: str) -> list[PlacedTask]:
        """The tasks ECS wants running on a host, with the CPU and memory reserved for each."""
        from fleetops.models.scale import PlacedTask

        pages = self._client.get_paginator("list_tasks").paginate(
            cluster=cluster, containerInstance=container_instance_arn, desiredStatus="RUNNING"
        )
        arns = list(dict.fromkeys(arn for page in pages for arn in page["taskArns"]))
        tasks: list[PlacedTask] = []
        for task in self._described_tasks(cluster, arns):
            if task.get("lastStatus") == "STOPPED":
                continue
            definition = task["taskDefinitionArn"]
            tasks.append(
                PlacedTask(
                    arn=task["taskArn"],
                    group=task.get("group", ""),
                    size=self.task_size(definition),
                    host_ports=self.task_host_ports(definition),
                )
            )
        return tasks

    def task_size(self, task_definition: str) -> Resources:
        """CPU and memory ECS reserves for one task on EC2: the task-level values when set, else the
        sum of the containers' (memoryReservation, else memory). A revision never changes, so the
        answer is kept for the life of the execution environment."""
        return self._task_shape(task_definition)[0]

    def task_host_ports(self, task_definition: str) -> frozenset[int]:
        """Static TCP host ports of one task: two tasks with one of them never share a host.

        Bridge mode: the non-zero hostPorts (0 or none is a dynamic port). Host mode: every
        container port. awsvpc: none (each task has its own network interface).
        """
        return self._task_shape(task_definition)[1]

    def _task_shape(self, task_definition: str) -> tuple[Resources, frozenset[int]]:
        from fleetops.models.scale import Resources

        # Kept on this adapter (one per cold start), not module-wide: a test's fresh account may reuse an ARN.
        cache: dict[str, tuple[Resources, frozenset[int]]] = self.__dict__.setdefault("_task_shapes", {})
        if task_definition not in cache:
            definition = self._client.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
            containers = definition.get("containerDefinitions", [])
            cpu = definition.get("cpu") or sum(int(c.get("cpu", 0)) for c in containers)
            memory = definition.get("memory") or sum(
                int(c.get("memoryReservation") or c.get("memory") or 0) for c in containers
            )
            mode = definition.get("networkMode", "bridge")
            ports = frozenset(
                int(mapping.get("hostPort") or (mapping.get("containerPort", 0) if mode == "host" else 0))
                for container in containers
                for mapping in container.get("portMappings", [])
                if mode in ("bridge", "host") and mapping.get("protocol", "tcp") == "tcp"
            )
            cache[task_definition] = (Resources(int(cpu), int(memory)), ports - {0})
        return cache[task_definition]

    def services_overview(self, cluster: str) -> ServicesOverview:
        """Daemon services (and their task definitions) and services being deployed, of the cluster."""
        from fleetops.aws.ecs_responses import ecs_service
        from fleetops.models.scale import ServicesOverview

        pages = self._client.get_paginator("list_services").paginate(
            cluster=cluster, PaginationConfig={"PageSize": LIST_SERVICES_PAGE}
        )
        names = sorted(arn.rsplit("/", 1)[-1] for page in pages for arn in page["serviceArns"])
        daemons: dict[str, str] = {}
        deploying: list[str] = []
        unplaced: list[tuple[str, int]] = []
        for batch in batched(names, DESCRIBE_SERVICES_BATCH):
            for item in self._client.describe_services(cluster=cluster, services=batch)["services"]:
                if item.get("status") != "ACTIVE":
                    continue
                if item.get("schedulingStrategy") == "DAEMON":
                    daemons[item["serviceName"]] = item.get("taskDefinition", "")
                    continue
                service = ecs_service(item)
                if deployment_in_progress(service):
                    deploying.append(service.name)
                missing = service.desired_count - service.running_count - service.pending_count
                if missing > 0:
                    unplaced.append((service.name, missing))
        return ServicesOverview(
            daemons=frozenset(daemons),
            deploying=tuple(deploying),
            unplaced=tuple(unplaced),
            daemon_task_definitions=tuple(sorted({td for td in daemons.values() if td})),
        )

    def managed_capacity_provider(self, cluster: str, group_name: str) -> str | None:
        """The cluster's capacity provider that scales ``group_name`` with managed scaling, if any."""
        clusters = self._client.describe_clusters(clusters=[cluster])["clusters"]
        names = [name for item in clusters for name in item.get("capacityProviders", [])]
        if not names:
            return None
        providers = self._client.describe_capacity_providers(capacityProviders=names)["capacityProviders"]
        for provider in providers:
            group = provider.get("autoScalingGroupProvider", {})
            arn = group.get("autoScalingGroupArn", "")
            managed = group.get("managedScaling", {}).get("status") == "ENABLED"
            if managed and (arn == group_name or arn.endswith(f"autoScalingGroupName/{group_name}")):
                return f"capacity provider {provider['name']} (managed scaling)"
        return None

    def set_desired_count(self, cluster: str, service: str, count: int) -> None:
        self._client.update_service(cluster=cluster, service=service, desiredCount=count)


def _cluster_arn(container_instance_arn: str, cluster: str) -> str:
    """The cluster ARN, from the new-format container instance ARN or the name we asked for."""
    if cluster.startswith("arn:"):
        return cluster
    prefix, _, resource = container_instance_arn.partition(":container-instance/")
    return f"{prefix}:cluster/{cluster}" if resource else cluster


def deployment_in_progress(service: EcsService) -> bool:
    """A deployment is in progress while an older deployment still has tasks or the newest one has
    not reached steady state (rolloutState, ECS deployment controller only).

    A blue/green deployment (CODE_DEPLOY or EXTERNAL controller) shows in ``taskSets``, not in
    ``deployments``: it is in progress while there is more than one task set, or one that is not PRIMARY
    (the replacement still ACTIVE, the original DRAINING)."""
    if service.deployment_controller != "ECS" and (
        len(service.task_set_statuses) > 1 or any(status != "PRIMARY" for status in service.task_set_statuses)
    ):
        return True
    return len([d for d in service.deployments if d.status in ("PRIMARY", "ACTIVE")]) > 1 or any(
        d.status == "PRIMARY" and d.rollout_state == "IN_PROGRESS" for d in service.deployments
    )
