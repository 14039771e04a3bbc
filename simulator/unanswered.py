"""An AWS endpoint that stops answering, for ``SimulatedAccount.attempt_faults``.

The connection is accepted and no answer comes: each HTTP attempt of an unanswered call waits the
client's read timeout on the simulated clock and fails with botocore's ``ReadTimeoutError``, which
botocore's standard retry mode retries like any connection error (``retries/standard.py``,
``TransientRetryableChecker``) after its backoff; the last attempt's error reaches the handler. The
call never reaches the simulated service, so nothing it asked for happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ReadTimeoutError

from simulator.clock import SimulatedClock


@dataclass
class UnansweredCalls:
    """The next ``calls`` calls of ``operation`` ("job:Operation") get no answer at any attempt."""

    operation: str
    read_timeout: float  # the client's: how long each attempt waits for its answer
    clock: SimulatedClock
    calls: int = 1
    attempts: list[float] = field(default_factory=list)  # when each unanswered attempt began
    _unanswered: bool = False  # whether the call being attempted is one of them

    def __call__(self, operation: str, attempt: int) -> None:
        if operation != self.operation:
            return
        if attempt == 1:
            self._unanswered = self.calls > 0
            self.calls -= self._unanswered
        if not self._unanswered:
            return
        self.attempts.append(self.clock())
        self.clock.advance(self.read_timeout)
        raise ReadTimeoutError(endpoint_url=f"https://{operation.split(':')[1]} (unanswered, simulated)")
