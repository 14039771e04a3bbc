"""Models of AWS's own capacity tools, run on the same load traces as the suite (``capacity_traces``): small
pure simulations, second by second, of what the documents say these tools do. Not the tools themselves:
where a document is silent the model takes the reading kinder to the native tool, and says so.

The fleet they act on follows the simulated fleet's conventions (``simulator.fleet.fleet``), so that the
figures compare the rules and not two simulations: a CloudWatch datapoint is the metric's value at the end
of its period, a host registers ``boot_seconds`` after its launch, a task starts on the next 5-second tick
after it has a place, a task that stops leaves after the load balancer's deregistration delay.

Service scaling, Application Auto Scaling (AAS), on the service's CPUUtilization:
- ECS publishes the service's CPUUtilization once a minute ("Amazon ECS CloudWatch metrics", ECS Developer
  Guide, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html).
- Target tracking: AAS creates and manages the alarms and "calculates the scaling adjustment based on the
  metric and the target value"; "the service scales out proportionally to the metric as fast as it can,
  but scales in more gradually" ("Use a target metric to scale Amazon ECS services",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html).
  The alarms AAS creates for it are a high alarm of 3 one-minute datapoints and a low alarm of 15 (no
  AWS document gives them; users report them as created: aws/copilot-cli#4233, "3 data points while 3
  minutes" out and "15 data points while 15 minutes" in); the model uses the high one only (the traces
  never go below the target long enough).
  The proportion: desired = ceil(running x metric / target). The documents give no formula; this is the
  one the metric supports (it averages over the running tasks), and it never overshoots while tasks wait
  (the desired count instead of the running one would ask for 23 tasks in the spike, not 19).
- Cooldowns: ScaleOutCooldown is 300 s by default for ECS services, and "while the scale-out cooldown
  period is in effect, the capacity added by the initiating scale-out activity is calculated as part of
  the desired capacity for the next scale-out" (TargetTrackingScalingPolicyConfiguration, AAS API
  Reference, https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TargetTrackingScalingPolicyConfiguration.html):
  a larger step goes through at once, so the cooldown never holds a scale-out back here.
- An alarm's Auto Scaling action is invoked again every period while the alarm stays in ALARM: "Except
  for Auto Scaling actions, the actions happen only on state transitions" ("Alarm actions", CloudWatch
  User Guide, https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html).
- Step scaling: PercentChangeInCapacity 100 on the example's own high alarm (75 %, 3 one-minute
  datapoints), Cooldown 60 s: no further step until the cooldown has passed since the last
  (StepScalingPolicyConfiguration, AAS API Reference,
  https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html).
- Both bounded by the scalable target's MaxCapacity: the suite's own bound for the same service
  (``DerivedServiceMaxTasks``, 20), so that no one wins by a looser maximum.

Cluster auto scaling (CAS), a capacity provider with managed scaling, target capacity 100 %:
- ECS publishes CapacityProviderReservation = M / N x 100 every minute, N the instances in the group and
  M the instances needed; a target tracking policy on it sets the group's desired capacity, so M in one
  step when tasks wait (PROVISIONING) ("Automatically manage Amazon ECS capacity with cluster auto
  scaling", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-auto-scaling.html;
  ManagedScaling, ECS API Reference, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedScaling.html:
  maximumScalingStepSize 10,000 by default, minimumScalingStepSize 1).
  M is counted by packing the waiting tasks onto new hosts of the group's shape
  (``fleetops.packing.hosts_needed_for``), the hosts that still hold tasks counting as needed.
  Its high alarm acts on one breaching datapoint, its low alarm on 15 (no AWS document gives them; users
  report them as created: aws/containers-roadmap#638, "AlarmHigh and AlarmLow at 1 datapoint within a
  minute and 15 datapoints within 15 minutes").
- Instance warm-up (instanceWarmupPeriod, 300 s by default): a launching host counts in the group's
  capacity and its room is counted for the waiting tasks, so CAS never launches twice for the same tasks
  (again the reading kinder to CAS; the documents do not say how M counts hosts still launching).
- Managed termination protection: a host with tasks is never chosen for a scale-in (AutoScalingGroupProvider,
  ECS API Reference, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AutoScalingGroupProvider.html).
  Scale-in (M < N for 15 datapoints) removes empty hosts only, and only after a whole window.

ECS managed instance draining ("Safely stop Amazon ECS workloads running on EC2 instances",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html): when the group
terminates an instance, ECS's own lifecycle hook holds it, ECS sets it DRAINING, the service scheduler
starts the replacements where they fit (PROVISIONING until then, so CAS sees them) and stops the old tasks
once the replacements run (minimumHealthyPercent 100, "Draining Amazon ECS container instances"); the hook
is completed when the host has no task left. The documents do not say whether an instance waiting in
Terminating:Wait still counts in N: counted, M / N would stay at 100 % on the drain trace (10 hosts leaving,
10 needed) and CAS would launch nothing, stranding the tasks as the suite does. The model leaves them out
(the reading kinder to the native tools, and the one issue 11's figures assume).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from benchmarks.capacity_traces import DrainTrace, SpikeTrace
from fleetops.models.scale import PlacedTask, Resources
from fleetops.packing import hosts_needed_for

TICK_SECONDS = 5  # the simulated fleet's tick: a placed task starts on the next one
PERIOD_SECONDS = 60  # CloudWatch period of every metric here (ECS publishes both each minute)
SERVICE_HIGH_ALARM_DATAPOINTS = 3  # AAS's target tracking high alarm; also the example's own CPU alarm
CAS_SCALE_IN_DATAPOINTS = 15  # CAS's low alarm
TARGET_TRACKING_COOLDOWN_SECONDS = 300  # AAS's default ScaleOutCooldown for an ECS service (never binding)
STEP_COOLDOWN_SECONDS = 60
STEP_PERCENT = 100
CAS_TARGET_CAPACITY = 100


class ServicePolicy(StrEnum):
    TARGET_TRACKING = "target tracking"
    STEP = "step scaling +100 %, cooldown 60 s"


@dataclass
class _Host:
    free: Resources
    tasks: int = 0
    ready_at: float = 0.0  # when its agent registers it (0: from the start)
    leaving: bool = False  # in Terminating:Wait, DRAINING in ECS


@dataclass
class ModelRun:
    """What one model did over one trace, in the benchmark's four figures (and when the hooks completed)."""

    minutes_to_capacity: float | None  # None: capacity never came within the window
    host_minutes: float
    task_minutes_waiting: float
    tasks_lost: int
    actions_completed_minutes: float | None = None  # the drain trace: the last lifecycle action's completion


@dataclass
class _Fleet:
    """The hosts of the group and one service's tasks on them, tick by tick."""

    host: Resources
    task: Resources
    boot_seconds: int
    hosts: list[_Host] = field(default_factory=list)
    waiting: int = 0  # tasks the service wants that have no place yet (PROVISIONING)
    host_seconds: float = 0.0
    task_seconds_waiting: float = 0.0

    def launch(self, count: int, now: float) -> None:
        self.hosts += [_Host(self.host, ready_at=now + self.boot_seconds) for _ in range(count)]

    def place_waiting(self, now: float) -> list[_Host]:
        """Starts waiting tasks on registered hosts that take tasks, the emptiest first (ECS's spread)."""
        placed: list[_Host] = []
        while self.waiting:
            open_hosts = [h for h in self.hosts if h.ready_at <= now and not h.leaving and self.task.fits_in(h.free)]
            if not open_hosts:
                break
            host = min(open_hosts, key=lambda h: h.tasks)
            host.free, host.tasks = host.free - self.task, host.tasks + 1
            self.waiting -= 1
            placed.append(host)
        return placed

    def running(self, now: float) -> int:
        return sum(h.tasks for h in self.hosts if not h.leaving and h.ready_at <= now)

    def hosts_needed(self, now: float) -> int:
        """CAS's M: the hosts holding tasks, the hosts still launching, and the new hosts the waiting tasks
        need beyond the room of both (a launching host's room counted, see the module's docstring; a task
        that has room now is placed on the next tick, it does not wait)."""
        staying = [h for h in self.hosts if not h.leaving]
        holding = sum(1 for h in staying if h.tasks and h.ready_at <= now)
        launching = [h for h in staying if h.ready_at > now]
        room = sum(_places(self.task, h.free) for h in staying)
        beyond = max(0, self.waiting - room)
        waiting = [PlacedTask(f"waiting-{i}", "service:model", self.task) for i in range(beyond)]
        more = hosts_needed_for(waiting, self.host) if waiting else 0
        return holding + len(launching) + (more or 0)

    def account(self, shortfall: int) -> None:
        self.host_seconds += TICK_SECONDS * len(self.hosts)
        self.task_seconds_waiting += TICK_SECONDS * max(0, shortfall)


def _places(task: Resources, free: Resources) -> int:
    return min(free.cpu // task.cpu, free.memory // task.memory) if task.cpu and task.memory else 0


def _cas_desired(fleet: _Fleet, now: float, below_for: int) -> tuple[int, int]:
    """CAS's desired capacity at one datapoint, and how many datapoints in a row M has been below N."""
    in_group = [h for h in fleet.hosts if not h.leaving]
    needed = fleet.hosts_needed(now)
    reservation = 100.0 * needed / len(in_group) if in_group else (100.0 if needed == 0 else math.inf)
    if reservation > CAS_TARGET_CAPACITY:
        return needed, 0
    below_for = below_for + 1 if reservation < CAS_TARGET_CAPACITY else 0
    if below_for >= CAS_SCALE_IN_DATAPOINTS:
        return needed, 0
    return len(in_group), below_for


def _scale_group_in(fleet: _Fleet, desired: int) -> None:
    """Managed termination protection: only hosts without tasks go."""
    for host in [h for h in fleet.hosts if not h.tasks and not h.leaving][: max(0, len(fleet.hosts) - desired)]:
        fleet.hosts.remove(host)


def spike(trace: SpikeTrace, policy: ServicePolicy, phase_seconds: int, cas_lag_seconds: int = 0) -> ModelRun:
    """The service policy with CAS on the spike. ``phase_seconds`` (5..60): when the first datapoint after
    the load change ends; CAS's datapoints end ``cas_lag_seconds`` (0..55) later in each minute (at the
    same moment, CAS sees the service's step at once: the fastest case)."""
    fleet = _Fleet(trace.host, trace.task, trace.boot_seconds)
    fleet.launch(trace.hosts, -trace.boot_seconds)
    fleet.waiting = trace.tasks
    fleet.place_waiting(0)
    desired, datapoints, last_step = trace.tasks, [], -math.inf
    below_for, reached = 0, None
    now = 0.0
    while now < trace.window_seconds:
        now += TICK_SECONDS
        fleet.place_waiting(now)
        running = fleet.running(now)
        if reached is None and running >= trace.tasks_needed:
            reached = now
        if (now - phase_seconds) % PERIOD_SECONDS == 0:
            utilization = min(100.0, 100.0 * trace.load_cpu / (running * trace.task.cpu)) if running else 100.0
            datapoints.append(utilization)
            if all(v > trace.target_percent for v in datapoints[-SERVICE_HIGH_ALARM_DATAPOINTS:]) and (
                len(datapoints) >= SERVICE_HIGH_ALARM_DATAPOINTS
            ):
                wanted = _service_step(policy, desired, running, utilization, trace.target_percent, now - last_step)
                wanted = min(wanted, trace.service_max)
                if wanted > desired:
                    fleet.waiting += wanted - desired
                    desired, last_step = wanted, now  # the scheduler places them on the next tick
        if (now - phase_seconds - cas_lag_seconds) % PERIOD_SECONDS == 0:
            group, below_for = _cas_desired(fleet, now, below_for)
            group = min(group, trace.group_max)
            in_group = sum(1 for h in fleet.hosts if not h.leaving)
            if group > in_group:
                fleet.launch(group - in_group, now)
            elif group < in_group:
                _scale_group_in(fleet, group)
        fleet.account(trace.tasks_needed - fleet.running(now))
    return ModelRun(
        minutes_to_capacity=None if reached is None else round(reached / 60, 2),
        host_minutes=round(fleet.host_seconds / 60, 1),
        task_minutes_waiting=round(fleet.task_seconds_waiting / 60, 1),
        tasks_lost=0,
    )


def _service_step(
    policy: ServicePolicy, desired: int, running: int, utilization: float, target: float, since_last: float
) -> int:
    if policy is ServicePolicy.TARGET_TRACKING:
        # A larger step is never held back by the cooldown (see the module's docstring).
        return max(desired, math.ceil(running * utilization / target))
    if since_last < STEP_COOLDOWN_SECONDS:
        return desired
    return desired + max(1, desired * STEP_PERCENT // 100)


def managed_draining(trace: DrainTrace, phase_seconds: int) -> ModelRun:
    """ECS managed instance draining with CAS on the drain trace: ``trace.leaving`` hosts enter
    Terminating:Wait at once (the group's desired capacity lowered by as many), their tasks wait for places."""
    fleet = _Fleet(trace.host, trace.task, trace.boot_seconds)
    fleet.launch(trace.hosts, -trace.boot_seconds)
    fleet.waiting = trace.hosts * trace.tasks_per_host
    fleet.place_waiting(0)
    for host in fleet.hosts[: trace.leaving]:
        host.leaving = True  # DRAINING: the scheduler starts a replacement for each of its tasks
    fleet.waiting = sum(h.tasks for h in fleet.hosts if h.leaving)
    stopping: list[tuple[float, _Host]] = []  # old tasks leaving the load balancer, and when they are gone
    wanted = trace.hosts * trace.tasks_per_host
    below_for, reached, completed = 0, None, None
    now = 0.0
    while now < trace.window_seconds:
        now += TICK_SECONDS
        for _ in fleet.place_waiting(now):
            # minimumHealthyPercent 100: an old task stops once its replacement runs.
            old = next(h for h in fleet.hosts if h.leaving and h.tasks > sum(1 for _, s in stopping if s is h))
            stopping.append((now + trace.deregistration_delay, old))
        for gone_at, host in [s for s in stopping if s[0] <= now]:
            stopping.remove((gone_at, host))
            host.tasks -= 1
        for host in [h for h in fleet.hosts if h.leaving and not h.tasks]:
            fleet.hosts.remove(host)  # managed draining completes the hook: the instance terminates
        if completed is None and not any(h.leaving for h in fleet.hosts):
            completed = now
        if reached is None and fleet.running(now) >= wanted:
            reached = now
        if (now - phase_seconds) % PERIOD_SECONDS == 0:
            group, below_for = _cas_desired(fleet, now, below_for)
            group = min(group, trace.group_max)
            in_group = sum(1 for h in fleet.hosts if not h.leaving)
            if group > in_group:
                fleet.launch(group - in_group, now)
        fleet.account(wanted - fleet.running(now))
    return ModelRun(
        minutes_to_capacity=None if reached is None else round(reached / 60, 2),
        host_minutes=round(fleet.host_seconds / 60, 1),
        task_minutes_waiting=round(fleet.task_seconds_waiting / 60, 1),
        tasks_lost=0,
        actions_completed_minutes=None if completed is None else round(completed / 60, 2),
    )


PHASES = tuple(range(TICK_SECONDS, PERIOD_SECONDS + 1, TICK_SECONDS))  # every tick of a minute: 5 .. 60 s
