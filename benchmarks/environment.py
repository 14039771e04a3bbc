"""What every benchmark does before it touches the suite: the project on ``sys.path``, an environment in
which nothing can reach AWS (fake credentials that moto accepts and a real endpoint would refuse; no
profile, no shared config files), and quiet handlers."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYER_SOURCE = ROOT / "layers" / "fleetops"

# Fake credentials and no shared config files: botocore never reads a real profile, and moto
# answers every call. The same variables go to the child processes.
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
# The credentials alone, for a job's figures run on their own (python -m benchmarks.<figure>).
FAKE_CREDENTIALS = {
    name: FAKE_AWS_ENVIRONMENT[name]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION")
}
# What the template gives the drain function (values are placeholders: importing creates clients
# but calls nothing). Tracing is off, as in the template's default.
DRAIN_FUNCTION_ENVIRONMENT = {
    "RECHECK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/drain-rechecks",
    "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/dead-letters",
    "IDEMPOTENCY_TABLE": "idempotency",
    "NOTIFICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:fleet-ops-notifications",
    "CLUSTER_NAMES": "prod",
    "AUTO_SCALING_GROUP_NAMES": "prod-hosts",
    "POWERTOOLS_SERVICE_NAME": "ecs-fleet-ops-drain",
    "POWERTOOLS_METRICS_NAMESPACE": "EcsFleetOps",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def use_fake_aws() -> None:
    os.environ.update(FAKE_AWS_ENVIRONMENT)
    os.environ.pop("AWS_PROFILE", None)
    # Handler logs are not part of the report (see silenced); fewer of them keeps the drain quick.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


def use_simulated_aws(**settings: str) -> None:
    """A job's own environment (``settings``: Powertools' switches; kept if already set) on top of the
    fake credentials, set when its figure is measured."""
    for name, value in {**FAKE_CREDENTIALS, **settings}.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_PROFILE", None)


def progress(message: str) -> None:
    """A note on stderr while a slow section runs, only for a person watching a terminal."""
    if sys.stderr.isatty():
        print(f"... {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Powertools writes logs and EMF metrics to stdout, some through stream objects captured at
    import: redirect the file descriptors as well as sys.stdout, so `--json` output stays JSON."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
        try:
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
                warnings.catch_warnings(),
            ):
                warnings.simplefilter("ignore")
                yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
