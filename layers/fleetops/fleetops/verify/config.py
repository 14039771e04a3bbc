"""Typed, per-service verification configuration, with every error collected and named.

The same shape is read from the ``VERIFY_SERVICES`` environment variable (a JSON object keyed by
``cluster/service``, ``service`` or ``*``) and from a direct invocation's ``checks`` object::

    {"smoke": [{"url": "https://web.example.com/health", "expect_status": 200, "expect_body": "ok"}],
     "alarms": ["web-5xx"], "bake_seconds": 300, "rollback": true}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fleetops.models.ecs import cluster_name

# A Lambda invocation must finish within its timeout (the template gives 120 s): the smoke checks'
# worst case (every attempt timing out, every backoff slept) is held well under it.
SMOKE_BUDGET_SECONDS = 90.0
# Held back from the invocation's remaining time when the smoke run's deadline is set: enough for the
# alarm look, the rollback or hook answer, and the SNS message that follow the smoke checks.
SMOKE_SAFETY_MARGIN_SECONDS = 15.0
MAX_SMOKE_CHECKS = 10
MAX_RETRIES = 5
MAX_TIMEOUT_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 10.0
# The alarm bake runs as delayed re-checks; 6 hours covers any sensible bake and bounds the loop.
MAX_BAKE_SECONDS = 6 * 3600
# DescribeAlarms takes at most 100 alarm names per call.
MAX_ALARMS = 100
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "OPTIONS"})
_KNOWN_SERVICE_KEYS = frozenset(
    {"deployment", "tasks", "container_health", "targets", "smoke", "alarms", "bake_seconds", "rollback"}
)
_KNOWN_SMOKE_KEYS = frozenset(
    {"url", "method", "expect_status", "expect_body", "timeout_seconds", "retries", "backoff_seconds", "headers"}
)


@dataclass(frozen=True, slots=True)
class SmokeCheck:
    """One HTTP request that must answer as expected."""

    url: str
    """http(s) URL; its host must be on the allow-list (SMOKE_ALLOWED_HOSTS)."""
    method: str = "GET"
    expect_status: int = 200
    """The exact status expected. Redirects are not followed: a 301 is a 301."""
    expect_body: str = ""
    """A fragment the body must contain (first 64 KiB); empty = any body."""
    timeout_seconds: float = 5.0
    """Per attempt (connect and read)."""
    retries: int = 2
    """Further attempts after a failed one, so 2 means up to 3 requests."""
    backoff_seconds: float = 1.0
    """Wait before the first retry; doubled before each next one."""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def worst_case_seconds(self) -> float:
        attempts = self.retries + 1
        backoff = sum(self.backoff_seconds * 2**i for i in range(self.retries))
        return float(attempts * self.timeout_seconds + backoff)


@dataclass(frozen=True, slots=True)
class ServiceChecks:
    """Which checks run for a service. The defaults verify any service with no configuration at all."""

    deployment: bool = True
    """PRIMARY deployment COMPLETED, exactly one deployment left, no failed tasks."""
    tasks: bool = True
    """running == desired, none pending, every running task on the expected task definition (and image)."""
    container_health: bool = True
    """Every container with a health check reports HEALTHY."""
    targets: bool = True
    """Every target group of the service: all targets healthy (draining ignored), as many as tasks."""
    smoke: tuple[SmokeCheck, ...] = ()
    alarms: tuple[str, ...] = ()
    """CloudWatch alarm names that must stay out of ALARM during the bake period."""
    bake_seconds: int = 0
    """How long the alarms are watched after the other checks pass (0 = looked at once)."""
    rollback: bool | None = None
    """Roll back on failure; None = the function's default (ROLLBACK_ENABLED)."""


def smoke_run_seconds(remaining_millis: int | None) -> float:
    """How long one smoke run (every smoke check of a verification) may take, retries and backoff
    included: the configured budget, and never more than the invocation has left minus a margin."""
    if remaining_millis is None:
        return SMOKE_BUDGET_SECONDS
    return max(0.0, min(SMOKE_BUDGET_SECONDS, remaining_millis / 1000 - SMOKE_SAFETY_MARGIN_SECONDS))


def parse_service_checks(
    raw: Any, allowed_hosts: frozenset[str] | None, where: str, errors: list[str]
) -> ServiceChecks:
    """Parse one service's checks; each problem is appended to ``errors`` prefixed with ``where``.
    ``allowed_hosts`` None: smoke hosts are not held to an allow-list here (a file checked before the
    stack's SmokeAllowedHosts is known); the function always passes its own."""
    if not isinstance(raw, Mapping):
        errors.append(f"{where} must be a JSON object, got {type(raw).__name__}")
        return ServiceChecks()
    unknown = sorted(set(raw) - _KNOWN_SERVICE_KEYS)
    if unknown:
        errors.append(f"{where} has unknown keys {unknown} (known: {sorted(_KNOWN_SERVICE_KEYS)})")
    flags = {
        name: _flag(raw, name, True, where, errors) for name in ("deployment", "tasks", "container_health", "targets")
    }
    smoke_raw = raw.get("smoke", [])
    smoke: list[SmokeCheck] = []
    if not isinstance(smoke_raw, list):
        errors.append(f"{where}.smoke must be a list")
    elif len(smoke_raw) > MAX_SMOKE_CHECKS:
        errors.append(f"{where}.smoke has {len(smoke_raw)} checks; at most {MAX_SMOKE_CHECKS}")
    else:
        smoke = [_smoke(item, allowed_hosts, f"{where}.smoke[{i}]", errors) for i, item in enumerate(smoke_raw)]
        worst = sum(check.worst_case_seconds for check in smoke)
        if worst > SMOKE_BUDGET_SECONDS:
            errors.append(
                f"{where}.smoke could take {worst:.0f} s in the worst case (timeouts x attempts + backoff); "
                f"keep it under {SMOKE_BUDGET_SECONDS:.0f} s"
            )
    alarms = raw.get("alarms", [])
    if not isinstance(alarms, list) or not all(isinstance(a, str) and a.strip() for a in alarms):
        errors.append(f"{where}.alarms must be a list of alarm names")
        alarms = []
    elif len(alarms) > MAX_ALARMS:
        errors.append(f"{where}.alarms names {len(alarms)} alarms; at most {MAX_ALARMS}")
    bake = raw.get("bake_seconds", 0)
    if isinstance(bake, bool) or not isinstance(bake, int) or not 0 <= bake <= MAX_BAKE_SECONDS:
        errors.append(f"{where}.bake_seconds must be a whole number from 0 to {MAX_BAKE_SECONDS}, got {bake!r}")
        bake = 0
    elif bake and not alarms:
        errors.append(f"{where}.bake_seconds is {bake} but no alarm is named: there would be nothing to watch")
    rollback = raw.get("rollback")
    if rollback is not None and not isinstance(rollback, bool):
        errors.append(f"{where}.rollback must be true or false, got {rollback!r}")
        rollback = None
    return ServiceChecks(
        deployment=flags["deployment"],
        tasks=flags["tasks"],
        container_health=flags["container_health"],
        targets=flags["targets"],
        smoke=tuple(smoke),
        alarms=tuple(dict.fromkeys(a.strip() for a in alarms)),
        bake_seconds=bake,
        rollback=rollback,
    )


def parse_services_text(
    text: str, allowed_hosts: frozenset[str] | None, errors: list[str], *, source: str = "VERIFY_SERVICES"
) -> dict[str, ServiceChecks]:
    """The services' JSON text (``VERIFY_SERVICES``, the SSM parameter, a file: ``source`` names it in
    every error); empty = no service configured."""
    if not text.strip():
        return {}
    try:
        parsed = json.loads(text)
    except ValueError as error:
        errors.append(f"{source} is not JSON: {error}")
        return {}
    return parse_services_map(parsed, allowed_hosts, errors, source=source)


def parse_services_map(
    raw: Any, allowed_hosts: frozenset[str] | None, errors: list[str], *, source: str = "VERIFY_SERVICES"
) -> dict[str, ServiceChecks]:
    """``{"prod/web": {...}, "worker": {...}, "*": {...}}``: most specific key wins."""
    if not isinstance(raw, Mapping):
        errors.append(f"{source} must be a JSON object keyed by 'cluster/service', 'service' or '*'")
        return {}
    return {
        str(key): parse_service_checks(value, allowed_hosts, f"{source}[{key!r}]", errors) for key, value in raw.items()
    }


def checks_for(services: Mapping[str, ServiceChecks], cluster: str | None, service: str) -> ServiceChecks:
    for key in (f"{cluster_name(cluster or '')}/{service}", service, "*"):
        if key in services:
            return services[key]
    return ServiceChecks()


def _flag(raw: Mapping[str, Any], name: str, default: bool, where: str, errors: list[str]) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        errors.append(f"{where}.{name} must be true or false, got {value!r}")
        return default
    return value


def _smoke(raw: Any, allowed_hosts: frozenset[str] | None, where: str, errors: list[str]) -> SmokeCheck:
    if not isinstance(raw, Mapping):
        errors.append(f"{where} must be an object with at least a 'url'")
        return SmokeCheck(url="")
    unknown = sorted(set(raw) - _KNOWN_SMOKE_KEYS)
    if unknown:
        errors.append(f"{where} has unknown keys {unknown}")
    url = raw.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        errors.append(f"{where}.url must be an http:// or https:// URL, got {url!r}")
        url = ""
    elif "@" in parts.netloc or "%" in parts.netloc:
        # userinfo (``https://allowed.example.com@elsewhere/``) or a percent-escape in the host can make
        # a parser other than urlsplit see another host than the one the allow-list approved.
        errors.append(f"{where}.url must name its host plainly: no user name, password or '%' in {url!r}")
        url = ""
    elif allowed_hosts is not None and parts.hostname.lower() not in allowed_hosts:
        errors.append(
            f"{where}.url host {parts.hostname!r} is not on the allow-list SMOKE_ALLOWED_HOSTS "
            f"({', '.join(sorted(allowed_hosts)) or 'empty'})"
        )
    method = str(raw.get("method", "GET")).upper()
    if method not in _METHODS:
        errors.append(f"{where}.method must be one of {sorted(_METHODS)}, got {method!r}")
    status = raw.get("expect_status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        errors.append(f"{where}.expect_status must be an HTTP status (100-599), got {status!r}")
        status = 200
    body = raw.get("expect_body", "")
    if not isinstance(body, str):
        errors.append(f"{where}.expect_body must be text")
        body = ""
    timeout = _number(raw, "timeout_seconds", 5.0, 0.1, MAX_TIMEOUT_SECONDS, where, errors)
    backoff = _number(raw, "backoff_seconds", 1.0, 0.0, MAX_BACKOFF_SECONDS, where, errors)
    retries = raw.get("retries", 2)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        errors.append(f"{where}.retries must be a whole number from 0 to {MAX_RETRIES}, got {retries!r}")
        retries = 2
    headers = raw.get("headers", {})
    if not isinstance(headers, Mapping) or not all(isinstance(v, str) for v in headers.values()):
        errors.append(f"{where}.headers must be an object of text values")
        headers = {}
    return SmokeCheck(
        url=str(url),
        method=method,
        expect_status=status,
        expect_body=body,
        timeout_seconds=timeout,
        retries=retries,
        backoff_seconds=backoff,
        headers=tuple((str(k), v) for k, v in headers.items()),
    )


def _number(
    raw: Mapping[str, Any], name: str, default: float, low: float, high: float, where: str, errors: list[str]
) -> float:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        errors.append(f"{where}.{name} must be a number from {low:g} to {high:g}, got {value!r}")
        return default
    return float(value)
