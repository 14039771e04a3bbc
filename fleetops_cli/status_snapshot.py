"""What the suite is doing now, read (never written) from the deployed stack: its outputs, its two tables,
and ECS's count of the tasks left on each host being drained.

Where each thing is recorded (each with a TTL, so the tables never grow without bound):
- a drain that waits: ``drain:<instance id>`` in the idempotency table (``fleetops.aws.drain_records``),
  in flight until ``completed_by`` is set;
- a scaled target's cooldown: ``cooldown:<target>`` in the same table (``fleetops.aws.cooldowns``);
- every decision a job made, as the result it returned: Powertools Idempotency's COMPLETED records in
  the same table (``<function>.<module>.<action>#<hash>``, the result as JSON in ``data``, ``expiration``
  48 hours after it was saved: ``fleetops.idempotency``), scale decisions and verifications among them;
- known-good releases and rollbacks: ``known-good#<service ARN>``, ``rollbacks#<service ARN>`` in the verify
  state table (``fleetops.verify.state``).

Only read calls: DescribeStacks, DynamoDB Scan (the tables are keyed by ``id`` alone, with no index to
query a kind of item by), ECS DescribeContainerInstances. Never SQS ReceiveMessage: a receive counts
towards a re-check queue's maxReceiveCount and would move a drain's next look to the dead-letter queue.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fleetops.aws.clients import batched
from fleetops.errors import BadInputError
from fleetops.idempotency import RECORD_LIFETIME_SECONDS as DECISION_RECORD_LIFETIME_SECONDS
from fleetops.models.drain import DrainState
from fleetops.verify import KNOWN_GOOD_KEY, ROLLBACKS_KEY, known_good_of, rollback_times_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ecs import ECSClient

# The outputs the command needs (template.yaml, Outputs); VerifyStateTableName only when verify is on.
IDEMPOTENCY_TABLE_OUTPUT = "IdempotencyTableName"
VERIFY_STATE_TABLE_OUTPUT = "VerifyStateTableName"
JOB_OUTPUTS = {"drain": "DrainFunctionArn", "scale": "ScaleFunctionArn", "verify": "VerifyFunctionArn"}
MODE_OUTPUTS = ("ScalingMode", "RollbackMode", "Notifications")
# DescribeContainerInstances takes at most 100 container instances per call (ECS API Reference).
DESCRIBE_CONTAINER_INSTANCES_BATCH = 100


class NotTheSuiteError(Exception):
    """The stack exists, but its outputs are not those of an ecs-fleet-ops stack that status can read."""


@dataclass(frozen=True, slots=True)
class SuiteStack:
    name: str
    idempotency_table: str
    verify_state_table: str | None
    jobs: tuple[str, ...]  # the jobs switched on (their function's output is there)
    modes: tuple[str, ...]  # what the mode outputs say, in their own words

    @classmethod
    def from_description(cls, stack: dict[str, Any]) -> SuiteStack:
        """One stack of DescribeStacks' answer; refuses a stack that is not the suite's."""
        outputs = {o["OutputKey"]: str(o.get("OutputValue", "")) for o in stack.get("Outputs", [])}
        name = str(stack["StackName"])
        if IDEMPOTENCY_TABLE_OUTPUT not in outputs:
            status = stack.get("StackStatus", "?")
            raise NotTheSuiteError(
                f"stack {name} ({status}) has no output {IDEMPOTENCY_TABLE_OUTPUT}: it is not an ecs-fleet-ops "
                "stack, or one deployed before the status command existed (deploy the current template.yaml again)"
            )
        return cls(
            name=name,
            idempotency_table=outputs[IDEMPOTENCY_TABLE_OUTPUT],
            verify_state_table=outputs.get(VERIFY_STATE_TABLE_OUTPUT),
            jobs=tuple(job for job, output in JOB_OUTPUTS.items() if output in outputs),
            modes=tuple(outputs[key] for key in MODE_OUTPUTS if key in outputs),
        )


@dataclass(frozen=True, slots=True)
class DrainInFlight:
    """A drain that waits for its host's tasks to leave."""

    state: DrainState
    tasks_left: int | None  # ECS's runningTasksCount now; None: the container instance is gone
    host_status: str  # ECS's status of the container instance (DRAINING), or "gone"

    @property
    def heartbeat_expires_at(self) -> float | None:
        """When Auto Scaling ends the lifecycle action unless the drain records a heartbeat before."""
        state = self.state
        if state.heartbeat_timeout is None or state.kept_alive_at is None:
            return None
        return state.kept_alive_at + state.heartbeat_timeout

    @property
    def global_timeout_at(self) -> float | None:
        """When Auto Scaling ends the lifecycle action whatever the heartbeats (its global timeout)."""
        if self.state.global_timeout is None:
            return None
        return self.state.started_at + self.state.global_timeout


@dataclass(frozen=True, slots=True)
class Cooldown:
    target: str  # "service:<cluster>/<service>", "cluster:<cluster>", ...
    last_scaled_at: float
    direction: str  # out | in
    caused_by: str | None  # "<alarm>:<state>"
    count: int | None  # the count the change set
    cooldown_seconds: int | None  # the cooldown of the rule that changed it (None: not recorded)

    @property
    def ends_at(self) -> float | None:
        return None if self.cooldown_seconds is None else self.last_scaled_at + self.cooldown_seconds


@dataclass(frozen=True, slots=True)
class ScaleDecision:
    at: float  # when its result was recorded
    alarm: str
    outcome: str
    acted: bool
    dry_run: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Verification:
    at: float  # when its result was recorded
    service: str  # cluster/service
    verdict: str
    reason: str
    deployment_id: str | None
    rollback: str | None  # what was done about a failure: the rollback's action and reason


@dataclass(frozen=True, slots=True)
class KnownGood:
    service_arn: str
    task_definition: str
    verified_at: float


@dataclass(frozen=True, slots=True)
class Rollbacks:
    service_arn: str
    times: tuple[float, ...]  # when this job rolled the service back (within its cap's window)


@dataclass(frozen=True, slots=True)
class Snapshot:
    stack: SuiteStack
    now: float
    since: float  # decisions recorded before this are left out
    drains: tuple[DrainInFlight, ...] = ()
    cooldowns: tuple[Cooldown, ...] = ()
    decisions: tuple[ScaleDecision, ...] = ()
    verifications: tuple[Verification, ...] = ()
    known_good: tuple[KnownGood, ...] = ()
    rollbacks: tuple[Rollbacks, ...] = ()
    unreadable: tuple[str, ...] = field(default=())  # ids of records that could not be read, said not hidden


def read_stack(cloudformation: Any, name: str) -> SuiteStack:
    """The stack by name or ID. Raises ClientError (ValidationError: no such stack) or NotTheSuiteError."""
    stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    return SuiteStack.from_description(stacks[0])


def read_snapshot(
    stack: SuiteStack,
    dynamodb: DynamoDBClient,
    ecs: ECSClient,
    *,
    now: float,
    since: float,
) -> Snapshot:
    records = SuiteRecords(since)
    for item in _scan(dynamodb, stack.idempotency_table):
        records.read_job_record(item)
    if stack.verify_state_table:
        for item in _scan(dynamodb, stack.verify_state_table):
            records.read_verify_state(item)
    return Snapshot(
        stack=stack,
        now=now,
        since=since,
        drains=tuple(_with_tasks_left(ecs, sorted(records.drains, key=lambda s: s.started_at))),
        cooldowns=tuple(sorted(records.cooldowns, key=lambda c: -c.last_scaled_at)),
        decisions=tuple(sorted(records.decisions, key=lambda d: -d.at)),
        verifications=tuple(sorted(records.verifications, key=lambda v: -v.at)),
        known_good=tuple(sorted(records.known_good, key=lambda k: -k.verified_at)),
        rollbacks=tuple(sorted(records.rollbacks, key=lambda r: -r.times[-1])),
        unreadable=tuple(sorted(records.unreadable)),
    )


@dataclass
class SuiteRecords:
    """The items of the two tables, sorted by kind as they are read; one that cannot be read is named in
    ``unreadable`` (a record of another version of the suite), never fails the whole status."""

    since: float
    drains: list[DrainState] = field(default_factory=list)
    cooldowns: list[Cooldown] = field(default_factory=list)
    decisions: list[ScaleDecision] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    known_good: list[KnownGood] = field(default_factory=list)
    rollbacks: list[Rollbacks] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def read_job_record(self, item: dict[str, Any]) -> None:
        key = item["id"]["S"]
        try:
            if key.startswith("drain:"):
                if "completed_by" not in item and "state" in item:
                    self.drains.append(DrainState.from_json(item["state"]["S"]))
            elif key.startswith("cooldown:"):
                self.cooldowns.append(_cooldown(key, item))
            elif "#" in key and item.get("status", {}).get("S") == "COMPLETED" and "data" in item:
                self._decision(item)
        except (BadInputError, KeyError, TypeError, ValueError):
            self.unreadable.append(key)

    def read_verify_state(self, item: dict[str, Any]) -> None:
        key = item["id"]["S"]
        try:
            if key.startswith(KNOWN_GOOD_KEY):
                good = known_good_of(item)
                if good.verified_at >= self.since:
                    self.known_good.append(
                        KnownGood(key.removeprefix(KNOWN_GOOD_KEY), good.task_definition, good.verified_at)
                    )
            elif key.startswith(ROLLBACKS_KEY):
                recent = tuple(t for t in sorted(rollback_times_of(item)) if t >= self.since)
                if recent:
                    self.rollbacks.append(Rollbacks(key.removeprefix(ROLLBACKS_KEY), recent))
        except (KeyError, TypeError, ValueError):
            self.unreadable.append(key)

    def _decision(self, item: dict[str, Any]) -> None:
        """A job's recorded result: a scale decision (``status`` "decided") or a verification (``verdict``).
        Powertools saves it with ``expiration`` its lifetime after the moment it was saved."""
        at = float(item["expiration"]["N"]) - DECISION_RECORD_LIFETIME_SECONDS
        if at < self.since:
            return
        result = json.loads(item["data"]["S"])
        if not isinstance(result, dict):
            return
        if result.get("status") == "decided":
            # An alarm's decision names the alarm; a placement failure's names the service ECS could not place.
            alarm = result.get("alarm") or f"placement failure of {result['service']}"
            self.decisions.append(
                ScaleDecision(
                    at=at,
                    alarm=str(alarm),
                    outcome=str(result["outcome"]),
                    acted=bool(result.get("acted")),
                    dry_run=bool(result.get("dry_run")),
                    reason=str(result.get("reason") or ""),
                )
            )
        elif "verdict" in result and "service" in result:
            rollback = result.get("rollback")
            self.verifications.append(
                Verification(
                    at=at,
                    service=str(result["service"]),
                    verdict=str(result["verdict"]),
                    reason=str(result.get("reason") or ""),
                    deployment_id=result.get("deployment_id"),
                    rollback=f"{rollback['action']}: {rollback['reason']}" if isinstance(rollback, dict) else None,
                )
            )


def _scan(dynamodb: DynamoDBClient, table: str) -> Iterator[dict[str, Any]]:
    """Every item, page by page: a Scan page holds at most 1 MB, the rest is behind LastEvaluatedKey
    (DynamoDB Developer Guide, "Scanning tables"). Strongly consistent: a drain that completed a moment ago
    is not shown as still in flight."""
    pages: Callable[..., Any] = dynamodb.get_paginator("scan").paginate
    for page in pages(TableName=table, ConsistentRead=True):
        yield from page.get("Items", [])


def _cooldown(key: str, item: dict[str, Any]) -> Cooldown:
    return Cooldown(
        target=key.removeprefix("cooldown:"),
        last_scaled_at=float(item["last_scaled_at"]["N"]),
        direction=item.get("direction", {}).get("S", "?"),
        caused_by=item["caused_by"]["S"] if "caused_by" in item else None,
        count=int(item["target"]["N"]) if "target" in item else None,
        cooldown_seconds=int(item["cooldown_seconds"]["N"]) if "cooldown_seconds" in item else None,
    )


def _with_tasks_left(ecs: ECSClient, drains: list[DrainState]) -> Iterator[DrainInFlight]:
    """Each drain with ECS's count of the tasks still running on its host (DescribeContainerInstances,
    per cluster, 100 container instances per call)."""
    found: dict[str, dict[str, Any]] = {}
    by_cluster: dict[str, list[str]] = {}
    for state in drains:
        by_cluster.setdefault(state.cluster_arn, []).append(state.container_instance_arn)
    for cluster, arns in by_cluster.items():
        for batch in batched(list(dict.fromkeys(arns)), DESCRIBE_CONTAINER_INSTANCES_BATCH):
            described = ecs.describe_container_instances(cluster=cluster, containerInstances=batch)
            for instance in described.get("containerInstances", []):
                found[instance["containerInstanceArn"]] = dict(instance)
    for state in drains:
        host = found.get(state.container_instance_arn)
        yield DrainInFlight(
            state=state,
            tasks_left=None if host is None else int(host.get("runningTasksCount", 0)),
            host_status="gone" if host is None else str(host.get("status", "?")),
        )
