"""Fresh interpreters: the cold-import and memory figures measure the handler in a child process with a
clean, Lambda-like environment, never in the benchmark's own (which holds moto)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.environment import DRAIN_FUNCTION_ENVIRONMENT, FAKE_AWS_ENVIRONMENT, ROOT, progress

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

# Run with bytecode writing on, to compile the dev venv's packages once (uv installs them without
# bytecode, and `make` sets PYTHONDONTWRITEBYTECODE): boto3 as the handler uses it, since the Lambda
# runtime ships its boto3 compiled, and the moto backends the simulation uses, which would otherwise
# be compiled again at every run (about 15 s).
WARM_UP_CHILD = """
import importlib
import boto3, boto3.dynamodb.types
from botocore.config import Config
session = boto3.Session()
for service in ("ecs", "autoscaling", "sqs", "sns", "dynamodb", "ec2"):
    session.client(service, config=Config(retries={"mode": "standard", "max_attempts": 8}))
importlib.import_module("moto").mock_aws
for service in ("ecs", "ec2", "autoscaling", "sqs", "sns", "dynamodb"):
    for part in ("models", "responses", "urls"):
        importlib.import_module(f"moto.{service}.{part}")
for name in ("moto.backends", "moto.moto_api", "aws_lambda_powertools.utilities.idempotency",
             "aws_lambda_powertools.utilities.batch", "aws_lambda_powertools.metrics"):
    importlib.import_module(name)
"""


def benchmark_python() -> Path:
    return VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)


def child_environment(home: Path) -> dict[str, str]:
    """A clean environment like Lambda's: nothing inherited but PATH, and a HOME with no ~/.aws."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "PYTHONDONTWRITEBYTECODE": "1",
        **FAKE_AWS_ENVIRONMENT,
        **DRAIN_FUNCTION_ENVIRONMENT,
    }


def completed_python(
    code_or_args: list[str], environment: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Runs the benchmark's interpreter with -P (no script or working directory on sys.path)."""
    return subprocess.run(
        [str(benchmark_python()), "-P", *code_or_args],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_python(code_or_args: list[str], environment: dict[str, str], cwd: Path) -> str:
    """``completed_python``'s output; a child that failed raises, with the end of what it wrote."""
    completed = completed_python(code_or_args, environment, cwd)
    if completed.returncode != 0:
        raise RuntimeError(f"child python failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    return completed.stdout


def last_json_line(output: str) -> dict[str, Any]:
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            parsed: dict[str, Any] = json.loads(line)
            return parsed
    raise RuntimeError(f"no JSON in child output: {output[-500:]!r}")


def without_bytecode_writing_ban(environment: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in environment.items() if key != "PYTHONDONTWRITEBYTECODE"}


def warm_up_dev_venv() -> dict[str, Any]:
    """Compiles the dev venv's boto3 and moto once (see WARM_UP_CHILD); it only ever writes there.

    Only a speed-up: the cold-import section compiles what the handler needs from the venv itself."""
    progress("compiling the dev venv's boto3 and moto, if not done before")
    with tempfile.TemporaryDirectory(prefix="fleetops-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        run_python(["-c", WARM_UP_CHILD], without_bytecode_writing_ban(child_environment(scratch)), scratch)
    return {}
