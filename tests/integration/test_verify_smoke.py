"""HTTP smoke checks against a real server on 127.0.0.1: expected status and body, retries with backoff,
a timeout, no redirects followed, and never a request to a host nobody allowed."""

from __future__ import annotations

import ssl
import time

import pytest

from fleetops.verify.config import SmokeCheck
from fleetops.verify.smoke import HostNotAllowedError, run_smoke_check, tls_context
from simulator.http_server import Route, local_http_server

LOOPBACK = frozenset({"127.0.0.1"})


def test_a_healthy_endpoint_passes_on_the_first_attempt() -> None:
    with local_http_server({"/health": Route(200, '{"status": "ok"}')}) as server:
        outcome = run_smoke_check(SmokeCheck(url=server.url("/health"), expect_body='"ok"'), LOOPBACK)
    assert (outcome.passed, outcome.status, outcome.attempts) == (True, 200, 1)


def test_a_service_warming_up_passes_after_retries_with_doubling_backoff() -> None:
    sleeps: list[float] = []
    with local_http_server({"/health": Route(200, "ok", fail_first=2)}) as server:
        check = SmokeCheck(url=server.url("/health"), retries=3, backoff_seconds=0.5)
        outcome = run_smoke_check(check, LOOPBACK, sleep=sleeps.append)
    assert outcome.passed and outcome.attempts == 3
    assert sleeps == [0.5, 1.0]


def test_a_wrong_status_fails_after_every_retry() -> None:
    sleeps: list[float] = []
    with local_http_server({"/health": Route(500, "boom")}) as server:
        outcome = run_smoke_check(SmokeCheck(url=server.url("/health"), retries=2), LOOPBACK, sleep=sleeps.append)
        assert server.hits("/health") == 3
    assert not outcome.passed
    assert (outcome.status, outcome.detail) == (500, "expected status 200, got 500")
    assert sleeps == [1.0, 2.0]


def test_a_body_without_the_expected_fragment_fails() -> None:
    with local_http_server({"/version": Route(200, "web 1.4.1")}) as server:
        outcome = run_smoke_check(SmokeCheck(url=server.url("/version"), expect_body="1.4.2", retries=0), LOOPBACK)
    assert not outcome.passed
    assert "does not contain '1.4.2'" in outcome.detail


def test_a_slow_endpoint_times_out() -> None:
    with local_http_server({"/slow": Route(200, "late", delay_seconds=1.0)}) as server:
        outcome = run_smoke_check(SmokeCheck(url=server.url("/slow"), timeout_seconds=0.2, retries=0), LOOPBACK)
    assert not outcome.passed
    assert outcome.status is None
    assert "no answer" in outcome.detail


def test_a_redirect_is_not_followed_it_could_lead_anywhere() -> None:
    redirect = Route(302, "", headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with local_http_server({"/login": redirect}) as server:
        outcome = run_smoke_check(SmokeCheck(url=server.url("/login"), retries=0), LOOPBACK)
        assert server.requests == [("GET", "/login")]
    assert (outcome.passed, outcome.status) == (False, 302)


def test_a_host_off_the_allow_list_is_never_called() -> None:
    with local_http_server({"/health": Route()}) as server:
        with pytest.raises(HostNotAllowedError):
            run_smoke_check(SmokeCheck(url=server.url("/health")), frozenset({"web.example.com"}))
        assert server.requests == []


def test_tls_is_verified_with_hostname_checking() -> None:
    context = tls_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_retries_stop_at_the_smoke_run_s_deadline_and_the_check_fails() -> None:
    with local_http_server({"/health": Route(200, "ok", delay_seconds=10.0)}) as server:
        check = SmokeCheck(url=server.url("/health"), timeout_seconds=2.0, retries=5, backoff_seconds=0.0)
        started = time.monotonic()
        outcome = run_smoke_check(check, LOOPBACK, deadline=started + 3.0)
        elapsed = time.monotonic() - started
    assert not outcome.passed
    assert outcome.detail.startswith("smoke budget spent after")
    # Six attempts of 2 s would take 12 s; the 3 s deadline stops them (margins wide enough for a loaded machine).
    assert elapsed < 8


def test_a_body_that_trickles_in_cannot_outlast_the_deadline() -> None:
    # urllib's timeout is per socket read: one byte every 0.1 s never trips a 0.5 s timeout.
    with local_http_server({"/health": Route(200, "o" * 40 + "k", trickle_seconds=0.1)}) as server:
        check = SmokeCheck(url=server.url("/health"), expect_body="k", timeout_seconds=0.5, retries=0)
        started = time.monotonic()
        outcome = run_smoke_check(check, LOOPBACK, deadline=started + 1.0)
        elapsed = time.monotonic() - started
    assert not outcome.passed
    assert elapsed < 1.6  # the whole body would have taken 4 s
