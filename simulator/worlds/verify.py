"""The verify job's world: the suite deployed from ``template.yaml`` with only the verify job on
(``JobWorld``), its function reached through the account under its own role, beside a cluster whose
services the simulated ECS deploys (``simulator.ecs.deployments``: releases, stuck rollouts, crashes,
unhealthy targets, alarms, lifecycle hooks, CodeDeploy and task-set services).

What a story changes, it changes as an operator would: a template parameter (``VerifyRollbackEnabled``,
``VerifyServices``, ``Announce``, ``RecheckIntervalSeconds``, ``SmokeAllowedHosts`` ...) or, for a value
the template would refuse, the function's environment after the deploy (``environment=``). The alarm
bake's re-checks wait in the stack's ``VerifyRecheckQueue`` and reach the function through its event
source mapping (``BatchSize: 10``), on the simulated clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fleetops.verify.settings import VerifySettings
from fleetops.verify.state import VerifyStateStore
from simulator.ecs import service_deployment_gaps
from simulator.ecs.deployments import SimulatedDeployments, deployment_event
from simulator.ecs.stopped_tasks import time_stops_on
from simulator.ecs.task_sets import SimulatedTaskSets
from simulator.worlds.base import JobWorld

RECHECK_QUEUE = "VerifyRecheckQueue"  # template.yaml's logical ID
# The smoke checks of these stories call a real HTTP server on the loopback interface.
LOOPBACK = "127.0.0.1"


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


class VerifyWorld(JobWorld):
    job = "verify"

    def __init__(
        self,
        *,
        parameters: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
        hosts: int = 2,
    ) -> None:
        super().__init__(
            parameters={"SmokeAllowedHosts": LOOPBACK, **(parameters or {})}, environment=environment, hosts=hosts
        )
        # The simulated deployments' record (the patches themselves are simulated_aws()'s), and stops timed
        # on this world's clock (stopCode, stoppedAt, container exits).
        self.gaps = service_deployment_gaps.new_record()
        time_stops_on(self.clock)
        self.gaps.clock = self.clock
        # The simulated deployments play ECS's service scheduler for the services of these stories (crashes,
        # stuck rollouts, tasks left starting): the cluster's own scheduler must not replace their tasks.
        self.cluster.schedules_services = False
        self.deployments = SimulatedDeployments(self.cluster, self.gaps, hook_target_arn=self.function.spec.arn)
        self.task_sets = SimulatedTaskSets(self.deployments)  # CODE_DEPLOY / EXTERNAL controller services
        self._notifications_read = 0
        self._metrics_read = 0

    # -- the function under test -------------------------------------------------------------------------
    @property
    def settings(self) -> VerifySettings:
        """What the function's cold start read (its environment, the template's parameters)."""
        settings: VerifySettings = self.handler.service.settings
        return settings

    @property
    def sleeps(self) -> list[float]:
        """Every wait the handler's own code asked for since its cold start (on the simulated clock)."""
        return self.function.sleeps

    @property
    def state_table(self) -> str:
        return str(self.account.stack.physical["VerifyStateTable"])

    @property
    def idempotency_table(self) -> str:
        return str(self.account.stack.physical["IdempotencyTable"])

    # -- delivering events -------------------------------------------------------------------------
    def invoke(self, event: Any, trigger: str = "event", *, remaining_millis: int | None = None) -> Any:
        """A synchronous invocation (a CI pipeline, CodeDeploy or ECS calling the hook).

        ``remaining_millis``: how much of the function's Timeout (120 s) is left when the handler first
        calls AWS, as Lambda's context then reports it. That first call answers slowly: the simulated
        clock moves on by the rest of the Timeout while it waits."""
        if remaining_millis is None:
            return super().invoke(event, trigger)
        spent = self.function.spec.timeout - remaining_millis / 1000

        def first_call_answers_slowly(operation: str) -> None:
            if operation.startswith(f"{self.job}:") and first_call_answers_slowly in self.account.faults:
                self.account.faults.remove(first_call_answers_slowly)
                self.clock.advance(spent)

        self.account.faults.append(first_call_answers_slowly)
        try:
            return super().invoke(event, trigger)
        finally:
            if first_call_answers_slowly in self.account.faults:
                self.account.faults.remove(first_call_answers_slowly)

    def run_bake(self, *, on_each: Callable[[VerifyWorld], None] | None = None, max_deliveries: int = 500) -> list[Any]:
        """Deliver the re-checks waiting in the stack's queue, in time order, until none is left; returns
        what each delivery's invocation answered. ``on_each(world)`` runs before each delivery, at its
        time (to fire an alarm mid-bake). Re-checks due at the same moment reach the function in one
        batch, as the event source mapping receives them."""
        results: list[Any] = []
        for _ in range(max_deliveries):
            due = self.account.next_due()
            if due is None:
                return results
            self.advance_to(due)
            if on_each is not None:
                on_each(self)
            delivered = len(self.invocations)
            self.run_until(due)
            results.extend(invocation.result for invocation in self.invocations[delivered:])
        raise AssertionError(f"still baking after {max_deliveries} deliveries: a runaway loop")

    def pending_rechecks(self) -> list[dict[str, Any]]:
        """The re-checks waiting in the stack's queue, in the order they fall due."""
        return [json.loads(body) for body in self.waiting_in(RECHECK_QUEUE)]

    def recheck_event(self, body: str) -> dict[str, Any]:
        """The event the queue's event source mapping sends for one re-check (a copy of a waiting one)."""
        return self.sqs_event(RECHECK_QUEUE, body)

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
        VerifyStateStore(self.session.client("dynamodb"), self.state_table).remember_known_good(
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
        """What was published to the notification topic since the story last looked, oldest first."""
        published = self.account.notifications()
        new, self._notifications_read = published[self._notifications_read :], len(published)
        return new

    def metrics(self) -> list[str]:
        """The names of the metrics the function wrote (Embedded Metric Format) since the story last
        looked, once for each invocation that wrote them (their values: ``function.last_output``)."""
        entries = [entry for entry in self.account.timeline if entry.function == self.job]
        written = [name for entry in entries[self._metrics_read :] for name in entry.metrics]
        self._metrics_read = len(entries)
        return written

    def known_good(self, service_arn: str) -> str | None:
        item = (
            self.session.client("dynamodb")
            .get_item(TableName=self.state_table, Key={"id": {"S": f"known-good#{service_arn}"}})
            .get("Item")
        )
        return item["task_definition"]["S"] if item else None

    def service_task_definition(self, name: str) -> str:
        ecs = self.session.client("ecs")
        [service] = ecs.describe_services(cluster=self.cluster.name, services=[name])["services"]
        return str(service["taskDefinition"])
