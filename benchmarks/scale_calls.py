"""Figure: the AWS API calls of one scale decision, made by the real handler against moto (small
clusters: moto's EC2 is slow to start instances), counted by operation with
``simulator.api_calls.ApiCallCounter``; Powertools' idempotency calls included.

On its own:  .venv/bin/python -m benchmarks.scale_calls [--json]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from benchmarks.environment import use_simulated_aws
from benchmarks.scale_decision import SCALE_ENVIRONMENT

if TYPE_CHECKING:
    from simulator.worlds.scale import ScaleWorld

API_CLUSTER_HOSTS = (4, 12)


def new_scale_world(hosts: int, rules: Sequence[dict[str, Any]]) -> ScaleWorld:
    """A fresh simulated account for the scale job (call inside simulated_aws())."""
    from simulator.worlds.scale import ScaleWorld

    return ScaleWorld(hosts=hosts, rules=list(rules))


def measure() -> dict[str, Any]:
    """Calls of one decision made by the real handler (its Powertools idempotency calls included)."""
    from simulator.moto_patches import simulated_aws

    use_simulated_aws(**SCALE_ENVIRONMENT)
    rules = [
        {"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": "+50%", "min": 1, "max": 100},
        {"alarm": "ecs-scale-prod-reservation-low", "cluster": "prod", "step": -1, "min": 1},
        # Right after the -1 scale-in (no cooldown of its own): the host it took is leaving, counted against
        # the budget, and its tasks are looked at too.
        {
            "alarm": "ecs-scale-prod-consolidate",
            "cluster": "prod",
            "step": "consolidate",
            "budget": "50%",
            "min": 1,
            "cooldown_seconds": 0,
        },
    ]
    figures: dict[str, Any] = {}
    for hosts in API_CLUSTER_HOSTS:
        with simulated_aws():
            world = new_scale_world(hosts, rules)
            try:
                world.services.add_service("web", cpu=1024, memory=2048)
                world.services.add_service("api", cpu=512, memory=1024)
                for instance_id in world.cluster.instance_ids:
                    world.services.run_on(instance_id, "web", 1)
                    world.services.run_on(instance_id, "api", 1)
                world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
                for low in ("ecs-scale-prod-reservation-low", "ecs-scale-prod-consolidate"):
                    world.cluster_reservation_alarm(low, comparison="LessThanThreshold", threshold=30)
                for name, label in (
                    ("ecs-scale-web-cpu-high", "service_scale_out"),
                    ("ecs-scale-prod-reservation-low", "cluster_scale_in"),
                    ("ecs-scale-prod-consolidate", "cluster_consolidation"),
                ):
                    event = world.fire(name, 90.0 if "high" in name else 10.0)
                    world.api.reset()
                    result = world.decide(event)
                    figures[f"{label}_{hosts}_hosts"] = {
                        "outcome": result.get("outcome", result.get("status")),
                        "hosts_removed": len(result.get("hosts_to_terminate") or ()),
                        "calls": world.api.total(),
                        "by_operation": dict(sorted(world.api.calls.items())),
                    }
            finally:
                world.close()
    return figures


def main(argv: list[str]) -> int:
    calls = measure()
    if "--json" in argv:
        print(json.dumps(calls, indent=2))
        return 0
    print("AWS API calls of one decision (real handler, moto):")
    for label, cost in calls.items():
        operations = ", ".join(f"{op} x{n}" for op, n in cost["by_operation"].items())
        removed = f", {cost['hosts_removed']} host(s) removed" if cost["hosts_removed"] else ""
        print(f"  {label}: {cost['calls']} calls ({cost['outcome']}{removed}): {operations}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
