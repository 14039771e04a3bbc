"""What the verify job remembers between deployments, in one small DynamoDB table (key ``id``):

- ``known-good#<service ARN>``: the task definition of the last deployment that passed verification;
- ``rollbacks#<service ARN>``: when this job rolled the service back, for the per-window cap;
- ``rollback-deployment#<deployment id>``: deployments started as rollbacks, by this job or by ECS
  (``started_by``), never verified into another rollback.
Items carry ``expires_at`` (a TTL attribute), so the table never grows without bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fleetops.aws.clients import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KNOWN_GOOD_LIFETIME_SECONDS = 400 * 86400  # a service deployed once a year still has one
MARKER_LIFETIME_SECONDS = 7 * 86400
# Who started a rollback deployment: this job (UpdateService), or ECS (its circuit breaker or deployment
# alarms, seen while the deployment's reason still said "rolling back to deploymentId ...").
ROLLED_BACK_BY_VERIFY = "verify"
ROLLED_BACK_BY_ECS = "ECS"


@dataclass(frozen=True, slots=True)
class KnownGood:
    task_definition: str
    deployment_id: str
    verified_at: float


class VerifyStateStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def known_good(self, service_arn: str) -> KnownGood | None:
        item = self._client.get_item(
            TableName=self._table, Key={"id": {"S": f"known-good#{service_arn}"}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return KnownGood(
            task_definition=item["task_definition"]["S"],
            deployment_id=item.get("deployment_id", {}).get("S", ""),
            verified_at=float(item["verified_at"]["N"]),
        )

    def remember_known_good(self, service_arn: str, task_definition: str, deployment_id: str, now: float) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                "id": {"S": f"known-good#{service_arn}"},
                "task_definition": {"S": task_definition},
                "deployment_id": {"S": deployment_id or "-"},
                "verified_at": {"N": repr(now)},
                "expires_at": {"N": str(int(now) + KNOWN_GOOD_LIFETIME_SECONDS)},
            },
        )

    def rollback_times(self, service_arn: str) -> tuple[list[float], int]:
        """The recorded rollback instants and the item's version (0 when there is none)."""
        item = self._client.get_item(
            TableName=self._table, Key={"id": {"S": f"rollbacks#{service_arn}"}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return [], 0
        return [float(t) for t in item.get("times", {}).get("NS", [])], int(item["version"]["N"])

    def reserve_rollback(self, service_arn: str, times: list[float], version: int, now: float, window: int) -> bool:
        """Record one more rollback, only if nobody else did since ``version`` was read (no race past the cap)."""
        kept = [t for t in times if now - t < window] + [now]
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "id": {"S": f"rollbacks#{service_arn}"},
                    "times": {"NS": [repr(t) for t in sorted(set(kept))]},
                    "version": {"N": str(version + 1)},
                    "expires_at": {"N": str(int(now) + window + MARKER_LIFETIME_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(id) OR version = :seen",
                ExpressionAttributeValues={":seen": {"N": str(version)}},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release_rollback(self, service_arn: str, reserved_at: float, version: int) -> None:
        """Give back a reservation whose rollback did not happen, if nobody has reserved since
        (``version`` is the one the reservation wrote); otherwise the cap stays used, the safe side."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"id": {"S": f"rollbacks#{service_arn}"}},
                UpdateExpression="DELETE times :reserved SET version = :next",
                ConditionExpression="version = :seen",
                ExpressionAttributeValues={
                    ":reserved": {"NS": [repr(reserved_at)]},
                    ":next": {"N": str(version + 1)},
                    ":seen": {"N": str(version)},
                },
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    def mark_rollback_deployment(
        self, deployment_id: str, now: float, *, started_by: str = ROLLED_BACK_BY_VERIFY
    ) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                "id": {"S": f"rollback-deployment#{deployment_id}"},
                "started_by": {"S": started_by},
                "expires_at": {"N": str(int(now) + MARKER_LIFETIME_SECONDS)},
            },
        )

    def rollback_started_by(self, deployment_id: str) -> str | None:
        """Who started ``deployment_id`` as a rollback (``ROLLED_BACK_BY_*``), None if it is no rollback
        on record. A marker written before ``started_by`` was kept is this job's own."""
        item = self._client.get_item(
            TableName=self._table, Key={"id": {"S": f"rollback-deployment#{deployment_id}"}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        return item.get("started_by", {}).get("S", ROLLED_BACK_BY_VERIFY)

    def is_rollback_deployment(self, deployment_id: str) -> bool:
        return self.rollback_started_by(deployment_id) is not None
