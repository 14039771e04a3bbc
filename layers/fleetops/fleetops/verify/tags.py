"""A service's verification from its own tags, over the stack's configuration, key by key.

The stack's entry for the service (``VERIFY_SERVICES``: ``cluster/service``, else ``service``, else ``*``:
the most specific entry, whole, as before) is what the platform team requires; a service's tags can only
add to it. Each tag's value goes through the stack's own parser (``parse_service_checks``), so it is held to
the same rules: smoke hosts on SMOKE_ALLOWED_HOSTS, at most 10 smoke checks within the smoke budget (the
stack's and the tag's together), the bake's bounds, and no rollback where the stack may not make one. A tag
that fails is left out and returned as a ``BadTag``.

| key                          | value                                    | with the stack's      |
|------------------------------|------------------------------------------|-----------------------|
| ``fleetops:verify:smoke-urls`` | space-separated http(s) URLs, GET, 200 | added to ``smoke``    |
| ``fleetops:verify:alarms``     | space-separated CloudWatch alarm names | added to ``alarms``   |
| ``fleetops:verify:bake-seconds`` | whole number, 0 to 21600             | lengthens ``bake_seconds`` |
| ``fleetops:verify:rollback``   | ``true`` or ``false``                    | only where unset      |

Why adding and not replacing: a team that could replace the smoke checks or alarms the platform required
with a trivial one, or shorten the bake to 0, would be widening what a release may get away with — the
opposite of a guard rail. Rollback is the platform's where the stack's entry for the service states it
(either way); a tag chooses only where it does not, and never turns it on where the stack may not roll back.
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
from fleetops.verify.config import (
    MAX_SMOKE_CHECKS,
    SMOKE_BUDGET_SECONDS,
    ServiceChecks,
    parse_service_checks,
)
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
        checks, problem = _add_smoke(checks, found[SMOKE_URLS], settings)
        if problem:
            bad.append(BadTag(service_arn, SMOKE_URLS, found[SMOKE_URLS], problem))
    if ALARMS in found:
        names = words(found[ALARMS])
        if names:
            take(ALARMS, {"alarms": list(dict.fromkeys([*checks.alarms, *names]))}, "alarms")
        else:
            bad.append(BadTag(service_arn, ALARMS, found[ALARMS], "it names no alarm"))
    if BAKE_SECONDS in found:
        seconds = whole_number(found[BAKE_SECONDS])
        if isinstance(seconds, int) and 0 <= seconds < checks.bake_seconds:
            problem = (
                f"the stack requires a bake of at least {checks.bake_seconds} s; a tag can lengthen it, not shorten it"
            )
            bad.append(BadTag(service_arn, BAKE_SECONDS, found[BAKE_SECONDS], problem))
        else:
            take(BAKE_SECONDS, {"bake_seconds": seconds, "alarms": list(checks.alarms)}, "bake_seconds")
    if ROLLBACK in found:
        flag = {"true": True, "false": False}.get(found[ROLLBACK].strip().lower(), found[ROLLBACK])
        if isinstance(flag, bool) and checks.rollback is not None and flag is not checks.rollback:
            # The platform decided for this service: a tag may choose only where the stack's entry did not.
            stated = "true" if checks.rollback else "false"
            problem = f"the stack's configuration for this service sets rollback to {stated}, which a tag cannot change"
            bad.append(BadTag(service_arn, ROLLBACK, found[ROLLBACK], problem))
        else:
            take(ROLLBACK, {"rollback": flag}, "rollback")
    return checks, bad


def _add_smoke(checks: ServiceChecks, value: str, settings: VerifySettings) -> tuple[ServiceChecks, str]:
    """The stack's smoke checks, then the tag's URLs not already among them; or the stack's alone, and why,
    when a URL is refused or both together would break the limits the stack's own configuration is held to."""
    urls = words(value)
    if not urls:
        return checks, "it names no URL"
    required = {check.url for check in checks.smoke}
    added = list(dict.fromkeys(url for url in urls if url not in required))
    if not added:
        return checks, ""
    errors: list[str] = []
    parsed = parse_service_checks(
        {"smoke": [{"url": url} for url in added]}, settings.smoke_allowed_hosts, TAG_WHERE, errors
    )
    smoke = (*checks.smoke, *parsed.smoke)
    worst = sum(check.worst_case_seconds for check in smoke)
    if errors:
        return checks, problem_of(errors)
    if len(smoke) > MAX_SMOKE_CHECKS:
        return (
            checks,
            f"with the stack's {len(checks.smoke)} smoke checks it makes {len(smoke)}; at most {MAX_SMOKE_CHECKS}",
        )
    if worst > SMOKE_BUDGET_SECONDS:
        return checks, (
            f"with the stack's smoke checks it could take {worst:.0f} s in the worst case (timeouts x attempts + "
            f"backoff); keep it under {SMOKE_BUDGET_SECONDS:.0f} s"
        )
    return replace(checks, smoke=smoke), ""
