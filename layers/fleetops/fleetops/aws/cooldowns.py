"""DynamoDB: when each target was last scaled, so alarms that fire again wait out the cooldown.

Items live in the idempotency table beside Powertools' own (whose keys are ``<function>#<hash>``):
``{"id": "cooldown:<target>", "last_scaled_at": <epoch s>, "direction": "out"|"in", "expiration": ...}``.
Writes are conditional on the value read, so two alarms deciding at once cannot both scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from fleetops.aws.clients import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# A record outlives any cooldown (at most one day, see settings) and then expires through the
# table's TTL attribute, which Powertools already uses.
RECORD_LIFETIME_SECONDS = 2 * 24 * 3600


class CooldownLedger:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def last_scaled_at(self, target_key: str) -> float | None:
        item = self._client.get_item(
            TableName=self._table, Key={"id": {"S": _key(target_key)}}, ConsistentRead=True
        ).get("Item")
        if not item or "last_scaled_at" not in item:
            return None
        return float(item["last_scaled_at"]["N"])

    def record(self, target_key: str, at: float, direction: str, *, previous: float | None) -> bool:
        """Record a change at ``at``; False if another invocation recorded one since ``previous`` was read."""
        item: dict[str, Any] = {
            "id": {"S": _key(target_key)},
            "last_scaled_at": {"N": _number(at)},
            "direction": {"S": direction},
            "expiration": {"N": str(int(at) + RECORD_LIFETIME_SECONDS)},
        }
        try:
            if previous is None:
                self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(id)")
            else:
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="last_scaled_at = :previous",
                    ExpressionAttributeValues={":previous": {"N": _number(previous)}},
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, target_key: str, at: float, *, previous: float | None) -> None:
        """Undo ``record(at)`` after the change failed, unless someone recorded a newer one since."""
        key = {"id": {"S": _key(target_key)}}
        try:
            if previous is None:
                self._client.delete_item(
                    TableName=self._table,
                    Key=key,
                    ConditionExpression="last_scaled_at = :at",
                    ExpressionAttributeValues={":at": {"N": _number(at)}},
                )
            else:
                self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET last_scaled_at = :previous",
                    ConditionExpression="last_scaled_at = :at",
                    ExpressionAttributeValues={":at": {"N": _number(at)}, ":previous": {"N": _number(previous)}},
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise


def _key(target_key: str) -> str:
    return f"cooldown:{target_key}"


def _number(value: float) -> str:
    return f"{value:.3f}"
