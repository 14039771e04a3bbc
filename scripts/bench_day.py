"""Benchmark of the whole suite end to end (issue 6, "Done when"): the demo's day on the simulated
account, template.yaml deployed and the example cluster beside it. How long the simulation takes on
this machine, and what the suite did: invocations, AWS calls (per function and in all), drains,
scalings, verifications, tasks lost.

Usage, from the repository root:  .venv/bin/python scripts/bench_day.py [--json]
``scripts/benchmark.py`` can import this file and call ``run()``. Nothing reaches AWS.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from typing import Any

from simulated_aws import use_simulated_aws

use_simulated_aws(MOTO_EC2_LOAD_DEFAULT_AMIS="false")


def run() -> dict[str, Any]:
    """One simulated day: build (deploy and cluster), then the three stories."""
    import contextlib
    import io

    from moto import mock_aws

    from demo.stories import problems, run_day, simulated_day
    from tests.support.shared_models import share_service_models

    share_service_models()  # as the demo does: every simulated session parses botocore's models once
    started = time.perf_counter()
    with mock_aws(), contextlib.redirect_stdout(io.StringIO()), simulated_day() as fleet:
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
    result = run()
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
