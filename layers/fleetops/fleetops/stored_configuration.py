"""Where a job's structured configuration (the scale job's rules, verify's per-service checks) comes from:
the inline environment variable, or a String parameter of SSM Parameter Store under
``CONFIG_PARAMETER_PREFIX`` (template: ``ConfigParameterPrefix``).

A JSON value given on the command line is easily cut by the tools (``sam deploy --parameter-overrides
'VerifyServices={"a": 1}'`` reaches CloudFormation as ``{``: issue 15, item 3); a parameter written with
``aws ssm put-parameter --value file://...`` is not. Either way the text goes through the same parse
functions, and every problem ends in the job's one ConfigurationError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

PREFIX_VARIABLE = "CONFIG_PARAMETER_PREFIX"
SCALING_RULES_PARAMETER = "scaling-rules"
VERIFY_SERVICES_PARAMETER = "verify-services"

# SSM parameter names (PutParameter, "Naming Constraints"): only a-zA-Z0-9_.- and "/" between levels, a
# hierarchical name starts with "/", at most 15 levels, and no name may begin with "aws" or "ssm"
# (case-insensitive). The prefix is a hierarchy of at most 14 levels: the parameter adds the 15th.
PARAMETER_PREFIX_PATTERN = re.compile(r"(?!/(?i:aws|ssm))(/[A-Za-z0-9_.\-]+){1,14}")


class ParameterStoreError(Exception):
    """A parameter that exists could not be used (refused by IAM, a SecureString): the configuration is
    wrong, and says so with every other error at cold start."""


class ParameterStoreUnavailable(Exception):
    """Parameter Store did not answer (throttled past the retries, a server error, no connection): nothing
    is wrong with the configuration. Raised as it is, so the cold start fails and is tried again (Lambda
    retries an asynchronous event, SQS redelivers), never reported as a configuration error.
    GetParameter shares the account's Parameter Store throughput with every other reader in the Region
    (GetParameter, API reference; "Parameter Store throughput" in Systems Manager's quotas)."""


class ParameterReader(Protocol):
    def read(self, name: str) -> str | None:
        """The String parameter's value; None when no parameter has this name. Raises
        ParameterStoreError for anything else."""
        ...


@dataclass(frozen=True, slots=True)
class ConfigurationText:
    """One configuration document's text and where it came from (named in every error about it)."""

    source: str
    """``SCALING_RULES`` (the environment), ``SSM parameter /p/scaling-rules``, or a file name."""
    text: str
    """The JSON text; empty = none."""


def configuration_text(
    environ: Mapping[str, str],
    variable: str,
    parameter: str,
    reader: ParameterReader | None,
    errors: list[str],
) -> ConfigurationText:
    """The text of one document: from ``<CONFIG_PARAMETER_PREFIX>/<parameter>`` when the prefix is set
    (the inline ``variable`` must then be empty: two sources would leave a reader guessing which one
    acts), otherwise from ``variable``. Every problem is appended to ``errors``."""
    prefix = environ.get(PREFIX_VARIABLE, "").strip()
    inline = environ.get(variable, "")
    if not prefix:
        return ConfigurationText(variable, inline)
    name = f"{prefix}/{parameter}"
    if not PARAMETER_PREFIX_PATTERN.fullmatch(prefix):
        errors.append(
            f"{PREFIX_VARIABLE} {prefix!r} is not an SSM parameter hierarchy like /ecs-fleet-ops/prod "
            "(a-z A-Z 0-9 _ . - between slashes, at most 14 levels, not under /aws or /ssm)"
        )
        return ConfigurationText(name, "")
    if inline.strip():
        errors.append(
            f"{variable} must be empty when {PREFIX_VARIABLE} is set: the configuration is read from the "
            f"SSM parameter {name}"
        )
    if reader is None:
        errors.append(f"{PREFIX_VARIABLE} is set but no parameter store was given to read {name}")
        return ConfigurationText(name, "")
    try:
        value = reader.read(name)
    except ParameterStoreError as error:
        errors.append(str(error))
        return ConfigurationText(f"SSM parameter {name}", "")
    return ConfigurationText(f"SSM parameter {name}", value or "")
