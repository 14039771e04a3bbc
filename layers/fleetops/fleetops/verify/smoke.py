"""HTTP smoke checks: one request per attempt, TLS verified, a timeout, retries with backoff, and only
to hosts on the allow-list. Imported only when a smoke check runs (urllib and ssl cost cold start)."""

from __future__ import annotations

import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fleetops.models.verify import SmokeOutcome
from fleetops.verify.config import SmokeCheck

# Enough of a body to find a fragment in, never a whole download.
MAX_BODY_BYTES = 64 * 1024
USER_AGENT = "ecs-fleet-ops-verify/1"
BODY_CHUNK_BYTES = 8 * 1024


class HostNotAllowedError(Exception):
    pass


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead to a host nobody allowed: it is reported as its own status instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def tls_context() -> ssl.SSLContext:
    """The system's trust store, hostname checked, certificate required (the default context)."""
    return ssl.create_default_context()


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirects(), urllib.request.HTTPSHandler(context=tls_context()))


def run_smoke_check(
    check: SmokeCheck,
    allowed_hosts: frozenset[str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> SmokeOutcome:
    """Try the request up to ``retries + 1`` times; the first answer as expected passes.

    ``deadline`` (on ``clock``) is the whole smoke run's: no attempt starts, and no backoff is slept,
    past it, and an attempt still running at it is abandoned; the check then FAILS. urllib's own timeout
    cannot hold a budget: it applies to each socket operation (a body that trickles in resets it) and to
    each address a name resolves to (three unreachable addresses take three timeouts).
    """
    if check.host not in allowed_hosts:
        # Configuration is validated before this, so this is the last line of defence, not the first.
        raise HostNotAllowedError(f"smoke check host {check.host!r} is not on the allow-list")
    opener = _opener()
    detail = "not tried"
    status: int | None = None
    attempts = 0
    for attempt in range(check.retries + 1):
        if attempt:
            backoff = check.backoff_seconds * 2 ** (attempt - 1)
            if deadline is not None and clock() + backoff >= deadline:
                return _out_of_time(check, attempts, status, detail)
            sleep(backoff)
        left = None if deadline is None else deadline - clock()
        if left is not None and left <= 0:
            return _out_of_time(check, attempts, status, detail)
        attempts += 1
        answer = _attempt(opener, check) if left is None else _attempt_within(opener, check, left, clock)
        if answer is None:
            return _out_of_time(check, attempts, None, "no answer before the smoke budget ran out")
        status, detail, passed = answer
        if passed:
            return SmokeOutcome(check.url, check.method, True, attempts, status, detail)
    return SmokeOutcome(check.url, check.method, False, attempts, status, detail)


def _out_of_time(check: SmokeCheck, attempts: int, status: int | None, detail: str) -> SmokeOutcome:
    last = f"; last attempt: {detail}" if attempts and detail != "not tried" else ""
    return SmokeOutcome(
        check.url, check.method, False, attempts, status, f"smoke budget spent after {attempts} attempt(s){last}"
    )


# What _attempt reports when the socket timed out (urllib raises TimeoutError, or a URLError wrapping one).
_TIMED_OUT = "no answer: TimeoutError"


def _attempt_within(
    opener: urllib.request.OpenerDirector, check: SmokeCheck, seconds: float, clock: Callable[[], float]
) -> tuple[int | None, str, bool] | None:
    """One attempt that returns within ``seconds`` whatever the network does (None when it did not).

    The request runs in a daemon thread that is abandoned at the deadline: its socket timeout (bounded
    by ``seconds`` too) ends it soon after, and a Lambda sandbox that is frozen meanwhile only pauses it.
    """
    bounded = replace(check, timeout_seconds=max(0.05, min(check.timeout_seconds, seconds)))
    answer: list[tuple[int | None, str, bool]] = []
    worker = threading.Thread(
        target=lambda: answer.append(_attempt(opener, bounded, deadline=clock() + seconds, clock=clock)),
        name="smoke-check",
        daemon=True,
    )
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    if not answer:
        return None
    status, detail, _ = answer[0]
    # When the budget, not the check's own timeout, bounds the socket, a socket timeout once the budget's
    # time has passed and the deadline here are one event seen from two threads, whichever notices first:
    # it is the budget running out. A timeout that came sooner (the kernel's ETIMEDOUT) is its own answer.
    budget_bound = seconds < check.timeout_seconds
    budget_gone = time.monotonic() - started >= seconds
    if budget_bound and budget_gone and status is None and detail.startswith(_TIMED_OUT):
        return None
    return answer[0]


def _attempt(
    opener: urllib.request.OpenerDirector,
    check: SmokeCheck,
    *,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[int | None, str, bool]:
    request = urllib.request.Request(
        check.url,
        method=check.method,
        headers={"User-Agent": USER_AGENT, **dict(check.headers)},
        data=b"" if check.method in ("POST", "PUT") else None,
    )
    try:
        with opener.open(request, timeout=check.timeout_seconds) as response:
            status = int(response.status)
            body = _read_body(response, deadline, clock)
    except urllib.error.HTTPError as error:  # a 4xx/5xx (or an unfollowed 3xx) is an answer, not a crash
        status = int(error.code)
        body = error.read(MAX_BODY_BYTES) if error.fp is not None else b""
    except (urllib.error.URLError, TimeoutError, ConnectionError, ssl.SSLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return None, f"no answer: {type(reason).__name__}: {reason}"[:300], False
    if body is None:
        return status, "the body did not arrive before the smoke budget ran out", False
    if status != check.expect_status:
        return status, f"expected status {check.expect_status}, got {status}", False
    if check.expect_body and check.expect_body not in body.decode("utf-8", errors="replace"):
        return status, f"body does not contain {check.expect_body!r}", False
    return status, "as expected", True


def _read_body(response: Any, deadline: float | None, clock: Callable[[], float]) -> bytes | None:
    """Up to MAX_BODY_BYTES, a chunk at a time, giving up at ``deadline`` (None: it passed)."""
    if deadline is None:
        return bytes(response.read(MAX_BODY_BYTES))
    body = b""
    while len(body) < MAX_BODY_BYTES:
        if clock() >= deadline:
            return None
        chunk = response.read1(min(BODY_CHUNK_BYTES, MAX_BODY_BYTES - len(body)))
        if not chunk:
            break
        body += chunk
    return body
