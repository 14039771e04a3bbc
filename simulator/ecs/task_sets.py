"""Services on the CODE_DEPLOY and EXTERNAL deployment controllers, played on moto: each release is a task
set with its own tasks and its own target group, as CodeDeploy (blue/green) or an external controller
runs them ("Deploy Amazon ECS services using a third-party controller"; CodeDeploy blue/green deployments
for Amazon ECS). moto's own gaps for them are closed in ``task_set_gaps``.

A finished release: the new (green) task set runs ``desired`` tasks registered in its target group, is
made PRIMARY (UpdateServicePrimaryTaskSet), and the original (blue) one is deleted with its tasks
(CodeDeploy deletes it when the termination wait ends; an external controller when it decides).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from moto.ecs.models import Service

from simulator.ecs.deployments import CONTAINER_PORT, SimulatedDeployments, SimulatedService


@dataclass
class TaskSetRelease:
    task_set_id: str
    task_set_arn: str
    task_definition: str
    target_group: str
    external_id: str = ""  # CODE_DEPLOY: the CodeDeploy deployment id (d-XXXXXXXXX)


@dataclass
class SimulatedTaskSetService:
    name: str
    arn: str
    controller: str  # CODE_DEPLOY | EXTERNAL
    target_groups: tuple[str, str]  # blue, green: each release takes the one the current does not use
    releases: list[TaskSetRelease] = field(default_factory=list)


@dataclass
class SimulatedTaskSets:
    deployments: SimulatedDeployments
    services: dict[str, SimulatedTaskSetService] = field(default_factory=dict)

    def create_service(
        self, name: str, task_definition: str, *, controller: str, desired: int = 4
    ) -> SimulatedTaskSetService:
        """A service on ``controller`` with its first release (blue) running and PRIMARY."""
        cluster = self.deployments.cluster
        ec2 = cluster.session.client("ec2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"][0]["VpcId"]
        elbv2 = cluster.session.client("elbv2")
        blue, green = (
            elbv2.create_target_group(
                Name=f"{name}-{colour}",
                Protocol="HTTP",
                Port=CONTAINER_PORT,
                VpcId=vpc,
                TargetType="instance",
                HealthCheckPath="/health",
            )["TargetGroups"][0]["TargetGroupArn"]
            for colour in ("blue", "green")
        )
        arn = cluster.session.client("ecs").create_service(
            cluster=cluster.name,
            serviceName=name,
            taskDefinition=task_definition,
            desiredCount=desired,
            deploymentController={"type": controller},  # type: ignore[typeddict-item]
            loadBalancers=[{"targetGroupArn": blue, "containerName": "web", "containerPort": CONTAINER_PORT}],
        )["service"]["serviceArn"]
        service = SimulatedTaskSetService(name, arn, controller, (blue, green))
        self.services[name] = service
        self.release(name, task_definition)
        return service

    def release(self, name: str, task_definition: str) -> TaskSetRelease:
        """A blue/green release that finished: the new task set PRIMARY and alone, with its own tasks."""
        release = self.start_release(name, task_definition)
        self.finish_release(name)
        return release

    def start_release(self, name: str, task_definition: str) -> TaskSetRelease:
        """The new task set created, its tasks running and registered in the other target group; the
        current one still PRIMARY (traffic not shifted yet)."""
        service = self.services[name]
        ecs = self.deployments.cluster.session.client("ecs")
        group = service.target_groups[len(service.releases) % 2]
        external_id = _codedeploy_id() if service.controller == "CODE_DEPLOY" else ""
        created = ecs.create_task_set(
            cluster=self.deployments.cluster.name,
            service=name,
            taskDefinition=task_definition,
            loadBalancers=[{"targetGroupArn": group, "containerName": "web", "containerPort": CONTAINER_PORT}],
            # CodeDeploy's deployment id; an external controller may set its own (none here).
            externalId=external_id,
        )["taskSet"]
        release = TaskSetRelease(created["id"], created["taskSetArn"], task_definition, group, external_id)
        # Its tasks, as ECS starts them for the task set: group service:<name>, started by the task set's id
        # (which the documents do not promise; the verify job does not rely on it alone).
        tasks = SimulatedService(name=name, arn=service.arn, target_groups=[group], deployment_id=release.task_set_id)
        backend = self.deployments.backend_service(name)
        tasks.tasks = [self.deployments._start(tasks, task_definition) for _ in range(backend.desired_count)]
        self.deployments.services[f"{name}@{release.task_set_id}"] = tasks
        service.releases.append(release)
        if len(service.releases) == 1:
            self._make_primary(name, release)
        return release

    def finish_release(self, name: str) -> None:
        """Traffic shifted to the newest task set (PRIMARY), the original deleted with its tasks."""
        service = self.services[name]
        newest = service.releases[-1]
        self._make_primary(name, newest)
        for old in service.releases[:-1]:
            key = f"{name}@{old.task_set_id}"
            if key in self.deployments.services:
                tasks = self.deployments.services.pop(key)
                for task in tasks.tasks:
                    self.deployments._stop(tasks, task)
                self.deployments.cluster.session.client("ecs").delete_task_set(
                    cluster=self.deployments.cluster.name, service=name, taskSet=old.task_set_arn
                )
        # The deployments' helpers (container health, target states) act on the PRIMARY task set's tasks.
        self.deployments.services[name] = self.deployments.services[f"{name}@{newest.task_set_id}"]

    def _make_primary(self, name: str, release: TaskSetRelease) -> None:
        self.deployments.cluster.session.client("ecs").update_service_primary_task_set(
            cluster=self.deployments.cluster.name, service=name, primaryTaskSet=release.task_set_arn
        )
        backend: Service = self.deployments.backend_service(name)
        backend.running_count, backend.pending_count = backend.desired_count, 0


def _codedeploy_id() -> str:
    """CodeDeploy names deployments d- and nine upper-case letters or digits."""
    return "d-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))
