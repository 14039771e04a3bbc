"""The drain job's command, its durable state, and its decisions."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from fleetops.errors import BadInputError
from fleetops.models.ecs import TaskOnHost
from fleetops.models.lifecycle import Destination, LifecycleAction, LifecycleResult


class TriggerSource(StrEnum):
    EVENTBRIDGE = "eventbridge"
    SNS = "sns"
    SPOT_INTERRUPTION = "spot-interruption"


@dataclass(frozen=True, slots=True)
class DrainRequest:
    """One host to drain, whatever shape the trigger had.

    ``lifecycle_action`` is None for a Spot interruption warning: there is no hook to complete.
    ``announced_at`` is when Auto Scaling sent the notification (EventBridge ``time``, SNS message
    ``Time``): a retried or redriven event is older than its invocation, and the lifecycle action's
    global timeout runs from then.
    """

    ec2_instance_id: str
    source: TriggerSource
    lifecycle_action: LifecycleAction | None
    cluster_hint: str | None = None
    announced_at: float | None = None

    @property
    def idempotency_key(self) -> str:
        # A lifecycle action token is unique per action; a Spot warning is unique per instance.
        if self.lifecycle_action is not None:
            return f"lifecycle:{self.lifecycle_action.token}"
        return f"spot:{self.ec2_instance_id}"


@dataclass(frozen=True, slots=True)
class ContainerInstanceEmptied:
    """ECS says a DRAINING host runs and waits on no task ("ECS Container Instance State Change"): the drain
    of its instance, if one waits, may complete now. The counts leave out tasks still DEACTIVATING or
    STOPPING, so the drain looks at the tasks itself before it completes."""

    ec2_instance_id: str
    cluster_arn: str
    container_instance_arn: str
    event_id: str = ""  # EventBridge's ``id``: a duplicate delivery of one event carries the same

    @property
    def idempotency_key(self) -> str:
        # One event, one look; a new event of the same host (a later change) looks again.
        return f"ecs-event:{self.event_id or self.container_instance_arn}"


@dataclass(frozen=True, slots=True)
class IgnoredEvent:
    """An event that is acknowledged and deliberately not acted upon (test notification, launch...)."""

    reason: str
    ec2_instance_id: str | None = None
    metric: str = "EventsIgnored"  # what it is counted as; a foreign hook's event has a metric of its own


STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class DrainState:
    """Everything a re-check needs, carried in the delayed message so the host is never looked up twice."""

    cluster_arn: str
    container_instance_arn: str
    ec2_instance_id: str
    lifecycle_action: LifecycleAction | None
    started_at: float
    deadline: float
    tasks_at_start: int
    attempt: int = 0
    leftovers_stopped: bool = False
    daemon_services: tuple[str, ...] = ()
    heartbeat_timeout: int | None = None  # the hook's, in seconds: re-checks must come well within it
    kept_alive_at: float | None = None  # when the drain last started or heartbeated the lifecycle action
    global_timeout: int | None = None  # the hook's: Auto Scaling ends the wait this long after it began
    deadline_clamped: bool = False  # the deadline is the global timeout's (less a margin), not the budget's
    set_draining: bool = False  # this drain set the host DRAINING: only then may it set it ACTIVE again
    beside_managed_draining: bool = False  # the group also has ECS managed instance draining's hook
    capacity_looked_at: float | None = None  # when the drain last looked for a place for the leaving hosts' tasks
    group_growth: str = ""  # what the drain did to its group for tasks that had nowhere to go, for its report
    version: int = STATE_VERSION

    @property
    def idempotency_key(self) -> str:
        # One re-check per (drain, attempt): a duplicated SQS delivery must not fork the wait loop.
        action = self.lifecycle_action.token if self.lifecycle_action else self.ec2_instance_id
        return f"recheck:{action}:{self.attempt}"

    def next_attempt(self, *, leftovers_stopped: bool | None = None, kept_alive_at: float | None = None) -> DrainState:
        return replace(
            self,
            attempt=self.attempt + 1,
            leftovers_stopped=self.leftovers_stopped if leftovers_stopped is None else leftovers_stopped,
            kept_alive_at=self.kept_alive_at if kept_alive_at is None else kept_alive_at,
        )

    def heartbeat_left(self, now: float) -> float:
        """Seconds before the hook's heartbeat timer ends the action (infinite when unknown)."""
        if self.heartbeat_timeout is None or self.kept_alive_at is None:
            return math.inf
        return self.kept_alive_at + self.heartbeat_timeout - now

    def expired_by(self, now: float) -> bool:
        """Whether the lifecycle action has outlived its heartbeat timeout since the drain last kept it
        alive (re-checks that came late: the function failing, throttled, or its queue held up)."""
        if self.heartbeat_timeout is None or self.kept_alive_at is None:
            return False
        return now - self.kept_alive_at >= self.heartbeat_timeout

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "cluster_arn": self.cluster_arn,
                "container_instance_arn": self.container_instance_arn,
                "ec2_instance_id": self.ec2_instance_id,
                "lifecycle_action": self.lifecycle_action.to_dict() if self.lifecycle_action else None,
                "started_at": self.started_at,
                "deadline": self.deadline,
                "tasks_at_start": self.tasks_at_start,
                "attempt": self.attempt,
                "leftovers_stopped": self.leftovers_stopped,
                "daemon_services": list(self.daemon_services),
                "heartbeat_timeout": self.heartbeat_timeout,
                "kept_alive_at": self.kept_alive_at,
                "global_timeout": self.global_timeout,
                "deadline_clamped": self.deadline_clamped,
                "set_draining": self.set_draining,
                "beside_managed_draining": self.beside_managed_draining,
                "capacity_looked_at": self.capacity_looked_at,
                "group_growth": self.group_growth,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, body: str) -> DrainState:
        try:
            raw = json.loads(body)
        except (TypeError, ValueError) as error:
            raise BadInputError(f"drain state is not JSON: {error}") from error
        if not isinstance(raw, dict):
            raise BadInputError("drain state is not a JSON object")
        if raw.get("version") != STATE_VERSION:
            raise BadInputError(f"drain state version {raw.get('version')!r} is not {STATE_VERSION}")
        try:
            action = raw["lifecycle_action"]
            return cls(
                cluster_arn=_text(raw, "cluster_arn"),
                container_instance_arn=_text(raw, "container_instance_arn"),
                ec2_instance_id=_text(raw, "ec2_instance_id"),
                lifecycle_action=None
                if action is None
                else LifecycleAction(
                    auto_scaling_group=_text(action, "auto_scaling_group"),
                    hook_name=_text(action, "hook_name"),
                    token=_text(action, "token"),
                    ec2_instance_id=_text(action, "ec2_instance_id"),
                    # Re-checks sent before the warm-pool return was drained carry no destination.
                    destination=Destination(action.get("destination", Destination.EC2.value)),
                ),
                started_at=float(raw["started_at"]),
                deadline=float(raw["deadline"]),
                tasks_at_start=int(raw["tasks_at_start"]),
                attempt=int(raw["attempt"]),
                leftovers_stopped=bool(raw["leftovers_stopped"]),
                daemon_services=tuple(str(name) for name in raw.get("daemon_services", [])),
                heartbeat_timeout=None if raw.get("heartbeat_timeout") is None else int(raw["heartbeat_timeout"]),
                kept_alive_at=None if raw.get("kept_alive_at") is None else float(raw["kept_alive_at"]),
                # Absent from re-checks sent before these were kept: no clamp, not known to be ours.
                global_timeout=None if raw.get("global_timeout") is None else int(raw["global_timeout"]),
                deadline_clamped=bool(raw.get("deadline_clamped", False)),
                set_draining=bool(raw.get("set_draining", False)),
                beside_managed_draining=bool(raw.get("beside_managed_draining", False)),
                # Absent from re-checks sent before issue 11: no look yet, no growth.
                capacity_looked_at=None if raw.get("capacity_looked_at") is None else float(raw["capacity_looked_at"]),
                group_growth=str(raw.get("group_growth") or ""),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BadInputError(f"drain state is incomplete or malformed: {error!r}") from error


def _text(raw: Any, key: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value


@dataclass(frozen=True, slots=True)
class HostObservation:
    """What one re-check saw: the instance's lifecycle state and every task not yet STOPPED on it."""

    lifecycle_state: str | None  # None when the instance is no longer in any Auto Scaling group
    tasks: tuple[TaskOnHost, ...]
    daemon_services: frozenset[str] = field(default_factory=frozenset)
    cluster_deleted: bool = False  # ECS no longer knows the host's cluster: no task can run there

    @property
    def active_tasks(self) -> tuple[TaskOnHost, ...]:
        return tuple(task for task in self.tasks if not task.is_stopped)


class DrainAction(StrEnum):
    COMPLETE = "complete"  # complete the lifecycle action now
    WAIT = "wait"  # schedule another re-check
    STOP_LEFTOVERS = "stop-leftovers"  # stop standalone/daemon tasks, then wait
    STOP_WATCHING = "stop-watching"  # the action is no longer ours to complete
    REFUSE = "refuse"  # the event names no live lifecycle action: nothing is changed
    RESTORE = "restore"  # the host is back in service: set it ACTIVE again (if the drain drained it)


class DrainOutcome(StrEnum):
    """How a drain ended, for metrics and notifications."""

    DRAINED = "drained"
    NOT_IN_ECS = "not-in-ecs"
    AGENT_DISCONNECTED = "agent-disconnected"
    BUDGET_EXCEEDED = "budget-exceeded"
    COMPLETED_ELSEWHERE = "completed-elsewhere"
    ACTION_EXPIRED = "action-expired"
    SPOT_DRAINING = "spot-draining"
    NOT_TERMINATING = "not-terminating"  # the instance is not waiting on a termination in the event's group
    STALE_ACTION = "stale-action"  # the instance waits, but not on this token's action (a replay)
    RETURNED_TO_SERVICE = "returned-to-service"  # the instance is back in service during the drain
    CLUSTER_DELETED = "cluster-deleted"  # the host's cluster was deleted during the drain
    COMPLETED_ON_ECS_EVENT = "completed-on-ecs-event"  # a re-check found its drain completed on ECS's event


@dataclass(frozen=True, slots=True)
class DrainDecision:
    action: DrainAction
    reason: str
    outcome: DrainOutcome | None = None
    result: LifecycleResult | None = None
    wait_seconds: int = 0
    tasks_to_stop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StartDecision:
    """What to do with a host before its first re-check."""

    set_draining: bool
    complete_now: DrainDecision | None


@dataclass(frozen=True, slots=True)
class GroupGrowth:
    """The outcome of one look: how many new hosts the leaving hosts' tasks need, how many are coming
    already, and the desired capacity to set (None: no change)."""

    reason: str
    tasks_without_place: int = 0
    hosts_needed: int = 0
    hosts_coming: int = 0
    capacity: tuple[int, int] | None = None  # (from, to) for SetDesiredCapacity
    attention: bool = False  # tasks have nowhere to go and the group cannot (or may not) grow for them
    left_to: str | None = None  # who adds the hosts instead of the drain (a capacity provider's managed scaling)
    raise_failed: bool = False  # the drain asked for the capacity and Auto Scaling refused (``reason`` says why)

    @property
    def grows(self) -> bool:
        return self.capacity is not None and self.capacity[1] > self.capacity[0]


_FINAL_ACTIONS = frozenset({DrainAction.COMPLETE, DrainAction.STOP_WATCHING, DrainAction.REFUSE, DrainAction.RESTORE})


@dataclass(frozen=True, slots=True)
class DrainStepReport:
    """What one invocation did for one host: the input of logs, metrics and notifications."""

    ec2_instance_id: str
    decision: DrainDecision
    lifecycle_action: LifecycleAction | None
    cluster_arn: str | None = None
    container_instance_arn: str | None = None
    tasks_at_start: int = 0
    tasks_left: int = 0
    attempt: int = 0
    started_at: float | None = None
    finished_at: float = 0.0
    started_now: bool = False
    lifecycle_action_completed: bool = False
    global_timeout: int | None = None
    deadline_clamped: bool = False
    beside_managed_draining: bool = False
    host_reactivated: bool = False  # the drain set the host ACTIVE again
    growth: GroupGrowth | None = None  # this step's look for a place for the leaving hosts' tasks, if it made one
    group_growth: str = ""  # what the drain did to its group so far (``DrainState.group_growth``)

    @classmethod
    def of_drain(
        cls, state: DrainState, decision: DrainDecision, *, now: float, completed: bool, **this_step: Any
    ) -> DrainStepReport:
        """The report of a step of a drain already waiting (a re-check, or ECS's event for its host): what
        the drain's state says, and ``this_step``'s own fields (tasks left, growth, ...)."""
        return cls(
            ec2_instance_id=state.ec2_instance_id,
            decision=decision,
            lifecycle_action=state.lifecycle_action,
            cluster_arn=state.cluster_arn,
            container_instance_arn=state.container_instance_arn,
            tasks_at_start=state.tasks_at_start,
            attempt=state.attempt,
            started_at=state.started_at,
            finished_at=now,
            lifecycle_action_completed=completed,
            global_timeout=state.global_timeout,
            deadline_clamped=state.deadline_clamped,
            beside_managed_draining=state.beside_managed_draining,
            **{"group_growth": state.group_growth, **this_step},
        )

    @property
    def finished(self) -> bool:
        return self.decision.action in _FINAL_ACTIONS or self.decision.outcome is DrainOutcome.SPOT_DRAINING

    @property
    def duration_seconds(self) -> float:
        return 0.0 if self.started_at is None else max(0.0, self.finished_at - self.started_at)
