"""The report `make benchmark` prints: every figure of ``benchmarks.suite`` measured in order, each
section's time, the machine's load; as a table or as JSON."""

from __future__ import annotations

import functools
import os
import platform
import time
from collections.abc import Callable
from typing import Any

from benchmarks.children import warm_up_dev_venv
from benchmarks.environment import progress
from benchmarks.runner import Figures, guarded, job_figures, nested_lines, section_lines
from benchmarks.suite import CAPACITY_SECTIONS, DRAIN_SECTIONS, OTHER_JOBS, OTHER_JOBS_TITLE, Options


def other_jobs() -> dict[str, Figures]:
    results: dict[str, Figures] = {}
    for job in OTHER_JOBS:
        progress(job.key)
        results[job.key] = job_figures(job.measure)
    return results


def build_report(options: Options) -> dict[str, Any]:
    started = time.perf_counter()
    # Timings are only as quiet as the machine: say how busy it was.
    load_at_start = os.getloadavg()[0]
    section_seconds: dict[str, float] = {}

    def timed(name: str, section: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        began = time.perf_counter()
        result = guarded(section)
        section_seconds[name] = round(time.perf_counter() - began, 1)
        return result

    timed("warm_up", warm_up_dev_venv)
    report: dict[str, Any] = {}
    for section in DRAIN_SECTIONS:
        report[section.key] = timed(section.key, functools.partial(section.measure, options))
    report["other_jobs"] = timed("other_jobs", other_jobs)
    for section in CAPACITY_SECTIONS:
        report[section.key] = timed(section.key, functools.partial(section.measure, options))
    report["targets_met"] = {
        section.key: report[section.key].get("target_met") for section in (*DRAIN_SECTIONS, *CAPACITY_SECTIONS)
    }
    report["environment"] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load_at_start, 2),
        "seconds": round(time.perf_counter() - started, 1),
        "section_seconds": section_seconds,
    }
    return report


def render_table(report: dict[str, Any]) -> str:
    sections = [(section.title, section_lines(report[section.key], section.report_lines)) for section in DRAIN_SECTIONS]
    if report["other_jobs"]:
        sections.append((OTHER_JOBS_TITLE, nested_lines(report["other_jobs"], indent=1)))
    sections += [
        (section.title, section_lines(report[section.key], section.report_lines)) for section in CAPACITY_SECTIONS
    ]
    environment = report["environment"]
    out = [
        f"ecs-fleet-ops drain benchmark  (Python {environment['python']}, {environment['machine']}, "
        f"{environment['cpus']} CPUs, load {environment['load_average_at_start']:.1f} at start, "
        f"{environment['seconds']:.0f} s)",
    ]
    for title, lines in sections:
        out += ["", title, *lines]
    spent = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in environment["section_seconds"].items())
    out += ["", f"time spent: {spent}"]
    return "\n".join(out)


def failed_sections(report: dict[str, Any]) -> list[str]:
    """A missed target is a result; a section that could not run is not."""
    return [section.key for section in (*DRAIN_SECTIONS, *CAPACITY_SECTIONS) if "failed" in report[section.key]]
