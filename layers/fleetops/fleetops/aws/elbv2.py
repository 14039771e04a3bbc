"""Elastic Load Balancing v2: the health of a service's targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetops.models.verify import TargetHealth

if TYPE_CHECKING:
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client


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
