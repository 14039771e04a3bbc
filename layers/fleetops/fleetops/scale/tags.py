"""A service rule's bounds narrowed by the service's own tags.

``fleetops:scale:min-tasks`` and ``fleetops:scale:max-tasks`` (whole numbers) replace the rule's ``min``
and ``max`` for that service, key by key (tag, then the declared rule's or, for a derived rule, 1 and
``DerivedServiceMaxTasks``). A tag narrows, never widens: each must lie within the rule's own bounds, and
the minimum may not exceed the maximum. Each value is read by the same code as a rule's ``min``/``max``
in ``SCALING_RULES`` (``parse_bound``). A tag that fails is left out and returned as a ``BadTag``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from fleetops.models.scale import ScalingRule, TargetKind
from fleetops.scale.settings import MAX_SERVICE_TASKS, parse_bound
from fleetops.service_tags import (
    MAX_TASKS,
    MIN_TASKS,
    SCALE_KEYS,
    TAG_WHERE,
    BadTag,
    problem_of,
    suite_tags,
    unknown_suite_tags,
    whole_number,
)


def rule_with_tags(
    rule: ScalingRule, service_arn: str, tags: Iterable[tuple[str, str]]
) -> tuple[ScalingRule, list[BadTag]]:
    """The service rule with the bounds its service's tags give, and the tags left out (a cluster rule is
    returned as it is: its hosts are no service's)."""
    tags = tuple(tags)
    bad = unknown_suite_tags(service_arn, tags)
    if rule.kind is not TargetKind.SERVICE:
        return rule, bad
    assert rule.minimum is not None and rule.maximum is not None  # every service rule has bounds
    found = suite_tags(tags, SCALE_KEYS)
    wanted: dict[str, int] = {}
    for key in (MIN_TASKS, MAX_TASKS):
        if key not in found:
            continue
        errors: list[str] = []
        field = "min" if key == MIN_TASKS else "max"  # the rule's own key, read by the rule's own code
        value = parse_bound({field: whole_number(found[key])}, field, TAG_WHERE, errors, MAX_SERVICE_TASKS)
        if value is not None and not rule.minimum <= value <= rule.maximum:
            errors.append(
                f"{value} is outside the bounds the stack's rule for alarm {rule.alarm_name!r} allows "
                f"({rule.minimum} to {rule.maximum}); a tag may narrow them, not widen them"
            )
        if errors or value is None:
            bad.append(BadTag(service_arn, key, found[key], problem_of(errors)))
        else:
            wanted[key] = value
    if MIN_TASKS in wanted and MAX_TASKS in wanted and wanted[MIN_TASKS] > wanted[MAX_TASKS]:
        problem = f"{MIN_TASKS} ({wanted[MIN_TASKS]}) is greater than {MAX_TASKS} ({wanted[MAX_TASKS]})"
        bad.extend(BadTag(service_arn, key, found[key], problem) for key in (MIN_TASKS, MAX_TASKS))
        return rule, bad
    if not wanted:
        return rule, bad
    narrowed = replace(
        rule,
        minimum=wanted.get(MIN_TASKS, rule.minimum),
        maximum=wanted.get(MAX_TASKS, rule.maximum),
        bounds_from_tags=True,
    )
    return narrowed, bad
