"""What Lambda refuses in a function's logging configuration and reserved concurrency, so that the
simulated deploy refuses it too (the simulation keeps functions as declared: moto never sees them).

Logging (AWS::Lambda::Function LoggingConfig; Lambda API reference, LoggingConfig):
- ``LogFormat`` is ``Text`` or ``JSON``; ``ApplicationLogLevel`` one of TRACE, DEBUG, INFO, WARN, ERROR,
  FATAL and ``SystemLogLevel`` one of DEBUG, INFO, WARN, and both only with JSON: "To use log-level
  filtering, your function must be configured to use the JSON log format" (Lambda Developer Guide,
  "Log-level filtering").
- ``LogGroup`` is a log group name (1-512 characters of a-z A-Z 0-9 . - _ / #).

Concurrency ("Lambda function scaling", "Configuring reserved concurrency"): an account has a concurrency
quota (1,000 by default; new accounts may start at 10) and "You can reserve up to the Unreserved account
concurrency value minus 100": a reservation that leaves fewer unreserved executions than that minimum is
refused with InvalidParameterValueException "Specified ReservedConcurrentExecutions for function decreases
account's UnreservedConcurrentExecution below its minimum value of [N]". On an account whose quota is
under 100, the minimum is the whole quota (the message names it, e.g. [50]): no reservation at all fits.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.iam.models import iam_backends

from simulator.logs.log_groups import name_problems

LOG_FORMATS = frozenset({"Text", "JSON"})
APPLICATION_LOG_LEVELS = frozenset({"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"})
SYSTEM_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARN"})
DEFAULT_CONCURRENCY_QUOTA = 1_000
MINIMUM_UNRESERVED = 100


def logging_problems(logging_config: Mapping[str, Any]) -> Iterator[str]:
    """Why Lambda would refuse a function's LoggingConfig."""
    log_format = str(logging_config.get("LogFormat", "Text"))
    if log_format not in LOG_FORMATS:
        yield f"LoggingConfig.LogFormat must be Text or JSON, not {log_format!r}"
    for key, allowed in (("ApplicationLogLevel", APPLICATION_LOG_LEVELS), ("SystemLogLevel", SYSTEM_LOG_LEVELS)):
        if key not in logging_config:
            continue
        if logging_config[key] not in allowed:
            yield f"LoggingConfig.{key} must be one of {', '.join(sorted(allowed))}, not {logging_config[key]!r}"
        if log_format != "JSON":
            yield f"LoggingConfig.{key} needs LogFormat JSON: Lambda filters log levels only in JSON logs"
    if "LogGroup" in logging_config:
        yield from (f"LoggingConfig.LogGroup: {p}" for p in name_problems(str(logging_config["LogGroup"])))


@dataclass
class AccountConcurrency:
    """The simulated account's Lambda concurrency: its quota and what functions reserved of it."""

    quota: int = DEFAULT_CONCURRENCY_QUOTA
    reserved: dict[str, int] = field(default_factory=dict)  # function ARN -> reserved executions

    @property
    def minimum_unreserved(self) -> int:
        return min(MINIMUM_UNRESERVED, self.quota)

    def reserve(self, function_arn: str, executions: int) -> None:
        """Reserve ``executions`` for the function, as PutFunctionConcurrency (or CreateFunction with
        ReservedConcurrentExecutions) does; raise ValueError with Lambda's words if it refuses."""
        if executions < 0:
            raise ValueError(f"ReservedConcurrentExecutions must be at least 0, not {executions}")
        others = sum(n for arn, n in self.reserved.items() if arn != function_arn)
        if self.quota - others - executions < self.minimum_unreserved:
            raise ValueError(
                "InvalidParameterValueException: Specified ReservedConcurrentExecutions for function decreases "
                f"account's UnreservedConcurrentExecution below its minimum value of [{self.minimum_unreserved}]."
            )
        self.reserved[function_arn] = executions

    def release(self, function_arns: set[str]) -> None:
        """Give back what these functions reserved (a stack rolled back deletes the functions it created)."""
        for arn in list(self.reserved):
            if arn in function_arns:
                del self.reserved[arn]


# One per simulated account: kept beside its IAM backend, which lives exactly as long as the account (one
# mock_aws session), as the stack's exports are.
_ACCOUNTS: weakref.WeakKeyDictionary[Any, AccountConcurrency] = weakref.WeakKeyDictionary()


def account_concurrency(account: str, partition: str = "aws") -> AccountConcurrency:
    return _ACCOUNTS.setdefault(iam_backends[account][partition], AccountConcurrency())
