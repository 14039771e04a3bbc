"""SQS as the simulated account uses it: delayed messages delivered on the simulated clock, the
event Lambda's SQS integration sends, and reading what landed in a queue (notifications, dead
letters)."""

from __future__ import annotations

import heapq
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.sqs.models import Message, sqs_backends

from simulator.clock import SimulatedClock
from simulator.fleet.cluster import ACCOUNT, REGION


@dataclass(order=True)
class DueMessage:
    at: float
    seq: int
    body: str = field(compare=False)
    message_id: str = field(compare=False)


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


class DelayedDeliveries:
    """Takes the messages sent to one of moto's queues as they arrive and hands them out when their
    delay has passed on the simulated clock (moto would wait in real time)."""

    def __init__(self, queue_name: str, clock: SimulatedClock) -> None:
        self.queue_name = queue_name
        self._clock = clock
        self._due: list[DueMessage] = []
        self._seq = 0

    def collect(self) -> None:
        for message in take_sent(self.queue_name):
            self._seq += 1
            heapq.heappush(
                self._due, DueMessage(self._clock() + message.delay, self._seq, message.body, message.message_id)
            )

    def pending(self) -> list[DueMessage]:
        self.collect()
        return sorted(self._due)

    def next(self) -> DueMessage | None:
        self.collect()
        return heapq.heappop(self._due) if self._due else None

    def drop_all(self) -> list[DueMessage]:
        """Lose every scheduled message (a fault injection)."""
        lost = self.pending()
        self._due.clear()
        return lost

    def event(self, body: str, message_id: str | None = None) -> dict[str, Any]:
        return sqs_event(body, self.queue_name, message_id)


def sqs_event(body: str, queue_name: str, message_id: str | None = None) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping sends for one message."""
    return {
        "Records": [
            {
                "messageId": message_id or str(uuid.uuid4()),
                "receiptHandle": "simulated",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}",
                "awsRegion": REGION,
            }
        ]
    }


def take_all(session: boto3.Session, url: str) -> list[str]:
    """Receive and delete every message in the queue; their bodies, oldest first."""
    return take_all_with(session.client("sqs"), url)


def take_all_with(sqs: Any, url: str) -> list[str]:
    """``take_all`` with a client made once (a reader called after every invocation: a new client costs
    about 10 ms, more than the calls it makes)."""
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
