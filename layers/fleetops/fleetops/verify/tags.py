"""A service's verification from its own tags, over the stack's configuration, key by key.

Precedence, key by key: the service's tag, then the stack's entry for the service (``VERIFY_SERVICES``:
``cluster/service``, else ``service``, else ``*``: the most specific entry, whole, as before), then the
built-in default. Each tag's value goes through the stack's own parser (``parse_service_checks``), so it is
held to the same rules: smoke hosts on SMOKE_ALLOWED_HOSTS, the smoke budget, the bake's bounds, and no
rollback where the stack may not make one. A tag that fails is left out and returned as a ``BadTag``.

| key                          | value                                    | replaces the stack's |
|------------------------------|------------------------------------------|----------------------|
| ``fleetops:verify:smoke-urls`` | space-separated http(s) URLs, GET, 200 | ``smoke``            |
| ``fleetops:verify:alarms``     | space-separated CloudWatch alarm names | ``alarms``           |
| ``fleetops:verify:bake-seconds`` | whole number, 0 to 21600             | ``bake_seconds``     |
| ``fleetops:verify:rollback``   | ``true`` or ``false``                    | ``rollback``         |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from fleetops.service_tags import (
    ALARMS,
    BAKE_SECONDS,
    ROLLBACK,
    SMOKE_URLS,
    TAG_WHERE,
    VERIFY_KEYS,
    BadTag,
    problem_of,
    suite_tags,
    unknown_suite_tags,
    whole_number,
    words,
)
from fleetops.verify.config import ServiceChecks, parse_service_checks
from fleetops.verify.settings import VerifySettings


def checks_with_tags(
    checks: ServiceChecks, service_arn: str, tags: Iterable[tuple[str, str]], settings: VerifySettings
) -> tuple[ServiceChecks, list[BadTag]]:
    """``checks`` (the stack's, for this service) with each valid verification tag of the service in its
    key's place, and the tags left out. Alarms are taken before the bake, which needs one to watch."""
    tags = tuple(tags)
    found = suite_tags(tags, VERIFY_KEYS)
    bad = unknown_suite_tags(service_arn, tags)

    def take(key: str, raw: dict[str, Any], field: str) -> None:
        nonlocal checks
        errors: list[str] = []
        parsed = parse_service_checks(raw, settings.smoke_allowed_hosts, TAG_WHERE, errors)
        settings.refuse_rollback_it_may_not_make(parsed, TAG_WHERE, errors)
        if errors:
            bad.append(BadTag(service_arn, key, found[key], problem_of(errors)))
        else:
            checks = replace(checks, **{field: getattr(parsed, field)})

    if SMOKE_URLS in found:
        urls = words(found[SMOKE_URLS])
        if urls:
            take(SMOKE_URLS, {"smoke": [{"url": url} for url in urls]}, "smoke")
        else:
            bad.append(BadTag(service_arn, SMOKE_URLS, found[SMOKE_URLS], "it names no URL"))
    if ALARMS in found:
        names = words(found[ALARMS])
        if names:
            take(ALARMS, {"alarms": names}, "alarms")
        else:
            bad.append(BadTag(service_arn, ALARMS, found[ALARMS], "it names no alarm"))
    if BAKE_SECONDS in found:
        bake = {"bake_seconds": whole_number(found[BAKE_SECONDS]), "alarms": list(checks.alarms)}
        take(BAKE_SECONDS, bake, "bake_seconds")
    if ROLLBACK in found:
        flag = {"true": True, "false": False}.get(found[ROLLBACK].strip().lower(), found[ROLLBACK])
        take(ROLLBACK, {"rollback": flag}, "rollback")
    return checks, bad
