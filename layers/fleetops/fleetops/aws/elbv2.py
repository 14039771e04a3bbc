"""Elastic Load Balancing v2: the health of a service's targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from fleetops.models.verify import TargetHealth
from fleetops.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client


# ELB's defaults for instance and ip targets: a health check every 30 s, 5 in a row to be healthy, and a
# deregistration delay of 300 s ("Health checks for Application Load Balancer target groups";
# "Deregistration delay"). Used when a target group's own settings cannot be read.
DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS = 30
DEFAULT_HEALTHY_THRESHOLD_COUNT = 5
DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300


class TargetHealthReader:
    def __init__(self, client: ElasticLoadBalancingv2Client) -> None:
        self._client = client

    def targets(self, target_group_arn: str) -> list[TargetHealth]:
        """Every registered target of one group. DescribeTargetHealth is not paginated: one call per group."""
        found = self._client.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
        return [
            TargetHealth(
                target_group_arn=target_group_arn,
                target_id=item.get("Target", {}).get("Id", ""),
                port=item.get("Target", {}).get("Port"),
                state=item.get("TargetHealth", {}).get("State", "unavailable"),
                reason=" ".join(
                    part
                    for part in (
                        item.get("TargetHealth", {}).get("Reason", ""),
                        item.get("TargetHealth", {}).get("Description", ""),
                    )
                    if part
                ),
            )
            for item in found
        ]

    def settle_seconds(self, target_group_arns: Sequence[str]) -> int:
        """How long the targets of these groups may take to settle by themselves: a new target is
        ``initial`` until it passes its health checks (at most HealthCheckIntervalSeconds x
        HealthyThresholdCount, the documents being unclear whether one check or the threshold is
        needed), and an old one stays registered for the deregistration delay. The largest over the
        groups; ELB's defaults where a group's settings cannot be read."""
        bounds = [self._settle_seconds(arn) for arn in dict.fromkeys(target_group_arns)]
        return max(bounds, default=0)

    def _settle_seconds(self, arn: str) -> int:
        interval, threshold, delay = (
            DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS,
            DEFAULT_HEALTHY_THRESHOLD_COUNT,
            DEFAULT_DEREGISTRATION_DELAY_SECONDS,
        )
        try:
            [group] = self._client.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"]
            interval = int(group.get("HealthCheckIntervalSeconds", interval))
            threshold = int(group.get("HealthyThresholdCount", threshold))
            attributes = self._client.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
            for attribute in attributes:
                if attribute.get("Key") == "deregistration_delay.timeout_seconds":
                    delay = int(attribute.get("Value", delay))
        except (ClientError, BotoCoreError, ValueError) as error:
            logger.warning(
                f"target group {arn} settings not readable; ELB's defaults assumed", extra={"error": str(error)}
            )
        return interval * threshold + delay
