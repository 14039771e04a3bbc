"""Figure: one verification of a service of 500 tasks behind 2 target groups, its time and AWS calls.

The real handler, deployed from the template and run under its own role, verifies an ``ECS Deployment
State Change`` (COMPLETED) on moto, with the simulated deployment of simulator/ecs/deployments.py, its
calls counted by operation with ``ApiCallCounter``. The time is
moto's, not AWS's: what transfers is the number of calls (each a round trip of ~20-80 ms in AWS) and
that it grows with pages of 100 tasks, not with tasks.

On its own:  .venv/bin/python -m benchmarks.verify_calls [--json]
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

from benchmarks.environment import use_simulated_aws

if TYPE_CHECKING:
    from simulator.worlds.verify import VerifyWorld

# What the verify figure sets before it runs (each kept where the report already set it).
VERIFY_ENVIRONMENT = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "POWERTOOLS_METRICS_NAMESPACE": "EcsFleetOps",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
TASKS = 500
TARGET_GROUPS = 2
PAGE = 100  # ListTasks returns, DescribeTasks takes, at most 100


def new_verify_world() -> VerifyWorld:
    """The stack deployed with the verify job alone in a fresh simulated account (call inside
    simulated_aws()); its function logs errors only, as the figure has always run it (template's LogLevel)."""
    from simulator.worlds.verify import VerifyWorld

    return VerifyWorld(parameters={"LogLevel": "ERROR"})


def measure() -> dict[str, Any]:
    """One verification of a 500-task service behind 2 target groups: time, calls, verdict."""
    import contextlib
    import io

    from simulator.moto_patches import simulated_aws

    use_simulated_aws(**VERIFY_ENVIRONMENT)
    with simulated_aws(), contextlib.redirect_stdout(io.StringIO()):  # Powertools prints its metrics
        world = new_verify_world()
        release = world.given_a_release(desired=TASKS, target_groups=TARGET_GROUPS)
        event = world.completed_event(release)
        world.api.reset()
        started = time.perf_counter()
        report = world.invoke(event)
        elapsed = time.perf_counter() - started
        calls = dict(sorted(world.api.calls.items()))
    verification_calls = {
        key: n for key, n in calls.items() if not key.startswith(("dynamodb:", "sns:", "sqs:"))
    }  # the idempotency and known-good records are the same for any service size
    pages = -(-TASKS // PAGE)
    return {
        "tasks": TASKS,
        "target_groups": TARGET_GROUPS,
        "verdict": report["verdict"],
        "checks": {c["name"]: c["status"] for c in report["checks"]},
        "verification_seconds_on_moto": round(elapsed, 3),
        "api_calls_total": sum(calls.values()),
        "api_calls_verification": sum(verification_calls.values()),
        "api_calls": calls,
        "expected": {
            "ecs:ListTasks": pages,
            "ecs:DescribeTasks": pages,
            "elbv2:DescribeTargetHealth": TARGET_GROUPS,
            "ecs:DescribeContainerInstances": 1,  # the hosts of bridge mode tasks, 100 a call: 2 hosts here
        },
    }


def main(argv: list[str]) -> int:
    result = measure()
    if "--json" in argv:
        print(json.dumps(result, indent=2))
        return 0
    print(f"verify: a service of {result['tasks']} tasks behind {result['target_groups']} target groups")
    print(f"  verdict: {result['verdict']} ({', '.join(f'{k}={v}' for k, v in result['checks'].items())})")
    print(f"  verification time (moto): {result['verification_seconds_on_moto']:.3f} s")
    print(
        f"  AWS API calls: {result['api_calls_total']} in all, {result['api_calls_verification']} to verify "
        "(the rest: the idempotency record and the known-good record in DynamoDB)"
    )
    for key, count in result["api_calls"].items():
        expected = result["expected"].get(key)
        note = f"  (expected {expected})" if expected is not None else ""
        print(f"    {key:40} {count}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
