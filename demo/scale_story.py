"""Scaling on alarms, capacity-aware, on a simulated cluster: a CPU alarm scales a service out, the
cluster grows first because the new tasks would not fit, and later a low-reservation alarm removes
the emptiest host through its group, while the drain job moves its tasks.

The real scale and drain handlers (functions/scale/app.py, functions/drain/app.py) do the work
against moto; the clock is simulated. Wire it in demo/__main__.py with
``from demo.scale_story import run_scale_story``.
"""

from __future__ import annotations

import json
from typing import Any

from moto import mock_aws

from tests.support.clock import START

RULES = [
    {"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": "+50%", "min": 2, "max": 12},
    {"alarm": "ecs-scale-prod-reservation-low", "cluster": "prod", "step": -1, "min": 1},
]


def run_scale_story(*, as_json: bool) -> int:
    with mock_aws():
        from tests.support.scale_world import ScaleWorld

        world = ScaleWorld(hosts=2, rules=RULES)
        try:
            timeline, summary = _story(world)
        finally:
            world.close()
    if as_json:
        print(json.dumps({"timeline": timeline, "summary": summary}, indent=2))
    else:
        _print(timeline, summary)
    return 0 if summary["tasks_lost"] == 0 and summary["tasks_unplaced"] == 0 else 1


def _story(world: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    timeline: list[dict[str, Any]] = []

    def note(actor: str, what: str, **extra: Any) -> None:
        minutes, seconds = divmod(int(world.clock() - START), 60)
        timeline.append({"clock": f"t+{minutes:02d}:{seconds:02d}", "actor": actor, "what": what, **extra})

    def decide(alarm: str, value: float, via: str) -> dict[str, Any]:
        event = world.fire(alarm, value, via=via)
        world.api.reset()
        result: dict[str, Any] = world.decide(event)
        note(
            f"{'SNS' if via == 'sns' else 'EventBridge'} -> scale",
            f"alarm {alarm} -> ALARM ({value:g})",
            decision=f"{result.get('outcome')}: {result.get('reason')}",
            aws_calls=world.api.total(),
        )
        return result

    world.services.add_service("web", cpu=1024, memory=2048)  # three tasks per host
    world.services.add_service("api", cpu=512, memory=1024)
    first, second = world.cluster.instance_ids
    world.services.run_on(first, "web", 3)
    world.services.run_on(second, "web", 3)
    world.services.run_on(second, "api", 1)
    world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
    world.cluster_reservation_alarm(
        "ecs-scale-prod-reservation-low", comparison="LessThanThreshold", threshold=30, period=300, evaluation_periods=5
    )
    note("cluster", "cluster 'prod': 2 hosts, web runs 3 tasks on each (full), api 1 task; group prod-hosts at 2")

    decide("ecs-scale-web-cpu-high", 91.0, "eventbridge")
    world.clock.advance(180)
    new_hosts = world.register_new_hosts()
    unplaced = world.services.settle("web")
    note("ECS", f"new host {', '.join(new_hosts)} registers; the scheduler places web's tasks ({unplaced} unplaced)")

    # Traffic falls: web shrinks (by hand here; its own low alarm would do it) and reservation drops.
    world.clock.advance(1800)
    for instance_id in world.cluster.instance_ids:
        on_host = [
            t
            for t in world.services.tasks("web")
            if t.container_instance_arn == world.cluster.container_instances[instance_id]
        ]
        for task in on_host[:2]:
            world.cluster.ecs_backend.stop_task(world.cluster.name, task.task_arn, "demo: traffic fell")
    world.services.set_desired_count("web", 3)
    note("ECS", "traffic falls: web is scaled in to 3 tasks (one per host), cluster CPU reservation drops")
    result = decide("ecs-scale-prod-reservation-low", 21.0, "sns")
    world.drain_terminations()
    note(
        "drain",
        f"the drain job moved the tasks off {', '.join(result.get('hosts_to_terminate') or []) or '-'}; "
        "the hook completed and the instance terminated",
    )
    summary = {
        "group_desired": world.group()["desired"],
        "web_tasks": len(world.services.tasks("web")),
        "tasks_unplaced": world.services.settle("web"),
        "tasks_lost": sum(world.cluster.lost_tasks.values()),
        "notifications": [n for n in world.notifications() if "scale" in n["subject"]],
    }
    return timeline, summary


def _print(timeline: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    print("ecs-fleet-ops demo: scaling on alarms, capacity-aware")
    print("(simulated AWS with moto, simulated clock; the real scale and drain handlers do the work)\n")
    for entry in timeline:
        print(f"{entry['clock']}  {entry['actor']:<22} {entry['what']}")
        if "decision" in entry:
            print(f"{'':30}decision: {entry['decision']}")
            print(f"{'':30}AWS calls: {entry['aws_calls']}")
    print("\nNotifications (SNS):")
    for note in summary["notifications"]:
        print(f"  [{note['subject']}]")
        for line in note["message"].splitlines():
            print(f"    {line}")
    print(
        f"\nSummary: group desired {summary['group_desired']}, web tasks {summary['web_tasks']}, "
        f"unplaced {summary['tasks_unplaced']}, tasks lost: {summary['tasks_lost']}"
    )
