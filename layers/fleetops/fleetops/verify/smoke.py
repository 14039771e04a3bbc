"""HTTP smoke checks: one request per attempt, TLS verified, a timeout, retries with backoff, and only
to hosts on the allow-list. Imported only when a smoke check runs (urllib and ssl cost cold start)."""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from fleetops.models.verify import SmokeOutcome
from fleetops.verify.config import SmokeCheck

# Enough of a body to find a fragment in, never a whole download.
MAX_BODY_BYTES = 64 * 1024
USER_AGENT = "ecs-fleet-ops-verify/1"


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
) -> SmokeOutcome:
    """Try the request up to ``retries + 1`` times; the first answer as expected passes."""
    if check.host not in allowed_hosts:
        # Configuration is validated before this, so this is the last line of defence, not the first.
        raise HostNotAllowedError(f"smoke check host {check.host!r} is not on the allow-list")
    opener = _opener()
    detail = "not tried"
    status: int | None = None
    attempts = 0
    for attempt in range(check.retries + 1):
        if attempt:
            sleep(check.backoff_seconds * 2 ** (attempt - 1))
        attempts += 1
        status, detail, passed = _attempt(opener, check)
        if passed:
            return SmokeOutcome(check.url, check.method, True, attempts, status, detail)
    return SmokeOutcome(check.url, check.method, False, attempts, status, detail)


def _attempt(opener: urllib.request.OpenerDirector, check: SmokeCheck) -> tuple[int | None, str, bool]:
    request = urllib.request.Request(
        check.url,
        method=check.method,
        headers={"User-Agent": USER_AGENT, **dict(check.headers)},
        data=b"" if check.method in ("POST", "PUT") else None,
    )
    try:
        with opener.open(request, timeout=check.timeout_seconds) as response:
            status = int(response.status)
            body = response.read(MAX_BODY_BYTES)
    except urllib.error.HTTPError as error:  # a 4xx/5xx (or an unfollowed 3xx) is an answer, not a crash
        status = int(error.code)
        body = error.read(MAX_BODY_BYTES) if error.fp is not None else b""
    except (urllib.error.URLError, TimeoutError, ConnectionError, ssl.SSLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return None, f"no answer: {type(reason).__name__}: {reason}"[:300], False
    if status != check.expect_status:
        return status, f"expected status {check.expect_status}, got {status}", False
    if check.expect_body and check.expect_body not in body.decode("utf-8", errors="replace"):
        return status, f"body does not contain {check.expect_body!r}", False
    return status, "as expected", True
