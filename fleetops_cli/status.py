"""What the suite is doing now, for an operator: ``make status STACK=<stack name>``, or ``fleetops-status
--stack <name>`` once installed (``python -m fleetops_cli.status`` with the repository's root and
``layers/fleetops`` on ``PYTHONPATH``).

Reads the stack's outputs (DescribeStacks), its tables (DynamoDB Scan) and the hosts being drained (ECS
DescribeContainerInstances), and prints the drains in flight, the recent scale decisions and cooldowns,
and the recent verifications and rollbacks (docs/status.md). Strictly read-only: it writes nothing, and
never receives from a queue (a receive would count towards a re-check's maxReceiveCount). Exit 0 when it
printed the status, 2 when it could not: no such stack, a stack that is not the suite's, no region or
credentials, AccessDenied, throttling past the retries; one line on stderr says why (and, with
``--json``, a document with ``error`` on stdout). Credentials are boto3's own chain.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError, ProfileNotFound

from fleetops.aws.clients import THROTTLED_OR_UNAVAILABLE, error_code, error_message
from fleetops.errors import BadInputError
from fleetops_cli.arguments import ArgumentParser
from fleetops_cli.status_snapshot import NotTheSuiteError, read_snapshot, read_stack
from fleetops_cli.status_text import status_document, status_text

EXIT_SHOWN, EXIT_NOT_SHOWN = 0, 2
DEFAULT_SINCE = "24h"
# A person waits for the answer: botocore's standard mode, 5 attempts in all (backoff of at most 1 + 2 +
# 4 + 8 s when throttled), 5 s to connect and 10 s to read. What is still throttled after that is said.
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 5}, connect_timeout=5, read_timeout=10)
NO_REGION = "no AWS region: give --region or set AWS_REGION (or AWS_DEFAULT_REGION, or a profile's region)"
NO_CREDENTIALS = (
    "no AWS credentials: boto3's default chain found none (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, or run where a role is attached); the read-only policy is in docs/status.md"
)


def main(
    argv: Sequence[str] | None = None,
    *,
    session: boto3.Session | None = None,
    clock: Callable[[], float] = time.time,
    out: TextIO = sys.stdout,
) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in arguments
    try:
        args = _parser().parse_args(arguments)
        aws = session or boto3.Session(region_name=args.region)
        now = clock()
        stack = read_stack(aws.client("cloudformation", config=CLIENT_CONFIG), args.stack)
        snapshot = read_snapshot(
            stack,
            aws.client("dynamodb", config=CLIENT_CONFIG),
            aws.client("ecs", config=CLIENT_CONFIG),
            now=now,
            since=now - args.since,
        )
    except BadInputError as error:
        return _not_shown(str(error), as_json=as_json, out=out)
    except NotTheSuiteError as error:
        return _not_shown(str(error), as_json=as_json, out=out)
    except (ClientError, BotoCoreError) as error:
        return _not_shown(_aws_error(error, arguments), as_json=as_json, out=out)
    out.write((json.dumps(status_document(snapshot), indent=2) if args.json else status_text(snapshot)) + "\n")
    return EXIT_SHOWN


def _aws_error(error: ClientError | BotoCoreError, arguments: list[str]) -> str:
    if isinstance(error, NoRegionError):
        return NO_REGION
    if isinstance(error, NoCredentialsError):
        return NO_CREDENTIALS
    if isinstance(error, ProfileNotFound):
        return f"{error}: set AWS_PROFILE to a profile of your AWS config files, or unset it"
    if not isinstance(error, ClientError):
        return f"AWS could not be reached: {error}"
    code, message = error_code(error), error_message(error)
    operation = error.operation_name
    if operation == "DescribeStacks" and code == "ValidationError" and "does not exist" in message:
        return f"{message}: no stack by that name in this account and Region (check --stack and --region)"
    if code in THROTTLED_OR_UNAVAILABLE:
        return f"AWS is throttling or unavailable ({operation}: {code}) after the SDK's retries; try again shortly"
    if "AccessDenied" in code or code == "UnauthorizedOperation":
        return f"not allowed: {operation}: {message} (the read-only policy status needs is in docs/status.md)"
    return f"{operation} failed: {code}: {message}"


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="fleetops-status",
        description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 shown, 2 not shown (bad input, no such stack, or AWS not reached or refusing: "
        "the reason is one line on stderr).",
    )
    parser.add_argument("--stack", required=True, type=_named, help="the suite's stack name (or stack ID)")
    parser.add_argument("--region", type=_named, help="AWS Region (default: boto3's, from AWS_REGION or the profile)")
    parser.add_argument(
        "--since",
        type=_window,
        default=_window(DEFAULT_SINCE),
        help=f"how far back decisions and verifications are shown: 90m, 6h, 2d (default {DEFAULT_SINCE}; "
        "their records are kept 48 h)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON document instead of text")
    return parser


def _named(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text.strip()


def _window(text: str) -> float:
    """A duration: "90m", "6h", "2d" or plain seconds, more than 0."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], units[text[-1]]) if text and text[-1] in units else (text, 1)
    try:
        value = float(number) * unit
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a duration such as 90m, 6h or 2d, got {text!r}")
    return value


def _not_shown(reason: str, *, as_json: bool, out: TextIO) -> int:
    print(f"error: {reason}", file=sys.stderr)
    if as_json:
        out.write(json.dumps({"error": reason}, indent=2) + "\n")
    return EXIT_NOT_SHOWN


if __name__ == "__main__":
    sys.exit(main())
