"""The scale job's command (an alarm transition), its rules, what it observes, and its decisions."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from fleetops.errors import BadInputError
from fleetops.models.consolidation import ConsolidationPolicy

# ------------------------------------------------------------------------------------------------
# The command: one CloudWatch alarm transition, whatever shape the trigger had.


class AlarmState(StrEnum):
    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class AlarmSource(StrEnum):
    EVENTBRIDGE = "eventbridge"
    SNS = "sns"


@dataclass(frozen=True, slots=True)
class AlarmTransition:
    """An alarm changed state. Fields CloudWatch does not send in a given shape are None."""

    alarm_name: str
    new_state: AlarmState
    old_state: AlarmState | None
    changed_at: float  # epoch seconds of the new state
    reason: str
    source: AlarmSource
    dimensions: tuple[tuple[str, str], ...] = ()
    metric_name: str | None = None  # None for a metric-math alarm
    namespace: str | None = None
    metric_math: bool = False
    threshold: float | None = None
    comparison: str | None = None  # SNS carries it; EventBridge does not (DescribeAlarms does)
    latest_value: float | None = None
    follow_up: int = 0  # 0: the transition itself; n: the n-th re-evaluation of an alarm still in ALARM
    idle_looks: int = 0  # follow-ups in a row, up to this one, that changed nothing (cooldown, deployment)

    def dimension(self, name: str) -> str | None:
        return next((value for key, value in self.dimensions if key == name), None)

    @property
    def idempotency_key(self) -> str:
        """One decision per transition; each follow-up is one more.

        An alarm named for the scaling topic reaches the job twice: as EventBridge's
        ``detail.state.timestamp`` and as SNS's ``StateChangeTime``. CloudWatch's documents show both
        as the state change's time in milliseconds but never say they are equal (docs/aws-behaviour.md).
        The key keeps what both surely share: the whole second, so a difference of precision (ms, µs,
        or the envelope's ``time`` when ``state.timestamp`` is missing) or of rounding is one key. Two
        real transitions of one alarm into one state within a second do not happen (leaving a state
        and coming back takes two evaluations, at least 10 s apart; only SetAlarmState, by hand,
        could); a value that differs across a second boundary is two keys, and
        the runner stands the second decision down (the target was changed after that transition)."""
        key = f"alarm:{self.alarm_name}:{self.new_state.value}:{math.floor(self.changed_at)}"
        return f"{key}:follow-up:{self.follow_up}" if self.follow_up else key

    @property
    def cause(self) -> str:
        """What the cooldown ledger records as the cause of a change: the alarm and its new state."""
        return f"{self.alarm_name}:{self.new_state.value}"

    def made(self, cause: str | None, transition_at: float | None) -> bool:
        """This transition (not a follow-up of it) is the one recorded as the cause of the last change.

        Its two deliveries may carry timestamps that differ (docs/aws-behaviour.md): within
        ``SAME_TRANSITION_SECONDS`` they are one. Two real transitions of one alarm into one state are
        at least two evaluations apart, and CloudWatch evaluates an alarm at most every 10 s."""
        return (
            self.follow_up == 0
            and cause == self.cause
            and transition_at is not None
            and abs(self.changed_at - transition_at) < SAME_TRANSITION_SECONDS
        )

    def to_json(self) -> str:
        """The follow-up message: everything needed to decide again, without the original event."""
        return json.dumps({"version": FOLLOW_UP_VERSION, **asdict(self)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str) -> AlarmTransition:
        try:
            raw: Any = json.loads(body)
            if not isinstance(raw, dict) or raw.pop("version", None) != FOLLOW_UP_VERSION:
                raise ValueError(f"not a version {FOLLOW_UP_VERSION} follow-up")
            return cls(
                alarm_name=str(raw["alarm_name"]),
                new_state=AlarmState(raw["new_state"]),
                old_state=AlarmState(raw["old_state"]) if raw.get("old_state") else None,
                changed_at=float(raw["changed_at"]),
                reason=str(raw.get("reason", "")),
                source=AlarmSource(raw["source"]),
                dimensions=tuple((str(k), str(v)) for k, v in raw.get("dimensions", [])),
                metric_name=raw.get("metric_name"),
                namespace=raw.get("namespace"),
                metric_math=bool(raw.get("metric_math", False)),
                threshold=None if raw.get("threshold") is None else float(raw["threshold"]),
                comparison=raw.get("comparison"),
                latest_value=None if raw.get("latest_value") is None else float(raw["latest_value"]),
                follow_up=int(raw["follow_up"]),
                idle_looks=int(raw.get("idle_looks", 0)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BadInputError(f"the follow-up message is malformed: {error}") from error


@dataclass(frozen=True, slots=True)
class PlacementFailure:
    """ECS could not place a task of a service (the ``ECS Service Action`` event ``SERVICE_TASK_PLACEMENT_FAILURE``,
    "Amazon ECS service action events", ECS Developer Guide): its ``reason`` says why, ``RESOURCE:CPU`` or
    ``RESOURCE:MEMORY`` when no host has the room. The event names the service only by its ARN."""

    cluster: str
    service: str
    reason: str
    event_id: str  # EventBridge's id: one per event, the same on a redelivery
    created_at: float  # epoch seconds

    @property
    def idempotency_key(self) -> str:
        return f"placement-failure:{self.cluster}/{self.service}:{self.event_id}"

    @property
    def for_room(self) -> bool:
        """The tasks wait for CPU, memory or ports, which more hosts give (not an agent or a constraint)."""
        return self.reason.startswith("RESOURCE:")


FOLLOW_UP_VERSION = 1
# Timestamps of one transition's two deliveries this close are one transition: less than the 20 s
# that two transitions of one alarm into one state need at the least (two evaluations, 10 s apart for
# a high-resolution alarm; "Using Amazon CloudWatch alarms").
SAME_TRANSITION_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class AlarmDetails:
    """The alarm as DescribeAlarms shows it now: the source of "is it still in ALARM?"."""

    name: str
    state: AlarmState
    comparison: str | None
    threshold: float | None
    metric_name: str | None
    period_seconds: int | None
    evaluation_periods: int | None
    dimensions: tuple[tuple[str, str], ...] = ()
    namespace: str | None = None
    statistic: str | None = None  # Average, Maximum, ... (None: an extended statistic or metric math)

    @property
    def breach_seconds(self) -> int | None:
        if self.period_seconds is None or self.evaluation_periods is None:
            return None
        return self.period_seconds * self.evaluation_periods


# ------------------------------------------------------------------------------------------------
# Rules: which alarm scales what, by how much, within which bounds.


class TargetKind(StrEnum):
    SERVICE = "service"
    CLUSTER = "cluster"


class Direction(StrEnum):
    OUT = "out"
    IN = "in"


@dataclass(frozen=True, slots=True)
class Step:
    """How far one decision moves: an absolute count or a percentage of the current size."""

    amount: int  # > 0
    percent: bool
    direction: Direction
    # A cluster scale-in that removes every host whose tasks fit on the others, within the disruption
    # budget (``fleetops/scale/consolidation.py``), rather than ``amount`` hosts (which is then 0).
    consolidate: bool = False

    def delta(self, current: int) -> int:
        # Like Auto Scaling's PercentChangeInCapacity, a percentage moves at least one unit.
        if self.percent:
            return max(1, math.floor(current * self.amount / 100))
        return self.amount

    def target(self, current: int) -> int:
        change = self.delta(current)
        return current + change if self.direction is Direction.OUT else current - change

    def __str__(self) -> str:
        if self.consolidate:
            return CONSOLIDATE
        sign = "+" if self.direction is Direction.OUT else "-"
        return f"{sign}{self.amount}{'%' if self.percent else ''}"


# The step of a consolidating cluster scale-in, as rules write it ("step": "consolidate").
CONSOLIDATE = "consolidate"
CONSOLIDATION_STEP = Step(amount=0, percent=False, direction=Direction.IN, consolidate=True)


@dataclass(frozen=True, slots=True)
class Tracking:
    """Size a service step from the alarm's metric, as target tracking does: enough tasks to bring the
    metric to ``target`` (None: the alarm's own threshold), assuming it is shared evenly by the tasks
    (CPU or memory utilization, requests per task). The rule's ``step`` stays the fallback when the
    alarm carries no value."""

    target: float | None = None

    def __str__(self) -> str:
        return "track the alarm's threshold" if self.target is None else f"track {self.target:g}"


def cluster_target_key(cluster: str) -> str:
    return f"cluster:{cluster}"


@dataclass(frozen=True, slots=True)
class ScalingRule:
    alarm_name: str
    kind: TargetKind
    cluster: str
    step: Step
    cooldown_seconds: int
    service: str | None = None  # required for a service rule
    auto_scaling_group: str | None = None  # None: found from the cluster's hosts
    minimum: int | None = None  # None: the group's own MinSize (cluster rules)
    maximum: int | None = None  # None: the group's own MaxSize (cluster rules)
    derived: bool = False  # made from the alarm's dimensions, not declared
    # A consolidating step's disruption budget and quiet windows (the rule's "budget" and "quiet").
    consolidation: ConsolidationPolicy = field(default_factory=ConsolidationPolicy)
    tracking: Tracking | None = None  # service rules only: the step is sized from the metric
    bounds_from_tags: bool = False  # min/max narrowed by the service's tags (fleetops/scale/tags.py)

    @property
    def direction(self) -> Direction:
        return self.step.direction

    @property
    def target_key(self) -> str:
        """The thing scaled: cooldowns are per target, shared by its scale-out and scale-in rules."""
        if self.kind is TargetKind.SERVICE:
            return f"service:{self.cluster}/{self.service}"
        return cluster_target_key(self.cluster)

    @property
    def target_label(self) -> str:
        return f"service {self.service}" if self.kind is TargetKind.SERVICE else f"cluster {self.cluster}"


# ------------------------------------------------------------------------------------------------
# Observations: plain data the pure decisions work on.


@dataclass(frozen=True, slots=True)
class Resources:
    """CPU units (1024 = one vCPU) and memory in MiB, as ECS accounts for them."""

    cpu: int
    memory: int

    def fits_in(self, free: Resources) -> bool:
        return self.cpu <= free.cpu and self.memory <= free.memory

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu - other.cpu, self.memory - other.memory)

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu + other.cpu, self.memory + other.memory)

    def times(self, count: int) -> Resources:
        return Resources(self.cpu * count, self.memory * count)

    def count_that_fit(self, free: Resources) -> int:
        """How many of these fit in ``free`` (a size of zero in a dimension does not limit)."""
        limits = [
            free.cpu // self.cpu if self.cpu > 0 else None,
            free.memory // self.memory if self.memory > 0 else None,
        ]
        bounded = [limit for limit in limits if limit is not None]
        return max(0, min(bounded)) if bounded else 1_000_000


NOTHING = Resources(0, 0)

# An instance an operator set aside with EnterStandby ("Temporarily remove instances from your Auto
# Scaling group", Auto Scaling User Guide): still in its group, but out of its desired capacity (decremented
# on the way in, or a replacement is launched) and never terminated by the group's scale-ins, for as long
# as the operator likes, until ExitStandby. EnteringStandby is the way in (the load balancer deregisters
# it). Neither is a change the scale job waits for, nor capacity it may remove or count as room.
STANDBY_STATES = frozenset({"EnteringStandby", "Standby"})


# Lifecycle states of an instance on its way in ("Amazon EC2 Auto Scaling instance lifecycle"; Warmed:*
# are a warm pool's).
LAUNCHING_STATE_PREFIXES = ("Pending", "Warmed")


@dataclass(frozen=True, slots=True)
class Host:
    """One container instance of the cluster with what Auto Scaling says about its EC2 instance."""

    ec2_instance_id: str
    container_instance_arn: str
    ecs_status: str  # ACTIVE | DRAINING | ...
    registered: Resources
    remaining: Resources
    tasks: int  # running + pending, as ECS counts them
    protected_from_scale_in: bool = False
    lifecycle_state: str | None = "InService"  # None: in no Auto Scaling group (never terminated here)
    used_ports: frozenset[int] = frozenset()  # TCP host ports reserved (the agent's and the tasks')
    zone: str | None = None  # its Availability Zone, as its Auto Scaling group reports it
    # The capacity units it counts for in its group's desired capacity (``GroupInstance.weight``): 1 in a
    # group without weights.
    weight: int = 1

    @property
    def takes_tasks(self) -> bool:
        """An ACTIVE host with a connected agent gets new tasks, unless its group is removing it.

        A host in Standby is not counted either: ECS, which knows nothing of Auto Scaling, may still
        place tasks on it while it is ACTIVE, but an operator set it aside to work on it and may drain,
        stop or reboot it at any time, so its room is not room the scale job may rely on."""
        return self.ecs_status == "ACTIVE" and self.lifecycle_state in ("InService", None)

    @property
    def leaving(self) -> bool:
        """Draining, or not in service in its group (launching, leaving or in Standby)."""
        return self.ecs_status != "ACTIVE" or self.lifecycle_state not in ("InService", None)

    @property
    def launching(self) -> bool:
        """On its way into the group (Pending, Pending:Wait, Pending:Proceed; or Warmed:* from a warm pool)."""
        return (self.lifecycle_state or "").startswith(LAUNCHING_STATE_PREFIXES)

    @property
    def departing(self) -> bool:
        """On its way out: DRAINING in ECS or terminating or detaching in its group, neither in Standby nor
        launching. Its service tasks still need a place on the hosts that stay."""
        return self.leaving and not self.in_standby and not self.launching

    @property
    def in_standby(self) -> bool:
        """Set aside by an operator (EnterStandby) until ExitStandby: see ``STANDBY_STATES``."""
        return self.lifecycle_state in STANDBY_STATES

    @property
    def reserved(self) -> Resources:
        return self.registered - self.remaining


@dataclass(frozen=True, slots=True)
class PlacedTask:
    """A task on a host and the CPU and memory ECS reserved for it."""

    arn: str
    group: str  # "service:<name>" for service tasks
    size: Resources
    host_ports: frozenset[int] = frozenset()  # static TCP host ports (bridge or host network mode)

    @property
    def service_name(self) -> str | None:
        return self.group.removeprefix("service:") if self.group.startswith("service:") else None


@dataclass(frozen=True, slots=True)
class ClusterView:
    """The cluster as the scale-in decision needs it. ``tasks_by_host`` (by container instance ARN)
    holds the hosts whose tasks were looked at; a host missing from it is never chosen."""

    cluster: str
    hosts: tuple[Host, ...]
    tasks_by_host: dict[str, tuple[PlacedTask, ...]] = field(default_factory=dict)
    daemon_services: frozenset[str] = frozenset()
    deployments_in_progress: tuple[str, ...] = ()
    unplaced_tasks: tuple[tuple[str, int], ...] = ()  # (service, tasks it wants that ECS could not place)


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    name: str
    desired: int
    running: int
    pending: int
    task_size: Resources
    deployment_in_progress: bool = False
    managed_by: str | None = None  # e.g. the Application Auto Scaling target that owns the count
    host_ports: frozenset[int] = frozenset()  # static host ports: at most one task per host
    arn: str = ""
    tags: tuple[tuple[str, str], ...] = ()  # the service's own tags (its bounds: fleetops/scale/tags.py)

    @property
    def unplaced(self) -> int:
        """Tasks the service wants that are not on a host yet (ECS could not place them)."""
        return max(0, self.desired - self.running - self.pending)


@dataclass(frozen=True, slots=True)
class ServicesOverview:
    """The cluster's services as a scale decision needs them."""

    daemons: frozenset[str] = frozenset()
    deploying: tuple[str, ...] = ()  # services with a deployment in progress
    unplaced: tuple[tuple[str, int], ...] = ()  # (replica service, desired - running - pending) when > 0
    daemon_task_definitions: tuple[str, ...] = ()  # every new host runs one task of each


@dataclass(frozen=True, slots=True)
class GroupInstance:
    """One instance of an Auto Scaling group, as DescribeAutoScalingGroups lists it."""

    lifecycle_state: str
    protected_from_scale_in: bool = False
    zone: str | None = None
    # The capacity units it counts for in the group's desired capacity: its ``WeightedCapacity`` in a
    # group with weights ("Configure an Auto Scaling group to use instance weights"), else 1; None when
    # the group counts in vCPUs or MiB and Auto Scaling did not say (see ``aws/autoscaling.py``).
    weight: int | None = 1


# Instances that count towards a zone's share of the group: those in service or on their way in, not
# those leaving (Terminating*, Detaching) or set aside (Standby).
ZONE_COUNTED_STATES = frozenset({"InService", "Pending", "Pending:Wait", "Pending:Proceed"})


@dataclass(frozen=True, slots=True)
class GroupStatus:
    name: str
    minimum: int
    maximum: int
    desired: int
    managed_by: str | None = None  # a capacity provider with managed scaling
    # The group's instances per Availability Zone (in service or launching). Auto Scaling keeps the
    # zones balanced: a scale-in that leaves them unbalanced is followed by a rebalancing that
    # terminates an instance of the largest zone, one the scale-in never looked at.
    instances_by_zone: tuple[tuple[str, int], ...] = ()
    # MinSize, MaxSize and DesiredCapacity are in the group's own units: instances ("units", weight 1), or
    # the instances' weights (a mixed instances policy with WeightedCapacity), or vCPUs / MiB of memory
    # (DesiredCapacityType "vcpu" / "memory-mib", attribute-based instance type selection).
    capacity_type: str = "units"
    weighted: bool = False  # the units are not instances: some weight is not 1, or the type is vcpu / memory-mib
    # Units one more host adds (the smallest weight the group may launch with): a step of N hosts is
    # N of these. 1 in a group without weights.
    units_per_host: int = 1
    # Instances whose weight cannot be known (a vcpu / memory-mib group whose answer has no
    # WeightedCapacity): the group's capacity cannot be reasoned about in its units.
    unknown_weights: tuple[str, ...] = ()

    def amount(self, hosts: int, units: int) -> str:
        """``"2 host(s)"``, or ``"2 host(s), 8 capacity units"`` in a group whose units are not hosts."""
        if not self.weighted:
            return f"{hosts} host(s)"
        return f"{hosts} host(s), {units} {self.unit_name}"

    @property
    def unit_name(self) -> str:
        return {"vcpu": "vCPU(s)", "memory-mib": "MiB"}.get(self.capacity_type, "capacity units")


# ------------------------------------------------------------------------------------------------
# Decisions.


class ScaleOutcome(StrEnum):
    SERVICE_SCALED_OUT = "service-scaled-out"
    SERVICE_SCALED_IN = "service-scaled-in"
    CLUSTER_SCALED_OUT = "cluster-scaled-out"
    CLUSTER_SCALED_IN = "cluster-scaled-in"
    ALARM_RECOVERED = "alarm-recovered"  # no longer in ALARM when checked
    COOLDOWN = "cooldown"
    DEFERRED = "deferred"  # another scaler owns the target
    DEPLOYMENT_IN_PROGRESS = "deployment-in-progress"
    AT_BOUND = "at-bound"
    UNSAFE_SCALE_IN = "unsafe-scale-in"  # the tasks would not fit on the hosts that remain
    NO_CAPACITY = "no-capacity"  # the new tasks fit nowhere and the group cannot grow
    ALREADY_ACTED = "already-acted"  # this very transition already changed the target (delivered twice)
    OUT_OF_SCOPE = "out-of-scope"  # the change needs a group outside AUTO_SCALING_GROUP_NAMES
    QUIET_WINDOW = "quiet-window"  # consolidation waits for the end of a quiet window
    BUDGET_SPENT = "disruption-budget-spent"  # as many hosts as the disruption budget allows are leaving
    ON_TARGET = "on-target"  # a tracking rule's metric says the count is already enough
    NOTHING_WAITING = "nothing-waiting"  # no task waits for a place the hosts launching will not give

    @property
    def acted(self) -> bool:
        return self in _ACTING

    @property
    def counts_as_idle(self) -> bool:
        """A follow-up look that changed nothing and counts towards MAX_FOLLOW_UPS. A quiet window is waited
        out instead, however long (each look at most SQS's 900 s apart, all of them bounded by
        MAX_LOOKS_PER_TRANSITION): a low alarm stays in ALARM through it and is not announced again."""
        return not self.acted and self is not ScaleOutcome.QUIET_WINDOW


_ACTING = frozenset(
    {
        ScaleOutcome.SERVICE_SCALED_OUT,
        ScaleOutcome.SERVICE_SCALED_IN,
        ScaleOutcome.CLUSTER_SCALED_OUT,
        ScaleOutcome.CLUSTER_SCALED_IN,
    }
)


@dataclass(frozen=True, slots=True)
class ScalingDecision:
    """What to do about one alarm transition, and why, in words a human reads."""

    outcome: ScaleOutcome
    reason: str
    service_count: tuple[int, int] | None = None  # (from, to)
    group_capacity: tuple[int, int] | None = None  # (from, to): raised before the service grows
    hosts_to_terminate: tuple[str, ...] = ()  # EC2 instance ids, through the group
    placements: dict[str, str] = field(default_factory=dict)  # task ARN -> host that takes it
    capacity_note: str = ""  # "cluster has room for 2 more tasks"
    retry_after_seconds: int | None = None  # a cooldown: when the target may change again


@dataclass(frozen=True, slots=True)
class ScaleReport:
    """What one invocation did for one alarm: the input of logs, metrics and notifications."""

    transition: AlarmTransition
    rule: ScalingRule
    decision: ScalingDecision
    dry_run: bool
    alarm: AlarmDetails | None = None
    acted: bool = False  # the change was sent to AWS
    group_name: str | None = None
    follow_up_in_seconds: int | None = None  # when the alarm is looked at again, if still in ALARM
