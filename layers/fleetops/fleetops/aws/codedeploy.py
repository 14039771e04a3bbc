"""CodeDeploy: which ECS service a deployment is for, and the answer to a lifecycle hook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from botocore.exceptions import ClientError

from fleetops.aws.clients import error_code
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

    def answer(self, hook: CodeDeployHook, status: HookAnswer) -> bool:
        """PutLifecycleEventHookExecutionStatus: Failed makes CodeDeploy stop (and roll back if configured).

        False when CodeDeploy refuses it with LifecycleEventAlreadyCompletedException: the hook execution
        was answered already (an earlier attempt of the same invocation, if CodeDeploy's invocation is
        asynchronous and Lambda retried it; the documents do not say which it is), and that answer stands."""
        try:
            self._client.put_lifecycle_event_hook_execution_status(
                deploymentId=hook.deployment_id, lifecycleEventHookExecutionId=hook.execution_id, status=status
            )
        except ClientError as error:
            if error_code(error) == "LifecycleEventAlreadyCompletedException":
                return False
            raise
        return True
