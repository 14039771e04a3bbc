"""Configuration is typed, checked once, and every error is reported together; no configuration at all
verifies with sensible defaults."""

from __future__ import annotations

import json

import pytest

from fleetops.errors import ConfigurationError
from fleetops.verify.config import SmokeCheck, parse_service_checks
from fleetops.verify.settings import VerifySettings

REQUIRED = {
    "RECHECK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/verify-rechecks",
    "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/dead-letters",
    "IDEMPOTENCY_TABLE": "idempotency",
    "VERIFY_STATE_TABLE": "verify-state",
    "CLUSTER_NAMES": "*",
}


def test_with_no_configuration_every_built_in_check_runs_and_nothing_is_rolled_back() -> None:
    settings = VerifySettings.from_environment(REQUIRED)
    checks = settings.checks_for("prod", "web")
    assert (checks.deployment, checks.tasks, checks.container_health, checks.targets) == (True, True, True, True)
    assert checks.smoke == () and checks.alarms == ()
    assert settings.rollback_wanted(checks) is False


def test_the_most_specific_service_key_wins() -> None:
    services = {"*": {"targets": False}, "web": {"alarms": ["a"]}, "prod/web": {"rollback": True}}
    environ = {**REQUIRED, "ROLLBACK_ENABLED": "true", "VERIFY_SERVICES": json.dumps(services)}
    settings = VerifySettings.from_environment(environ)
    assert settings.checks_for("arn:aws:ecs:us-east-1:123456789012:cluster/prod", "web").rollback is True
    assert settings.checks_for("staging", "web").alarms == ("a",)
    assert settings.checks_for("staging", "worker").targets is False


def test_every_error_is_reported_at_once() -> None:
    services = {
        "web": {
            "smoke": [{"url": "https://evil.example.net/"}, {"url": "ftp://web.example.com"}],
            "bake_seconds": 300,
            "retries": 3,
        }
    }
    environ = {**REQUIRED, "VERIFY_SERVICES": json.dumps(services), "SMOKE_ALLOWED_HOSTS": "web.example.com"}
    del environ["VERIFY_STATE_TABLE"]
    with pytest.raises(ConfigurationError) as raised:
        VerifySettings.from_environment(environ)
    message = str(raised.value)
    assert "VERIFY_STATE_TABLE is required" in message
    assert "'evil.example.net' is not on the allow-list" in message
    assert "must be an http:// or https:// URL" in message
    assert "no alarm is named" in message
    assert "unknown keys ['retries']" in message


def test_verify_services_must_be_json() -> None:
    with pytest.raises(ConfigurationError, match="VERIFY_SERVICES is not JSON"):
        VerifySettings.from_environment({**REQUIRED, "VERIFY_SERVICES": "{web: yes}"})


def test_smoke_checks_whose_worst_case_outlives_the_invocation_are_refused() -> None:
    errors: list[str] = []
    slow = {"url": "https://web.example.com/", "timeout_seconds": 30, "retries": 5, "backoff_seconds": 10}
    parse_service_checks({"smoke": [slow]}, frozenset({"web.example.com"}), "checks", errors)
    assert any("worst case" in error for error in errors)


def test_a_smoke_check_has_safe_defaults() -> None:
    errors: list[str] = []
    checks = parse_service_checks(
        {"smoke": [{"url": "https://web.example.com/health"}]}, frozenset({"web.example.com"}), "c", errors
    )
    assert errors == []
    assert checks.smoke == (SmokeCheck(url="https://web.example.com/health"),)
    assert checks.smoke[0].worst_case_seconds == 3 * 5.0 + 1.0 + 2.0


@pytest.mark.parametrize(
    "url",
    [
        "https://web.example.com@evil.example.net/",  # another host behind an allowed name
        "https://evil.example.net@web.example.com/",  # the allowed host, but with userinfo another parser may read
        "https://user:secret@web.example.com/health",
        "https://@web.example.com/",
        "https://web.example.com%2Eevil.example.net/",
        "https://web%2Eexample.com/",
    ],
)
def test_a_smoke_url_with_userinfo_or_a_percent_escaped_host_is_refused(url: str) -> None:
    errors: list[str] = []
    checks = parse_service_checks({"smoke": [{"url": url}]}, frozenset({"web.example.com"}), "checks", errors)
    assert any("must name its host plainly" in error for error in errors), errors
    assert checks.smoke[0].url == ""


def test_the_smoke_run_s_deadline_is_the_budget_or_what_the_invocation_has_left_minus_a_margin() -> None:
    from fleetops.verify.config import smoke_run_seconds

    assert smoke_run_seconds(None) == 90.0  # the console command: no Lambda timeout
    assert smoke_run_seconds(120_000) == 90.0
    assert smoke_run_seconds(60_000) == 45.0  # 15 s kept for the alarms, the answer and the message
    assert smoke_run_seconds(10_000) == 0.0


def test_the_verify_job_needs_cluster_names_star_or_names_never_empty_for_all() -> None:
    for empty in ("", " , "):
        with pytest.raises(ConfigurationError, match=r"CLUSTER_NAMES is required: .* or \* for every cluster"):
            VerifySettings.from_environment({**REQUIRED, "CLUSTER_NAMES": empty})
    assert VerifySettings.from_environment(REQUIRED).clusters.everything
    named = VerifySettings.from_environment({**REQUIRED, "CLUSTER_NAMES": "prod"}).clusters
    assert named.includes("prod") and not named.includes("staging")
