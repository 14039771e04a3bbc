"""What CloudWatch Logs refuses in a log group, so that the simulated deploy refuses it too (moto 5.2 takes
any name and any retention).

- A name is 1-512 characters of ``a-z A-Z 0-9 . - _ / #`` (CreateLogGroup, logGroupName: "Pattern:
  [\\.\\-_/#A-Za-z0-9]+"), and never starts with ``aws/`` ("You can't create a log group with a name that
  begins with aws/", the same page): AWS keeps those for itself.
- A retention is one of CloudWatch Logs' values (PutRetentionPolicy, retentionInDays: "Possible values
  are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
  3288, and 3653"); none is "never expire".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
NAME_MAX_CHARACTERS = 512
_NAME = re.compile(r"[.\-_/#A-Za-z0-9]+")


def name_problems(name: str) -> Iterator[str]:
    """Why CloudWatch Logs would refuse ``name`` for a log group (nothing if it takes it)."""
    if not 1 <= len(name) <= NAME_MAX_CHARACTERS:
        yield f"a log group name is 1 to {NAME_MAX_CHARACTERS} characters, not {len(name)}"
    elif not _NAME.fullmatch(name):
        yield f"log group name {name!r} has characters other than a-z A-Z 0-9 . - _ / #"
    elif name.startswith("aws/"):
        yield f"log group name {name!r} begins with aws/, which AWS keeps for itself"


def log_group_problems(properties: Mapping[str, Any]) -> Iterator[str]:
    """Why CloudFormation would fail to create an AWS::Logs::LogGroup with these (resolved) properties."""
    if "LogGroupName" in properties:
        yield from name_problems(str(properties["LogGroupName"]))
    if "RetentionInDays" in properties:
        try:
            days = int(properties["RetentionInDays"])
        except (TypeError, ValueError):
            days = -1
        if days not in RETENTION_DAYS:
            yield (
                f"RetentionInDays {properties['RetentionInDays']!r} is not one of CloudWatch Logs' retention values "
                f"({', '.join(map(str, sorted(RETENTION_DAYS)))})"
            )
