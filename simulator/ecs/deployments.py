"""Simulated ECS service deployments on moto: releases that roll out (moto never changes rolloutState nor
starts a service's tasks), stuck rollouts, failed tasks, unhealthy containers and targets, alarms that
fire, CodeDeploy deployments; and the events each trigger of the verify job receives, in AWS's shapes.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.codedeploy.models import codedeploy_backends
from moto.ecs.models import Service, Task

from simulator.clock import SimulatedClock
from simulator.ecs.image_resolution import resolve_images
from simulator.ecs.service_deployment_gaps import (
    HOOK_TIMEOUT_DEFAULT_MINUTES,
    HookExecutionRecord,
    RollbackRecord,
    ServiceDeploymentRecord,
    VerifyGaps,
)
from simulator.ecs.stopped_tasks import crash
from simulator.ecs.task_containers import set_health
from simulator.fleet.cluster import ACCOUNT, REGION, SimulatedCluster, run_healthy_task

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.literals import StateValueType
    from mypy_boto3_ecs.literals import NetworkModeType
    from mypy_boto3_ecs.type_defs import ContainerDefinitionTypeDef, DeploymentCircuitBreakerTypeDef
    from mypy_boto3_elbv2.literals import TargetTypeEnumType

# The verify function as a service's lifecycle hook names it (hookTargetArn) and as Lambda's context gives it.
VERIFY_FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ecs-fleet-ops-verify"
# "By default, the delay is 30 seconds" (Lambda hooks for Amazon ECS service deployments).
DEFAULT_CALL_BACK_DELAY = 30
HOOK_STATUSES = ("SUCCEEDED", "FAILED", "IN_PROGRESS")

# Tiny tasks, so hundreds fit on two simulated hosts.
TASK_CPU = 1
TASK_MEMORY = 4
# A non-essential sidecar with a health check of its own (a FireLens log router, say).
SIDECAR = "log-router"
# Bridge mode with hostPort 0: Docker publishes the container port on an ephemeral host port (32768 to
# 61000 on the ECS-optimized AMI), and ECS registers the task as that instance and port.
FIRST_HOST_PORT = 32768
CONTAINER_PORT = 80
# ELB's target type for each network mode: awsvpc tasks have their own network interface ("you must
# choose ip as the target type, not instance"); bridge and host tasks are reached through their host.
TARGET_TYPE: dict[str, TargetTypeEnumType] = {"awsvpc": "ip", "bridge": "instance", "host": "instance"}


@dataclass
class SimulatedService:
    name: str
    arn: str
    target_groups: list[str]
    tasks: list[Task] = field(default_factory=list)
    # task ARN -> the target ECS registered for it in each group: {"Id": instance id, "Port": host
    # port} (bridge) or {"Id": the task's ENI address, "Port": container port} (awsvpc)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    deployment_id: str = ""


@dataclass
class SimulatedDeployments:
    cluster: SimulatedCluster
    gaps: VerifyGaps
    services: dict[str, SimulatedService] = field(default_factory=dict)
    # The function a service's Lambda lifecycle hooks invoke (their hookTargetArn): the stack's, in a world
    # deployed from the template.
    hook_target_arn: str = VERIFY_FUNCTION_ARN
    _host_ports: dict[str, int] = field(default_factory=dict)  # container instance ARN -> next free port

    # -- task definitions and services -------------------------------------------------------------
    def task_definition(
        self,
        image: str,
        *,
        health_check: bool = True,
        family: str = "web",
        sidecar: bool = False,
        network_mode: NetworkModeType = "bridge",
    ) -> str:
        """``sidecar``: a second container, ``essential: false``, with its own health check."""
        container: ContainerDefinitionTypeDef = {
            "name": "web",
            "image": image,
            "cpu": TASK_CPU,
            "memory": TASK_MEMORY,
            "portMappings": [{"containerPort": CONTAINER_PORT}],
        }
        if health_check:
            container["healthCheck"] = {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]}
        containers = [container]
        if sidecar:
            containers.append(
                {
                    "name": SIDECAR,
                    "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
                    "essential": False,
                    "cpu": TASK_CPU,
                    "memory": TASK_MEMORY,
                    "healthCheck": {"command": ["CMD-SHELL", "curl -f http://127.0.0.1:2020/api/v1/health || exit 1"]},
                }
            )
        ecs = self.cluster.session.client("ecs")
        return ecs.register_task_definition(family=family, networkMode=network_mode, containerDefinitions=containers)[
            "taskDefinition"
        ]["taskDefinitionArn"]

    def create_service(
        self,
        name: str,
        task_definition: str,
        *,
        desired: int = 4,
        target_groups: int = 1,
        circuit_breaker_rollback: bool = False,
        reset_on_healthy_task: bool = True,
        sharing_target_groups_of: str | None = None,
        alarms_rollback: bool = False,
    ) -> SimulatedService:
        """A service already running ``desired`` tasks of ``task_definition`` behind its target groups:
        its own, or those of the service ``sharing_target_groups_of`` names (a target group may serve
        more than one service: ECS registers each service's tasks in it).

        ``reset_on_healthy_task``: the circuit breaker's ``resetOnHealthyTask`` (ECS's default: true).
        ``alarms_rollback``: deployment alarms (DeploymentAlarms: ``alarmNames``, ``enable``, ``rollback``)
        on, with rollback: ECS fails a deployment whose alarm goes to ALARM and rolls it back itself."""
        circuit_breaker: DeploymentCircuitBreakerTypeDef = {
            "enable": True,
            "rollback": circuit_breaker_rollback,
            "resetOnHealthyTask": reset_on_healthy_task,
        }
        ec2 = self.cluster.session.client("ec2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"][0]["VpcId"]
        elbv2 = self.cluster.session.client("elbv2")
        target_type = TARGET_TYPE[self._network_mode(task_definition)]
        groups = (
            list(self.services[sharing_target_groups_of].target_groups)
            if sharing_target_groups_of
            else [
                elbv2.create_target_group(
                    Name=f"{name}-{i}",
                    Protocol="HTTP",
                    Port=CONTAINER_PORT,
                    VpcId=vpc,
                    TargetType=target_type,
                    HealthCheckPath="/health",
                )["TargetGroups"][0]["TargetGroupArn"]
                for i in range(target_groups)
            ]
        )
        arn = self.cluster.session.client("ecs").create_service(
            cluster=self.cluster.name,
            serviceName=name,
            taskDefinition=task_definition,
            desiredCount=desired,
            loadBalancers=[
                {"targetGroupArn": g, "containerName": "web", "containerPort": CONTAINER_PORT} for g in groups
            ],
            deploymentConfiguration={
                "deploymentCircuitBreaker": circuit_breaker,
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
            },
        )["service"]["serviceArn"]
        # moto drops deploymentConfiguration; keep it on the service so DescribeServices returns it.
        self.backend_service(name).deployment_configuration = {  # type: ignore[attr-defined]  # moto drops it
            "deploymentCircuitBreaker": circuit_breaker,
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            **(
                {"alarms": {"alarmNames": [f"{name}-deployment-errors"], "enable": True, "rollback": True}}
                if alarms_rollback
                else {}
            ),
        }
        service = SimulatedService(name=name, arn=arn, target_groups=groups)
        self.services[name] = service
        self.complete_rollout(name, task_definition)
        return service

    def backend_service(self, name: str) -> Service:
        return self.cluster.ecs_backend.services[f"{self.cluster.name}:{name}"]

    # -- rollouts ------------------------------------------------------------------------------------
    def complete_rollout(
        self,
        name: str,
        task_definition: str,
        *,
        deployment_id: str | None = None,
        targets_initial_for: float = 0.0,
        old_deployment_listed_for: float = 0.0,
    ) -> str:
        """What ECS does for a rolling update that succeeds: new tasks placed and registered healthy,
        old ones stopped and deregistered, one PRIMARY deployment COMPLETED. Returns its id.

        What the documents leave open at SERVICE_DEPLOYMENT_COMPLETED, played for that long:
        ``targets_initial_for``, the new targets still ``initial`` (in their initial health checks);
        ``old_deployment_listed_for``, the old deployment still listed, ACTIVE, with no task left."""
        service = self.services[name]
        backend = self.backend_service(name)
        desired = backend.desired_count
        old = [dict(d, status="ACTIVE", runningCount=0, pendingCount=0) for d in backend.deployments[:1]]
        self._deregister(service, service.tasks)
        for task in service.tasks:
            self._stop(service, task)
        service.tasks = [self._start(service, task_definition, register=False) for _ in range(desired)]
        self._register(service, service.tasks)
        deployment_id = deployment_id or f"ecs-svc/{random.randrange(10**18, 10**19)}"
        backend.task_definition = task_definition
        backend.running_count, backend.pending_count = desired, 0
        primary = _deployment(deployment_id, "PRIMARY", task_definition, desired, desired, "COMPLETED", "completed")
        backend.deployments = [primary]
        service.deployment_id = deployment_id
        now = self.cluster.clock()
        if targets_initial_for:
            initial = [
                _target_key(group, service.targets[t.task_arn])
                for group in service.target_groups
                for t in service.tasks
            ]
            for target in initial:
                self.gaps.target_states[target] = ("initial", "Elb.InitialHealthChecking")
            self.gaps.later(now + targets_initial_for, lambda: _healthy(self.gaps, initial))
        if old_deployment_listed_for and old:
            backend.deployments = [primary, *old]
            self.gaps.later(now + old_deployment_listed_for, lambda: setattr(backend, "deployments", [primary]))
        return deployment_id

    def stuck_rollout(self, name: str, task_definition: str) -> str:
        """A deployment that never finishes: half the new tasks run, the old deployment is still ACTIVE."""
        service = self.services[name]
        backend = self.backend_service(name)
        desired = backend.desired_count
        new_id = f"ecs-svc/{random.randrange(10**18, 10**19)}"
        half = desired // 2
        for task in service.tasks[:half]:
            self._stop(service, task)
        service.tasks = service.tasks[half:] + [self._start(service, task_definition) for _ in range(half)]
        backend.running_count, backend.pending_count = desired - 1, 1
        backend.deployments = [
            _deployment(new_id, "PRIMARY", task_definition, desired, half, "IN_PROGRESS", "in progress"),
            {**backend.deployments[0], "status": "ACTIVE", "runningCount": desired - half},
        ]
        self.gaps.service_deployments.append(self._service_deployment_record(name, task_definition))
        return new_id

    def another_service_deployment_listed_first(self, name: str, task_definition: str) -> None:
        """ListServiceDeployments also lists an in-progress deployment of ``task_definition``, first:
        the API promises no order, so position says nothing about which deployment is which."""
        self.gaps.service_deployments.insert(0, self._service_deployment_record(name, task_definition))

    def _service_deployment_record(self, name: str, task_definition: str) -> ServiceDeploymentRecord:
        """The service deployment ECS starts for a new revision: created now, from the revision the service
        runs (``sourceServiceRevisions``), watched by the alarms and circuit breaker its configuration names
        (their ``status`` MONITORING, or DISABLED when off)."""
        backend = self.backend_service(name)
        configuration = dict(getattr(backend, "deployment_configuration", None) or {})
        alarms = configuration.get("alarms", {})
        breaker = configuration.get("deploymentCircuitBreaker", {})
        return ServiceDeploymentRecord(
            arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/{self.cluster.name}/{name}/{uuid.uuid4().hex[:20]}",
            service_arn=self.services[name].arn,
            cluster_arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{self.cluster.name}",
            task_definition=task_definition,
            created_at=self.cluster.clock(),
            source_revision_arns=[self.revision_of(name, str(backend.task_definition))],
            configuration=configuration,
            alarms_status="MONITORING" if alarms.get("enable") else "DISABLED",
            circuit_breaker_status="MONITORING" if breaker.get("enable") else "DISABLED",
        )

    def revision_of(self, name: str, task_definition: str) -> str:
        """The service revision ECS recorded when it deployed ``task_definition`` to the service (made up
        here once, the first time it is asked: ``complete_rollout`` keeps no deployment record)."""
        for arn, known in self.gaps.service_revisions.items():
            if known == task_definition and f"/{self.cluster.name}/{name}/" in arn:
                return arn
        arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/{self.cluster.name}/{name}/{uuid.uuid4().int % 10**14}"
        self.gaps.service_revisions[arn] = task_definition
        return arn

    def circuit_breaker_rolling_back(self, name: str, failed_deployment: str) -> str:
        """ECS's circuit breaker has failed ``failed_deployment`` and is rolling back to the previous one."""
        backend = self.backend_service(name)
        rollback_id = f"ecs-svc/{random.randrange(10**18, 10**19)}"
        previous = backend.deployments[0]
        backend.deployments = [
            {
                **previous,
                "id": rollback_id,
                "status": "PRIMARY",
                "rolloutState": "IN_PROGRESS",
                "rolloutStateReason": f"ECS deployment circuit breaker: rolling back to deploymentId {previous['id']}.",
            },
            {**previous, "id": failed_deployment, "status": "ACTIVE", "rolloutState": "FAILED", "failedTasks": 3},
        ]
        return rollback_id

    def deployment_alarm_failed(self, name: str) -> str:
        """A deployment alarm went to ALARM: ECS marks the PRIMARY deployment FAILED ("When the alarms are
        generated, Amazon ECS sets the service deployment to failed", DeploymentAlarms) and, with rollback
        on, rolls back; played here at the moment before its rollback deployment appears. Returns its id."""
        backend = self.backend_service(name)
        failed = backend.deployments[0]
        backend.deployments = [
            {
                **failed,
                "rolloutState": "FAILED",
                "rolloutStateReason": f"ECS deployment {failed['id']} failed: alarm {name}-deployment-errors in ALARM.",
            },
            *backend.deployments[1:],
        ]
        return str(failed["id"])

    def ecs_rolled_back(self, name: str, reason: str = "ECS deployment circuit breaker: task failed to start.") -> str:
        """ECS rolled the service's newest service deployment back, and the rollback finished: the
        deployment is ROLLBACK_SUCCESSFUL, its ``rollback`` names the revision it returned to (its source
        revision: "Amazon ECS doesn't create a new service revision for a rollback operation"), and
        DescribeServices lists the rollback deployment alone, PRIMARY, COMPLETED, its reason no longer
        saying it was a rollback. Returns that deployment's id (the one SERVICE_DEPLOYMENT_COMPLETED names)."""
        service = self.services[name]
        [record, *_] = [d for d in reversed(self.gaps.service_deployments) if d.service_arn == service.arn]
        [returned_to] = record.source_revision_arns
        record.status = "ROLLBACK_SUCCESSFUL"
        record.rollback = RollbackRecord(reason, self.cluster.clock(), returned_to)
        return self.complete_rollout(name, self.gaps.service_revisions[returned_to])

    def deployment_alarm_triggered(self, name: str) -> ServiceDeploymentRecord:
        """A deployment alarm of the service's in-progress service deployment went to ALARM: its
        ServiceDeploymentAlarms ``status`` is TRIGGERED with the alarm in ``triggeredAlarmNames``, played at
        the moment before ECS marks the deployment failed, so DescribeServices still says IN_PROGRESS."""
        service = self.services[name]
        [record, *_] = [
            d
            for d in reversed(self.gaps.service_deployments)
            if d.service_arn == service.arn and d.status == "IN_PROGRESS"
        ]
        names = record.configuration.get("alarms", {}).get("alarmNames", [])
        if record.alarms_status != "MONITORING" or not names:
            raise AssertionError(f"service deployment {record.arn} watches no deployment alarm")
        record.alarms_status, record.triggered_alarms = "TRIGGERED", [names[0]]
        return record

    def ecs_rolling_back_service_deployment(self, name: str) -> ServiceDeploymentRecord:
        """ECS is rolling back the service's newest service deployment (a native blue/green deployment's
        hook or bake failed, or an alarm): ListServiceDeployments lists it ROLLBACK_IN_PROGRESS, while
        DescribeServices' ``deployments`` still show the new revision PRIMARY, IN_PROGRESS."""
        service = self.services[name]
        [record, *_] = [d for d in reversed(self.gaps.service_deployments) if d.service_arn == service.arn]
        record.status = "ROLLBACK_IN_PROGRESS"
        return record

    def blue_green_swap(self, name: str) -> None:
        """An ECS native blue/green deployment finished: each load balancer has an alternate target group
        (``advancedConfiguration.alternateTargetGroupArn``), and the service's tasks are now registered
        in the alternate one, the production group after the swap. The original groups are empty."""
        service = self.services[name]
        elbv2 = self.cluster.session.client("elbv2")
        [blue] = elbv2.describe_target_groups(TargetGroupArns=[service.target_groups[0]])["TargetGroups"]
        registered = {arn: dict(target) for arn, target in service.targets.items()}
        self._deregister(service, service.tasks)
        alternates = [
            elbv2.create_target_group(
                Name=f"{name}-{i}-green",
                Protocol="HTTP",
                Port=CONTAINER_PORT,
                VpcId=blue["VpcId"],
                TargetType=blue["TargetType"],
            )["TargetGroups"][0]["TargetGroupArn"]
            for i in range(len(service.target_groups))
        ]
        self.backend_service(name).load_balancers = [
            {
                "targetGroupArn": group,
                "containerName": "web",
                "containerPort": 80,
                "advancedConfiguration": {
                    "alternateTargetGroupArn": alternate,
                    "productionListenerRule": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener-rule/app/x/1",
                    "roleArn": f"arn:aws:iam::{ACCOUNT}:role/ecs-blue-green",
                },
            }
            for group, alternate in zip(service.target_groups, alternates, strict=True)
        ]
        service.target_groups = alternates
        service.targets = registered  # the same tasks, registered in the alternate groups
        self._register(service, service.tasks)

    def fail_tasks(self, name: str, count: int) -> None:
        """``count`` tasks of the PRIMARY deployment failed (not launched, never RUNNING, or stopped for a
        failed health check) on its way to COMPLETED, and DescribeServices shows what ECS leaves of them.

        "Once a service deployment has one or more successfully running tasks, the failed task count
        resets to zero and stops being evaluated" (Deployment, ECS API Reference): with the circuit
        breaker's ``resetOnHealthyTask`` on (the default) ``failedTasks`` is 0 again. Off, "Amazon ECS
        does not reset the failure count" (DeploymentCircuitBreaker): it stays ``count``. (Whether the
        Deployment's ``failedTasks`` is the breaker's count, the documents do not say; the verify job
        judges neither.) ``count`` at the breaker's threshold would have FAILED the deployment instead."""
        backend = self.backend_service(name)
        primary = backend.deployments[0]
        assert primary["rolloutState"] == "COMPLETED", "fail_tasks models failures a completed rollout got over"
        threshold = min(max(3, math.ceil(int(str(primary["desiredCount"])) / 2)), 200)  # DeploymentCircuitBreaker
        if count >= threshold:
            raise AssertionError(f"{count} failed task(s) reach the circuit breaker's threshold ({threshold})")
        breaker = backend.deployment_configuration.get("deploymentCircuitBreaker", {})  # type: ignore[attr-defined]
        primary["failedTasks"] = 0 if breaker.get("resetOnHealthyTask", True) else count

    def stop_running(self, name: str, count: int) -> None:
        """``count`` tasks crashed (an essential container exited) and were not replaced yet: fewer running
        than desired. (ECS starts a replacement at once: ``crash_loops.py`` plays that.)"""
        service = self.services[name]
        for task in service.tasks[:count]:
            self._deregister(service, [task])
            crash(self.cluster.ecs_backend, self.cluster.name, task)
        service.tasks = service.tasks[count:]
        backend = self.backend_service(name)
        backend.running_count = len(service.tasks)

    def set_container_health(self, name: str, status: str, count: int, *, container: str | None = None) -> None:
        """The first ``count`` tasks' ``container`` (every health-checked one if None) reports ``status``;
        each task's health follows from its essential containers only."""
        for task in self.services[name].tasks[:count]:
            set_health(self.cluster.ecs_backend, task, status, container)

    def set_image_digest(self, name: str, digest: str) -> None:
        """The service's tasks run ``digest`` for their tag: a tag pushed again before the deployment
        resolved it, or a multi-arch image (ECS reports the image index digest)."""
        for task in self.services[name].tasks:
            resolve_images(self.cluster.ecs_backend, task, digest)

    def set_target_state(self, name: str, state: str, count: int, *, group: int = 0, reason: str = "") -> None:
        service = self.services[name]
        for task in service.tasks[:count]:
            key = _target_key(service.target_groups[group], service.targets[task.task_arn])
            self.gaps.target_states[key] = (state, reason or f"Target.{state.title()}")

    def register_by_hand(self, name: str, target_id: str, port: int, state: str, *, group: int = 0) -> None:
        """A target that is no ECS task's, registered in the service's group by someone else (an EC2
        instance running something outside ECS, an IP address), in ``state``."""
        arn = self.services[name].target_groups[group]
        self.cluster.session.client("elbv2").register_targets(
            TargetGroupArn=arn, Targets=[{"Id": target_id, "Port": port}]
        )
        self.gaps.target_states[(arn, target_id, port)] = (state, f"Target.{state.title()}")

    # -- alarms --------------------------------------------------------------------------------------
    def alarm(self, name: str, state: StateValueType = "OK") -> None:
        cloudwatch = self.cluster.session.client("cloudwatch")
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="HTTPCode_Target_5XX_Count",
            Namespace="AWS/ApplicationELB",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=5,
            ComparisonOperator="GreaterThanThreshold",
        )
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"simulated {state}")

    def set_alarm(self, name: str, state: StateValueType) -> None:
        self.cluster.session.client("cloudwatch").set_alarm_state(
            AlarmName=name, StateValue=state, StateReason=f"Threshold Crossed: simulated {state}"
        )

    # -- ECS deployment lifecycle hooks -------------------------------------------------------------
    def lifecycle_hook(
        self,
        name: str,
        *,
        previous_task_definition: str,
        stage: str = "POST_TEST_TRAFFIC_SHIFT",
        timeout_minutes: int = HOOK_TIMEOUT_DEFAULT_MINUTES,
        timeout_action: str = "ROLLBACK",
        target_arn: str | None = None,
        hook_details: dict[str, Any] | None = None,
    ) -> SimulatedLifecycleHook:
        """A service deployment of ``name`` paused at ``stage`` on a Lambda lifecycle hook, its execution
        started now on the simulated clock; ``previous_task_definition`` is what a rollback returns to;
        ``target_arn``, the hook's hookTargetArn (``hook_target_arn`` unless given)."""
        assert self.gaps.clock is not None
        service = self.services[name]
        cluster = self.cluster.name
        record = ServiceDeploymentRecord(
            arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/{cluster}/{name}/{uuid.uuid4().hex[:21]}",
            service_arn=service.arn,
            cluster_arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}",
            task_definition=str(self.backend_service(name).task_definition),
            created_at=self.cluster.clock(),
        )
        hook = HookExecutionRecord(
            hook_id=uuid.uuid4().hex[:22],
            target_arn=target_arn or self.hook_target_arn,
            lifecycle_stage=stage,
            started_at=self.gaps.clock(),
            timeout_minutes=timeout_minutes,
            timeout_action=timeout_action,
        )
        record.hooks.append(hook)
        self.gaps.service_deployments.append(record)
        execution = SimulatedLifecycleHook(self, name, record, hook, previous_task_definition, dict(hook_details or {}))
        self.gaps.later(hook.expires_at, execution.time_out)
        return execution

    # -- CodeDeploy ----------------------------------------------------------------------------------
    def codedeploy_deployment(self, name: str) -> str:
        """A CodeDeploy blue/green deployment of the service; returns a real-looking id (d-XXXXXXXXX)."""
        codedeploy = self.cluster.session.client("codedeploy")
        application = f"{name}-app"
        if application not in codedeploy.list_applications()["applications"]:
            codedeploy.create_application(applicationName=application, computePlatform="ECS")
            codedeploy.create_deployment_group(
                applicationName=application,
                deploymentGroupName=f"{name}-dg",
                serviceRoleArn=f"arn:aws:iam::{ACCOUNT}:role/codedeploy",
                deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
                ecsServices=[{"serviceName": name, "clusterName": self.cluster.name}],
            )
        moto_id = codedeploy.create_deployment(
            applicationName=application,
            deploymentGroupName=f"{name}-dg",
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": "{}"}},
        )["deploymentId"]
        # moto names deployments with UUIDs; CodeDeploy's ids look like d-ABCDEFGHI.
        backend = codedeploy_backends[ACCOUNT][REGION]
        real_id = "d-" + "".join(random.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=9))
        deployment = backend.deployments.pop(moto_id)
        deployment.deployment_id = real_id
        backend.deployments[real_id] = deployment
        return real_id

    # -- internals -----------------------------------------------------------------------------------
    def _register(self, service: SimulatedService, tasks: list[Task]) -> None:
        """One RegisterTargets call per group for many tasks, as ECS batches them."""
        targets = [service.targets[t.task_arn] for t in tasks]
        elbv2 = self.cluster.session.client("elbv2")
        for group in service.target_groups:
            for start in range(0, len(targets), 500):
                elbv2.register_targets(TargetGroupArn=group, Targets=targets[start : start + 500])  # type: ignore[arg-type]

    def _deregister(self, service: SimulatedService, tasks: list[Task]) -> None:
        targets = [service.targets.pop(t.task_arn) for t in tasks if t.task_arn in service.targets]
        elbv2 = self.cluster.session.client("elbv2")
        for group in service.target_groups:
            for start in range(0, len(targets), 500):
                elbv2.deregister_targets(TargetGroupArn=group, Targets=targets[start : start + 500])  # type: ignore[arg-type]

    def _start(self, service: SimulatedService, task_definition: str, *, register: bool = True) -> Task:
        hosts = list(self.cluster.container_instances.values())
        host = hosts[len(service.tasks) % len(hosts)] if service.tasks else random.choice(hosts)
        started_by, group = service.deployment_id or "ecs-svc/0", f"service:{service.name}"
        if self._network_mode(task_definition) == "awsvpc":
            task = self._start_with_own_interface(task_definition, host, started_by=started_by, group=group)
            # DescribeTasks: the ENI attachment's privateIPv4Address; ECS registers it on the container port.
            details: list[dict[str, str]] = task.attachments[0]["details"]  # type: ignore[assignment]  # moto types it loosely
            address = next(d["value"] for d in details if d["name"] == "privateIPv4Address")
            service.targets[task.task_arn] = {"Id": address, "Port": CONTAINER_PORT}
        else:
            task = run_healthy_task(
                self.cluster.ecs_backend, self.cluster.name, task_definition, host, started_by=started_by, group=group
            )
            port = self._host_ports.get(host, FIRST_HOST_PORT)
            self._host_ports[host] = port + 1
            # Visible in DescribeTasks once RUNNING (NetworkBinding); the target is the host and that port.
            task.containers[0].network_bindings = [  # type: ignore[attr-defined]  # what DescribeTasks reports
                {"bindIP": "0.0.0.0", "containerPort": CONTAINER_PORT, "hostPort": port, "protocol": "tcp"}
            ]
            instance = next(i for i, arn in self.cluster.container_instances.items() if arn == host)
            service.targets[task.task_arn] = {"Id": instance, "Port": port}
        if register:
            self._register(service, [task])
        return task

    def _start_with_own_interface(self, task_definition: str, host: str, *, started_by: str, group: str) -> Task:
        """An awsvpc task on ``host``: moto's StartTask cannot give one a network configuration, so the
        task is built as RunTask builds it (an ENI in the cluster's first subnet, its address in the
        task's ElasticNetworkInterface attachment) and placed on the host."""
        backend = self.cluster.ecs_backend
        ec2 = self.cluster.session.client("ec2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"][0]["VpcId"]
        subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
        groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
        # moto's task reads its ENI's private DNS name, which moto gives only in a VPC with DNS hostnames.
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        definition = backend.describe_task_definition(task_definition)
        requirements = backend._calculate_task_resource_requirements(definition)
        task = Task(
            backend.clusters[self.cluster.name],
            definition,
            host,
            requirements,
            backend=backend,
            group=group,
            started_by=started_by,
            networking_configuration={
                "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [groups[0]["GroupId"]]}
            },
        )
        backend.update_container_instance_resources(
            backend.container_instances[self.cluster.name][host.rsplit("/", 1)[-1]], requirements
        )
        backend.tasks.setdefault(self.cluster.name, {})[task.task_arn] = task
        task.status = "RUNNING"
        for container in task.containers:
            container.last_status, container.health_status = "RUNNING", "HEALTHY"
        return task

    def _network_mode(self, task_definition: str) -> str:
        return self.cluster.ecs_backend.describe_task_definition(task_definition).network_mode or "bridge"

    def _stop(self, service: SimulatedService, task: Task) -> None:
        target = service.targets.pop(task.task_arn, None)
        if target is not None:
            elbv2 = self.cluster.session.client("elbv2")
            for group in service.target_groups:
                elbv2.deregister_targets(TargetGroupArn=group, Targets=[target])  # type: ignore[list-item]
        self.cluster.ecs_backend.stop_task(self.cluster.name, task.task_arn, "Scaled in by the simulated rollout")


@dataclass
class SimulatedLifecycleHook:
    """ECS playing one Lambda lifecycle hook execution (Lambda hooks for Amazon ECS service deployments):
    it invokes the function, and on IN_PROGRESS again after ``callBackDelay`` (30 s by default) with the
    ``hookDetails`` returned merged over the configured ones; SUCCEEDED lets the deployment go on;
    FAILED, or no valid ``hookStatus``, rolls it back. Left IN_PROGRESS past ``expiresAt``, the hook
    times out and ECS takes its timeout action (DeploymentLifecycleHookTimeoutConfiguration): ROLLBACK
    returns the service to the previous revision, CONTINUE goes on; an answer after that is ignored."""

    deployments: SimulatedDeployments
    service: str
    record: ServiceDeploymentRecord
    hook: HookExecutionRecord
    previous_task_definition: str
    configured_details: dict[str, Any]
    execution_id: str = field(default_factory=lambda: uuid.uuid4().hex[:22])
    answers: list[dict[str, Any]] = field(default_factory=list)
    ignored_answers: list[dict[str, Any]] = field(default_factory=list)  # came after the hook timed out

    @property
    def rolled_back(self) -> bool:
        return self.record.status == "ROLLBACK_SUCCESSFUL"

    def event(self, hook_details: dict[str, Any]) -> dict[str, Any]:
        return ecs_hook_event(
            self.record.service_arn,
            stage=self.hook.lifecycle_stage,
            hook_details=hook_details,
            resource_arn=self.record.arn,
            execution_id=self.execution_id,
        )

    def run(
        self, invoke: Callable[[dict[str, Any]], dict[str, Any]], clock: SimulatedClock, *, max_invocations: int = 2000
    ) -> str:
        """Invoke until the hook ends; returns its status (SUCCEEDED, FAILED or TIMED_OUT)."""
        details = dict(self.configured_details)
        for _ in range(max_invocations):
            self.deployments.gaps.run_due()
            if self.hook.status != "IN_PROGRESS":
                return self.hook.status
            answer = invoke(self.event(details))
            self.deployments.gaps.run_due()
            if self.hook.status != "IN_PROGRESS":
                self.ignored_answers.append(answer)
                return self.hook.status
            self.answers.append(answer)
            status = answer.get("hookStatus")
            if status == "SUCCEEDED":
                self.hook.status, self.record.status = "SUCCEEDED", "SUCCESSFUL"
                return self.hook.status
            if status not in HOOK_STATUSES or status == "FAILED":
                self.hook.status = "FAILED"
                self._roll_back()
                return self.hook.status
            details = {**self.configured_details, **answer.get("hookDetails", {})}
            clock.advance(answer.get("callBackDelay", DEFAULT_CALL_BACK_DELAY))
        raise AssertionError(f"the hook is still IN_PROGRESS after {max_invocations} invocations")

    def time_out(self) -> None:
        if self.hook.status != "IN_PROGRESS":
            return
        self.hook.status = "TIMED_OUT"
        if self.hook.timeout_action == "ROLLBACK":
            self._roll_back()
        else:
            self.record.status = "SUCCESSFUL"

    def _roll_back(self) -> None:
        self.record.status = "ROLLBACK_SUCCESSFUL"
        self.record.rollback = RollbackRecord(
            f"lifecycle hook {self.hook.hook_id} {self.hook.status}",
            self.deployments.cluster.clock(),
            self.deployments.revision_of(self.service, self.previous_task_definition),
        )
        self.deployments.complete_rollout(self.service, self.previous_task_definition)


def _target_key(group: str, target: dict[str, Any]) -> tuple[str, str, int]:
    """How the simulated load balancer tells targets apart: the group, the target's Id and Port."""
    return (group, str(target["Id"]), int(target["Port"]))


def _healthy(gaps: VerifyGaps, targets: list[tuple[str, str, int]]) -> None:
    """The targets passed their initial health checks."""
    for target in targets:
        gaps.target_states.pop(target, None)


def _deployment(
    deployment_id: str, status: str, task_definition: str, desired: int, running: int, rollout: str, word: str
) -> dict[str, Any]:
    return {
        "id": deployment_id,
        "status": status,
        "taskDefinition": task_definition,
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": desired - running,
        "failedTasks": 0,
        "launchType": "EC2",
        "rolloutState": rollout,
        "rolloutStateReason": f"ECS deployment {deployment_id} {word}.",
    }


# -- the events each trigger receives ----------------------------------------------------------------


def deployment_event(
    service_arn: str, event_name: str, deployment_id: str, *, reason: str | None = None, event_type: str = "INFO"
) -> dict[str, Any]:
    """EventBridge ``ECS Deployment State Change`` (AWS's shape: the service ARN in resources, no cluster)."""
    words = {
        "SERVICE_DEPLOYMENT_COMPLETED": "completed",
        "SERVICE_DEPLOYMENT_IN_PROGRESS": "in progress",
        "SERVICE_DEPLOYMENT_FAILED": "failed",
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "ECS Deployment State Change",
        "source": "aws.ecs",
        "account": ACCOUNT,
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [service_arn],
        "detail": {
            "eventType": event_type,
            "eventName": event_name,
            "deploymentId": deployment_id,
            "updatedAt": "2026-01-01T00:00:00.000Z",
            "reason": reason if reason is not None else f"ECS deployment {deployment_id} {words.get(event_name, '')}.",
        },
    }


def short_service_arn(service_name: str) -> str:
    """The old (pre-2018) service ARN format, which names no cluster."""
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{service_name}"


def codedeploy_hook_event(deployment_id: str, execution_id: str | None = None) -> dict[str, Any]:
    return {
        "DeploymentId": deployment_id,
        "LifecycleEventHookExecutionId": execution_id or "eyJlbmNyeXB0ZWREYXRhIjoiY3VzdG9tLWhvb2stZXhlY3V0aW9uLWlkIn0=",
    }


def ecs_hook_event(
    service_arn: str,
    *,
    stage: str = "POST_TEST_TRAFFIC_SHIFT",
    hook_details: Any = None,
    resource_arn: str | None = None,
    execution_id: str = "muzmx3xqbSK0vfqnUGFuC2",
) -> dict[str, Any]:
    """ECS's invocation of a Lambda lifecycle hook; ``resource_arn`` is the service deployment's ARN."""
    cluster, service = service_arn.rsplit("/", 2)[-2:]
    event: dict[str, Any] = {
        "executionDetails": {
            "testTrafficWeights": {},
            "productionTrafficWeights": {},
            "serviceArn": service_arn,
            "targetServiceRevisionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/{cluster}/{service}/01275892",
        },
        "executionId": execution_id,
        "lifecycleStage": stage,
        "resourceArn": resource_arn
        or f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/{cluster}/{service}/JKJbJ9qNWOMWd5PhM2vr9",
    }
    if hook_details is not None:
        event["hookDetails"] = hook_details
    return event
