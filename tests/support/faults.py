"""Faults injected into the simulated account, each the way it happens in AWS:

- ``Throttling``: AWS answers some of the functions' calls with ``ThrottlingException`` (HTTP 400), in
  the service's own error format (moto serializes it); botocore retries them, its backoff waiting on
  the simulated clock. Only calls signed with a function's role are throttled.
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

from tests.support.account import HandlerCrash, SimulatedAccount
from tests.support.clock import SimulatedClock

_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")
_ORIGINAL_CALL_ACTION = BaseResponse.call_action


class ThrottlingException(ServiceException):
    code = "ThrottlingException"
    message = "Rate exceeded"


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


_throttling: Throttling | None = None


def _call_action(self: BaseResponse) -> Any:
    if _throttling is not None and _throttling.applies(self):
        _throttling.throttled.append(self._get_action())
        status, headers, body = self.serialized(ActionResult(ThrottlingException()))
        headers["status"] = str(status)
        return status, headers, body
    return _ORIGINAL_CALL_ACTION(self)


@contextmanager
def throttled(account: SimulatedAccount, *, every: int = 3) -> Iterator[Throttling]:
    """While the block runs, AWS throttles every ``every``-th call of the account's functions."""
    global _throttling
    keys = {f.session.get_credentials().access_key for f in account.functions.values()}  # type: ignore[union-attr]
    _throttling = Throttling(keys, every)
    BaseResponse.call_action = _call_action  # type: ignore[method-assign]
    try:
        yield _throttling
    finally:
        BaseResponse.call_action = _ORIGINAL_CALL_ACTION  # type: ignore[method-assign]
        _throttling = None


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
