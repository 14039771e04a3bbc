"""CodeDeploy: which ECS service a deployment is for, and the answer to a lifecycle hook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fleetops.models.verify import CodeDeployHook, ServiceRef

if TYPE_CHECKING:
    from mypy_boto3_codedeploy import CodeDeployClient

HookAnswer = Literal["Succeeded", "Failed"]


class CodeDeployAdapter:
    def __init__(self, client: CodeDeployClient) -> None:
        self._client = client

    def service_of(self, deployment_id: str) -> ServiceRef | None:
        """The ECS service of a CodeDeploy deployment, from its deployment group's ``ecsServices``."""
        info = self._client.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        group = self._client.get_deployment_group(
            applicationName=info["applicationName"], deploymentGroupName=info["deploymentGroupName"]
        )["deploymentGroupInfo"]
        services = group.get("ecsServices", [])
        if not services:
            return None
        return ServiceRef(service=services[0]["serviceName"], cluster=services[0]["clusterName"])

    def answer(self, hook: CodeDeployHook, status: HookAnswer) -> None:
        """PutLifecycleEventHookExecutionStatus: Failed makes CodeDeploy stop (and roll back if configured)."""
        self._client.put_lifecycle_event_hook_execution_status(
            deploymentId=hook.deployment_id, lifecycleEventHookExecutionId=hook.execution_id, status=status
        )
