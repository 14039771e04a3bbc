"""SQS (delayed re-checks, dead letters) and SNS (messages a human reads)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from fleetops.aws.clients import AwsClients

# SNS Publish: "Subjects must be UTF-8 text with no line breaks or control characters, and less than
# 100 characters long"; AWS is reported to accept exactly 100 (getmoto/moto#1503): 99 is right under
# both readings. A message is at most 256 KiB.
SNS_SUBJECT_LIMIT = 99
SNS_MESSAGE_LIMIT = 256 * 1024
# SQS: a message is at most 1 MiB since August 2025 (SendMessage, CreateQueue's MaximumMessageSize,
# whose default is now 1,048,576 bytes), and was at most 256 KiB before; a queue whose
# MaximumMessageSize says 262,144 (the old default, or set so) still refuses more. A dead letter is
# kept to the smaller, right under either: 262,144 bytes of UTF-8, as SQS counts them.
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

    def return_sooner(self, receipt_handle: str, seconds: int) -> None:
        """Makes a received message visible again in ``seconds`` (counted from now), instead of at the end
        of the queue's visibility timeout: "ChangeMessageVisibility", Amazon SQS API Reference."""
        self._client.change_message_visibility(
            QueueUrl=self._queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )


class DeadLetters:
    """Keeps an event that cannot be processed, with its reason, without any retry."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def keep(self, event: Any, reason: str, function: str) -> None:
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=dead_letter_body(event, reason, function))


def dead_letter_body(event: Any, reason: str, function: str, limit: int = SQS_BODY_LIMIT) -> str:
    """``{"reason", "function", "event"}`` as JSON, at most ``limit`` bytes whatever the event.

    An event too large is kept as the longest prefix of its JSON text that fits, in ``event_truncated``
    (with ``event_bytes``, its whole size); the reason is kept whole. The body is ASCII (``json.dumps``
    escapes every other character), so its UTF-8 size is its length, and it holds only characters SQS
    accepts. Escaping is why the prefix is measured, not guessed: the event's text is a JSON string
    inside the body, where each quote and backslash takes two characters.
    """
    whole = _json({"reason": reason, "function": function, "event": event})
    if len(whole) <= limit:
        return whole
    text = json.dumps(event, default=str)

    def truncated(length: int) -> str:
        return _json(
            {"reason": reason, "function": function, "event_bytes": len(text), "event_truncated": text[:length]}
        )

    if len(truncated(0)) > limit:
        # Only a reason of about the limit itself gets here (a BadInputError's is at most 2,000
        # characters): the dead letter must still reach the queue.
        return _json({"reason": reason[: limit // 2], "function": function, "event_bytes": len(text)})
    fits, too_long = 0, len(text)  # the longest prefix that fits: between them
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        fits, too_long = (middle, too_long) if len(truncated(middle)) <= limit else (fits, middle)
    return truncated(fits)


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


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
    # One line of printable ASCII (UTF-8 is allowed; ASCII is only stricter, and reads in any mail
    # client): line breaks and control characters become spaces, runs of spaces one.
    flat = text.encode("ascii", errors="replace").decode()
    flat = " ".join("".join(c if c.isprintable() else " " for c in flat).split())
    return flat if len(flat) <= SNS_SUBJECT_LIMIT else flat[: SNS_SUBJECT_LIMIT - 3] + "..."
