"""The console command misused, as a CI job would misuse it: every case ends with one line on stderr
saying why, no traceback, exit 2 ("could not verify", never 1, "the release failed"), and with
``--json`` a JSON document on stdout all the same."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from fleetops_cli.verify import EXIT_FAILED, EXIT_NOT_VERIFIED, main
from simulator.worlds.verify import VerifyWorld, revision_of

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_deployment.py"
EXPECTED = ("--expected-task-definition", "web:2")


def run_script(*argv: str, tmp_path: Path, region: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real script in a fresh process where boto3's chain can find no credentials: the environment
    names none and points the shared files at paths that do not exist; instance metadata is off, so
    nothing is looked up on the network either."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("AWS_") and key not in ("PYTHONPATH",)
    }
    environment.update(
        {
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
            "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    if region:
        environment["AWS_DEFAULT_REGION"] = region
    return subprocess.run(
        [sys.executable, str(SCRIPT), *argv], env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def run(verify: VerifyWorld, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), session=verify.session, clock=verify.clock, sleep=verify.clock.advance, out=out)
    return code, out.getvalue()


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_without_a_region_the_command_says_so_in_one_line_and_exits_two(tmp_path: Path) -> None:
    done = run_script("--cluster", "prod", "--service", "web", *EXPECTED, "--json", tmp_path=tmp_path)
    assert done.returncode == EXIT_NOT_VERIFIED, done.stderr
    assert "no AWS region: give --region or set AWS_REGION" in one_line(done.stderr)
    document = json.loads(done.stdout)
    assert document["verdict"] == "ERROR"
    assert "no AWS region" in document["reason"]


def test_without_credentials_the_command_says_so_in_one_line_and_exits_two(tmp_path: Path) -> None:
    done = run_script("--cluster", "prod", "--service", "web", *EXPECTED, "--region", "eu-west-1", tmp_path=tmp_path)
    assert done.returncode == EXIT_NOT_VERIFIED, done.stderr
    line = one_line(done.stderr)
    assert "no AWS credentials" in line  # --region was taken: the region is not what is missing
    assert done.stdout == ""


def test_access_denied_is_one_line_exit_two_and_the_json_report_says_error(
    verify: VerifyWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    release = verify.given_a_release()

    def refuse(**_: object) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeServices")

    verify.session.events.register("before-call.ecs.DescribeServices", refuse)
    expected = ("--expected-task-definition", revision_of(release.task_definition))
    code, output = run(verify, "--cluster", "prod", "--service", "web", *expected, "--json")
    assert code == EXIT_NOT_VERIFIED != EXIT_FAILED
    assert "AWS refused DescribeServices: AccessDeniedException (no)" in one_line(capsys.readouterr().err)
    assert json.loads(output)["verdict"] == "ERROR"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--wait-seconds", "-5"], "--wait-seconds"),
        (["--wait-seconds", "nan"], "--wait-seconds"),
        (["--wait-seconds", "inf"], "--wait-seconds"),
        (["--cluster", " "], "--cluster"),
        (["--service", ""], "--service"),
        (["--region", ""], "--region"),
        (["--checks", "{"], "checks are not JSON"),
        (["--checks", '{"bake_seconds": "soon"}'], "invalid checks"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_refused_in_one_line_with_a_json_document(
    verify: VerifyWorld, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    code, output = run(verify, "--cluster", "prod", "--service", "web", *EXPECTED, *argv, "--json")
    assert code == EXIT_NOT_VERIFIED
    assert said in one_line(capsys.readouterr().err)
    document = json.loads(output)
    assert document["verdict"] == "ERROR"
    assert said in document["reason"]


def test_a_missing_required_option_still_gives_a_json_document(
    verify: VerifyWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run(verify, "--service", "web", *EXPECTED, "--json")
    assert code == EXIT_NOT_VERIFIED
    assert "--cluster" in one_line(capsys.readouterr().err)
    assert json.loads(output)["verdict"] == "ERROR"


@pytest.mark.parametrize("python", ["3.6", "3.9", "3.11"])
def test_an_old_python_is_told_which_python_the_script_needs(python: str, tmp_path: Path) -> None:
    # The CI runner's python3 may be anything from 3.6 up; the layer's syntax needs 3.12 (PEP 695
    # generics). Run the real script under that interpreter when this machine has it (pyenv does).
    interpreter = Path.home() / ".pyenv" / "versions"
    found = sorted(interpreter.glob(f"{python}.*/bin/python{python}"))
    if not found:
        pytest.skip(f"no Python {python} on this machine")
    done = subprocess.run(
        [str(found[-1]), str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == EXIT_NOT_VERIFIED
    assert f"needs Python >= 3.12 (found {python}." in one_line(done.stderr)
