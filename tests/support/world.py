"""A simulated account for the drain job: the queues, table and topic the template declares, a
cluster, and the real handler, driven on a simulated clock.

Delayed SQS messages are taken from moto's queue as they are sent and delivered to the handler when
their delay has passed on the simulated clock (moto would wait in real time), the way the template's
event source mapping delivers them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3
from botocore.config import Config

from fleetops.drain.service import DrainService
from fleetops.drain.settings import DrainSettings
from simulator.api_calls import ApiCallCounter
from simulator.autoscaling.hook_handlers import HookHandler
from simulator.autoscaling.lifecycle import SimulatedLifecycleHooks, acting_as
from simulator.awslambda.context import FakeLambdaContext
from simulator.awslambda.functions import load_handler
from simulator.clock import SimulatedClock
from simulator.fleet.cluster import ACCOUNT, REGION, SimulatedCluster
from simulator.sqs.queues import DelayedDeliveries, dead_letters, notifications

TICK_SECONDS = 5


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
            "AUTO_SCALING_GROUP_NAMES": self.cluster.group,
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
            sleep=self.clock.advance,
            **({"client_config": client_config} if client_config else {}),
        )
        self.invocations: list[Invocation] = []
        self.rechecks = DelayedDeliveries("drain-rechecks", self.clock)
        self.hook_handlers: list[HookHandler] = []  # other people's termination hooks on the group
        # What else runs every tick after the cluster and the hooks (the scale world's AZ rebalancing).
        self.tickers: list[Callable[[], None]] = []

    def add_termination_hook(
        self, handler: HookHandler, *, heartbeat_timeout: int, default_result: str = "CONTINUE"
    ) -> None:
        """Another termination hook on the cluster's group, and the handler that answers it."""
        self.session.client("autoscaling").put_lifecycle_hook(
            AutoScalingGroupName=self.cluster.group,
            LifecycleHookName=handler.hook_name,
            LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
            HeartbeatTimeout=heartbeat_timeout,
            DefaultResult=default_result,
        )
        self.hook_handlers.append(handler)

    # -- delivering events -------------------------------------------------------------------
    def invoke(self, event: Any, trigger: str = "event") -> dict[str, Any]:
        with acting_as("function:drain"):
            result: dict[str, Any] = self.handler.lambda_handler(event, FakeLambdaContext())
        self.invocations.append(Invocation(self.clock(), trigger, result))
        self.rechecks.collect()
        return result

    def run_until_quiet(self, *, max_invocations: int = 1000) -> None:
        """Deliver delayed re-checks in time order, letting the scheduler and the hook timeouts
        act between them, until no message is left."""
        for _ in range(max_invocations):
            due = self.rechecks.next()
            if due is None:
                return
            self.advance_to(due.at)
            self.invoke(self.sqs_event(due.body, due.message_id), trigger="recheck")
        raise AssertionError(f"still re-checking after {max_invocations} invocations: a runaway loop")

    def run_until(self, moment: float) -> None:
        """Deliver the re-checks that fall due before ``moment`` in time order (as ``run_until_quiet``),
        then let the simulation run up to it."""
        while (pending := self.rechecks.pending()) and pending[0].at <= moment:
            due = self.rechecks.next()
            assert due is not None
            self.advance_to(due.at)
            self.invoke(self.sqs_event(due.body, due.message_id), trigger="recheck")
        self.advance_to(moment)

    def advance_to(self, moment: float) -> None:
        while self.clock() < moment:
            self.clock.advance(min(TICK_SECONDS, moment - self.clock()))
            self.cluster.tick()
            for handler in self.hook_handlers:
                handler.tick()
            self.hooks.expire_overdue()
            for ticker in self.tickers:
                ticker()

    def pending_rechecks(self) -> list[str]:
        return [due.body for due in self.rechecks.pending()]

    def drop_pending_rechecks(self) -> list[str]:
        """Lose every scheduled re-check (a fault injection)."""
        return [due.body for due in self.rechecks.drop_all()]

    def sqs_event(self, body: str, message_id: str | None = None) -> dict[str, Any]:
        return self.rechecks.event(body, message_id)

    # -- what came out ---------------------------------------------------------------------------
    def notifications(self) -> list[dict[str, str]]:
        return notifications(self.session, self.notification_queue_url)

    def dead_letters(self) -> list[dict[str, Any]]:
        return dead_letters(self.session, self.dead_letter_queue_url)
