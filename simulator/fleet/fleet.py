"""The whole suite on a simulated AWS: the suite's stack (``account``, from ``template.yaml``) and the
example cluster (``examples/ecs-on-ec2``, read by ``cluster_definition``) in one account, on one
simulated clock.

The cluster behaves like ECS on EC2 where the suite depends on it, every tick (``TICK_SECONDS``):
- Auto Scaling: hosts in the example's two zones, kept balanced (``rebalancing``: launch in the
  smaller zone, then terminate in the larger through the hook), min/max enforced (``capacity``), a
  new host's ECS agent registers it ``BOOT_SECONDS`` after launch; a termination through the group waits in
  ``Terminating:Wait`` and announces the hook to EventBridge and to the hook's SNS topic, as AWS
  does, until the action is completed or times out (``lifecycle``);
- ECS: the service scheduler keeps the desired count running, placing tasks only where CPU and memory
  fit (spread over zones, then hosts) and saying ``RESOURCE:CPU`` in the service's events when none
  does; tasks on DRAINING hosts and tasks of an older revision are replaced by the service's
  deployment configuration (``service_scheduler``: replacements first, up to ``maximumPercent``; an old
  task stops only while ``minimumHealthyPercent`` stays healthy, so a task with nowhere to go keeps
  running on its draining host); a drained task leaves within the deregistration delay
  (``cluster``); a new task definition rolls out (IN_PROGRESS, COMPLETED), announced by
  ``ECS Deployment State Change`` events; tasks register with the target group;
- CloudWatch: every period, the service's CPUUtilization (from the traffic the story sets) and the
  cluster's CPU/memory reservation (from the tasks placed) are evaluated against the example's
  alarms; a state change goes to EventBridge, where the suite's rule decides whether it is delivered;
- the service itself: a local HTTP server whose answers depend on the image the tasks run, for the
  verify job's smoke check.

The simulation acts with an administrator's credentials (as AWS's own services do); only the
functions run under the template's roles, with moto enforcing them.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.autoscaling.models import autoscaling_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.ecs.models import Task

from simulator.account import SimulatedAccount
from simulator.autoscaling.capacity import ScalingRoute, route_scaling_to
from simulator.autoscaling.hook_handlers import HookHandler, put_termination_hook
from simulator.autoscaling.lifecycle import LifecycleActionRecord, SimulatedLifecycleHooks
from simulator.autoscaling.rebalancing import AzRebalancing
from simulator.clock import SimulatedClock
from simulator.cloudformation.transform import ACCOUNT, REGION
from simulator.cloudwatch.alarms import AlarmChange
from simulator.cloudwatch.metrics import publish_datapoint
from simulator.ecs import service_deployment_gaps
from simulator.ecs.deployments import deployment_event
from simulator.ecs.service_actions import PlacementFailureNotice, placement_failure_event
from simulator.ecs.service_scheduler import (
    DeploymentConfiguration,
    ReplicaTasks,
    StopReason,
    schedule_replicas,
    unable_to_place_message,
)
from simulator.fleet.cluster import AMI, SimulatedCluster, run_healthy_task
from simulator.fleet.cluster_definition import AlarmDefinition, ClusterDefinition
from simulator.fleet.samples import FleetSample, keep_if_changed
from simulator.http_server import LocalHttpServer, Route
from simulator.paths import TEMPLATE

BOOT_SECONDS = 90  # from launch until the host's ECS agent has registered it
ECS_METRIC_PERIOD = 60  # ECS sends its CloudWatch metrics in 1-minute periods (simulator/cloudwatch/metrics.py)
FIRST_HOST_PORT = 32768  # bridge mode, hostPort 0: Docker's ephemeral ports
HEALTHY = Route(200, '{"status": "ok"}')
# A group's instance in one of these lifecycle states is leaving, or parked in a warm pool: not launching.
NOT_LAUNCHING = ("Terminating", "Terminated", "Warmed")


def administrator_session() -> boto3.Session:
    """The simulation's own credentials: a user allowed everything, as AWS's services and the people at
    the console are. Created before any enforcement; only the functions run under narrower roles."""
    iam = boto3.Session(region_name=REGION).client("iam")
    iam.create_user(UserName="simulation")
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName="simulation", PolicyName="everything", PolicyDocument=json.dumps(everything))
    key = iam.create_access_key(UserName="simulation")["AccessKey"]
    return boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name=REGION
    )


@dataclass
class FleetRecord:
    """Ground truth kept by the simulation, not by the functions under test."""

    desired_capacity: list[tuple[float, int]] = field(default_factory=list)
    desired_count: list[tuple[float, int]] = field(default_factory=list)
    running: list[tuple[float, int]] = field(default_factory=list)  # the service's tasks not STOPPED, at each change
    deployments: list[tuple[float, str, str]] = field(default_factory=list)  # (at, task definition, state)
    unplaced: int = 0  # reconcile passes that could not place a task (RESOURCE:CPU)
    samples: list[FleetSample] = field(default_factory=list)  # the cluster at each change, for the demo's picture


class SimulatedFleet:
    def __init__(
        self,
        *,
        parameters: dict[str, str] | None = None,
        definition: ClusterDefinition | None = None,
        app: LocalHttpServer | None = None,
        image_behaviour: dict[str, Route] | None = None,
        template: Path = TEMPLATE,
    ) -> None:
        self.verify_gaps = service_deployment_gaps.new_record()
        self.definition = definition or ClusterDefinition.from_template()
        d = self.definition
        self.clock = SimulatedClock()
        self.session = administrator_session()
        self._clients: dict[str, Any] = {}
        self.app = app
        self.image_behaviour = dict(image_behaviour or {})
        self.account = SimulatedAccount(
            parameters={
                "ClusterNames": d.cluster_name,
                "AutoScalingGroupNames": d.group_name,
                # The fleet's stories are about scaling that acts; the template's default is a dry run.
                "ScaleDryRun": "false",
                **(parameters or {}),
            },
            clock=self.clock,
            session=self.session,
            template=template,
        )
        self.cluster = SimulatedCluster(
            self.session,
            self.clock,
            name=d.cluster_name,
            group=d.group_name,
            hook_name=d.hook_name,
            deregistration_delay=d.deregistration_delay,
        )
        self.cluster.schedules_services = False  # the service is scheduled here (``_reconcile``)
        self.hooks = SimulatedLifecycleHooks(backend=autoscaling_backends[ACCOUNT][REGION], clock=self.clock)
        self.hooks.on_terminate = self._terminated
        self.hooks.install()
        self.hook_handlers: list[HookHandler] = []  # other people's termination hooks on the group
        route_scaling_to(ScalingRoute(self.hooks, self._announce_termination))
        # Auto Scaling rebalances the group's zones; its hosts register once booted, like any other.
        self.rebalancing = AzRebalancing(
            self.hooks.backend, self.hooks, self.clock, d.group_name, on_termination=self._announce_termination
        )
        self.record = FleetRecord()
        self._alarms_backend = cloudwatch_backends[ACCOUNT][REGION]  # looked up once: the samples read it every tick
        self.traffic_cpu = 0.0  # CPU units of work the service's traffic needs
        self.crash_looping_images: set[str] = set()  # images whose essential container exits at start
        self._zones: dict[str, str] = {}  # instance -> zone
        self._seen: dict[str, float] = {}  # instance -> when the group launched it
        self._targets: dict[str, dict[str, Any]] = {}  # task ARN -> its target in the group
        self._ports: Counter[str] = Counter()  # instance -> host ports handed out
        self._rollout: str | None = None  # the deployment being rolled out
        self._datapoints: dict[str, list[float]] = {a.name: [] for a in d.alarms}
        self._next_evaluation = {a.name: self.clock() + a.period for a in d.alarms}
        self._unplaced_streak = False
        self._placement_failure = PlacementFailureNotice()
        self._build()
        # ECS's container instance events go to the account's bus (the drain's rule hears an emptied DRAINING host).
        self.cluster.on_instance_change = lambda event: self.account.put_event(event, source="ECS", quiet=True)
        self.cluster.announce_instance_changes()  # the hosts as built: what every change is a change of
        self.account.tickers.append(self._tick)

    def clients(self, service: str) -> Any:
        """The simulation's clients, made once (a client costs milliseconds; ticks are many)."""
        if service not in self._clients:
            self._clients[service] = self.session.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    def close(self) -> None:
        route_scaling_to(None)

    # -- building the example's stack --------------------------------------------------------------------
    def _build(self) -> None:
        d = self.definition
        ec2 = self.session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
            for i, zone in enumerate(d.zones)
        ]
        ec2.create_launch_template(
            LaunchTemplateName=f"{d.group_name}-lt",
            LaunchTemplateData={"ImageId": AMI, "InstanceType": d.instance_type},
        )
        autoscaling = self.session.client("autoscaling")
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=d.group_name,
            LaunchTemplate={"LaunchTemplateName": f"{d.group_name}-lt", "Version": "$Latest"},
            MinSize=d.min_size,
            MaxSize=d.max_size,
            DesiredCapacity=d.desired_capacity,
            VPCZoneIdentifier=",".join(subnets),
        )
        # As the example declares it: EventBridge always, and the suite's topic through its role. A suite
        # without the drain exports no topic (the example, which imports it, is for the whole suite): the
        # hook then notifies through EventBridge alone, as a team's own cluster stack would declare it.
        outputs = self.account.stack.outputs
        through_sns = (
            {
                "NotificationTargetARN": outputs["LifecycleHookTopicArn"],
                "RoleARN": outputs["LifecycleHookPublishRoleArn"],
            }
            if "LifecycleHookTopicArn" in outputs
            else {}
        )
        autoscaling.put_lifecycle_hook(
            AutoScalingGroupName=d.group_name,
            LifecycleHookName=d.hook_name,
            LifecycleTransition=d.hook_transition,
            HeartbeatTimeout=d.hook_heartbeat_timeout,
            DefaultResult=d.hook_default_result,
            NotificationMetadata=json.dumps({"cluster": d.cluster_name}),
            **through_sns,
        )
        ecs = self.session.client("ecs")
        ecs.create_cluster(clusterName=d.cluster_name)
        for instance in self._group_instances():
            self._register_host(instance["InstanceId"], instance["AvailabilityZone"])
        elbv2 = self.session.client("elbv2")
        balancer = elbv2.create_load_balancer(Name=f"{d.cluster_name}-alb", Subnets=subnets)["LoadBalancers"][0]
        self.target_group = elbv2.create_target_group(
            Name=f"{d.cluster_name}-{d.service_name}",
            Protocol="HTTP",
            Port=d.container_port,
            VpcId=vpc,
            TargetType="instance",
            HealthCheckPath=d.health_check_path,
        )["TargetGroups"][0]["TargetGroupArn"]
        elbv2.modify_target_group_attributes(
            TargetGroupArn=self.target_group,
            Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": str(d.deregistration_delay)}],
        )
        elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": self.target_group}],
        )
        self.task_definition = self.register_image("public.ecr.aws/nginx/nginx:1.27")
        configuration = {
            "deploymentCircuitBreaker": {"enable": True, "rollback": d.circuit_breaker_rollback},
            "maximumPercent": d.maximum_percent,
            "minimumHealthyPercent": d.minimum_healthy_percent,
        }
        self.service_arn = ecs.create_service(
            cluster=d.cluster_name,
            serviceName=d.service_name,
            taskDefinition=self.task_definition,
            desiredCount=d.service_desired_count,
            loadBalancers=[
                {
                    "targetGroupArn": self.target_group,
                    "containerName": d.container_name,
                    "containerPort": d.container_port,
                }
            ],
            deploymentConfiguration=configuration,  # type: ignore[arg-type]
        )["service"]["serviceArn"]
        service = self._service()
        service.deployments = [
            _deployment("ecs-svc/0000000000000000001", self.task_definition, d.service_desired_count)
        ]
        service.deployments[0]["rolloutState"] = "COMPLETED"
        cloudwatch = self.session.client("cloudwatch")
        for alarm in d.alarms:
            cloudwatch.put_metric_alarm(
                AlarmName=alarm.name,
                Namespace=alarm.namespace,
                MetricName=alarm.metric,
                Dimensions=[{"Name": k, "Value": v} for k, v in alarm.dimensions.items()],
                Statistic=alarm.statistic,  # type: ignore[arg-type]
                Period=alarm.period,
                EvaluationPeriods=alarm.evaluation_periods,
                Threshold=alarm.threshold,
                ComparisonOperator=alarm.comparison,  # type: ignore[arg-type]
            )
            cloudwatch.set_alarm_state(AlarmName=alarm.name, StateValue="OK", StateReason="initial")
        self._reconcile()
        self._observe()

    def register_image(self, image: str) -> str:
        """A new revision of the service's task definition, running ``image``."""
        d = self.definition
        return str(
            self.session.client("ecs").register_task_definition(
                family=d.task_family,
                networkMode="bridge",
                requiresCompatibilities=["EC2"],
                containerDefinitions=[
                    {
                        "name": d.container_name,
                        "image": image,
                        "cpu": d.task_cpu,
                        "memory": d.task_memory,
                        "essential": True,
                        "portMappings": [{"containerPort": d.container_port, "hostPort": 0, "protocol": "tcp"}],
                        "healthCheck": {"command": ["CMD-SHELL", f"curl -f http://localhost{d.health_check_path}"]},
                    }
                ],
            )["taskDefinition"]["taskDefinitionArn"]
        )

    def _register_host(self, instance_id: str, zone: str) -> None:
        """What the host's ECS agent does once it has booted."""
        d = self.definition
        document = json.dumps({"instanceId": instance_id, "region": REGION, "availabilityZone": zone})
        arn = self.session.client("ecs").register_container_instance(
            cluster=d.cluster_name, instanceIdentityDocument=document
        )["containerInstance"]["containerInstanceArn"]
        self.cluster.instance_ids.append(instance_id)
        self.cluster.container_instances[instance_id] = arn
        self._zones[instance_id] = zone
        # moto registers every host with 4,096 CPU units and 7,482 MiB; the example's type has its own.
        instance = self.cluster.container_instance(instance_id)
        for resources in (instance.registered_resources, instance.remaining_resources):
            for resource in resources:
                if resource["name"] == "CPU":
                    resource["integerValue"] = d.host_cpu
                elif resource["name"] == "MEMORY":
                    resource["integerValue"] = d.host_memory
        self.account.note("ECS", f"{instance_id} ({zone}) registered with cluster {d.cluster_name}")

    # -- what the story does -----------------------------------------------------------------------------
    def set_traffic(self, cpu_units: float) -> None:
        """The service's load, in CPU units of work: its CPUUtilization is this over what its tasks have."""
        self.traffic_cpu = cpu_units
        self.account.note("traffic", f"load on {self.definition.service_name} is now {cpu_units:.0f} CPU units")

    def release(self, image: str) -> str:
        """A CI pipeline deploys ``image``: a new task definition revision and UpdateService."""
        task_definition = self.register_image(image)
        self.session.client("ecs").update_service(
            cluster=self.definition.cluster_name, service=self.definition.service_name, taskDefinition=task_definition
        )
        self.account.note(
            "CI", f"UpdateService {self.definition.service_name} -> {_revision(task_definition)} ({image})"
        )
        return task_definition

    def terminate_batch(self, instance_ids: list[str], *, cause: str) -> None:
        """Several hosts terminated at once through the group, its desired capacity lowered by as many: a
        manual scale-in, or an instance refresh's batch (terminate first, launch after: while the batch
        waits in Terminating:Wait nothing launches). Each goes through the termination hooks, as
        TerminateInstanceInAutoScalingGroup does (``simulator.autoscaling.capacity``)."""
        autoscaling = self.clients("autoscaling")
        for instance_id in instance_ids:
            autoscaling.terminate_instance_in_auto_scaling_group(
                InstanceId=instance_id, ShouldDecrementDesiredCapacity=True
            )
        self.account.note("Auto Scaling", f"{cause}: terminating {len(instance_ids)} hosts at once")

    def run_for(self, seconds: float) -> None:
        self.account.run_until(self.clock() + seconds)

    def run_until_quiet(self) -> None:
        self.account.run_until_quiet()

    # -- what is true now --------------------------------------------------------------------------------
    def tasks(self) -> list[Task]:
        group = f"service:{self.definition.service_name}"
        return [
            t
            for t in self.cluster.ecs_backend.tasks.get(self.definition.cluster_name, {}).values()
            if t.group == group and t.last_status != "STOPPED" and t.desired_status == "RUNNING"
        ]

    def hosts(self) -> dict[str, dict[str, Any]]:
        """Registered hosts: status, zone and tasks, by instance."""
        return {
            instance_id: {
                "status": self.cluster.container_instance(instance_id).status,
                "zone": self._zones.get(instance_id, "?"),
                "tasks": len(self.cluster.tasks_on(instance_id)),
            }
            for instance_id in self.cluster.container_instances
        }

    def room_for_service_tasks(self, instance_id: str) -> int:
        """How many more of the service's tasks the host's remaining CPU and memory hold."""
        d = self.definition
        remaining = self.cluster.container_instance(instance_id).remaining_resources
        return min(_resource(remaining, "CPU") // d.task_cpu, _resource(remaining, "MEMORY") // d.task_memory)

    def desired_capacity(self) -> int:
        return int(
            autoscaling_backends[ACCOUNT][REGION].autoscaling_groups[self.definition.group_name].desired_capacity or 0
        )

    def tasks_lost(self) -> int:
        return sum(self.cluster.lost_tasks.values())

    def alarm_state(self, name: str) -> str:
        alarm = self.session.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        return str(alarm["StateValue"])

    # -- every tick ----------------------------------------------------------------------------------------
    def _tick(self) -> None:
        self._register_booted_hosts()
        self.cluster.tick()
        for handler in self.hook_handlers:
            handler.tick()
        self.hooks.expire_overdue()
        if (activity := self.rebalancing.tick()) is not None:
            self.account.note(
                "Auto Scaling",
                f"rebalancing zones {activity.zones_before}: launched {activity.launched}"
                + (f", terminating {activity.terminated}" if activity.terminated else ""),
            )
        self._reconcile()
        self._serve()
        self._evaluate_alarms()
        self._observe()

    def _group_instances(self) -> list[dict[str, Any]]:
        """The group's instances, read from moto's backend: a DescribeAutoScalingGroups call every tick
        would spend most of the simulation's time building clients."""
        group = autoscaling_backends[ACCOUNT][REGION].autoscaling_groups.get(self.definition.group_name)
        if group is None:
            return []
        return [
            {
                "InstanceId": state.instance.id,
                "LifecycleState": state.lifecycle_state,
                "AvailabilityZone": state.instance._placement.zone,
            }
            for state in group.instance_states
        ]

    def _register_booted_hosts(self) -> None:
        for instance in self._group_instances():
            instance_id = instance["InstanceId"]
            if instance_id in self.cluster.container_instances or instance["LifecycleState"] != "InService":
                continue
            first_seen = self._seen.setdefault(instance_id, self.clock())
            if first_seen == self.clock():
                self.account.note("Auto Scaling", f"launched {instance_id} in {instance['AvailabilityZone']}")
            if self.clock() - first_seen >= BOOT_SECONDS:
                self._register_host(instance_id, instance["AvailabilityZone"])

    def _announce_termination(self, actions: list[LifecycleActionRecord]) -> None:
        """A host entered Terminating:Wait: each hook's action is announced to EventBridge, and to the hook's
        SNS topic if it has one (the example's hook has both)."""
        for action in actions:
            self.account.note("Auto Scaling", f"{action.instance_id} Terminating:Wait (hook {action.hook})")
            event = self.hooks.eventbridge_event(action)
            event["time"] = self.account.iso_time()
            self.account.put_event(event, source="Auto Scaling")
            hook = autoscaling_backends[ACCOUNT][REGION].lifecycle_hooks[f"{action.group}_{action.hook}"]
            topic = hook.notification_target_arn
            if not topic:
                continue
            delivery = self.hooks.sns_event(action, topic)["Records"][0]["Sns"]
            # Auto Scaling publishes with the hook's RoleARN: its policies, and the topic's key, must let it.
            self.account.publish(
                topic, delivery["Message"], subject=delivery["Subject"], source="Auto Scaling", as_role=hook.role_arn
            )

    def add_termination_hook(self, handler: HookHandler, *, heartbeat_timeout: int, default_result: str) -> None:
        """Another termination hook on the group (EventBridge only), and the handler that answers it."""
        put_termination_hook(
            self.clients("autoscaling"),
            self.definition.group_name,
            handler,
            heartbeat_timeout=heartbeat_timeout,
            default_result=default_result,
        )
        self.hook_handlers.append(handler)

    def _terminated(self, instance_id: str) -> None:
        # The load balancer lets go of a terminated instance's targets by itself.
        for task_arn, target in list(self._targets.items()):
            if target["Id"] == instance_id:
                self.clients("elbv2").deregister_targets(TargetGroupArn=self.target_group, Targets=[target])
                del self._targets[task_arn]
        self.cluster._instance_terminated(instance_id)
        lost = self.cluster.lost_tasks.get(instance_id, 0)
        self.account.note("EC2", f"{instance_id} terminated" + (f" with {lost} task(s) still running" if lost else ""))

    # -- the ECS service scheduler ------------------------------------------------------------------------
    def _service(self) -> Any:
        d = self.definition
        return self.cluster.ecs_backend.services[f"{d.cluster_name}:{d.service_name}"]

    def _reconcile(self) -> None:
        service = self._service()
        primary = service.deployments[0]
        target = primary["taskDefinition"]
        if primary.get("rolloutState") == "IN_PROGRESS" and self._rollout != primary["id"]:
            self._rollout = primary["id"]
            self._announce_deployment("SERVICE_DEPLOYMENT_IN_PROGRESS", primary["id"])
        desired = int(service.desired_count)
        draining = self.cluster.hosts_with_status("DRAINING")
        tasks = self.tasks()
        scheduling = _FleetScheduling(self, target, primary)
        passed = schedule_replicas(
            ReplicaTasks(
                desired=desired,
                placed=[
                    t for t in tasks if t.task_definition_arn == target and t.container_instance_arn not in draining
                ],
                draining=[t for t in tasks if t.container_instance_arn in draining],
                outdated=[
                    t for t in tasks if t.task_definition_arn != target and t.container_instance_arn not in draining
                ],
                stopping=self.cluster.stopping_count(self.definition.service_name),
            ),
            DeploymentConfiguration.of(service),
            scheduling,
        )
        if scheduling.crashed:
            return  # the circuit breaker has had its say for this tick
        self._note_unplaced(bool(passed.unplaced))
        self._release_stopped_targets()
        tasks = self.tasks()
        new = [t for t in tasks if t.task_definition_arn == target]
        running = len(tasks)
        # pendingCount is "the number of tasks in the cluster that are in the PENDING state" (Service, ECS API
        # Reference): a task ECS could not place is in no state at all, so it counts in neither.
        pending = sum(1 for t in tasks if t.last_status == "PENDING")
        service.running_count, service.pending_count = running - pending, pending
        primary.update(desiredCount=desired, runningCount=len(new), pendingCount=max(0, desired - len(new)))
        rolling_out = primary["id"] == self._rollout and primary.get("rolloutState") == "IN_PROGRESS"
        if rolling_out and len(new) == desired and len(tasks) == len(new):
            primary.update(rolloutState="COMPLETED", rolloutStateReason=f"ECS deployment {primary['id']} completed.")
            service.deployments = [primary]
            service.task_definition = target
            self._announce_deployment("SERVICE_DEPLOYMENT_COMPLETED", primary["id"])

    def _trip_circuit_breaker(self, failing: dict[str, Any]) -> None:
        """ECS's deployment circuit breaker: after min(max(3, half the desired count), 200) tasks of a
        deployment failed to start, the deployment FAILS (SERVICE_DEPLOYMENT_FAILED, ERROR); with
        rollback on, ECS starts a new deployment back to the last completed one, and that deployment's
        start is announced as SERVICE_DEPLOYMENT_IN_PROGRESS (INFO) whose reason names the deployment
        rolled back to ("Amazon ECS service deployment state change events"). DescribeServices then
        lists the rollback PRIMARY ("rolling back to deploymentId ...") and the failed one ACTIVE,
        rolloutState FAILED. Which deploymentId the IN_PROGRESS event carries, the document's example
        leaves open: here, the rollback deployment's (the deployment whose start it announces)."""
        service = self._service()
        threshold = min(max(3, math.ceil(int(service.desired_count) / 2)), 200)
        if failing.get("rolloutState") != "IN_PROGRESS" or failing["failedTasks"] < threshold:
            return
        failed_reason = "ECS deployment circuit breaker: task failed to start."
        if not self.definition.circuit_breaker_rollback or len(service.deployments) < 2:
            failing.update(rolloutState="FAILED", rolloutStateReason=failed_reason)
            self._announce_deployment("SERVICE_DEPLOYMENT_FAILED", failing["id"], reason=failed_reason)
            return
        previous = service.deployments[1]
        reason = f"ECS deployment circuit breaker: rolling back to deploymentId {previous['id']}."
        failing.update(status="ACTIVE", rolloutState="FAILED", rolloutStateReason=failed_reason)
        rollback = _deployment(
            f"ecs-svc/{uuid.uuid4().int % 10**19}", previous["taskDefinition"], service.desired_count
        )
        rollback["rolloutStateReason"] = reason
        service.deployments = [rollback, failing]
        service.task_definition = previous["taskDefinition"]
        self._rollout = rollback["id"]  # its start is the IN_PROGRESS below, announced once
        self._announce_deployment("SERVICE_DEPLOYMENT_IN_PROGRESS", rollback["id"], reason=reason, event_type="INFO")
        self._announce_deployment("SERVICE_DEPLOYMENT_FAILED", failing["id"], reason=failed_reason)

    def _announce_deployment(
        self, name: str, deployment_id: str, *, reason: str | None = None, event_type: str | None = None
    ) -> None:
        self.record.deployments.append((self.clock(), self._service().deployments[0]["taskDefinition"], name))
        kind = event_type or ("ERROR" if name == "SERVICE_DEPLOYMENT_FAILED" else "INFO")
        event = deployment_event(self.service_arn, name, deployment_id, reason=reason, event_type=kind)
        event["time"] = self.account.iso_time()
        self.account.put_event(event, source="ECS")

    def _place(self, task_definition: str) -> Task | None:
        """One task where CPU and memory fit: the zone with fewest of the service's tasks, then the host."""
        d = self.definition
        per_host = Counter(t.container_instance_arn for t in self.tasks())
        per_zone: Counter[str] = Counter()
        for instance_id, arn in self.cluster.container_instances.items():
            per_zone[self._zones.get(instance_id, "")] += per_host[arn]
        candidates = []
        for instance_id, arn in self.cluster.container_instances.items():
            host = self.cluster.container_instance(instance_id)
            remaining = {r["name"]: r["integerValue"] for r in host.remaining_resources}
            if host.status == "ACTIVE" and remaining["CPU"] >= d.task_cpu and remaining["MEMORY"] >= d.task_memory:
                candidates.append((per_zone[self._zones.get(instance_id, "")], per_host[arn], instance_id))
        if not candidates:
            return None
        instance_id = min(candidates)[2]
        return self._start(instance_id, task_definition)

    def _start(self, instance_id: str, task_definition: str) -> Task:
        d = self.definition
        task = run_healthy_task(
            self.cluster.ecs_backend,
            d.cluster_name,
            task_definition,
            self.cluster.container_instances[instance_id],
            started_by=self._service().deployments[0]["id"],
            group=f"service:{d.service_name}",
        )
        task.health_status = "HEALTHY"  # type: ignore[attr-defined]  # moto's Task has no health; DescribeTasks reports it
        port = FIRST_HOST_PORT + self._ports[instance_id]
        self._ports[instance_id] += 1
        # DescribeTasks shows the published port once RUNNING (NetworkBinding); ECS registers the same.
        task.containers[0].network_bindings = [  # type: ignore[attr-defined]  # what DescribeTasks reports
            {"bindIP": "0.0.0.0", "containerPort": d.container_port, "hostPort": port, "protocol": "tcp"}
        ]
        target = {"Id": instance_id, "Port": port}
        self.clients("elbv2").register_targets(TargetGroupArn=self.target_group, Targets=[target])
        self._targets[task.task_arn] = target
        return task

    def _stop(self, task: Task, reason: str) -> None:
        self.cluster.ecs_backend.stop_task(self.definition.cluster_name, task.task_arn, reason)

    def _release_stopped_targets(self) -> None:
        """Deregister the targets of tasks that are stopping (ECS does it as a task begins to stop)."""
        live = {t.task_arn for t in self.tasks()}
        gone = [arn for arn in self._targets if arn not in live]
        for arn in gone:
            target = self._targets.pop(arn)
            self.clients("elbv2").deregister_targets(TargetGroupArn=self.target_group, Targets=[target])

    def _note_unplaced(self, unplaced: bool) -> None:
        if unplaced:
            self.record.unplaced += 1
        if unplaced and not self._unplaced_streak:
            message = unable_to_place_message(self.definition.service_name)
            self._service().events.insert(
                0, {"id": str(self.record.unplaced), "createdAt": self.clock(), "message": message}
            )
            self.account.note("ECS", message)
        if self._placement_failure.due(unplaced, self.clock()):
            cluster_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{self.definition.cluster_name}"
            event = placement_failure_event(self.service_arn, cluster_arn, "RESOURCE:CPU", at=self.clock())
            self.account.put_event(event, source="ECS")
        self._unplaced_streak = unplaced

    # -- CloudWatch ------------------------------------------------------------------------------------------
    def _metric(self, alarm: AlarmDefinition) -> float | None:
        d = self.definition
        if alarm.metric == "CPUUtilization":
            running = len(self.tasks())
            return min(100.0, 100.0 * self.traffic_cpu / (running * d.task_cpu)) if running else None
        hosts = [
            self.cluster.container_instance(i)
            for i in self.cluster.container_instances
            if self.cluster.container_instance(i).status in ("ACTIVE", "DRAINING")
        ]
        name = {"CPUReservation": "CPU", "MemoryReservation": "MEMORY"}.get(alarm.metric)
        if name is None or not hosts:
            return None
        registered = sum(_resource(h.registered_resources, name) for h in hosts)
        remaining = sum(_resource(h.remaining_resources, name) for h in hosts)
        return 100.0 * (registered - remaining) / registered

    def _evaluate_alarms(self) -> None:
        published: set[tuple[str, str, float]] = set()  # the high and low alarms of one metric share its datapoint
        for alarm in self.definition.alarms:
            if self.clock() < self._next_evaluation[alarm.name]:
                continue
            self._next_evaluation[alarm.name] += alarm.period
            value = self._metric(alarm)
            if value is None:
                continue
            # ECS publishes one datapoint a minute; an alarm with a longer period aggregates those.
            datapoint = (alarm.metric, json.dumps(alarm.dimensions, sort_keys=True), self.clock() - ECS_METRIC_PERIOD)
            if alarm.period == ECS_METRIC_PERIOD and datapoint not in published:
                published.add(datapoint)
                publish_datapoint(
                    alarm.namespace, alarm.metric, alarm.dimensions, round(value, 1), period_start=datapoint[2]
                )
            points = self._datapoints[alarm.name]
            points.append(round(value, 1))
            recent = points[-alarm.evaluation_periods :]
            if len(recent) < alarm.evaluation_periods:
                continue
            breaching = [_breaches(v, alarm) for v in recent]
            # The state read from moto's backend: a DescribeAlarms call at every evaluation was most of a
            # simulated day's API calls (2,700 of 4,500), and the state seldom changes.
            old = cloudwatch_backends[ACCOUNT][REGION].alarms[alarm.name].state_value
            new = "ALARM" if all(breaching) else "OK" if not any(breaching) else old
            if new == old:
                continue
            cloudwatch = self.clients("cloudwatch")
            described = cloudwatch.describe_alarms(AlarmNames=[alarm.name])["MetricAlarms"][0]
            cloudwatch.set_alarm_state(AlarmName=alarm.name, StateValue=new, StateReason=f"simulated: {recent}")
            change = AlarmChange(described, old=old, new=new, value=recent[-1], at=self.clock())
            self.account.note("CloudWatch", f"{alarm.name}: {old} -> {new} ({alarm.metric} {recent[-1]})")
            self.account.put_event(change.eventbridge_event(), source="CloudWatch")

    # -- the service's answers, and what the simulation records ----------------------------------------------
    def _serve(self) -> None:
        if self.app is None:
            return
        images = Counter(self._image(t.task_definition_arn) for t in self.tasks())
        if images:
            image = images.most_common(1)[0][0]
            self.app.routes[self.definition.health_check_path] = self.image_behaviour.get(image, HEALTHY)

    def _image(self, task_definition: str) -> str:
        definition = self.cluster.ecs_backend.describe_task_definition(task_definition)
        return str(definition.container_definitions[0]["image"])

    def _observe(self) -> None:
        capacity, count = self.desired_capacity(), int(self._service().desired_count)
        if not self.record.desired_capacity or self.record.desired_capacity[-1][1] != capacity:
            self.record.desired_capacity.append((self.clock(), capacity))
        if not self.record.desired_count or self.record.desired_count[-1][1] != count:
            self.record.desired_count.append((self.clock(), count))
        running = len(self.tasks())
        if not self.record.running or self.record.running[-1][1] != running:
            self.record.running.append((self.clock(), running))
        keep_if_changed(self.record.samples, self._sample(running=running, desired=count))

    def _sample(self, *, running: int, desired: int) -> FleetSample:
        """The cluster now, read from the simulation's state and moto's backends (no API call: every tick)."""
        registered = self.cluster.container_instances
        statuses = Counter(self.cluster.container_instance(i).status for i in registered)
        group = self.hooks.backend.autoscaling_groups.get(self.definition.group_name)
        launching = sum(
            1
            for state in (group.instance_states if group else [])
            if state.instance.id not in registered and not state.lifecycle_state.startswith(NOT_LAUNCHING)
        )
        alarms = self._alarms_backend.alarms
        return FleetSample(
            at=self.clock(),
            running=running,
            desired=desired,
            hosts_in_service=statuses["ACTIVE"],
            hosts_draining=statuses["DRAINING"],
            hosts_launching=launching,
            alarms=tuple((a.name, str(alarms[a.name].state_value)) for a in self.definition.alarms),
        )


class _FleetScheduling:
    """How the fleet places and stops its service's tasks: zone-spread placement with target
    registration, drained tasks through the deregistration delay, a crash-looping image's start
    counted by the deployment circuit breaker."""

    def __init__(self, fleet: SimulatedFleet, task_definition: str, primary: dict[str, Any]) -> None:
        self.fleet = fleet
        self.task_definition = task_definition
        self.primary = primary
        self.crashed = False

    def place(self) -> Task | None:
        if self.crashed:
            return None
        task = self.fleet._place(self.task_definition)
        if task is not None and self.fleet._image(self.task_definition) in self.fleet.crash_looping_images:
            # Its essential container exits at once: one failed start per tick, counted by the
            # deployment's circuit breaker.
            self.fleet._stop(task, "Essential container in task exited")
            self.primary["failedTasks"] = int(self.primary.get("failedTasks", 0)) + 1
            self.fleet._trip_circuit_breaker(self.primary)
            self.crashed = True
            return None
        return task

    def stop(self, task: Task, reason: StopReason) -> None:
        if reason is StopReason.DRAINED:
            self.fleet.cluster.begin_stopping(task, f"Service {self.fleet.definition.service_name}: {reason.value}")
            return
        self.fleet._stop(
            task,
            {
                StopReason.REPLACED: "Stopped by the deployment: replaced by a task of the new revision",
                StopReason.SCALED_IN: "Scaled in: desired count lowered",
            }.get(reason, reason.value),
        )


def _deployment(deployment_id: str, task_definition: str, desired: int) -> dict[str, Any]:
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "desiredCount": desired,
        "runningCount": 0,
        "pendingCount": desired,
        "failedTasks": 0,
        "launchType": "EC2",
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
    }


def _resource(resources: list[dict[str, Any]], name: str) -> int:
    return int(next(r["integerValue"] for r in resources if r["name"] == name))


def _breaches(value: float, alarm: AlarmDefinition) -> bool:
    return {
        "GreaterThanThreshold": value > alarm.threshold,
        "GreaterThanOrEqualToThreshold": value >= alarm.threshold,
        "LessThanThreshold": value < alarm.threshold,
        "LessThanOrEqualToThreshold": value <= alarm.threshold,
    }[alarm.comparison]


def _revision(task_definition: str) -> str:
    return task_definition.rsplit("/", 1)[-1]
