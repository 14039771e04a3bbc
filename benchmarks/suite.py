"""What `make benchmark` runs, in this order: the drain job's four sections, each with a target the report
judges, then the other jobs' figures, then the capacity section (the suite beside models of AWS's own tools).
A figure that is not listed here is not run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks import capacity, cold_import, day, drain, lookup, memory, scale_calls, scale_decision, verify_calls
from benchmarks.build import SamBuild
from benchmarks.runner import Figures


@dataclass(frozen=True)
class Options:
    """What the command line chooses: the `sam build` to measure and the cold imports per handler."""

    build: SamBuild
    runs: int


@dataclass(frozen=True)
class Section:
    """One numbered section of the report: a figure with a target (``target``, ``target_met``)."""

    key: str  # the figures' key in the report and in --json
    title: str
    measure: Callable[[Options], Figures]
    report_lines: Callable[[Figures], list[str]]


@dataclass(frozen=True)
class JobFigures:
    """Another job's figures, printed as they come under its key."""

    key: str  # the name of the script these figures came from before the split: --json readers know it
    measure: Callable[[], Figures]


def scale_figures() -> Figures:
    return {"decision_time": scale_decision.measure(), "api_calls_per_decision": scale_calls.measure()}


DRAIN_SECTIONS = (
    Section("lookup", "1. API calls to find one host", lambda _: lookup.measure(), lookup.report_lines),
    Section(
        "drain",
        "2. A drain that lasts 10 minutes (simulated clock, real handler, moto)",
        lambda _: drain.measure(),
        drain.report_lines,
    ),
    Section(
        "cold_import",
        "3. Cold import of the drain handler",
        lambda options: cold_import.measure(options.build, options.runs),
        cold_import.report_lines,
    ),
    Section("memory", "4. Memory", lambda options: memory.measure(options.build), memory.report_lines),
)
OTHER_JOBS_TITLE = "5. Other jobs (scale, verify, the demo's day)"
OTHER_JOBS = (
    JobFigures("bench_scale", scale_figures),
    JobFigures("bench_verify", verify_calls.measure),
    JobFigures("bench_day", day.measure),
)
CAPACITY_SECTIONS = (
    Section(
        "capacity",
        "6. Capacity: the suite and models of AWS's own tools on the same load traces (simulated clock)",
        lambda _: capacity.measure(),
        capacity.report_lines,
    ),
)
