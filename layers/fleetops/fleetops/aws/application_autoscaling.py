"""Application Auto Scaling: does another scaler own an ECS service's desired count?"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_application_autoscaling import ApplicationAutoScalingClient


class ApplicationAutoScalingAdapter:
    def __init__(self, client: ApplicationAutoScalingClient) -> None:
        self._client = client

    def service_target(self, cluster: str, service: str) -> str | None:
        """A description of the scalable target that owns the service's desired count, or None.

        A target whose scale-in and scale-out are both suspended owns nothing: the count is left
        to whoever sets it.
        """
        resource = f"service/{cluster.rsplit('/', 1)[-1]}/{service}"
        targets = self._client.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[resource], ScalableDimension="ecs:service:DesiredCount"
        )["ScalableTargets"]
        for target in targets:
            suspended = target.get("SuspendedState", {})
            if suspended.get("DynamicScalingInSuspended") and suspended.get("DynamicScalingOutSuspended"):
                continue
            return (
                f"Application Auto Scaling target {resource} "
                f"(min {target.get('MinCapacity')}, max {target.get('MaxCapacity')})"
            )
        return None
