"""A simulated account for the verify job: the queues, tables and topic its template fragment declares,
a cluster with hosts, simulated deployments, and the real handler, driven on a simulated clock.

Delayed SQS messages (the alarm bake) are taken from moto's queue as they are sent and delivered to the
handler when their delay has passed on the simulated clock, like the template's event source mapping.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from unittest import mock

import boto3

from fleetops.verify.service import VerifyService
from fleetops.verify.settings import VerifySettings
from fleetops.verify.state import VerifyStateStore
from simulator.api_calls import ApiCallCounter
from simulator.awslambda.context import FakeLambdaContext
from simulator.awslambda.functions import load_handler
from simulator.clock import SimulatedClock
from simulator.ecs import service_deployment_gaps
from simulator.ecs.deployments import VERIFY_FUNCTION_ARN, SimulatedDeployments, deployment_event
from simulator.ecs.stopped_tasks import time_stops_on
from simulator.ecs.task_sets import SimulatedTaskSets
from simulator.fleet.cluster import ACCOUNT, REGION, SimulatedCluster
from simulator.sqs.queues import DelayedDeliveries, dead_letters, notifications

RECHECK_QUEUE = "verify-rechecks"


def without_default_amis(environ: Any) -> None:
    """moto loads ~2,000 default AMIs into every new or reset EC2 backend (about 0.2 s at the start and
    again at the end of each test); the simulated hosts need none. Pass pytest's ``monkeypatch``,
    requested *before* the ``aws`` fixture, so the reset at teardown is quick too."""
    environ.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def simulated_session() -> boto3.Session:
    # Its service models come from the process's one loader (``shared_models``, installed by conftest).
    return boto3.Session(region_name=REGION)


def revision_of(task_definition_arn: str) -> str:
    """``web:2`` from a task definition ARN: how a CI job names the release it deployed."""
    return task_definition_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Release:
    name: str
    service_arn: str
    known_good: str  # web:1, verified good before the release
    task_definition: str  # web:2, the release under test
    deployment_id: str


class VerifyWorld:
    def __init__(self, *, environment: dict[str, str] | None = None, hosts: int = 2) -> None:
        self.gaps = service_deployment_gaps.new_record()
        self.clock = SimulatedClock()
        time_stops_on(self.clock)  # stopCode, stoppedAt, container exits
        self.session = simulated_session()
        self.api = ApiCallCounter(self.session)
        sqs = self.session.client("sqs")
        self.recheck_queue_url = sqs.create_queue(QueueName=RECHECK_QUEUE)["QueueUrl"]
        self.dead_letter_queue_url = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
        self.notification_queue_url = sqs.create_queue(QueueName="notifications")["QueueUrl"]
        dynamodb = self.session.client("dynamodb")
        for table in ("idempotency", "verify-state"):
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        sns = self.session.client("sns")
        self.topic_arn = sns.create_topic(Name="fleet-ops-notifications")["TopicArn"]
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:notifications")
        self.cluster = SimulatedCluster(self.session, self.clock)
        # moto would load ~2,000 default AMIs into each new EC2 backend (about 0.2 s a test); the
        # cluster's hosts need none of them.
        with mock.patch.dict(os.environ, {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}):
            self.cluster.build(hosts=hosts)
        self.deployments = SimulatedDeployments(self.cluster, self.gaps)
        self.task_sets = SimulatedTaskSets(self.deployments)  # CODE_DEPLOY / EXTERNAL controller services
        self.gaps.clock = self.clock
        self.environment = {
            "RECHECK_QUEUE_URL": self.recheck_queue_url,
            "DEAD_LETTER_QUEUE_URL": self.dead_letter_queue_url,
            "IDEMPOTENCY_TABLE": "idempotency",
            "VERIFY_STATE_TABLE": "verify-state",
            "NOTIFICATION_TOPIC_ARN": self.topic_arn,
            "SMOKE_ALLOWED_HOSTS": "127.0.0.1",
            "CLUSTER_NAMES": self.cluster.name,
            "POWERTOOLS_SERVICE_NAME": "ecs-fleet-ops-verify",
            "AWS_DEFAULT_REGION": REGION,
            **(environment or {}),
        }
        self.handler: ModuleType = load_handler("verify", self.environment)
        self.sleeps: list[float] = []
        self.settings = VerifySettings.from_environment(self.environment)
        # The handler's own service, rebuilt with the simulated clock, the counted session, and a
        # sleep that advances the simulated clock (smoke-check backoff) instead of waiting.
        self.handler.service = VerifyService(self.settings, session=self.session, clock=self.clock, sleep=self._sleep)
        self.rechecks = DelayedDeliveries(RECHECK_QUEUE, self.clock)

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    # -- delivering events -------------------------------------------------------------------------
    def invoke(self, event: Any, *, remaining_millis: int = 60_000) -> dict[str, Any]:
        """``remaining_millis``: what the invocation has left when the handler asks (Lambda's context)."""
        context = FakeLambdaContext(
            function_name="ecs-fleet-ops-verify",
            invoked_function_arn=VERIFY_FUNCTION_ARN,
            remaining_millis=remaining_millis,
        )
        result: dict[str, Any] = self.handler.lambda_handler(event, context)
        self.rechecks.collect()
        return result

    def run_bake(self, *, on_each: Any = None, max_invocations: int = 500) -> list[dict[str, Any]]:
        """Deliver the delayed re-checks in time order until none is left; ``on_each(world)`` runs
        before each delivery (to fire an alarm mid-bake)."""
        results: list[dict[str, Any]] = []
        for _ in range(max_invocations):
            due = self.rechecks.next()
            if due is None:
                return results
            if due.at > self.clock():
                self.clock.advance(due.at - self.clock())
            if on_each is not None:
                on_each(self)
            results.append(self.invoke(self.sqs_event(due.body)))
        raise AssertionError(f"still baking after {max_invocations} invocations: a runaway loop")

    def pending_rechecks(self) -> list[dict[str, Any]]:
        return [json.loads(due.body) for due in self.rechecks.pending()]

    def sqs_event(self, body: str) -> dict[str, Any]:
        return self.rechecks.event(body)

    # -- a release, ready to verify -----------------------------------------------------------------
    def given_a_release(
        self,
        name: str = "web",
        *,
        desired: int = 4,
        target_groups: int = 1,
        circuit_breaker_rollback: bool = False,
        reset_on_healthy_task: bool = True,
        sidecar: bool = False,
        alarms_rollback: bool = False,
    ) -> Release:
        """web:1 running and verified good (so it is the known-good), then web:2 rolled out completely.
        ``sidecar``: both revisions run a non-essential, health-checked sidecar beside ``web``."""
        v1 = self.deployments.task_definition(f"registry.example.com/{name}:1", family=name, sidecar=sidecar)
        service = self.deployments.create_service(
            name,
            v1,
            desired=desired,
            target_groups=target_groups,
            circuit_breaker_rollback=circuit_breaker_rollback,
            reset_on_healthy_task=reset_on_healthy_task,
            alarms_rollback=alarms_rollback,
        )
        # web:1 passed a full verification long ago: recorded the way the verify job records one (a CI
        # call with overridden checks would not make it known-good, by design).
        VerifyStateStore(self.session.client("dynamodb"), "verify-state").remember_known_good(
            service.arn, v1, service.deployment_id, self.clock()
        )
        v2 = self.deployments.task_definition(f"registry.example.com/{name}:2", family=name, sidecar=sidecar)
        deployment_id = self.deployments.complete_rollout(name, v2)
        self.notifications()  # a clean slate: only what the release causes is seen by the test
        return Release(name, service.arn, v1, v2, deployment_id)

    def completed_event(self, release: Release) -> dict[str, Any]:
        return deployment_event(release.service_arn, "SERVICE_DEPLOYMENT_COMPLETED", release.deployment_id)

    def completed_event_for(self, release: Release, deployment_id: str) -> dict[str, Any]:
        """SERVICE_DEPLOYMENT_COMPLETED of a later deployment of the release's service."""
        return deployment_event(release.service_arn, "SERVICE_DEPLOYMENT_COMPLETED", deployment_id)

    # -- what came out -------------------------------------------------------------------------------
    def notifications(self) -> list[dict[str, str]]:
        return notifications(self.session, self.notification_queue_url)

    def dead_letters(self) -> list[dict[str, Any]]:
        return dead_letters(self.session, self.dead_letter_queue_url)

    def known_good(self, service_arn: str) -> str | None:
        item = (
            self.session.client("dynamodb")
            .get_item(TableName="verify-state", Key={"id": {"S": f"known-good#{service_arn}"}})
            .get("Item")
        )
        return item["task_definition"]["S"] if item else None

    def service_task_definition(self, name: str) -> str:
        service = self.session.client("ecs").describe_services(cluster=self.cluster.name, services=[name])["services"][
            0
        ]
        return str(service["taskDefinition"])
