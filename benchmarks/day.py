"""Figure: the whole suite end to end, the demo's day on the simulated account (template.yaml deployed,
the example cluster beside it). How long the simulation takes on this machine, and what the suite did:
invocations, AWS calls (per function and in all), drains, scalings, verifications, tasks lost.

On its own:  .venv/bin/python -m benchmarks.day [--json]
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from typing import Any

from benchmarks.environment import use_simulated_aws

DAY_ENVIRONMENT = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


def measure() -> dict[str, Any]:
    """One simulated day: build (deploy and cluster), then the three stories."""
    import contextlib
    import io

    from simulator.moto_patches import simulated_aws

    use_simulated_aws(**DAY_ENVIRONMENT)
    # Imported once the environment is set: the stories' handlers read it at their cold start.
    from demo.stories import problems, run_day, simulated_day

    started = time.perf_counter()
    with simulated_aws(), contextlib.redirect_stdout(io.StringIO()), simulated_day() as fleet:
        built = time.perf_counter()
        day = run_day(fleet)
        finished = time.perf_counter()
        invocations = [e for e in fleet.account.timeline if e.function]
        calls: Counter[str] = Counter()
        for entry in invocations:
            calls[str(entry.function)] += sum(entry.calls.values())
        summary = day.summary()
        simulated_hours = (fleet.clock() - fleet.account.start) / 3600
        found = problems(day)
    return {
        "build_seconds": round(built - started, 1),
        "stories_seconds": round(finished - built, 1),
        "simulated_hours": round(simulated_hours, 1),
        "invocations": summary["invocations"],
        "aws_calls": summary["AWS calls"],
        "aws_calls_by_function": dict(sorted(calls.items())),
        "drains": summary["drains"],
        "scalings": summary["scalings"],
        "verifications": summary["verifications"],
        "tasks_lost": summary["tasks lost"],
        "problems": found,
    }


def main(argv: list[str]) -> int:
    result = measure()
    if "--json" in argv:
        print(json.dumps(result, indent=2))
        return 0
    print(f"the demo's day: {result['simulated_hours']} simulated hours")
    print(f"  build (deploy template.yaml, the example cluster): {result['build_seconds']} s")
    print(f"  stories: {result['stories_seconds']} s")
    print(f"  invocations: {result['invocations']}, AWS calls: {result['aws_calls']} {result['aws_calls_by_function']}")
    print(
        f"  drains {result['drains']}, scalings {result['scalings']}, verifications {result['verifications']}, "
        f"tasks lost {result['tasks_lost']}"
    )
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
