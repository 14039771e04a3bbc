"""The console command a CI job runs with its own credentials: same checks, exit code says the verdict."""

from __future__ import annotations

import io
import json

import pytest

from fleetops_cli.verify import EXIT_FAILED, EXIT_NOT_VERIFIED, EXIT_PASSED, main
from simulator.http_server import Route, local_http_server
from simulator.worlds.verify import VerifyWorld, revision_of


def run(verify: VerifyWorld, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), session=verify.session, clock=verify.clock, sleep=verify.clock.advance, out=out)
    return code, out.getvalue()


def test_a_good_release_exits_zero_and_prints_the_report(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    revision = release.task_definition.rsplit("/", 1)[-1]
    code, output = run(verify, "--cluster", "prod", "--service", "web", "--expected-task-definition", revision)
    assert code == EXIT_PASSED
    assert output.startswith("Release of ECS service prod/web: PASSED.")


def test_a_failing_smoke_check_exits_one_with_the_evidence(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    expected = ("--expected-task-definition", revision_of(release.task_definition))
    with local_http_server({"/health": Route(503, "down")}) as server:
        checks = json.dumps({"smoke": [{"url": server.url("/health"), "retries": 1}]})
        code, output = run(
            verify,
            "--cluster",
            "prod",
            "--service",
            "web",
            *expected,
            "--checks",
            checks,
            "--allowed-host",
            "127.0.0.1",
            "--json",
        )
    assert code == EXIT_FAILED
    report = json.loads(output)
    assert report["verdict"] == "FAILED"
    assert report["rollback"] is None  # the console command reports; it never rolls back


def test_the_console_command_polls_the_alarms_through_the_bake(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.deployments.alarm("web-5xx", "OK")
    checks = json.dumps({"alarms": ["web-5xx"], "bake_seconds": 60})
    expected = ("--expected-task-definition", revision_of(release.task_definition))
    code, output = run(verify, "--cluster", "prod", "--service", "web", *expected, "--checks", checks)
    assert code == EXIT_PASSED
    assert verify.clock.elapsed() >= 60
    assert "[PASSED] alarms: 1 alarm(s) stayed out of ALARM" in output


def test_a_smoke_host_off_the_allow_list_is_a_usage_error(
    verify: VerifyWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = json.dumps({"smoke": [{"url": "https://example.org/"}]})
    expected = ("--expected-task-definition", "web:2")
    assert run(verify, "--cluster", "prod", "--service", "web", *expected, "--checks", checks)[0] == EXIT_NOT_VERIFIED
    assert "not on the allow-list" in capsys.readouterr().err


def test_a_service_that_does_not_exist_is_a_usage_error(verify: VerifyWorld) -> None:
    expected = ("--expected-task-definition", "ghost:1")
    assert run(verify, "--cluster", "prod", "--service", "ghost", *expected)[0] == EXIT_NOT_VERIFIED


def test_a_rollout_that_never_settles_is_retried_for_wait_seconds_then_fails(verify: VerifyWorld) -> None:
    verify.given_a_release()
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    verify.deployments.stuck_rollout("web", v3)
    expected = ("--expected-task-definition", revision_of(v3))
    code, output = run(verify, "--cluster", "prod", "--service", "web", *expected, "--wait-seconds", "60")
    assert code == EXIT_FAILED
    assert verify.clock.elapsed() >= 45  # retried every 15 s within the minute
    assert "rollout state is IN_PROGRESS" in output


def test_without_an_expected_release_the_console_command_refuses_to_run(
    verify: VerifyWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    # After a circuit-breaker rollback the service is healthy on the OLD revision: only the expected
    # release tells the two apart, so a CI job must name it.
    verify.given_a_release()
    assert run(verify, "--cluster", "prod", "--service", "web")[0] == EXIT_NOT_VERIFIED
    assert "--expected-task-definition (family:revision or ARN) or --expected-image" in capsys.readouterr().err


def test_a_bare_family_is_not_an_expected_release(verify: VerifyWorld, capsys: pytest.CaptureFixture[str]) -> None:
    verify.given_a_release()
    code, _ = run(verify, "--cluster", "prod", "--service", "web", "--expected-task-definition", "web")
    assert code == EXIT_NOT_VERIFIED
    assert "family:revision or a task definition ARN, got 'web'" in capsys.readouterr().err
