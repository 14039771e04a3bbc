"""A simulated account for the drain job: the queues, table and topic the template declares, a
cluster, and the real handler, driven on a simulated clock.

Delayed SQS messages are taken from moto's queue as they are sent and delivered to the handler when
their delay has passed on the simulated clock (moto would wait in real time), the way the template's
event source mapping delivers them.
"""

from __future__ import annotations

import heapq
import json
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
from botocore.config import Config
from moto.sqs.models import sqs_backends

from fleetops.drain.service import DrainService
from fleetops.settings import DrainSettings
from tests.support.api_calls import ApiCallCounter
from tests.support.clock import SimulatedClock
from tests.support.cluster import ACCOUNT, REGION, SimulatedCluster
from tests.support.functions import load_handler
from tests.support.lambda_context import FakeLambdaContext
from tests.support.lifecycle import SimulatedLifecycleHooks
from tests.support.moto_gaps import close_moto_gaps

TICK_SECONDS = 5


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    body: str = field(compare=False)
    message_id: str = field(compare=False)


@dataclass
class Invocation:
    at: float
    trigger: str
    result: dict[str, Any]


class DrainWorld:
    def __init__(
        self,
        *,
        environment: dict[str, str] | None = None,
        hosts: int = 2,
        hook_timeout: int = 3600,
        client_config: Config | None = None,
    ) -> None:
        close_moto_gaps()
        self.clock = SimulatedClock()
        self.session = boto3.Session(region_name=REGION)
        self.api = ApiCallCounter(self.session)
        sqs = self.session.client("sqs")
        self.recheck_queue_url = sqs.create_queue(QueueName="drain-rechecks")["QueueUrl"]
        self.dead_letter_queue_url = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
        self.notification_queue_url = sqs.create_queue(QueueName="notifications")["QueueUrl"]
        self.session.client("dynamodb").create_table(
            TableName="idempotency",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sns = self.session.client("sns")
        self.topic_arn = sns.create_topic(Name="fleet-ops-notifications")["TopicArn"]
        sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:notifications",
        )
        self.cluster = SimulatedCluster(self.session, self.clock)
        self.hooks: SimulatedLifecycleHooks = self.cluster.build(hosts=hosts, hook_timeout=hook_timeout)
        self.environment = {
            "RECHECK_QUEUE_URL": self.recheck_queue_url,
            "DEAD_LETTER_QUEUE_URL": self.dead_letter_queue_url,
            "IDEMPOTENCY_TABLE": "idempotency",
            "NOTIFICATION_TOPIC_ARN": self.topic_arn,
            "CLUSTER_NAMES": self.cluster.name,
            "POWERTOOLS_SERVICE_NAME": "ecs-fleet-ops-drain",
            "POWERTOOLS_METRICS_NAMESPACE": "EcsFleetOps",
            "AWS_DEFAULT_REGION": REGION,
            **(environment or {}),
        }
        self.handler: ModuleType = load_handler("drain", self.environment)
        # The handler's own service, rebuilt with the simulated clock and the counted session.
        self.settings = DrainSettings.from_environment(self.environment)
        self.handler.service = DrainService(
            self.settings,
            session=self.session,
            clock=self.clock,
            **({"client_config": client_config} if client_config else {}),
        )
        self.invocations: list[Invocation] = []
        self._due: list[_Due] = []
        self._seq = 0

    # -- delivering events -------------------------------------------------------------------
    def invoke(self, event: Any, trigger: str = "event") -> dict[str, Any]:
        result: dict[str, Any] = self.handler.lambda_handler(event, FakeLambdaContext())
        self.invocations.append(Invocation(self.clock(), trigger, result))
        self._collect_sent_messages()
        return result

    def run_until_quiet(self, *, max_invocations: int = 1000) -> None:
        """Deliver delayed re-checks in time order, letting the scheduler and the hook timeouts
        act between them, until no message is left."""
        for _ in range(max_invocations):
            self._collect_sent_messages()
            if not self._due:
                return
            due = heapq.heappop(self._due)
            self.advance_to(due.at)
            self.invoke(self.sqs_event(due.body, due.message_id), trigger="recheck")
        raise AssertionError(f"still re-checking after {max_invocations} invocations: a runaway loop")

    def advance_to(self, moment: float) -> None:
        while self.clock() < moment:
            self.clock.advance(min(TICK_SECONDS, moment - self.clock()))
            self.cluster.tick()
            self.hooks.expire_overdue()

    def pending_rechecks(self) -> list[str]:
        self._collect_sent_messages()
        return [due.body for due in sorted(self._due)]

    def drop_pending_rechecks(self) -> list[str]:
        """Lose every scheduled re-check (a fault injection)."""
        bodies = self.pending_rechecks()
        self._due.clear()
        return bodies

    def _collect_sent_messages(self) -> None:
        queue = sqs_backends[ACCOUNT][REGION].queues["drain-rechecks"]
        for message in list(queue._messages):
            # moto keeps both instants in milliseconds of real time.
            delay = max(0.0, (message.delayed_until - message.sent_timestamp) / 1000) if message.delayed_until else 0.0
            self._seq += 1
            heapq.heappush(self._due, _Due(self.clock() + round(delay), self._seq, message.body, message.id))
        queue._messages.clear()

    @staticmethod
    def sqs_event(body: str, message_id: str | None = None) -> dict[str, Any]:
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
                    "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:drain-rechecks",
                    "awsRegion": REGION,
                }
            ]
        }

    # -- what came out ---------------------------------------------------------------------------
    def _drain_queue(self, url: str) -> list[str]:
        sqs = self.session.client("sqs")
        bodies: list[str] = []
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(message["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def notifications(self) -> list[dict[str, str]]:
        """Messages published to the topic, as its subscribers read them (subject and text)."""
        envelopes = [json.loads(body) for body in self._drain_queue(self.notification_queue_url)]
        return [{"subject": e.get("Subject", ""), "message": e["Message"]} for e in envelopes]

    def dead_letters(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self._drain_queue(self.dead_letter_queue_url)]
