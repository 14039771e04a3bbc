"""Figure 6: capacity. Time to capacity, host-minutes, task-minutes waiting and tasks lost, for the suite (the
real handlers on the simulated fleet, ``simulator.fleet.fleet``, as the demo runs them) and for models of
AWS's own tools (``native_models``), on the same two load traces (``capacity_traces``):

1. the demo's spike: the service's load from nothing to 3,600 CPU units on the example cluster;
2. the drain trace: 40 hosts of fragmented tasks, 10 of them terminated at once through the group.

What the figures mean, for everyone alike:
- time to capacity: from the load change (the terminations) until the tasks the load needs run on hosts
  that stay (the spike: 19 tasks at the alarm's 75 %; the drain: every task of the service);
- host-minutes: the group's instances, launching, in service or terminating, over the trace's window;
- task-minutes waiting: the same tasks, counted while they do not run on a host that stays;
- tasks lost: tasks still running on a host when it terminated.
A model's figures are a range: the moment the load changes within CloudWatch's minute moves them
(``native_models.PHASES``), and ECS's cluster metric need not be published in step with the service's.

On its own:  .venv/bin/python -m benchmarks.capacity [--json]
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from benchmarks.capacity_traces import DrainTrace, SpikeTrace
from benchmarks.environment import progress, silenced, use_simulated_aws
from benchmarks.native_models import PHASES, ModelRun, ServicePolicy, managed_draining, spike
from benchmarks.runner import verdict
from fleetops.models.scale import Resources

if TYPE_CHECKING:
    from simulator.fleet.cluster_definition import ClusterDefinition
    from simulator.fleet.fleet import SimulatedFleet

SPIKE_WINDOW_SECONDS = 120 * 60  # the demo's spike story runs this long
DRAIN_WINDOW_SECONDS = 75 * 60  # the drain's 60-minute budget (DrainBudgetSeconds' default) and after
# The drain trace on the example's stack: 40 m5.large hosts (2,048 CPU), one 1,536-CPU task on each, the
# group allowed to grow to 50.
DRAIN_PARAMETERS = {"DesiredCapacity": "40", "MaxSize": "50", "ServiceDesiredCount": "40", "TaskCpu": "1536"}
DRAIN_LEAVING = 10
DRAIN_LOAD_PERCENT = 50  # the service's CPU: between its alarms, so the service is not scaled meanwhile
CAS_LAGS = (0, 15, 30, 45)  # seconds ECS's cluster metric may be published after the service's
# Issue 11's goals.
SPIKE_GOAL_MINUTES = 7.5
DRAIN_GOAL_MINUTES = 5.0
DAY_ENVIRONMENT = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


@dataclass
class SuiteRun:
    """The suite on one trace, measured by the simulation (ground truth, not the functions' reports)."""

    minutes_to_capacity: float | None
    host_minutes: float
    task_minutes_waiting: float
    tasks_lost: int
    aws_calls: int
    invocations: int
    actions_completed_minutes: float | None = None  # the drain trace: the last lifecycle action's end
    hosts_at_end: int = 0
    reservation_seen: float | None = None  # the drain trace: CPUReservation, the alarm's last datapoint


class _Meter:
    """Every tick: the tasks running on hosts that stay, the group's instances, and the shortfall."""

    def __init__(self, fleet: SimulatedFleet, needed: int) -> None:
        self.fleet, self.needed, self.started = fleet, needed, fleet.clock()
        self.host_seconds = self.task_seconds_waiting = 0.0
        self.reached: float | None = None
        self.last = fleet.clock()

    def tick(self) -> None:
        from moto.autoscaling.models import autoscaling_backends

        from simulator.cloudformation.transform import ACCOUNT, REGION

        now = self.fleet.clock()
        elapsed, self.last = now - self.last, now
        draining = self.fleet.cluster.hosts_with_status("DRAINING")
        running = sum(1 for t in self.fleet.tasks() if t.container_instance_arn not in draining)
        group = autoscaling_backends[ACCOUNT][REGION].autoscaling_groups[self.fleet.definition.group_name]
        self.host_seconds += elapsed * len(group.instance_states)
        self.task_seconds_waiting += elapsed * max(0, self.needed - running)
        if self.reached is None and running >= self.needed:
            self.reached = now - self.started


def _run_suite(fleet: SimulatedFleet, needed: int, window: int, act: Any) -> tuple[_Meter, SuiteRun]:
    """``act`` changes the load (or terminates hosts); the fleet then runs for ``window`` seconds. The meter,
    and what every trace's run reports (a trace adds its own figures to it)."""
    meter = _Meter(fleet, needed)
    fleet.account.tickers.append(meter.tick)
    first = len(fleet.account.timeline)
    act(fleet)
    fleet.run_for(window)
    invocations = [e for e in fleet.account.timeline[first:] if e.function]
    return meter, SuiteRun(
        minutes_to_capacity=_minutes(meter.reached),
        host_minutes=round(meter.host_seconds / 60, 1),
        task_minutes_waiting=round(meter.task_seconds_waiting / 60, 1),
        tasks_lost=fleet.tasks_lost(),
        aws_calls=sum(sum(e.calls.values()) for e in invocations),
        invocations=len(invocations),
        hosts_at_end=fleet.desired_capacity(),
    )


def spike_trace(definition: ClusterDefinition, load_cpu: float) -> SpikeTrace:
    from simulator.cloudformation.transform import read_template
    from simulator.paths import TEMPLATE

    alarm = next(a for a in definition.alarms if a.metric == "CPUUtilization" and "Greater" in a.comparison)
    service_max = int(read_template(TEMPLATE)["Parameters"]["DerivedServiceMaxTasks"]["Default"])
    return SpikeTrace(
        load_cpu=load_cpu,
        task=Resources(definition.task_cpu, definition.task_memory),
        host=Resources(definition.host_cpu, definition.host_memory),
        hosts=definition.desired_capacity,
        tasks=definition.service_desired_count,
        target_percent=alarm.threshold,
        service_max=service_max,
        group_max=definition.max_size,
        window_seconds=SPIKE_WINDOW_SECONDS,
    )


def drain_trace(definition: ClusterDefinition) -> DrainTrace:
    return DrainTrace(
        hosts=definition.desired_capacity,
        tasks_per_host=definition.service_desired_count // definition.desired_capacity,
        task=Resources(definition.task_cpu, definition.task_memory),
        host=Resources(definition.host_cpu, definition.host_memory),
        leaving=DRAIN_LEAVING,
        group_max=definition.max_size,
        deregistration_delay=definition.deregistration_delay,
        window_seconds=DRAIN_WINDOW_SECONDS,
    )


def suite_on_spike() -> tuple[SpikeTrace, SuiteRun]:
    """The demo's spike, as its first story runs it, measured for the spike's whole window."""
    from simulator.moto_patches import simulated_aws

    use_simulated_aws(**DAY_ENVIRONMENT)
    from demo.stories import SPIKE_CPU_UNITS, simulated_day

    with simulated_aws(), contextlib.redirect_stdout(io.StringIO()), simulated_day() as fleet:
        trace = spike_trace(fleet.definition, SPIKE_CPU_UNITS)
        _, run = _run_suite(fleet, trace.tasks_needed, trace.window_seconds, lambda f: f.set_traffic(trace.load_cpu))
        return trace, run


def suite_on_drain() -> tuple[DrainTrace, SuiteRun]:
    """40 fragmented hosts on the example's stack; 10 of them (5 per zone, so no rebalancing follows)
    terminated at once through the group."""
    from simulator.fleet.cluster_definition import ClusterDefinition
    from simulator.fleet.fleet import SimulatedFleet
    from simulator.moto_patches import simulated_aws

    use_simulated_aws(**DAY_ENVIRONMENT)
    definition = ClusterDefinition.from_template(parameters=DRAIN_PARAMETERS)
    trace = drain_trace(definition)
    with simulated_aws(), contextlib.redirect_stdout(io.StringIO()):
        fleet = SimulatedFleet(definition=definition, parameters={"Announce": "everything"})
        try:
            fleet.set_traffic(definition.service_desired_count * definition.task_cpu * DRAIN_LOAD_PERCENT / 100)
            fleet.run_for(5 * 60)  # the service's tasks placed, one per host
            leaving = _half_per_zone(fleet, trace.leaving)
            meter, run = _run_suite(
                fleet,
                definition.service_desired_count,
                trace.window_seconds,
                lambda f: f.terminate_batch(leaving, cause="an instance refresh's batch"),
            )
            actions = [a for a in fleet.hooks.actions.values() if a.instance_id in leaving]
            ended = [a.ended_at for a in actions if a.ended_at is not None]
            reservation = next(a.name for a in definition.alarms if a.metric == "CPUReservation")
            return trace, replace(
                run,
                actions_completed_minutes=(
                    _minutes(max(ended) - meter.started) if len(ended) == len(leaving) and ended else None
                ),
                reservation_seen=fleet._datapoints[reservation][-1] if fleet._datapoints[reservation] else None,
            )
        finally:
            fleet.close()


def _half_per_zone(fleet: SimulatedFleet, count: int) -> list[str]:
    by_zone: defaultdict[str, list[str]] = defaultdict(list)
    for instance_id, host in fleet.hosts().items():
        by_zone[host["zone"]].append(instance_id)
    zones = sorted(by_zone)
    return [by_zone[zones[i % len(zones)]][i // len(zones)] for i in range(count)]


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 2)


def model_ranges(runs: list[ModelRun]) -> dict[str, Any]:
    """A model's figures over every phase: [least, most] of each; None where some phase never got there
    (or, for the lifecycle actions, where the trace has none)."""

    def span(values: list[float | None]) -> list[float] | None:
        known = [v for v in values if v is not None]
        return [min(known), max(known)] if known and len(known) == len(values) else None

    return {
        "minutes_to_capacity": span([r.minutes_to_capacity for r in runs]),
        "host_minutes": span([r.host_minutes for r in runs]),
        "task_minutes_waiting": span([r.task_minutes_waiting for r in runs]),
        "tasks_lost": max(r.tasks_lost for r in runs),
        "actions_completed_minutes": span([r.actions_completed_minutes for r in runs]),
    }


def models_on_spike(trace: SpikeTrace) -> dict[str, dict[str, Any]]:
    return {
        f"{policy} + cluster auto scaling (model)": model_ranges(
            [spike(trace, policy, phase, lag) for phase in PHASES for lag in CAS_LAGS]
        )
        for policy in ServicePolicy
    }


def models_on_drain(trace: DrainTrace) -> dict[str, dict[str, Any]]:
    runs = [managed_draining(trace, phase) for phase in PHASES]
    return {"ECS managed draining + cluster auto scaling (model)": model_ranges(runs)}


def measure() -> dict[str, Any]:
    progress("capacity: the suite on the demo's spike")
    with silenced():
        spike_of, suite_spike = suite_on_spike()
    progress("capacity: the suite on the drain trace (about a minute)")
    with silenced():
        drain_of, suite_drain = suite_on_drain()
    spike_ok = suite_spike.minutes_to_capacity is not None and suite_spike.minutes_to_capacity <= SPIKE_GOAL_MINUTES
    drain_ok = (
        suite_drain.tasks_lost == 0
        and suite_drain.actions_completed_minutes is not None
        and suite_drain.actions_completed_minutes <= DRAIN_GOAL_MINUTES
    )
    return {
        "spike": {
            "trace": {**asdict(spike_of), "tasks_needed": spike_of.tasks_needed},
            "suite": asdict(suite_spike),
            **models_on_spike(spike_of),
        },
        "drain": {"trace": asdict(drain_of), "suite": asdict(suite_drain), **models_on_drain(drain_of)},
        "target": (
            f"spike: {spike_of.tasks_needed} tasks running within {SPIKE_GOAL_MINUTES} min; drain: 0 tasks lost, "
            f"every lifecycle action complete within {DRAIN_GOAL_MINUTES:.0f} min (issue 11)"
        ),
        "target_met": spike_ok and drain_ok,
    }


def _shown(value: Any, unit: str = "") -> str:
    if value is None:
        return "never"
    if isinstance(value, list):
        low, high = value
        return f"{low:g}{unit}" if low == high else f"{low:g}-{high:g}{unit}"
    return f"{value:g}{unit}" if isinstance(value, float | int) else str(value)


def report_lines(section: dict[str, Any]) -> list[str]:
    spike_of, drain_of = section["spike"]["trace"], section["drain"]["trace"]
    header = f"    {'':<68} {'to capacity':>13} {'host-min':>13} {'task-min wait':>13} {'lost':>5}"
    lines = [
        f"  spike: load 0 -> {spike_of['load_cpu']:g} CPU units, {spike_of['tasks_needed']} tasks of "
        f"{spike_of['task']['cpu']} CPU needed at {spike_of['target_percent']:g} %, {spike_of['hosts']} hosts at "
        f"the start; {spike_of['window_seconds'] // 60} min",
        header,
    ]
    lines += _rows(section["spike"])
    lines += [
        f"  drain: {drain_of['leaving']} of {drain_of['hosts']} hosts terminated at once, one "
        f"{drain_of['task']['cpu']}-CPU task on each {drain_of['host']['cpu']}-CPU host; "
        f"{drain_of['window_seconds'] // 60} min",
        header,
    ]
    lines += _rows(section["drain"])
    suite_spike, suite_drain = section["spike"]["suite"], section["drain"]["suite"]
    lines += [
        f"  the suite, spike: {suite_spike['invocations']} invocations, {suite_spike['aws_calls']} AWS calls, "
        f"{suite_spike['hosts_at_end']} hosts at the end",
        f"  the suite, drain: {suite_drain['invocations']} invocations, {suite_drain['aws_calls']} AWS calls, "
        f"lifecycle actions complete after {_shown(suite_drain['actions_completed_minutes'], ' min')}, "
        f"CPU reservation alarm's last datapoint {_shown(suite_drain['reservation_seen'], ' %')}",
    ]
    for name, model in section["drain"].items():
        if name not in ("trace", "suite") and model.get("actions_completed_minutes"):
            lines.append(f"  {name}: lifecycle actions complete after {_shown(model['actions_completed_minutes'])} min")
    lines.append(f"  {verdict(section)}")
    return lines


def _rows(trace_figures: dict[str, Any]) -> list[str]:
    rows = []
    for name, figures in trace_figures.items():
        if name == "trace":
            continue
        who = "the suite (real handlers, simulated fleet)" if name == "suite" else name
        rows.append(
            f"    {who:<68} {_shown(figures['minutes_to_capacity'], ' min'):>13} "
            f"{_shown(figures['host_minutes']):>13} {_shown(figures['task_minutes_waiting']):>13} "
            f"{figures['tasks_lost']:>5}"
        )
    return rows


def main(argv: list[str]) -> int:
    figures = measure()
    print(json.dumps(figures, indent=2) if "--json" in argv else "\n".join(report_lines(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
