"""DynamoDB + SNS: a bad tag on a service is announced once, not at every event that reads it.

Each announcement is a record in the idempotency table, beside Powertools' and the cooldowns (one table
both the verify and the scale job write, so a typo both jobs see is announced once):
``{"id": "bad-tag:<service ARN>:<key>:<hash of the value>", "value", "problem", "expiration"}``, written
with ``attribute_not_exists(id)``. The same bad value again finds its record and stays quiet; a new bad
value (the tag "fixed" wrongly) has a record of its own and is announced. After 30 days the record expires
through the table's TTL, and an unchanged bad tag is announced once more, as a reminder.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from fleetops.aws.clients import error_code
from fleetops.observability import logger
from fleetops.service_tags import BadTag

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from fleetops.aws.messaging import Notifier

RECORD_LIFETIME_SECONDS = 30 * 24 * 3600


class BadTagReports:
    def __init__(
        self, client: DynamoDBClient, table: str, notifier: Notifier, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._table = table
        self._notifier = notifier
        self._clock = clock

    def report_once(self, bad_tags: Iterable[BadTag]) -> int:
        """Announce each bad tag not announced before; returns how many were announced. Never raises: a
        record or a message that fails is logged, and the verification or scale decision goes on (a
        message that fails gives its record back, so that the next event announces it)."""
        announced = 0
        for bad in bad_tags:
            logger.warning(bad.sentence(), extra={"tag_key": bad.key, "service": bad.service_arn})
            try:
                if not self._first_time(bad):
                    continue
            except (ClientError, BotoCoreError) as error:
                logger.warning(f"the bad tag {bad.key} could not be recorded, so it is not announced: {error}")
                continue
            try:
                self._notifier.publish(subject(bad), bad.sentence())
            except (ClientError, BotoCoreError) as error:
                logger.warning(f"the bad tag {bad.key} could not be announced: {error}")
                self._forget(bad)
                continue
            announced += 1
        return announced

    def _first_time(self, bad: BadTag) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "id": {"S": record_key(bad)},
                    "value": {"S": bad.value},
                    "problem": {"S": bad.problem[:1000]},
                    "expiration": {"N": str(int(self._clock()) + RECORD_LIFETIME_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(id)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _forget(self, bad: BadTag) -> None:
        try:
            self._client.delete_item(TableName=self._table, Key={"id": {"S": record_key(bad)}})
        except (ClientError, BotoCoreError) as error:
            logger.warning(f"the record of the bad tag {bad.key} could not be given back: {error}")


def subject(bad: BadTag) -> str:
    """A service team has something to fix: ATTENTION, as every message that needs a human."""
    return f"ATTENTION ecs-fleet-ops: tag {bad.key} of service {bad.service_name} ignored"


def record_key(bad: BadTag) -> str:
    """Keyed on the service, the tag's key and its value (hashed: a value is up to 256 characters)."""
    digest = hashlib.sha256(bad.value.encode()).hexdigest()[:32]
    return f"bad-tag:{bad.service_arn}:{bad.key}:{digest}"
