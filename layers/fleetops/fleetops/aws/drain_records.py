"""DynamoDB: the drain waiting on each instance, so that ECS's event for a host can find it.

ECS's "ECS Container Instance State Change" event names the host (EC2 instance, container instance), not
the lifecycle action: the drain's state travels in its re-check messages, which nobody can look up. So a
drain that starts waiting keeps its state here, keyed by instance, in the idempotency table beside
Powertools' own items (whose keys are ``<function>#<hash>``) and the scale job's cooldowns:
``{"id": "drain:<instance id>", "state": <DrainState JSON>, "token": <lifecycle action token>,
"expiration": ..., "completed_by": "ecs-event" | "recheck"}``.

Whoever completes the lifecycle action first (ECS's event or a re-check) claims it here with a conditional
write: the other stands down quietly, and a re-check that finds its action ended by the event says so
instead of alerting about a completion "elsewhere".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fleetops.aws.clients import AwsClients, error_code
from fleetops.models.drain import DrainState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# A record outlives its drain (at most the 48-hour global timeout of a lifecycle action) and then expires
# through the table's TTL attribute.
RECORD_LIFETIME_SECONDS = 3 * 24 * 3600
COMPLETED_ON_ECS_EVENT = "ecs-event"
COMPLETED_ON_RECHECK = "recheck"


class DrainRecords:
    def __init__(self, clients: AwsClients, table: str) -> None:
        # The DynamoDB client is made on first use, as the notifier's SNS client is: a drain that never
        # waits needs none, and a client made at cold start costs the drain's import target (docs/benchmark.md).
        self._clients = clients
        self._table = table

    @property
    def _client(self) -> DynamoDBClient:
        return self._clients.dynamodb

    def keep(self, state: DrainState) -> None:
        """The drain's state, under its instance: a newer drain of the same instance replaces an older one's."""
        assert state.lifecycle_action is not None
        self._client.put_item(
            TableName=self._table,
            Item={
                "id": {"S": _key(state.ec2_instance_id)},
                "state": {"S": state.to_json()},
                "token": {"S": state.lifecycle_action.token},
                "expiration": {"N": str(int(state.started_at) + RECORD_LIFETIME_SECONDS)},
            },
        )

    def find(self, ec2_instance_id: str) -> tuple[DrainState, str | None] | None:
        """The drain kept for the instance and who completed it (None: not completed yet); None: none kept."""
        item = self._client.get_item(
            TableName=self._table, Key={"id": {"S": _key(ec2_instance_id)}}, ConsistentRead=True
        ).get("Item")
        if not item or "state" not in item:
            return None
        completed_by = item["completed_by"]["S"] if "completed_by" in item else None
        return DrainState.from_json(item["state"]["S"]), completed_by

    def claim_completion(self, state: DrainState, by: str) -> bool:
        """Claim the completion of the drain's lifecycle action; False if it was claimed already. A drain
        with no record (the store failed when it started) claims it all the same."""
        assert state.lifecycle_action is not None
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"id": {"S": _key(state.ec2_instance_id)}},
                UpdateExpression="SET completed_by = :by, #token = :token, expiration = :expiration",
                # Claimed already for this very action: stand down. A record of an older action of the same
                # instance (a warm-pool host that came back and leaves again) is not this drain's.
                ConditionExpression="attribute_not_exists(completed_by) OR #token <> :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={
                    ":by": {"S": by},
                    ":token": {"S": state.lifecycle_action.token},
                    ":expiration": {"N": str(int(state.started_at) + RECORD_LIFETIME_SECONDS)},
                },
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _key(ec2_instance_id: str) -> str:
    return f"drain:{ec2_instance_id}"
