"""A scale-in on a simulated cluster: Auto Scaling terminates a busy host, the drain job moves its
tasks off it across several invocations, and only then lets the instance go.

Everything the handler does goes through the real handler module (functions/drain/app.py) against
moto; the clock is simulated, so eight minutes of drain take a second or two.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from moto import mock_aws

from tests.support.clock import START


@dataclass
class Entry:
    at: float
    actor: str
    what: str
    decision: str = ""
    aws_calls: dict[str, int] = field(default_factory=dict)

    @property
    def clock(self) -> str:
        minutes, seconds = divmod(int(self.at - START), 60)
        return f"t+{minutes:02d}:{seconds:02d}"


class DecisionLog(logging.Handler):
    """Keeps the drain's structured decision log lines (the demo shows them instead of raw JSON)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "action"):
            self.records.append({"message": record.getMessage(), **record.__dict__})


def run_drain_story(*, as_json: bool) -> int:
    from fleetops.observability import logger

    decisions = DecisionLog()
    # The structured JSON lines go to the timeline instead of the terminal, for the story's length.
    terminal_handlers, level = list(logger.handlers), logger.level
    logger.handlers[:] = [decisions]
    logger.setLevel(logging.INFO)
    try:
        with mock_aws():
            from tests.support.world import DrainWorld

            world = DrainWorld(environment={"NOTIFY_EVERY_DRAIN": "true"})
            timeline = _drain_a_busy_host(world, decisions)
            summary = {
                "drains": sum(1 for a in world.hooks.actions.values() if not a.active),
                "lifecycle_results": [a.result for a in world.hooks.actions.values()],
                "handler_invocations": len(world.invocations),
                "tasks_lost": sum(world.cluster.lost_tasks.values()),
                "notifications": world.notifications(),
            }
    finally:
        logger.handlers[:] = terminal_handlers
        logger.setLevel(level)
    if as_json:
        print(json.dumps({"timeline": [asdict(e) for e in timeline], "summary": summary}, indent=2))
    else:
        _print(timeline, summary)
    return 0 if summary["tasks_lost"] == 0 else 1


def _drain_a_busy_host(world: Any, decisions: DecisionLog) -> list[Entry]:
    cluster = world.cluster
    cluster.deregistration_delay = 420  # a slow load balancer: 7 minutes to deregister
    busy, spare = cluster.instance_ids[0], cluster.instance_ids[1]
    cluster.add_service("web")
    cluster.add_service("log-agent", daemon=True)
    cluster.start_tasks(busy, 6, group="service:web")
    cluster.start_tasks(busy, 1, group="service:log-agent")
    cluster.start_tasks(busy, 1, group="family:report", started_by="nightly-report")
    cluster.start_tasks(spare, 1, group="service:log-agent")
    timeline = [
        Entry(
            world.clock(),
            "cluster",
            f"cluster 'prod': {busy} runs 6 web tasks, a log-agent daemon task "
            f"and a standalone report; {spare} has room",
        ),
    ]

    action = world.hooks.begin_termination(cluster.group, busy, metadata='{"cluster": "prod"}')
    timeline.append(
        Entry(
            world.clock(),
            "Auto Scaling",
            f"scale-in: {busy} enters Terminating:Wait "
            f"(hook '{action.hook}', heartbeat timeout {action.heartbeat_timeout} s)",
        )
    )
    _invoke(
        world,
        decisions,
        timeline,
        world.hooks.eventbridge_event(action),
        "EventBridge -> drain",
        "EC2 Instance-terminate Lifecycle Action",
    )
    seen_notes = 0
    while True:
        pending = world.pending_rechecks()
        if not pending:
            break
        body = world.drop_pending_rechecks()[0]
        attempt = json.loads(body)["attempt"]
        world.advance_to(world.clock() + world.settings.recheck_interval_seconds)
        seen_notes = _scheduler_notes(world, timeline, seen_notes)
        _invoke(world, decisions, timeline, world.sqs_event(body), "SQS -> drain", f"delayed re-check #{attempt}")
    world.advance_to(world.clock() + 1)
    _scheduler_notes(world, timeline, seen_notes)
    timeline.append(
        Entry(world.clock(), "Auto Scaling", f"lifecycle action completed with {action.result}: {busy} terminates")
    )
    return timeline


def _invoke(
    world: Any, decisions: DecisionLog, timeline: list[Entry], event: dict[str, Any], actor: str, what: str
) -> None:
    world.api.reset()
    seen = len(decisions.records)
    world.invoke(event)
    steps = decisions.records[seen:]
    decision = "; ".join(step["message"].removeprefix("drain ") for step in steps) or "(no decision logged)"
    calls = {k: v for k, v in sorted(world.api.calls.items()) if not k.startswith("dynamodb:")}
    calls["dynamodb (idempotency)"] = world.api.total(service="dynamodb")
    timeline.append(Entry(world.clock(), actor, what, decision, calls))


def _scheduler_notes(world: Any, timeline: list[Entry], seen: int) -> int:
    notes = world.cluster.timeline[seen:]
    grouped: dict[tuple[float, str], int] = {}
    for at, text in notes:
        grouped[(at, text)] = grouped.get((at, text), 0) + 1
    for (at, text), count in grouped.items():
        timeline.append(Entry(at, "simulation", text + (f"  (x{count})" if count > 1 else "")))
    return len(world.cluster.timeline)


def _print(timeline: list[Entry], summary: dict[str, Any]) -> None:
    print("ecs-fleet-ops demo: draining a busy host before Auto Scaling terminates it")
    print("(simulated AWS with moto, simulated clock; the real drain handler does the work)\n")
    for entry in sorted(timeline, key=lambda e: e.at):
        print(f"{entry.clock}  {entry.actor:<22} {entry.what}")
        if entry.decision:
            print(f"{'':30}decision: {entry.decision}")
        if entry.aws_calls:
            calls = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in entry.aws_calls.items() if n)
            print(f"{'':30}AWS calls: {calls}")
    print("\nNotifications (SNS):")
    for note in summary["notifications"]:
        print(f"  [{note['subject']}]")
        for line in note["message"].splitlines():
            print(f"    {line}")
    print(
        f"\nSummary: drains {summary['drains']} ({', '.join(summary['lifecycle_results'])}), "
        f"handler invocations {summary['handler_invocations']}, tasks lost: {summary['tasks_lost']}"
    )
