"""The verification from a CI job, with the job's own credentials: ``scripts/verify_deployment.py``, or
``python -m fleetops_cli.verify`` with the repository's root and ``layers/fleetops`` on ``PYTHONPATH``.

Runs the same checks as the Lambda function, prints the report, and exits 0 when the release passed,
1 when it failed, 2 when it could not be verified: the command or its configuration is wrong, or AWS
could not be asked (no region, no credentials, AccessDenied, throttling past the retries, a resource
gone). Exit 2 prints one line on stderr saying why and, with ``--json``, a document with verdict ERROR
on stdout: nothing is known of the release. Credentials are boto3's own chain; the command never looks
for them itself. A CI job may sleep, so the alarm bake is watched here by polling (the function uses
delayed SQS messages instead). It never rolls back: that is the function's job, where the per-service
cap and the known-good record live.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from fleetops.aws.clients import AwsClients
from fleetops.aws.cloudwatch import AlarmReader
from fleetops.aws.ecs import EcsAdapter
from fleetops.aws.elbv2 import TargetHealthReader
from fleetops.errors import BadInputError
from fleetops.models.verify import BakeState, ServiceRef, SmokeOutcome, Verdict, VerificationReport, VerifyTrigger
from fleetops.verify import (
    SMOKE_BUDGET_SECONDS,
    ServiceChecks,
    Verification,
    VerificationRunner,
    aws_error_report,
    expected_image_reference,
    expected_task_definition,
    parse_service_checks,
    verification_message,
)
from fleetops_cli.arguments import ArgumentParser

# One code for every "could not verify", whatever the cause: a CI step branches on passed, failed or
# neither; the line on stderr (and the JSON's reason) says which cause.
EXIT_PASSED, EXIT_FAILED, EXIT_NOT_VERIFIED = 0, 1, 2
POLL_SECONDS = 15.0
MISSING_EXPECTED_RELEASE_CLI = (
    "name the release to verify: --expected-task-definition (family:revision or ARN) or --expected-image; "
    "without one, a service rolled back to its old revision by ECS's circuit breaker would pass"
)
NO_REGION = "no AWS region: give --region or set AWS_REGION (or AWS_DEFAULT_REGION)"
NO_CREDENTIALS = (
    "no AWS credentials: boto3's default chain found none (environment, AWS_PROFILE and the shared files, "
    "a container or instance role)"
)


def main(
    argv: Sequence[str] | None = None,
    *,
    session: boto3.Session | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    out: TextIO = sys.stdout,
) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in arguments
    try:
        args = _parser().parse_args(arguments)
        if not args.expected_task_definition and not args.expected_image:
            raise BadInputError(MISSING_EXPECTED_RELEASE_CLI)
        expected_task_definition(args.expected_task_definition)
        expected_image_reference(args.expected_image)
        allowed = frozenset(
            host.strip().lower()
            for host in [*args.allowed_host, *os.environ.get("SMOKE_ALLOWED_HOSTS", "").split(",")]
            if host.strip()
        )
        checks = _checks(args.checks, args.checks_file, allowed)
    except BadInputError as error:
        return _not_verified(str(error), as_json=as_json, out=out)

    from fleetops.verify import run_smoke_check

    def smoke(c: ServiceChecks) -> list[SmokeOutcome]:
        deadline = time.monotonic() + SMOKE_BUDGET_SECONDS  # one budget per smoke run, as in the function
        return [run_smoke_check(s, allowed, sleep=sleep, deadline=deadline) for s in c.smoke]

    cluster = args.cluster
    service = args.service.rsplit("/", 1)[-1]
    ref = ServiceRef(service=service, cluster=cluster)
    try:
        # Clients are built at the first call, so a missing region (NoRegionError) is raised below.
        clients = AwsClients(session or boto3.Session(region_name=args.region))
        runner = VerificationRunner(
            ecs=EcsAdapter(clients.ecs),
            targets=TargetHealthReader(clients.elbv2),
            alarms=AlarmReader(clients.cloudwatch),
            smoke=smoke,
            clock=clock,
        )
        deadline = clock() + args.wait_seconds
        look = partial(
            runner.verify,
            ref,
            checks,
            trigger=VerifyTrigger.DIRECT,
            expected_task_definition=args.expected_task_definition,
            expected_image=args.expected_image,
        )
        while True:
            report = _settle(look, look().report, clock, sleep)
            if report.verdict is not Verdict.FAILED or clock() + POLL_SECONDS > deadline:
                break
            sleep(POLL_SECONDS)
        report = _bake(runner, report, checks, clock, sleep)
    except BadInputError as error:
        return _not_verified(str(error), as_json=as_json, out=out)
    except (ClientError, BotoCoreError) as error:
        report = aws_error_report(ref, error, trigger=VerifyTrigger.DIRECT, at=clock())
        if isinstance(error, NoRegionError | NoCredentialsError):
            reason = NO_REGION if isinstance(error, NoRegionError) else NO_CREDENTIALS
            report = replace(report, reason=f"verification could not run: {reason}")
    if report.verdict is Verdict.ERROR:
        print(f"error: {report.service.label}: {report.reason}", file=sys.stderr)
        if as_json:
            out.write(json.dumps(report.to_dict(), indent=2) + "\n")
        return EXIT_NOT_VERIFIED
    out.write((json.dumps(report.to_dict(), indent=2) if args.json else verification_message(report)) + "\n")
    return EXIT_PASSED if report.verdict is Verdict.PASSED else EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="verify_deployment",
        description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 passed, 1 the release failed, 2 could not verify (bad input, or AWS not reached "
        "or refusing: the reason is one line on stderr).",
    )
    parser.add_argument("--cluster", required=True, type=_named("cluster"), help="cluster name or ARN")
    parser.add_argument("--service", required=True, type=_named("service"), help="service name or ARN")
    parser.add_argument(
        "--region", type=_named("region"), help="AWS Region (default: boto3's, from AWS_REGION or the profile)"
    )
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
        "--wait-seconds",
        type=_seconds,
        default=0.0,
        help="retry a failing verification this long (rollout settling; 0 or more)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    return parser


def _named(noun: str) -> Callable[[str], str]:
    """A non-empty name (an ARN's last part too): an empty one would make every call fail unclearly."""

    def name(text: str) -> str:
        if not text.strip() or not text.rstrip("/").rsplit("/", 1)[-1].strip():
            raise argparse.ArgumentTypeError(f"must name a {noun}, got {text!r}")
        return text.strip()

    return name


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    # A negative wait, NaN or infinity would wait never or forever: a CI job wants a bound it can read.
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 or more, got {text!r}")
    return seconds


def _not_verified(reason: str, *, as_json: bool, out: TextIO) -> int:
    print(f"error: {reason}", file=sys.stderr)
    if as_json:
        out.write(json.dumps({"verdict": Verdict.ERROR.value, "reason": reason}, indent=2) + "\n")
    return EXIT_NOT_VERIFIED


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
