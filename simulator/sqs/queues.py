"""SQS as the simulated account uses it: the messages sent to a queue taken out of moto with their delays
(the account delivers them on the simulated clock), and reading what landed in a queue (notifications,
dead letters)."""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from moto.sqs.models import Message, sqs_backends

from simulator.fleet.cluster import ACCOUNT, REGION


@dataclass(frozen=True)
class SentMessage:
    body: str
    message_id: str
    delay: int  # seconds SQS holds it back (DelaySeconds)


def _delay_seconds(message: Message) -> int:
    # moto keeps both instants in milliseconds of real time (the send time once the message is sent).
    if not message.delayed_until or message.sent_timestamp is None:
        return 0
    return round(max(0.0, (message.delayed_until - message.sent_timestamp) / 1000))


def take_sent(queue_name: str) -> list[SentMessage]:
    """Take the messages sent to one of moto's queues out of it, with their delays, so a simulated
    clock can deliver them (moto would hold a delayed message back in real time)."""
    queue = sqs_backends[ACCOUNT][REGION].queues[queue_name]
    sent = [SentMessage(message.body, message.id, _delay_seconds(message)) for message in queue._messages]
    queue._messages.clear()
    return sent


def take_visible(queue_name: str) -> list[str]:
    """Take every message a receive would return now out of one of moto's queues; their bodies, oldest
    first. No API call: the account reads its notification inbox after every invocation, where a client
    (about 10 ms to create) and its receive and delete requests would cost more than the invocation."""
    queue = sqs_backends[ACCOUNT][REGION].queues[queue_name]
    taken = [message for message in queue._messages if message.visible and not message.delayed]
    kept = [message for message in queue._messages if message not in taken]
    queue._messages.clear()
    queue._messages.extend(kept)
    return [message.body for message in taken]


def take_all(session: boto3.Session, url: str) -> list[str]:
    """Receive and delete every message in the queue, through the API; their bodies, oldest first."""
    sqs = session.client("sqs")
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
