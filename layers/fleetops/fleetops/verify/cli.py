"""The verification from a CI job, with the job's own credentials: ``python -m fleetops.verify.cli``.

Runs the same checks as the Lambda function, prints the report, and exits 0 when the release passed,
1 when it failed, 2 when the command or its configuration is wrong, 3 when AWS refused a call the
verification needs (AccessDenied, throttling past the retries, a resource gone): the report, verdict
ERROR, says which, and that nothing is known of the release. A CI job may sleep, so the alarm
bake is watched here by polling (the function uses delayed SQS messages instead). It never rolls
back: that is the function's job, where the per-service cap and the known-good record live.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from fleetops.aws.clients import AwsClients
from fleetops.aws.cloudwatch import AlarmReader
from fleetops.aws.ecs import EcsAdapter
from fleetops.aws.elbv2 import TargetHealthReader
from fleetops.errors import BadInputError
from fleetops.models.verify import BakeState, ServiceRef, SmokeOutcome, Verdict, VerificationReport, VerifyTrigger
from fleetops.verify.config import SMOKE_BUDGET_SECONDS, ServiceChecks, parse_service_checks
from fleetops.verify.parse import expected_image_reference, expected_task_definition
from fleetops.verify.report import verification_message
from fleetops.verify.runner import Verification, VerificationRunner, aws_error_report

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_AWS_ERROR = 0, 1, 2, 3
POLL_SECONDS = 15.0
MISSING_EXPECTED_RELEASE_CLI = (
    "name the release to verify: --expected-task-definition (family:revision or ARN) or --expected-image; "
    "without one, a service rolled back to its old revision by ECS's circuit breaker would pass"
)


def main(
    argv: Sequence[str] | None = None,
    *,
    session: boto3.Session | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    out: TextIO = sys.stdout,
) -> int:
    parser = argparse.ArgumentParser(prog="verify_deployment", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cluster", required=True, help="cluster name or ARN")
    parser.add_argument("--service", required=True, help="service name or ARN")
    parser.add_argument("--expected-task-definition", help="family:revision or ARN every running task must run")
    parser.add_argument(
        "--expected-image",
        help="image every task must run: repo:tag (matches repo:tag@sha256:..., as ECS reports a tag it resolved) "
        "or a digest (repo@sha256:..., or sha256:...; for a multi-arch image, the image index digest)",
    )
    parser.add_argument("--checks", help="checks as JSON (same shape as VERIFY_SERVICES values)")
    parser.add_argument("--checks-file", help="file holding the checks as JSON")
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        help="host a smoke check may call (repeatable; SMOKE_ALLOWED_HOSTS is read too)",
    )
    parser.add_argument(
        "--wait-seconds", type=float, default=0.0, help="retry a failing verification this long (rollout settling)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    args = parser.parse_args(argv)

    allowed = frozenset(
        host.strip().lower()
        for host in [*args.allowed_host, *os.environ.get("SMOKE_ALLOWED_HOSTS", "").split(",")]
        if host.strip()
    )
    try:
        if not args.expected_task_definition and not args.expected_image:
            raise BadInputError(MISSING_EXPECTED_RELEASE_CLI)
        expected_task_definition(args.expected_task_definition)
        expected_image_reference(args.expected_image)
        checks = _checks(args.checks, args.checks_file, allowed)
    except BadInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE

    from fleetops.verify.smoke import run_smoke_check

    def smoke(c: ServiceChecks) -> list[SmokeOutcome]:
        deadline = time.monotonic() + SMOKE_BUDGET_SECONDS  # one budget per smoke run, as in the function
        return [run_smoke_check(s, allowed, sleep=sleep, deadline=deadline) for s in c.smoke]

    clients = AwsClients(session)
    runner = VerificationRunner(
        ecs=EcsAdapter(clients.ecs),
        targets=TargetHealthReader(clients.elbv2),
        alarms=AlarmReader(clients.cloudwatch),
        smoke=smoke,
        clock=clock,
    )
    cluster = args.cluster
    service = args.service.rsplit("/", 1)[-1]
    deadline = clock() + max(0.0, args.wait_seconds)
    ref = ServiceRef(service=service, cluster=cluster)
    look = partial(
        runner.verify,
        ref,
        checks,
        trigger=VerifyTrigger.DIRECT,
        expected_task_definition=args.expected_task_definition,
        expected_image=args.expected_image,
    )
    try:
        while True:
            report = _settle(look, look().report, clock, sleep)
            if report.verdict is not Verdict.FAILED or clock() + POLL_SECONDS > deadline:
                break
            sleep(POLL_SECONDS)
        report = _bake(runner, report, checks, clock, sleep)
    except BadInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (ClientError, BotoCoreError) as error:
        report = aws_error_report(
            ServiceRef(service=service, cluster=cluster), error, trigger=VerifyTrigger.DIRECT, at=clock()
        )
    out.write((json.dumps(report.to_dict(), indent=2) if args.json else verification_message(report)) + "\n")
    if report.verdict is Verdict.ERROR:
        return EXIT_AWS_ERROR
    return EXIT_PASSED if report.verdict is Verdict.PASSED else EXIT_FAILED


def _settle(
    look: Callable[..., Verification],
    report: VerificationReport,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> VerificationReport:
    """Re-check a SETTLING verification (a scale-out's tasks still starting, targets in their initial
    health checks) until it settles or its bound passes, whatever ``--wait-seconds`` says: the bound
    is the one the function waits for after a deployment event, and the report says what was waited for."""
    first = report
    while report.verdict is Verdict.SETTLING and report.settle_until is not None:
        sleep(max(1.0, min(POLL_SECONDS, report.settle_until - clock())))
        report = look(
            settling_since=first.started_at, settle_until=first.settle_until, settled_from=first.checks
        ).report
    return report


def _bake(
    runner: VerificationRunner,
    report: VerificationReport,
    checks: ServiceChecks,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> VerificationReport:
    """Watch the alarms until the bake period ends (polling: a CI job may wait)."""
    if report.verdict is not Verdict.BAKING or report.bake_until is None:
        return report
    state = BakeState.after(report, alarms=checks.alarms, bake_until=report.bake_until, trigger=VerifyTrigger.DIRECT)
    while True:
        sleep(max(0.0, min(POLL_SECONDS, state.bake_until - clock())))
        result = runner.continue_bake(state).report
        if result.verdict is not Verdict.BAKING:
            return result
        state = replace(state, attempt=state.attempt + 1)


def _checks(inline: str | None, path: str | None, allowed: frozenset[str]) -> ServiceChecks:
    if inline and path:
        raise BadInputError("give --checks or --checks-file, not both")
    text = inline
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as error:
            raise BadInputError(f"cannot read {path}: {error}") from error
    if not text:
        return ServiceChecks()
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise BadInputError(f"checks are not JSON: {error}") from error
    errors: list[str] = []
    checks = parse_service_checks(raw, allowed, "checks", errors)
    if errors:
        raise BadInputError("invalid checks: " + "; ".join(errors))
    return checks


if __name__ == "__main__":
    sys.exit(main())
