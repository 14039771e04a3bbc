"""Faults injected into the simulated account, each the way it happens in AWS:

- ``Throttling``: AWS answers some of the functions' calls with ``ThrottlingException`` (HTTP 400), in
  the service's own error format (moto serializes it); botocore retries them, its backoff waiting on
  the simulated clock. Only calls signed with a function's role are throttled.
- ``Outage``: for a window of simulated time, one service answers every call of the functions with its
  throttling error or its HTTP 5xx error (DynamoDB throttled for five minutes, SNS failing every
  Publish): botocore retries each call and gives up, as it would against a real outage.
- ``crash_when``: the function's runtime dies in the middle of an invocation (out of memory, a
  timeout, a bug) just before a chosen AWS call: the handler never returns, whatever it did before
  stays done. Lambda then retries as it retries any failed invocation (``account``).
- ``SimulatedAccount.delivery_faults`` (see there): an event or message lost or delivered twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

from simulator.account import HandlerCrash, SimulatedAccount
from simulator.clock import SimulatedClock
from simulator.patching import Patch, Replace

_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")
_ORIGINAL_CALL_ACTION = BaseResponse.call_action


class ThrottlingException(ServiceException):
    code = "ThrottlingException"
    message = "Rate exceeded"


class OutageException(ServiceException):
    """An error of an outage, serialized in the service's own format (defined here, not in moto: moto
    looks an exception's shape up by the package it was defined in)."""


@dataclass
class Throttling:
    """Throttle every ``every``-th call the functions make (never two attempts of one call in a row, so
    botocore's retries get through, as they do against a real, briefly overloaded API)."""

    access_keys: set[str]
    every: int = 3
    seen: int = 0
    throttled: list[str] = field(default_factory=list)  # the actions answered with ThrottlingException

    def applies(self, response: BaseResponse) -> bool:
        match = _CREDENTIAL.search(str(response.headers.get("Authorization", "")))
        if match is None or match.group(1) not in self.access_keys:
            return False
        self.seen += 1
        return self.seen % self.every == 0


@dataclass(frozen=True)
class ServiceError:
    """An error a service answers with: its code (as the service's model spells it) and HTTP status."""

    code: str
    status: int
    message: str


# What each service says when it is overloaded (throttling) or failing (5xx), as its API model spells
# it: DynamoDB ProvisionedThroughputExceededException (HTTP 400; on-demand tables too, "Error handling
# with DynamoDB") and InternalServerError (HTTP 500); SNS Throttled (HTTP 429) and InternalError (HTTP
# 500). Any other service: the common ThrottlingException (400) and ServiceUnavailable (503).
THROTTLED = {
    "dynamodb": ServiceError(
        "ProvisionedThroughputExceededException", 400, "You exceeded your maximum allowed provisioned throughput."
    ),
    "sns": ServiceError("Throttled", 429, "Rate exceeded"),
}
UNAVAILABLE = {
    "dynamodb": ServiceError("InternalServerError", 500, "Internal server error"),
    "sns": ServiceError("InternalError", 500, "Internal Error"),
}
_COMMON_THROTTLED = ServiceError("ThrottlingException", 400, "Rate exceeded")
_COMMON_UNAVAILABLE = ServiceError("ServiceUnavailable", 503, "Service is unavailable")


@dataclass
class Outage:
    """From ``start`` to ``end`` (simulated epoch seconds), ``service`` answers every call signed by one of
    ``access_keys`` (of ``operations`` only, if given) with ``error``; ``refused`` lists the operations
    it answered so (one per attempt)."""

    service: str
    start: float
    end: float
    error: ServiceError
    access_keys: set[str]
    clock: SimulatedClock
    operations: frozenset[str] | None = None
    refused: list[str] = field(default_factory=list)

    def applies(self, response: BaseResponse) -> bool:
        if response.service_name != self.service or not self.start <= self.clock() < self.end:
            return False
        if self.operations is not None and response._get_action() not in self.operations:
            return False
        match = _CREDENTIAL.search(str(response.headers.get("Authorization", "")))
        return match is not None and match.group(1) in self.access_keys


_throttling: Throttling | None = None
_outages: list[Outage] = []


def _answer(response: BaseResponse, error: ServiceException, status: int | None = None) -> Any:
    code, headers, body = response.serialized(ActionResult(error))
    code = status or code
    headers["status"] = str(code)
    return code, headers, body


def _call_action(self: BaseResponse) -> Any:
    for outage in _outages:
        if outage.applies(self):
            outage.refused.append(self._get_action())
            return _answer(self, OutageException(outage.error.code, outage.error.message), outage.error.status)
    if _throttling is not None and _throttling.applies(self):
        _throttling.throttled.append(self._get_action())
        return _answer(self, ThrottlingException())
    return _ORIGINAL_CALL_ACTION(self)


def _function_keys(account: SimulatedAccount) -> set[str]:
    return {f.session.get_credentials().access_key for f in account.functions.values()}  # type: ignore[union-attr]


@contextmanager
def throttled(account: SimulatedAccount, *, every: int = 3) -> Iterator[Throttling]:
    """While the block runs, AWS throttles every ``every``-th call of the account's functions."""
    global _throttling
    _throttling = Throttling(_function_keys(account), every)
    try:
        yield _throttling
    finally:
        _throttling = None


@contextmanager
def outage(
    account: SimulatedAccount,
    service: str,
    *,
    starts_in: float = 0.0,
    lasts: float,
    throttled: bool = True,
    operations: set[str] | None = None,
) -> Iterator[Outage]:
    """While the block runs, ``service`` (botocore's name: "dynamodb", "sns") answers every call the
    account's functions make between ``starts_in`` and ``starts_in + lasts`` seconds from now (simulated)
    with its throttling error (``throttled``) or its HTTP 5xx error; only calls of ``operations`` if
    given (an outage that begins between two calls of one invocation: its writes fail, not its reads)."""
    errors = THROTTLED if throttled else UNAVAILABLE
    default = _COMMON_THROTTLED if throttled else _COMMON_UNAVAILABLE
    start = account.clock() + starts_in
    window = Outage(
        service,
        start,
        start + lasts,
        errors.get(service, default),
        _function_keys(account),
        account.clock,
        frozenset(operations) if operations is not None else None,
    )
    _outages.append(window)
    try:
        yield window
    finally:
        _outages.remove(window)


# Every request passes through it; it answers for moto only while a throttling or an outage is on.
PATCHES: tuple[Patch, ...] = (Replace(BaseResponse, "call_action", _call_action),)


def crash_when(
    condition: Callable[[str], bool], *, times: int = 1, clock: SimulatedClock | None = None, ran_for: float = 1.0
) -> Callable[[str], None]:
    """A fault for ``SimulatedAccount.faults``: the invocation dies before the first ``times`` AWS calls
    for which ``condition("job:Operation")`` is true.

    With ``clock``, the invocation had run ``ran_for`` seconds when it died (simulated invocations take
    no time): a death at the very instant it began would put Lambda's first retry, 60 s after the
    failure, exactly on the dead invocation's deadline, where its INPROGRESS idempotency record
    expires, a tie real timing never produces."""
    left = [times]

    def fault(operation: str) -> None:
        if left[0] > 0 and condition(operation):
            left[0] -= 1
            if clock is not None:
                clock.advance(ran_for)
            raise HandlerCrash(f"the runtime died before {operation} (injected)")

    return fault
