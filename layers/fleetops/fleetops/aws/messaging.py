"""SQS (delayed re-checks, dead letters) and SNS (messages a human reads)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from fleetops.aws.clients import AwsClients

# SNS: a subject is at most 100 characters; a message at most 256 KiB.
SNS_SUBJECT_LIMIT = 100
SNS_MESSAGE_LIMIT = 256 * 1024
# SQS: a message body is at most 256 KiB.
SQS_BODY_LIMIT = 256 * 1024


class DelayedQueue:
    """Sends a message that becomes visible after a delay: the durable wait between invocations."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, body: str, delay_seconds: int) -> None:
        self._client.send_message(
            QueueUrl=self._queue_url, MessageBody=body, DelaySeconds=max(0, min(900, delay_seconds))
        )


class DeadLetters:
    """Keeps an event that cannot be processed, with its reason, without any retry."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def keep(self, event: Any, reason: str, function: str) -> None:
        body = json.dumps({"reason": reason, "function": function, "event": event}, default=str)
        if len(body.encode()) > SQS_BODY_LIMIT:
            body = json.dumps({"reason": reason, "function": function, "event_truncated": body[: SQS_BODY_LIMIT // 2]})
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=body)


class Notifier:
    """Publishes messages a human reads. With no topic configured it does nothing.

    The SNS client is created on the first message, not at cold start: most invocations announce
    nothing (about 20 ms of import saved).
    """

    def __init__(self, clients: AwsClients, topic_arn: str) -> None:
        self._clients = clients
        self._topic_arn = topic_arn

    @property
    def enabled(self) -> bool:
        return bool(self._topic_arn)

    def publish(self, subject: str, message: str) -> None:
        if not self.enabled:
            return
        self._clients.sns.publish(
            TopicArn=self._topic_arn,
            Subject=_subject(subject),
            Message=message.encode()[:SNS_MESSAGE_LIMIT].decode(errors="ignore"),
        )


def _subject(text: str) -> str:
    # SNS rejects subjects with line breaks, non-ASCII text, or more than 100 characters.
    flat = text.encode("ascii", errors="replace").decode()
    flat = " ".join(flat.split())
    return flat if len(flat) <= SNS_SUBJECT_LIMIT else flat[: SNS_SUBJECT_LIMIT - 3] + "..."
