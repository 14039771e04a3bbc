"""Turns a verification into a structured log line, metrics, and a message a human can read."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from fleetops.aws.messaging import Notifier
from fleetops.models.verify import CheckStatus, RollbackAction, Verdict, VerificationReport
from fleetops.observability import logger, metrics

VERDICT_METRICS = {
    Verdict.PASSED: "VerificationsPassed",
    Verdict.FAILED: "VerificationsFailed",
    Verdict.BAKING: "VerificationsBaking",
    Verdict.SETTLING: "VerificationsSettling",
    Verdict.RELEASE_FAILED: "ReleasesFailed",
    Verdict.ERROR: "VerificationErrors",
}


def report_verification(report: VerificationReport, notifier: Notifier, *, notify_on_success: bool) -> None:
    failing = report.failing
    log = logger.error if report.failed else logger.warning if report.nothing_checked else logger.info
    log(
        f"verification {report.verdict.value}: {report.reason}",
        extra={
            "ecs_service": report.service.label,  # "service" is Powertools' own key (the function)
            "service_arn": report.service_arn,
            "deployment_id": report.deployment_id,
            "task_definition": report.task_definition,
            "trigger": report.trigger.value,
            "verdict": report.verdict.value,
            "failing_checks": [c.name.value for c in failing],
            "checks": {c.name.value: c.status.value for c in report.checks},
            "rollback": report.rollback.to_dict() if report.rollback else None,
            "duration_seconds": round(report.finished_at - report.started_at, 3),
            "waited": report.waited or None,
        },
    )
    metrics.add_metric(name=VERDICT_METRICS[report.verdict], unit=MetricUnit.Count, value=1)
    if report.nothing_checked:
        # A pass that verified nothing: an alarm on this finds services whose hooks check nothing.
        metrics.add_metric(name="VerificationsWithNothingChecked", unit=MetricUnit.Count, value=1)
    if report.verdict not in (Verdict.BAKING, Verdict.SETTLING):
        metrics.add_metric(
            name="VerificationDuration", unit=MetricUnit.Seconds, value=max(0.0, report.finished_at - report.started_at)
        )
    if report.rollback is not None:
        name = "RollbacksStarted" if report.rollback.action is not RollbackAction.NONE else "RollbacksSkipped"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    if report.failed or (notify_on_success and report.verdict is Verdict.PASSED):
        notifier.publish(verification_subject(report), verification_message(report))


def verification_subject(report: VerificationReport) -> str:
    if report.verdict is Verdict.RELEASE_FAILED:
        return f"ATTENTION release of {report.service.label} FAILED in ECS (not a success)"
    if report.verdict is Verdict.ERROR:
        return f"ATTENTION release of {report.service.label} NOT verified: the verification could not run"
    if report.verdict is Verdict.FAILED:
        done = " - rolled back" if report.rollback and report.rollback.action is not RollbackAction.NONE else ""
        return f"ATTENTION release of {report.service.label} FAILED verification{done}"
    if report.nothing_checked:
        return f"release of {report.service.label} NOT verified: nothing was checked"
    return f"release of {report.service.label} verified: {report.verdict.value}"


def verification_message(report: VerificationReport) -> str:
    lines = [
        f"Release of ECS service {report.service.label}: {report.verdict.value}.",
        f"Why: {report.reason}.",
        f"Service: {report.service_arn}",
        f"Deployment: {report.deployment_id or '-'} (task definition {report.task_definition or '-'})",
        f"Trigger: {report.trigger.value}",
    ]
    if report.waited:
        lines.append(f"Waited: {report.waited}")
    failing = report.failing
    if failing:
        first = failing[0]
        lines += ["", f"Failing check: {first.name.value} - {first.summary}", "Evidence:"]
        lines += [f"  - {item}" for item in first.evidence] or ["  - (none recorded)"]
        for other in failing[1:]:
            lines.append(f"Also failing: {other.name.value} - {other.summary}")
    rollback = report.rollback
    if rollback is None:
        done = "nothing (no rollback applies to this trigger)" if report.failed else "nothing needed"
    elif rollback.action is RollbackAction.NONE:
        done = f"NOT rolled back: {rollback.reason}. A human must decide."
    else:
        done = f"{rollback.reason}" + (
            f"; new deployment {rollback.new_deployment_id}" if rollback.new_deployment_id else ""
        )
    lines += ["", f"What was done: {done}", "", "All checks:"]
    lines += [
        f"  [{c.status.value}] {c.name.value}: {c.summary}"
        for c in report.checks
        if c.status is not CheckStatus.SKIPPED
    ] or ["  (none ran)"]
    return "\n".join(lines)
