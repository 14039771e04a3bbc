"""DynamoDB: when each target was last scaled, so alarms that fire again wait out the cooldown.

Items live in the idempotency table beside Powertools' own (whose keys are ``<function>#<hash>``):
``{"id": "cooldown:<target>", "last_scaled_at": <epoch s>, "direction": "out"|"in", "expiration": ...,
"caused_by": "<alarm>:<state>", "transition_at": <epoch s>, "target": <count>, "cooldown_seconds": <s>}``:
``cooldown_seconds`` is the cooldown of the rule that made the change (what ``make status`` shows, read-only);
``target`` is the count the change set (a tracking rule's cooldown holds back only a step that goes no
further); the two before it name the alarm transition that made the change, so the same transition
delivered again under another key (EventBridge and SNS need not carry the same timestamp) is recognised.
Writes are conditional on the value read, so two alarms deciding at once cannot both scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from fleetops.aws.clients import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# A record outlives any cooldown (at most one day, see settings) and then expires through the
# table's TTL attribute, which Powertools already uses.
RECORD_LIFETIME_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True, slots=True)
class LastChange:
    """When the target was last changed, and by which alarm transition (None: not recorded)."""

    at: float
    caused_by: str | None = None  # "<alarm name>:<new state>"
    transition_at: float | None = None  # the transition's own timestamp
    target: int | None = None  # the count (tasks or capacity) the change set


class CooldownLedger:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def last_scaled_at(self, target_key: str) -> float | None:
        change = self.last_change(target_key)
        return change.at if change else None

    def last_change(self, target_key: str) -> LastChange | None:
        item = self._client.get_item(
            TableName=self._table, Key={"id": {"S": _key(target_key)}}, ConsistentRead=True
        ).get("Item")
        if not item or "last_scaled_at" not in item:
            return None
        return LastChange(
            at=float(item["last_scaled_at"]["N"]),
            caused_by=item["caused_by"]["S"] if "caused_by" in item else None,
            transition_at=float(item["transition_at"]["N"]) if "transition_at" in item else None,
            target=int(item["target"]["N"]) if "target" in item else None,
        )

    def record(
        self,
        target_key: str,
        at: float,
        direction: str,
        *,
        previous: float | None,
        caused_by: str | None = None,
        transition_at: float | None = None,
        target: int | None = None,
        cooldown_seconds: int | None = None,
    ) -> bool:
        """Record a change at ``at``; False if another invocation recorded one since ``previous`` was read."""
        item: dict[str, Any] = {
            "id": {"S": _key(target_key)},
            "last_scaled_at": {"N": _number(at)},
            "direction": {"S": direction},
            "expiration": {"N": str(int(at) + RECORD_LIFETIME_SECONDS)},
        }
        if caused_by is not None and transition_at is not None:
            item["caused_by"] = {"S": caused_by}
            item["transition_at"] = {"N": _number(transition_at)}
        if target is not None:
            item["target"] = {"N": str(target)}
        if cooldown_seconds is not None:
            item["cooldown_seconds"] = {"N": str(cooldown_seconds)}
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
                    # The count the failed change meant to set was never set: forget it too.
                    UpdateExpression="SET last_scaled_at = :previous REMOVE target",
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
