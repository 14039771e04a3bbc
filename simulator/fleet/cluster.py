"""A simulated ECS-on-EC2 cluster on moto: an Auto Scaling group of hosts in two availability zones,
registered with ECS, with service, daemon and standalone tasks placed where they fit.

The scheduler moto lacks is here too (``tick``): each replica service runs its desired count, placed
where CPU, memory and static host ports fit (emptiest host first), and its tasks on DRAINING hosts are
replaced the way ECS does it (``service_scheduler``: replacements first, up to ``maximumPercent``; an
old task stops only while ``minimumHealthyPercent`` of the service stays healthy, so a task whose
replacement has nowhere to go keeps RUNNING on the draining host). A stopped task goes through
DEACTIVATING and STOPPING to STOPPED within the deregistration delay. Tasks still on a host when its
instance terminates are counted as lost.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
from moto.autoscaling.models import autoscaling_backends
from moto.ec2.models import ec2_backends
from moto.ecs.models import EC2ContainerServiceBackend, Task, ecs_backends

from simulator.autoscaling.lifecycle import SimulatedLifecycleHooks
from simulator.autoscaling.weighted_groups import registered_resources
from simulator.clock import SimulatedClock, iso_time
from simulator.ecs.image_resolution import resolve_images
from simulator.ecs.service_scheduler import (
    DeploymentConfiguration,
    ReplicaTasks,
    SchedulerPass,
    StopReason,
    schedule_replicas,
    unable_to_place_message,
)
from simulator.ecs.task_containers import start_containers

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
AMI = "ami-12c6146b"  # one of the images moto ships
ZONES = ("us-east-1a", "us-east-1b")


def run_healthy_task(
    backend: EC2ContainerServiceBackend,
    cluster: str,
    task_definition: str,
    container_instance_arn: str,
    *,
    started_by: str,
    group: str,
) -> Task:
    """A task placed on one host, RUNNING with its health-checked containers HEALTHY: where a service's
    task stands once ECS has started it (moto's services start none)."""
    task = backend.start_task(cluster, task_definition, [container_instance_arn], {}, started_by, group=group)[0]
    task.status = "RUNNING"
    start_containers(backend, task)  # every container of the definition, as ECS reports them
    resolve_images(backend, task)  # the image as ECS reports it: repo:tag@sha256:..., with imageDigest
    return task


@dataclass
class _Stopping:
    task: Task
    stops_at: float


@dataclass
class SimulatedCluster:
    session: boto3.Session
    clock: SimulatedClock
    name: str = "prod"
    group: str = "prod-hosts"
    hook_name: str = "ecs-fleet-ops-drain-prod-hosts"  # named with the suite's default DrainHookNamePrefix
    deregistration_delay: int = 30
    instance_ids: list[str] = field(default_factory=list)
    container_instances: dict[str, str] = field(default_factory=dict)  # ec2 id -> ARN
    lost_tasks: dict[str, int] = field(default_factory=dict)  # ec2 id -> tasks alive at termination
    daemon_services: set[str] = field(default_factory=set)
    timeline: list[tuple[float, str]] = field(default_factory=list)  # what the scheduler did, and when
    # False where another scheduler runs the services (``fleet``): ``tick`` then only finishes the
    # stops under way.
    schedules_services: bool = True
    # Where ECS's "ECS Container Instance State Change" events go (EventBridge's default bus); None: nowhere.
    on_instance_change: Callable[[dict[str, Any]], object] | None = None
    _stopping: list[_Stopping] = field(default_factory=list)
    # ARN -> what its last event said (status, agent, running, pending, tasks not stopped) and its version.
    _instance_seen: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    _unplaced: set[str] = field(default_factory=set)  # services whose last pass found no place
    _task_definition: str = ""

    @cached_property
    def ecs_backend(self) -> EC2ContainerServiceBackend:
        return ecs_backends[ACCOUNT][REGION]

    @cached_property
    def _ecs(self) -> ECSClient:
        # One client for the cluster's own registrations (a new client costs ~10 ms; a host registers at boot).
        return self.session.client("ecs")

    def build(
        self, *, hosts: int = 2, hook_timeout: int = 3600, default_result: str = "ABANDON"
    ) -> SimulatedLifecycleHooks:
        ec2 = self.session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
            for i, zone in enumerate(ZONES)
        ]
        ec2.create_launch_template(
            LaunchTemplateName=f"{self.group}-lt", LaunchTemplateData={"ImageId": AMI, "InstanceType": "m5.large"}
        )
        autoscaling = self.session.client("autoscaling")
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=self.group,
            LaunchTemplate={"LaunchTemplateName": f"{self.group}-lt", "Version": "$Latest"},
            MinSize=0,
            MaxSize=max(10, hosts * 2),
            DesiredCapacity=hosts,
            VPCZoneIdentifier=",".join(subnets),
        )
        autoscaling.put_lifecycle_hook(
            AutoScalingGroupName=self.group,
            LifecycleHookName=self.hook_name,
            LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
            HeartbeatTimeout=hook_timeout,
            DefaultResult=default_result,
        )
        ecs = self._ecs
        ecs.create_cluster(clusterName=self.name)
        self._task_definition = ecs.register_task_definition(
            family="web",
            containerDefinitions=[
                {"name": "web", "image": "public.ecr.aws/nginx/nginx:1.27", "cpu": 256, "memory": 512}
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group])["AutoScalingGroups"]
        for instance in groups[0]["Instances"]:
            self.register_host(instance["InstanceId"])
        hooks = SimulatedLifecycleHooks(backend=autoscaling_backends[ACCOUNT][REGION], clock=self.clock)
        hooks.on_terminate = self._instance_terminated
        hooks.on_stop = self._instance_stopped
        hooks.on_start = self._instance_started
        return hooks.install()

    def register_host(self, instance_id: str) -> str:
        document = json.dumps({"instanceId": instance_id, "region": REGION, "availabilityZone": ZONES[0]})
        arn = self._ecs.register_container_instance(cluster=self.name, instanceIdentityDocument=document)[
            "containerInstance"
        ]["containerInstanceArn"]
        self.instance_ids.append(instance_id)
        self.container_instances[instance_id] = arn
        self._size_by_instance_type(instance_id)
        return arn

    def _size_by_instance_type(self, instance_id: str) -> None:
        """A host of a type ``weighted_groups`` knows registers its own CPU and memory (moto registers
        every host alike); any other keeps moto's."""
        instance_type = ec2_backends[ACCOUNT][REGION].get_instance(instance_id).instance_type
        sized = registered_resources(instance_type)
        if sized is None:
            return
        ci = self.container_instance(instance_id)
        for resources in (ci.registered_resources, ci.remaining_resources):
            for resource in resources:
                if resource["name"] in ("CPU", "MEMORY"):
                    resource["integerValue"] = sized[0] if resource["name"] == "CPU" else sized[1]

    def add_idle_hosts(self, count: int) -> list[str]:
        """EC2 instances outside the group, registered with ECS and running nothing: a big cluster."""
        reservation = self.session.client("ec2").run_instances(ImageId=AMI, MinCount=count, MaxCount=count)
        instance_ids = [instance["InstanceId"] for instance in reservation["Instances"]]
        for instance_id in instance_ids:
            # Straight to moto's backend: 1,000 API round trips would only slow the tests down.
            ci = self.ecs_backend.register_container_instance(self.name, instance_id)
            self.container_instances[instance_id] = ci.container_instance_arn
        return instance_ids

    def add_service(
        self, service: str, *, daemon: bool = False, minimum_healthy_percent: int = 100, maximum_percent: int = 200
    ) -> None:
        """A service of the cluster's task definition with no task yet (``start_tasks`` puts them on hosts)."""
        strategy: dict[str, Any] = (
            {"schedulingStrategy": "DAEMON"}
            if daemon
            else {
                "desiredCount": 0,
                "deploymentConfiguration": {
                    "minimumHealthyPercent": minimum_healthy_percent,
                    "maximumPercent": maximum_percent,
                },
            }
        )
        self.session.client("ecs").create_service(
            cluster=self.name, serviceName=service, taskDefinition=self._task_definition, **strategy
        )
        if daemon:
            self.daemon_services.add(service)

    def start_tasks(self, instance_id: str, count: int, *, group: str, started_by: str = "") -> list[Task]:
        """Place tasks on one host and mark them RUNNING (moto's services start none). Tasks of a replica
        service count in its desired count, as the tasks ECS started for it would."""
        started: list[Task] = []
        for _ in range(count):
            tasks = self.ecs_backend.start_task(
                self.name, self._task_definition, [self.container_instances[instance_id]], {}, started_by, group=group
            )
            for task in tasks:
                task.status = "RUNNING"
            started.extend(tasks)
        service = self.service(group.removeprefix("service:")) if group.startswith("service:") else None
        if service is not None and service.scheduling_strategy != "DAEMON":
            service.desired_count += len(started)
        return started

    def start_service_task(self, instance_id: str, service: str, *, started_by: str = "ecs-svc/simulated") -> Task:
        """One task of the service's current task definition on one host, RUNNING."""
        definition = self.service(service).task_definition
        task: Task = self.ecs_backend.start_task(
            self.name, definition, [self.container_instances[instance_id]], {}, started_by, group=f"service:{service}"
        )[0]
        task.status = "RUNNING"
        return task

    def service(self, name: str) -> Any:
        """moto's service, or None."""
        return self.ecs_backend.services.get(f"{self.name}:{name}")

    def service_tasks(self, name: str) -> list[Task]:
        """The service's tasks that are not STOPPED (those being stopped included)."""
        return [
            task
            for task in self.ecs_backend.tasks.get(self.name, {}).values()
            if task.group == f"service:{name}" and task.last_status != "STOPPED"
        ]

    def tasks_on(self, instance_id: str) -> list[Task]:
        arn = self.container_instances[instance_id]
        return [
            t
            for t in self.ecs_backend.tasks.get(self.name, {}).values()
            if t.container_instance_arn == arn and t.last_status != "STOPPED"
        ]

    def container_instance(self, instance_id: str) -> Any:
        arn = self.container_instances[instance_id]
        return self.ecs_backend.container_instances[self.name][arn.split("/")[-1]]

    # -- the scheduler moto lacks --------------------------------------------------------------
    def tick(self) -> None:
        """One pass of the ECS scheduler at the simulated clock's current time."""
        self._finish_stopping()
        if self.schedules_services:
            for service in self.ecs_backend.services.values():
                if (
                    service.cluster_name == self.name
                    and service.status == "ACTIVE"
                    and service.name not in self.daemon_services
                ):
                    self.schedule(service.name)
        self.announce_instance_changes()

    # -- ECS's events --------------------------------------------------------------------------
    def announce_instance_changes(self) -> int:
        """ECS's "ECS Container Instance State Change" event for each host that changed since the last look:
        a task placed on it or stopped (its available resources change), its status or its agent's
        connection ("Amazon ECS container instance state change events", ECS Developer Guide). A task that
        leaves RUNNING for DEACTIVATING is one change (it no longer counts in ``runningTasksCount``, which
        counts RUNNING tasks only: drain handlers in the field found it 0 while tasks were still
        deregistering) and its STOPPED, which releases its resources, is another. Looked at every tick: a
        change and its reversal within one tick (5 s) send nothing; a host's first look (its registration)
        sends nothing either. Returns how many events were sent."""
        if self.on_instance_change is None:
            return 0
        # moto counts every task placed and not STOPPED in ``running_tasks_count`` (its tasks start RUNNING);
        # those being stopped (DEACTIVATING, STOPPING) are the scheduler's ``_stopping``. Counted this way, a
        # look costs the hosts and the stops under way, not every task the cluster ever ran (a day's demo).
        leaving: Counter[str] = Counter(
            item.task.container_instance_arn
            for item in self._stopping
            if item.task.last_status != "STOPPED" and item.task.container_instance_arn is not None
        )
        sent = 0
        for instance_id, arn in self.container_instances.items():
            ci = self.container_instance(instance_id)
            alive = int(ci.running_tasks_count)
            counts = Counter({"RUNNING": max(0, alive - leaving[arn]), "PENDING": 0})
            seen = (ci.status, ci.agent_connected, counts["RUNNING"], counts["PENDING"], alive)
            before = self._instance_seen.get(arn)
            if before is not None and before[:-1] == seen:
                continue
            version = 1 if before is None else before[-1] + 1
            self._instance_seen[arn] = (*seen, version)
            if before is None:
                continue  # a host's first look is its baseline: registrations are not what is modelled here
            self.on_instance_change(self._instance_event(instance_id, arn, ci, counts, version))
            sent += 1
        return sent

    def _instance_event(
        self, instance_id: str, arn: str, ci: Any, counts: Counter[str], version: int
    ) -> dict[str, Any]:
        """The event as the ECS Developer Guide shows it: the detail resembles DescribeContainerInstances'
        ContainerInstance, with the instance's status, agent connection and task counts."""
        return {
            "source": "aws.ecs",
            "detail-type": "ECS Container Instance State Change",
            "resources": [arn],
            "detail": {
                "agentConnected": bool(ci.agent_connected),
                "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{self.name}",
                "containerInstanceArn": arn,
                "ec2InstanceId": instance_id,
                "registeredResources": ci.registered_resources,
                "remainingResources": ci.remaining_resources,
                "runningTasksCount": counts["RUNNING"],
                "pendingTasksCount": counts["PENDING"],
                "status": ci.status,
                "version": version,  # "incremented each time a resource changes state"
                "updatedAt": iso_time(self.clock(), milliseconds=True),
            },
        }

    def schedule(self, service: str) -> SchedulerPass[Task]:
        """One pass of the service scheduler over one replica service (``service_scheduler``)."""
        model = self.service(service)
        draining = self.hosts_with_status("DRAINING")
        wanted = [t for t in self.service_tasks(service) if t.desired_status == "RUNNING"]
        staying = [t for t in wanted if t.container_instance_arn not in draining]
        tasks = ReplicaTasks(
            desired=int(model.desired_count),
            placed=[t for t in staying if t.task_definition_arn == model.task_definition],
            draining=[t for t in wanted if t.container_instance_arn in draining],
            outdated=[t for t in staying if t.task_definition_arn != model.task_definition],
            stopping=self.stopping_count(service),
        )
        result = schedule_replicas(tasks, DeploymentConfiguration.of(model), _ClusterScheduling(self, service))
        for task in result.started:
            self._note(f"ECS scheduler: {task.group} task started on {self._instance_of(task)}")
        if result.unplaced and service not in self._unplaced:
            message = unable_to_place_message(service)
            model.events.insert(0, {"id": str(len(model.events) + 1), "createdAt": self.clock(), "message": message})
            self._note(f"ECS: {message}")
        self._unplaced = (self._unplaced | {service}) if result.unplaced else (self._unplaced - {service})
        alive = self.service_tasks(service)
        model.running_count = sum(1 for t in alive if t.desired_status == "RUNNING" and t.last_status == "RUNNING")
        model.pending_count = sum(1 for t in alive if t.desired_status == "RUNNING" and t.last_status == "PENDING")
        return result

    def place_task(self, service: str) -> str | None:
        """The host a new task of the service goes to: ACTIVE, with room for its CPU, memory and static
        host ports, the one with the fewest tasks first; None when none has room."""
        definition = self.ecs_backend.describe_task_definition(self.service(service).task_definition)
        containers: list[dict[str, Any]] = definition.container_definitions
        cpu = sum(int(c.get("cpu", 0)) for c in containers)
        memory = sum(int(c.get("memoryReservation") or c.get("memory") or 0) for c in containers)
        ports = {str(m["hostPort"]) for c in containers for m in c.get("portMappings", []) if m.get("hostPort")}
        candidates = []
        for instance_id in self.container_instances:
            ci = self.container_instance(instance_id)
            if ci.status != "ACTIVE" or not ci.agent_connected:
                continue
            remaining = {r["name"]: r.get("integerValue", 0) for r in ci.remaining_resources}
            taken = {port for r in ci.remaining_resources if r["name"] == "PORTS" for port in r["stringSetValue"]}
            if ports & taken:
                continue  # ECS: "RESOURCE:PORTS"
            if remaining["CPU"] >= cpu and remaining["MEMORY"] >= memory:
                candidates.append((len(self.tasks_on(instance_id)), instance_id))
        return min(candidates)[1] if candidates else None

    def begin_stopping(self, task: Task, reason: str) -> None:
        """ECS stops a service task: it leaves the load balancer first (DEACTIVATING, the
        deregistration delay), then STOPPING, then STOPPED."""
        task.desired_status = "STOPPED"
        task.status = "DEACTIVATING"
        task.stopped_reason = reason
        self._stopping.append(_Stopping(task, self.clock() + self.deregistration_delay))

    def _finish_stopping(self) -> None:
        still: list[_Stopping] = []
        for item in self._stopping:
            if self.clock() >= item.stops_at:
                self._stop(item.task)
                self._note(f"ECS scheduler: {item.task.group} task STOPPED")
            else:
                if item.task.last_status == "DEACTIVATING" and self.clock() >= item.stops_at - 5:
                    item.task.status = "STOPPING"
                still.append(item)
        self._stopping = still

    def stopping_count(self, service: str) -> int:
        """The service's tasks being stopped (DEACTIVATING or STOPPING), not STOPPED yet."""
        return sum(
            1
            for item in self._stopping
            if item.task.group == f"service:{service}" and item.task.last_status != "STOPPED"
        )

    def hosts_with_status(self, status: str) -> set[str]:
        """Container instance ARNs of the hosts in one ECS status."""
        return {
            arn
            for instance_id, arn in self.container_instances.items()
            if self.container_instance(instance_id).status == status
        }

    def _instance_of(self, task: Task) -> str:
        return next((i for i, arn in self.container_instances.items() if arn == task.container_instance_arn), "?")

    def _note(self, text: str) -> None:
        self.timeline.append((self.clock(), text))

    def _stop(self, task: Task) -> None:
        if task.last_status == "STOPPED":
            return
        self.ecs_backend.stop_task(self.name, task.task_arn, task.stopped_reason or "Task stopped by the scheduler")

    def _instance_terminated(self, instance_id: str) -> None:
        if instance_id not in self.container_instances:
            return
        alive = self.tasks_on(instance_id)
        self.lost_tasks[instance_id] = len(alive)
        self._note(f"EC2: {instance_id} terminated with {len(alive)} task(s) still on it")
        for task in alive:
            self._stop(task)
        ci = self.container_instance(instance_id)
        ci.agent_connected = False
        ci.status = "INACTIVE"

    def _instance_stopped(self, instance_id: str) -> None:
        """Stopped into a warm pool: its tasks die with the stop; the container instance stays registered,
        its agent disconnected, in whatever status it had (ACTIVE or DRAINING)."""
        if instance_id not in self.container_instances:
            return
        alive = self.tasks_on(instance_id)
        self.lost_tasks[instance_id] = len(alive)
        self._note(f"EC2: {instance_id} stopped into the warm pool with {len(alive)} task(s) still on it")
        for task in alive:
            self._stop(task)
        self.container_instance(instance_id).agent_connected = False

    def _instance_started(self, instance_id: str) -> None:
        """Started again out of the warm pool: the ECS agent reconnects as the same container instance."""
        if instance_id in self.container_instances:
            self.container_instance(instance_id).agent_connected = True


@dataclass
class _ClusterScheduling:
    """How the per-job cluster places and stops one service's tasks."""

    cluster: SimulatedCluster
    service: str

    def place(self) -> Task | None:
        host = self.cluster.place_task(self.service)
        return None if host is None else self.cluster.start_service_task(host, self.service)

    def stop(self, task: Task, reason: StopReason) -> None:
        host = self.cluster._instance_of(task)
        why = f"Service {self.service}: {reason.value}"
        if reason is StopReason.PENDING_ON_DRAINING_HOST:
            task.stopped_reason = why
            self.cluster._stop(task)  # "stopped immediately": it never joined the load balancer
            self.cluster._note(f"ECS scheduler: {task.group} task on {host} STOPPED ({reason.value})")
            return
        self.cluster.begin_stopping(task, why)
        self.cluster._note(
            f"ECS scheduler: {task.group} task on {host} DEACTIVATING ({reason.value}; "
            f"deregistration delay {self.cluster.deregistration_delay} s)"
        )
