"""Per-service configuration read from the ECS service's own tags: the suite's keys, and a bad tag in words.

A service team tags its service (CreateService, TagResource, its own CloudFormation stack) without a
redeploy of the platform's stack; the jobs read the tags in the DescribeServices call they already make
(``include=["TAGS"]``). A tag may narrow what the stack allows, never widen it: its value is parsed by the
same code as the stack's JSON parameters (``VERIFY_SERVICES``, ``SCALING_RULES``), then held to the stack's
guard rails (``fleetops/verify/tags.py``, ``fleetops/scale/tags.py``). A bad tag is left out (its key falls
back to the stack's value) and reported once (``fleetops/aws/bad_tags.py``).

ECS's rules for a tag (Tag, ECS API Reference): a key of 1 to 128 characters and a value of 0 to 256, of
letters, numbers, spaces and ``_ . : / = + - @`` only; at most 50 tags per resource; ``aws:`` is reserved.
So a value cannot hold ``?``, ``&``, ``,`` or ``%``: a list is space-separated, and a smoke URL with a query
string is configured in the stack's JSON instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The suite's own prefix: a key under it that the suite does not read is a typo, and reported as one.
TAG_PREFIX = "fleetops:"
SMOKE_URLS = "fleetops:verify:smoke-urls"
ALARMS = "fleetops:verify:alarms"
BAKE_SECONDS = "fleetops:verify:bake-seconds"
ROLLBACK = "fleetops:verify:rollback"
MIN_TASKS = "fleetops:scale:min-tasks"
MAX_TASKS = "fleetops:scale:max-tasks"
VERIFY_KEYS = (SMOKE_URLS, ALARMS, BAKE_SECONDS, ROLLBACK)
SCALE_KEYS = (MIN_TASKS, MAX_TASKS)
KNOWN_KEYS = frozenset((*VERIFY_KEYS, *SCALE_KEYS))


@dataclass(frozen=True, slots=True)
class BadTag:
    """A tag of the suite's that the job left out, and why: the key falls back to the stack's value."""

    service_arn: str
    key: str
    value: str
    problem: str

    @property
    def service_name(self) -> str:
        return self.service_arn.rsplit("/", 1)[-1]

    def sentence(self) -> str:
        return (
            f"Service {self.service_name} ({self.service_arn}) has the tag {self.key} = {self.value!r}, which the "
            f"suite ignores: {self.problem}. Until the tag is fixed or removed, the stack's configuration applies "
            "to this key; the rest of the service's tags still apply."
        )


# What the stack's validators are told they are reading ("<where>.bake_seconds must be ..."): a tag's
# problem then reads "bake_seconds must be ...", or "the tag asks for a rollback, but ...".
TAG_WHERE = "the tag"


def problem_of(errors: Iterable[str]) -> str:
    """The stack's validation errors about one tag, as one phrase."""
    return "; ".join(error.removeprefix(f"{TAG_WHERE}.") for error in errors)


def suite_tags(tags: Iterable[tuple[str, str]], wanted: Iterable[str]) -> dict[str, str]:
    """The values of the ``wanted`` keys among the service's tags (keys are case-sensitive, as ECS's)."""
    keys = frozenset(wanted)
    return {key: value for key, value in tags if key in keys}


def unknown_suite_tags(service_arn: str, tags: Iterable[tuple[str, str]]) -> list[BadTag]:
    """Tags under the suite's prefix, in any case, that name no key it reads (``fleetops:verify:smoke-url``,
    singular; ``FleetOps:verify:alarms``: ECS's keys are case-sensitive, so that one is read by nobody)."""
    return [
        BadTag(service_arn, key, value, _why_unknown(key))
        for key, value in tags
        if key.lower().startswith(TAG_PREFIX) and key not in KNOWN_KEYS
    ]


def _why_unknown(key: str) -> str:
    if key.lower() in KNOWN_KEYS:
        return f"tag keys are case-sensitive, and the suite reads {key.lower()}"
    return f"it is not a key the suite reads (known: {', '.join(sorted(KNOWN_KEYS))})"


def whole_number(value: str) -> int | str:
    """A tag's text as a whole number for the stack's own validation, or the text itself (which that
    validation then refuses, in its own words): ``"300"`` -> 300, ``"5m"`` -> ``"5m"``."""
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() else value


def words(value: str) -> list[str]:
    """A space-separated list (a tag value holds no comma: Tag, ECS API Reference)."""
    return value.split()
