"""A snapshot of the suite (``status_snapshot.Snapshot``) as an operator reads it: sentences and short
tables, times in UTC with how long ago or how long left; or as a JSON document for scripts. Pure: plain
data in, text out."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from fleetops_cli.status_snapshot import Cooldown, DrainInFlight, ScaleDecision, Snapshot, Verification

MAX_ROWS = 20  # per table: newest first; the rest is counted, not printed (--json has everything)
REASON_CHARACTERS = 100


def status_text(snapshot: Snapshot) -> str:
    stack = snapshot.stack
    jobs = ", ".join(stack.jobs) if stack.jobs else "none"
    lines = [
        f"ecs-fleet-ops stack {stack.name} at {_clock(snapshot.now)} UTC. Jobs switched on: {jobs}.",
        *stack.modes,
        "",
    ]
    lines += _drains(snapshot)
    lines += ["", *_cooldowns(snapshot)]
    lines += ["", *_decisions(snapshot)]
    lines += ["", *_verifications(snapshot)]
    if snapshot.unreadable:
        lines += [
            "",
            f"{len(snapshot.unreadable)} record(s) could not be read (written by another version?): "
            + ", ".join(snapshot.unreadable[:5]),
        ]
    return "\n".join(lines)


# -- drains ---------------------------------------------------------------------------------------------
def _drains(snapshot: Snapshot) -> list[str]:
    drains = snapshot.drains
    if not drains:
        return ["No drain in flight."]
    now = snapshot.now
    rows = [
        (
            drain.state.ec2_instance_id,
            _cluster_name(drain.state.cluster_arn),
            drain.state.container_instance_arn.rsplit("/", 1)[-1],
            _duration(now - drain.state.started_at),
            _tasks_left(drain),
            f"{_clock(drain.state.deadline)} ({_relative(drain.state.deadline, now)})",
            _lifecycle_ends(drain),
        )
        for drain in drains
    ]
    lines = [f"Drains in flight: {len(drains)}."]
    lines += _table(
        ("HOST", "CLUSTER", "CONTAINER INSTANCE", "AGE", "TASKS LEFT", "BUDGET ENDS", "LIFECYCLE ACTION"), rows
    )
    for drain in drains:
        if drain.state.deadline < now:
            lines.append(
                f"ATTENTION: the drain of {drain.state.ec2_instance_id} is past its budget by "
                f"{_duration(now - drain.state.deadline)} and still recorded in flight: its re-checks stopped. "
                "Look in the dead-letter queue (DeadLetterQueueUrl) and at the drain function's errors."
            )
        elif drain.tasks_left is None:
            lines.append(
                f"The container instance of {drain.state.ec2_instance_id} is no longer registered with ECS: "
                "the next re-check completes its lifecycle action."
            )
    return lines


def _tasks_left(drain: DrainInFlight) -> str:
    if drain.tasks_left is None:
        return "host gone"
    return f"{drain.tasks_left} of {drain.state.tasks_at_start}"


def _lifecycle_ends(drain: DrainInFlight) -> str:
    parts = []
    if drain.heartbeat_expires_at is not None:
        parts.append(f"heartbeat due by {_clock(drain.heartbeat_expires_at)}")
    if drain.global_timeout_at is not None:
        parts.append(f"ends at the latest {_clock(drain.global_timeout_at)}")
    if drain.state.lifecycle_action is None:
        return "none (Spot interruption)"
    return ", ".join(parts) or "timeouts not recorded"


# -- scale ----------------------------------------------------------------------------------------------
def _cooldowns(snapshot: Snapshot) -> list[str]:
    if not snapshot.cooldowns:
        return ["No target scaled recently (no cooldown recorded)."]
    now = snapshot.now
    rows = [
        (
            cooldown.target,
            _change(cooldown),
            f"{_clock(cooldown.last_scaled_at)} ({_relative(cooldown.last_scaled_at, now)})",
            cooldown.caused_by or "-",
            _cooldown_state(cooldown, now),
        )
        for cooldown in snapshot.cooldowns
    ]
    return ["Cooldowns (the last change of each target):", *_table(("TARGET", "CHANGE", "AT", "BY", "COOLDOWN"), rows)]


def _change(cooldown: Cooldown) -> str:
    direction = {"out": "scaled out", "in": "scaled in"}.get(cooldown.direction, cooldown.direction)
    return f"{direction} to {cooldown.count}" if cooldown.count is not None else direction


def _cooldown_state(cooldown: Cooldown, now: float) -> str:
    ends = cooldown.ends_at
    if ends is None:
        return "length not recorded"
    if ends > now:
        return f"cooling down until {_clock(ends)} ({_duration(ends - now)} left)"
    return f"over ({cooldown.cooldown_seconds} s)"


def _decisions(snapshot: Snapshot) -> list[str]:
    decisions = snapshot.decisions
    if not decisions:
        return [f"No scale decision since {_clock(snapshot.since)} UTC."]
    rows = [(_clock(d.at), d.alarm, d.outcome, _acted(d), _short(d.reason)) for d in decisions[:MAX_ROWS]]
    return [
        f"Scale decisions since {_clock(snapshot.since)} UTC: {len(decisions)}, newest first.",
        *_table(("AT", "ALARM", "OUTCOME", "ACTED", "REASON"), rows),
        *_more(decisions),
    ]


def _acted(decision: ScaleDecision) -> str:
    if decision.dry_run and not decision.acted:
        return "dry run"
    return "yes" if decision.acted else "no"


# -- verify ---------------------------------------------------------------------------------------------
def _verifications(snapshot: Snapshot) -> list[str]:
    if "verify" not in snapshot.stack.jobs:
        return ["Verifications: the verify job is switched off in this stack."]
    verifications = snapshot.verifications
    lines: list[str] = []
    if verifications:
        rows = [(_clock(v.at), v.service, v.verdict, _short(v.reason), _rollback(v)) for v in verifications[:MAX_ROWS]]
        lines += [
            f"Verifications since {_clock(snapshot.since)} UTC: {len(verifications)}, newest first.",
            *_table(("AT", "SERVICE", "VERDICT", "REASON", "ROLLBACK"), rows),
            *_more(verifications),
        ]
    else:
        lines.append(f"No verification since {_clock(snapshot.since)} UTC.")
    for rollbacks in snapshot.rollbacks:
        times = ", ".join(_clock(t) for t in rollbacks.times)
        lines.append(f"Rolled back by the verify job: {_service_name(rollbacks.service_arn)} at {times} UTC.")
    for good in snapshot.known_good:
        lines.append(
            f"Known-good release of {_service_name(good.service_arn)}: {good.task_definition.rsplit('/', 1)[-1]} "
            f"(verified {_clock(good.verified_at)} UTC); a rollback goes back to it."
        )
    return lines


def _rollback(verification: Verification) -> str:
    return _short(verification.rollback, 60) if verification.rollback else "-"


# -- JSON -----------------------------------------------------------------------------------------------
def status_document(snapshot: Snapshot) -> dict[str, Any]:
    """Everything the text shows (no row left out), times as ISO 8601 UTC and epoch seconds."""
    stack = snapshot.stack
    return {
        "stack": stack.name,
        "at": _iso(snapshot.now),
        "since": _iso(snapshot.since),
        "jobs": list(stack.jobs),
        "modes": list(stack.modes),
        "drains_in_flight": [
            {
                "ec2_instance_id": d.state.ec2_instance_id,
                "cluster_arn": d.state.cluster_arn,
                "container_instance_arn": d.state.container_instance_arn,
                "started_at": _iso(d.state.started_at),
                "age_seconds": round(snapshot.now - d.state.started_at, 3),
                "deadline": _iso(d.state.deadline),
                "past_deadline": d.state.deadline < snapshot.now,
                "heartbeat_expires_at": _iso(d.heartbeat_expires_at),
                "global_timeout_at": _iso(d.global_timeout_at),
                "tasks_at_start": d.state.tasks_at_start,
                "tasks_left": d.tasks_left,
                "host_status": d.host_status,
                "lifecycle_hook": d.state.lifecycle_action.hook_name if d.state.lifecycle_action else None,
                "auto_scaling_group": d.state.lifecycle_action.auto_scaling_group if d.state.lifecycle_action else None,
            }
            for d in snapshot.drains
        ],
        "cooldowns": [
            {
                "target": c.target,
                "direction": c.direction,
                "count": c.count,
                "last_scaled_at": _iso(c.last_scaled_at),
                "caused_by": c.caused_by,
                "cooldown_seconds": c.cooldown_seconds,
                "cooldown_ends_at": _iso(c.ends_at),
                "cooling_down": c.ends_at is not None and c.ends_at > snapshot.now,
            }
            for c in snapshot.cooldowns
        ],
        "scale_decisions": [
            {
                "at": _iso(d.at),
                "alarm": d.alarm,
                "outcome": d.outcome,
                "acted": d.acted,
                "dry_run": d.dry_run,
                "reason": d.reason,
            }
            for d in snapshot.decisions
        ],
        "verifications": [
            {
                "at": _iso(v.at),
                "service": v.service,
                "verdict": v.verdict,
                "reason": v.reason,
                "deployment_id": v.deployment_id,
                "rollback": v.rollback,
            }
            for v in snapshot.verifications
        ],
        "rollbacks": [{"service_arn": r.service_arn, "at": [_iso(t) for t in r.times]} for r in snapshot.rollbacks],
        "known_good": [
            {"service_arn": k.service_arn, "task_definition": k.task_definition, "verified_at": _iso(k.verified_at)}
            for k in snapshot.known_good
        ],
        "unreadable_records": list(snapshot.unreadable),
    }


# -- shared -----------------------------------------------------------------------------------------------
def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    return [
        "  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]


def _more(items: Sequence[object]) -> list[str]:
    return [f"  ... and {len(items) - MAX_ROWS} older (see --json)."] if len(items) > MAX_ROWS else []


def _clock(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(seconds: float) -> str:
    """12 s, 4 min 5 s, 2 h 3 min, 1 d 4 h."""
    total = round(max(0.0, seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def _relative(epoch: float, now: float) -> str:
    return f"in {_duration(epoch - now)}" if epoch >= now else f"{_duration(now - epoch)} ago"


def _short(text: str, limit: int = REASON_CHARACTERS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cluster_name(cluster_arn: str) -> str:
    return cluster_arn.rsplit("/", 1)[-1]


def _service_name(service_arn: str) -> str:
    """arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE -> CLUSTER/SERVICE."""
    return service_arn.partition(":service/")[2] or service_arn
