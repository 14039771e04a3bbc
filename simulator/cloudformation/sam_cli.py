"""How ``sam deploy --parameter-overrides`` reads its values, so a test can check that a command line
(or a ``parameter_overrides`` list in samconfig.toml) reaches CloudFormation as its author meant.

SAM CLI 1.170.0, ``samcli/cli/types.py`` (``CfnParameterOverridesType``): each string is matched
against ``Key=Value`` pairs separated by spaces, where a value is either a run of characters without
a space, a double quote or a backslash (a backslash escapes the next character), or a whole
double-quoted or single-quoted string; the wrapping quotes are then removed and ``\\ ``, ``\\"`` and
``\\'`` unescaped. A JSON value written bare is cut at its first space or quote: ``{"a": 1}`` reaches
the template as ``{`` (issue 15, item 3). Quoting the whole value with single quotes keeps it whole.
Only the ``Key=Value`` form is modelled (the walk-through uses no other).
"""

from __future__ import annotations

import re
import shlex

_KEY = r"""([A-Za-z0-9\"']+)"""
_VALUE = r"""(\"(?:\\.|[^\"\\]+)*\"|'(?:\\.|[^'\\]+)*'|(?:\\.|[^ \"\\]+)+)"""
_PAIR = re.compile(rf"(?:(?: ){_KEY}={_VALUE})")


class ParameterOverridesError(ValueError):
    """A string SAM CLI refuses ("... is not a valid format")."""


def _unquote(value: str) -> str:
    if value and value[0] == value[-1] and value[0] in ('"', "'"):
        value = value[1:-1]
    return value.replace("\\ ", " ").replace('\\"', '"').replace("\\'", "'")


def parse_parameter_overrides(values: list[str]) -> dict[str, str]:
    """The parameters SAM CLI sends for these ``--parameter-overrides`` strings (later ones win)."""
    parameters: dict[str, str] = {}
    for value in values:
        pairs = _PAIR.findall(" " + value.strip())
        if not pairs:
            raise ParameterOverridesError(f"{value} is not a valid format")
        parameters.update({_unquote(key): _unquote(found) for key, found in pairs})
    return parameters


def overrides_of_command(command: str) -> dict[str, str]:
    """The parameters of one ``sam deploy`` command line as a POSIX shell splits it: the words after
    ``--parameter-overrides`` up to the next option."""
    words = shlex.split(command)
    if "--parameter-overrides" not in words:
        return {}
    values: list[str] = []
    for word in words[words.index("--parameter-overrides") + 1 :]:
        if word.startswith("--"):
            break
        values.append(word)
    return parse_parameter_overrides(values)
