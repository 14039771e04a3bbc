"""A simulated ECS-on-EC2 cluster on moto: an Auto Scaling group of hosts in two availability zones,
registered with ECS, with service, daemon and standalone tasks placed where they fit.

The scheduler moto lacks is here too (``tick``): it moves replica-service tasks off DRAINING hosts
through DEACTIVATING and STOPPING to STOPPED within the deregistration delay, and places their
replacements on ACTIVE hosts with room. Tasks still on a host when its instance terminates are
counted as lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3
from moto.autoscaling.models import autoscaling_backends
from moto.ecs.models import EC2ContainerServiceBackend, Task, ecs_backends

from tests.support.clock import SimulatedClock
from tests.support.lifecycle import SimulatedLifecycleHooks

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
    """A task placed on one host, RUNNING with its containers HEALTHY: where a service's task stands
    once ECS has started it (moto's services start none)."""
    task = backend.start_task(cluster, task_definition, [container_instance_arn], {}, started_by, group=group)[0]
    task.status = "RUNNING"
    for container in task.containers:
        container.last_status = "RUNNING"
        container.health_status = "HEALTHY"
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
    # Where a replica task moved off a DRAINING host is started: (service group, host to avoid) ->
    # the host it runs on, or None. By default a 256-CPU task of the cluster's one task definition.
    placer: Callable[[str, str], str | None] | None = None
    _stopping: list[_Stopping] = field(default_factory=list)
    _task_definition: str = ""

    @cached_property
    def ecs_backend(self) -> EC2ContainerServiceBackend:
        return ecs_backends[ACCOUNT][REGION]

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
        ecs = self.session.client("ecs")
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
        arn = self.session.client("ecs").register_container_instance(
            cluster=self.name, instanceIdentityDocument=document
        )["containerInstance"]["containerInstanceArn"]
        self.instance_ids.append(instance_id)
        self.container_instances[instance_id] = arn
        return arn

    def add_idle_hosts(self, count: int) -> list[str]:
        """EC2 instances outside the group, registered with ECS and running nothing: a big cluster."""
        reservation = self.session.client("ec2").run_instances(ImageId=AMI, MinCount=count, MaxCount=count)
        instance_ids = [instance["InstanceId"] for instance in reservation["Instances"]]
        for instance_id in instance_ids:
            # Straight to moto's backend: 1,000 API round trips would only slow the tests down.
            ci = self.ecs_backend.register_container_instance(self.name, instance_id)
            self.container_instances[instance_id] = ci.container_instance_arn
        return instance_ids

    def add_service(self, service: str, *, daemon: bool = False) -> None:
        self.session.client("ecs").create_service(
            cluster=self.name,
            serviceName=service,
            taskDefinition=self._task_definition,
            **({"schedulingStrategy": "DAEMON"} if daemon else {"desiredCount": 0}),
        )
        if daemon:
            self.daemon_services.add(service)

    def start_tasks(self, instance_id: str, count: int, *, group: str, started_by: str = "") -> list[Task]:
        """Place tasks on one host (moto's services start none) and mark them RUNNING."""
        started: list[Task] = []
        for _ in range(count):
            tasks = self.ecs_backend.start_task(
                self.name, self._task_definition, [self.container_instances[instance_id]], {}, started_by, group=group
            )
            for task in tasks:
                task.status = "RUNNING"
            started.extend(tasks)
        return started

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
        for instance_id in list(self.container_instances):
            if self.container_instance(instance_id).status != "DRAINING":
                continue
            for task in self.tasks_on(instance_id):
                service = task.group.removeprefix("service:") if task.group.startswith("service:") else None
                if service is None or service in self.daemon_services or task.desired_status == "STOPPED":
                    continue  # ECS never moves standalone or daemon tasks off a draining host
                task.desired_status = "STOPPED"
                task.status = "DEACTIVATING"  # deregistering from the load balancer
                self._stopping.append(_Stopping(task, self.clock() + self.deregistration_delay))
                placed_on = (self.placer or self._place_replacement)(task.group, instance_id)
                self._note(
                    f"ECS scheduler: {task.group} task on {instance_id} DEACTIVATING "
                    f"(deregistration delay {self.deregistration_delay} s); replacement "
                    + (f"RUNNING on {placed_on}" if placed_on else "cannot be placed: RESOURCE:CPU")
                )
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

    def _place_replacement(self, group: str, avoid: str) -> str | None:
        for instance_id in self.container_instances:
            ci = self.container_instance(instance_id)
            if instance_id == avoid or ci.status != "ACTIVE":
                continue
            remaining = {r["name"]: r["integerValue"] for r in ci.remaining_resources}
            if remaining["CPU"] >= 256 and remaining["MEMORY"] >= 512:
                self.start_tasks(instance_id, 1, group=group)
                return instance_id
        return None

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
