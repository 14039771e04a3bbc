"""Auto Scaling: lifecycle state, heartbeats and completion of a termination hook's action."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fleetops.aws.clients import error_code, error_message
from fleetops.errors import LifecycleActionGoneError
from fleetops.models.lifecycle import LifecycleAction, LifecycleResult

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient


class AutoScalingAdapter:
    def __init__(self, client: AutoScalingClient) -> None:
        self._client = client

    def lifecycle_state(self, ec2_instance_id: str) -> str | None:
        """E.g. ``Terminating:Wait``; None once the instance has left every group."""
        instances = self._client.describe_auto_scaling_instances(InstanceIds=[ec2_instance_id])["AutoScalingInstances"]
        return instances[0]["LifecycleState"] if instances else None

    def record_heartbeat(self, action: LifecycleAction) -> None:
        with _lifecycle_action_errors(action):
            self._client.record_lifecycle_action_heartbeat(
                AutoScalingGroupName=action.auto_scaling_group,
                LifecycleHookName=action.hook_name,
                LifecycleActionToken=action.token,
                InstanceId=action.ec2_instance_id,
            )

    def complete(self, action: LifecycleAction, result: LifecycleResult) -> None:
        with _lifecycle_action_errors(action):
            self._client.complete_lifecycle_action(
                AutoScalingGroupName=action.auto_scaling_group,
                LifecycleHookName=action.hook_name,
                LifecycleActionToken=action.token,
                InstanceId=action.ec2_instance_id,
                LifecycleActionResult=result.value,
            )


@contextmanager
def _lifecycle_action_errors(action: LifecycleAction) -> Iterator[None]:
    """Turns "No active Lifecycle Action found" (a ValidationError) into LifecycleActionGoneError;
    every other error, throttling included, propagates unchanged."""
    try:
        yield
    except ClientError as error:
        if error_code(error) == "ValidationError" and "No active Lifecycle Action found" in error_message(error):
            raise LifecycleActionGoneError(f"{action.ec2_instance_id}: {error_message(error)}") from error
        raise
