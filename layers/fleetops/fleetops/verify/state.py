"""What the verify job remembers between deployments, in one small DynamoDB table (key ``id``):

- ``known-good#<service ARN>``: the task definition of the last deployment that passed verification;
- ``rollbacks#<service ARN>``: when this job rolled the service back, for the per-window cap;
- ``rollback-deployment#<deployment id>``: deployments started as rollbacks, by this job or by ECS
  (``started_by``), never verified into another rollback;
- ``ci-settling#<cluster>#<service>#<expected release>``: when a CI call's verification began to settle,
  so that calling again waits out one bound, not a new one each time.
Items carry ``expires_at`` (a TTL attribute), so the table never grows without bound.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from fleetops.aws.clients import error_code
from fleetops.models.verify import CheckName, CheckResult, CheckStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The keys' prefixes, shared with the status command (fleetops_cli/status_snapshot.py), which reads this table.
KNOWN_GOOD_KEY = "known-good#"
ROLLBACKS_KEY = "rollbacks#"
KNOWN_GOOD_LIFETIME_SECONDS = 400 * 86400  # a service deployed once a year still has one
MARKER_LIFETIME_SECONDS = 7 * 86400
# Who started a rollback deployment: this job (UpdateService), or ECS (its circuit breaker or deployment
# alarms, seen while the deployment's reason still said "rolling back to deploymentId ...").
ROLLED_BACK_BY_VERIFY = "verify"
ROLLED_BACK_BY_ECS = "ECS"
# A CI pipeline re-invokes the function on SETTLING (every 15 s for the console command; README: within
# 2 minutes). A settling episode whose last look is older than this is over (the run was cancelled, or
# timed out): the next call starts a new one, and a re-run or a later scale-out of the same release is
# never failed on an abandoned run's bound.
CI_SETTLING_GAP_SECONDS = 120


@dataclass(frozen=True, slots=True)
class KnownGood:
    task_definition: str
    deployment_id: str
    verified_at: float


@dataclass(frozen=True, slots=True)
class CiSettling:
    """A CI call's verification that is settling: since when, until when, and what the first look saw."""

    since: float
    until: float
    first_look: tuple[CheckResult, ...]  # the failing checks, name and summary: what is waited for
    last_seen: float

    def goes_on(self, now: float) -> bool:
        return now - self.last_seen <= CI_SETTLING_GAP_SECONDS


def known_good_of(item: Mapping[str, Any]) -> KnownGood:
    """A ``known-good#`` item as DynamoDB gives it."""
    return KnownGood(
        task_definition=item["task_definition"]["S"],
        deployment_id=item.get("deployment_id", {}).get("S", ""),
        verified_at=float(item["verified_at"]["N"]),
    )


def rollback_times_of(item: Mapping[str, Any]) -> list[float]:
    """When a ``rollbacks#`` item says this job rolled its service back."""
    return [float(t) for t in item.get("times", {}).get("NS", [])]


class VerifyStateStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def known_good(self, service_arn: str) -> KnownGood | None:
        item = self._client.get_item(
            TableName=self._table, Key={"id": {"S": f"{KNOWN_GOOD_KEY}{service_arn}"}}, ConsistentRead=True
        ).get("Item")
        return known_good_of(item) if item else None

    def remember_known_good(self, service_arn: str, task_definition: str, deployment_id: str, now: float) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                "id": {"S": f"{KNOWN_GOOD_KEY}{service_arn}"},
                "task_definition": {"S": task_definition},
                "deployment_id": {"S": deployment_id or "-"},
                "verified_at": {"N": repr(now)},
                "expires_at": {"N": str(int(now) + KNOWN_GOOD_LIFETIME_SECONDS)},
            },
        )

    def rollback_times(self, service_arn: str) -> tuple[list[float], int]:
        """The recorded rollback instants and the item's version (0 when there is none)."""
        item = self._client.get_item(
            TableName=self._table, Key={"id": {"S": f"{ROLLBACKS_KEY}{service_arn}"}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return [], 0
        return rollback_times_of(item), int(item["version"]["N"])

    def reserve_rollback(self, service_arn: str, times: list[float], version: int, now: float, window: int) -> bool:
        """Record one more rollback, only if nobody else did since ``version`` was read (no race past the cap)."""
        kept = [t for t in times if now - t < window] + [now]
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "id": {"S": f"{ROLLBACKS_KEY}{service_arn}"},
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
                Key={"id": {"S": f"{ROLLBACKS_KEY}{service_arn}"}},
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

    def ci_settling(self, key: str) -> CiSettling | None:
        item = self._client.get_item(
            TableName=self._table, Key={"id": {"S": f"ci-settling#{key}"}}, ConsistentRead=True
        ).get("Item")
        if item is None or item.get("closed", {}).get("BOOL", False):
            return None
        return CiSettling(
            since=float(item["since"]["N"]),
            until=float(item["until"]["N"]),
            first_look=tuple(
                CheckResult(CheckName(c["name"]), CheckStatus.FAILED, str(c["summary"]))
                for c in json.loads(item["first_look"]["S"])
            ),
            last_seen=float(item["last_seen"]["N"]),
        )

    def remember_ci_settling(self, key: str, settling: CiSettling) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                "id": {"S": f"ci-settling#{key}"},
                "since": {"N": repr(settling.since)},
                "until": {"N": repr(settling.until)},
                "first_look": {
                    "S": json.dumps(
                        [
                            {"name": c.name.value, "summary": c.summary}
                            for c in settling.first_look
                            if c.status is CheckStatus.FAILED
                        ]
                    )
                },
                "last_seen": {"N": repr(settling.last_seen)},
                "closed": {"BOOL": False},
                "expires_at": {"N": str(int(settling.last_seen) + MARKER_LIFETIME_SECONDS)},
            },
        )

    def close_ci_settling(self, key: str, now: float) -> None:
        """The episode ended with a verdict: the next settling of this release starts its own bound."""
        self._client.put_item(
            TableName=self._table,
            Item={
                "id": {"S": f"ci-settling#{key}"},
                "closed": {"BOOL": True},
                "expires_at": {"N": str(int(now) + MARKER_LIFETIME_SECONDS)},
            },
        )
