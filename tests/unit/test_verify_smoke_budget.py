"""A smoke run's budget cut short by a hanging endpoint is reported as the budget, every time: the
socket's timeout (bounded by the budget) and the run's own deadline are the same moment, and which of the
two threads notices it first must not change what the report says."""

from __future__ import annotations

import errno
import time
import urllib.request
from typing import Any

from fleetops.verify import smoke
from fleetops.verify.config import SmokeCheck

CHECK = SmokeCheck(url="http://127.0.0.1/health", timeout_seconds=10, retries=0)


class SocketTimesOutFirst(urllib.request.OpenerDirector):
    """The endpoint hangs: the socket's timeout fires when its time is up, at the moment the run's deadline
    is reached too (which of the two threads notices first is a race: the report must not depend on it)."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float] = []

    def open(self, fullurl: Any, data: Any = None, timeout: Any = None) -> Any:
        self.timeouts.append(timeout)
        time.sleep(timeout)
        raise TimeoutError("timed out")


class KernelTimesOutAtOnce(SocketTimesOutFirst):
    """The kernel's ETIMEDOUT, long before the socket's own timeout (Python names it TimeoutError too)."""

    def open(self, fullurl: Any, data: Any = None, timeout: Any = None) -> Any:
        self.timeouts.append(timeout)
        raise TimeoutError(errno.ETIMEDOUT, "Connection timed out")


def test_a_socket_timeout_bounded_by_the_budget_is_reported_as_the_budget() -> None:
    opener = SocketTimesOutFirst()
    assert smoke._attempt_within(opener, CHECK, 0.3, clock=lambda: 0.0) is None
    assert opener.timeouts == [0.3], "the socket waited as long as the budget, not the check's 10 s"


def test_a_timeout_that_comes_before_the_budget_is_spent_is_its_own_answer_and_leaves_the_retries() -> None:
    answer = smoke._attempt_within(KernelTimesOutAtOnce(), CHECK, 5.0, clock=lambda: 0.0)
    assert answer is not None and "Connection timed out" in answer[1]


def test_the_check_s_own_timeout_within_the_budget_is_reported_as_its_own() -> None:
    opener = KernelTimesOutAtOnce()
    answer = smoke._attempt_within(opener, CHECK, 30.0, clock=lambda: 0.0)
    assert answer is not None and answer[0] is None and answer[1].startswith("no answer: TimeoutError")
    assert opener.timeouts == [10], "within the budget, the check's own timeout bounds the socket"


def test_a_refused_connection_inside_the_budget_is_its_own_answer_not_the_budget() -> None:
    class Refused(SocketTimesOutFirst):
        def open(self, fullurl: Any, data: Any = None, timeout: Any = None) -> Any:
            raise ConnectionRefusedError("connection refused")

    answer = smoke._attempt_within(Refused(), CHECK, 1.0, clock=lambda: 0.0)
    assert answer is not None and "ConnectionRefusedError" in answer[1]
