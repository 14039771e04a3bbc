"""The shared runner: what every figure uses to time itself, state its target and print itself, and how
the report runs a figure so that one failure does not take the others down."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from benchmarks.environment import silenced

type Figures = dict[str, Any]
"""One figure's measurements as the report prints them and `--json` writes them."""


def best_of[T](function: Callable[[], T], runs: int = 3) -> tuple[float, T]:
    """The shortest wall time of ``runs`` calls, and the last call's result: on a shared machine the
    fastest run is the one least disturbed by other work."""
    start = time.perf_counter()
    result = function()
    best = time.perf_counter() - start
    for _ in range(runs - 1):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def guarded(section: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One section's failure (the working tree changes under it) is reported, not fatal to the rest."""
    try:
        return section()
    except Exception as error:
        return {"failed": f"{type(error).__name__}: {error}".strip()[-2000:]}


def job_figures(measure: Callable[[], Figures]) -> Figures:
    """Another job's figures, quietly: its failure is reported under its name, not fatal to the report."""
    try:
        with silenced():
            figures = measure()
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}
    return figures


def verdict(section: dict[str, Any]) -> str:
    return f"target: {section['target']} -> {'met' if section['target_met'] else 'MISSED'}"


def nested_lines(figures: dict[str, Any], indent: int) -> list[str]:
    """Another job's figures, one per line, nested dicts indented under their key."""
    lines: list[str] = []
    pad = "  " * indent
    for key, value in figures.items():
        if isinstance(value, dict) and value:
            lines += [f"{pad}{key}:", *nested_lines(value, indent + 1)]
        else:
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            lines.append(f"{pad}{key}: {shown}")
    return lines


def section_lines(section: dict[str, Any], lines: Callable[[dict[str, Any]], list[str]]) -> list[str]:
    if "failed" in section:
        return [f"  FAILED: {line}" for line in section["failed"].splitlines()]
    if "skipped" in section:
        return [f"  SKIPPED: {section['skipped']}"]
    return lines(section)
