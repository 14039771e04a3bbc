"""A smoke run's budget cut short by a hanging endpoint is reported as the budget, every time: the
socket's timeout (bounded by the budget) and the run's own deadline are the same moment, and which of the
two threads notices it first must not change what the report says."""

from __future__ import annotations

import urllib.request
from typing import Any

from fleetops.verify import smoke
from fleetops.verify.config import SmokeCheck

CHECK = SmokeCheck(url="http://127.0.0.1/health", timeout_seconds=10, retries=0)


class SocketTimesOutFirst(urllib.request.OpenerDirector):
    """The endpoint hangs; the socket's timeout fires just before the run's deadline is noticed."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float] = []

    def open(self, fullurl: Any, data: Any = None, timeout: Any = None) -> Any:
        self.timeouts.append(timeout)
        raise TimeoutError("timed out")


def test_a_socket_timeout_bounded_by_the_budget_is_reported_as_the_budget() -> None:
    opener = SocketTimesOutFirst()
    assert smoke._attempt_within(opener, CHECK, 1.0, clock=lambda: 0.0) is None
    assert opener.timeouts == [1.0], "the socket waited as long as the budget, not the check's 10 s"


def test_the_check_s_own_timeout_within_the_budget_is_reported_as_its_own() -> None:
    opener = SocketTimesOutFirst()
    answer = smoke._attempt_within(opener, CHECK, 30.0, clock=lambda: 0.0)
    assert answer is not None and answer[0] is None and answer[1].startswith("no answer: TimeoutError")
    assert opener.timeouts == [10]


def test_a_refused_connection_inside_the_budget_is_its_own_answer_not_the_budget() -> None:
    class Refused(SocketTimesOutFirst):
        def open(self, fullurl: Any, data: Any = None, timeout: Any = None) -> Any:
            raise ConnectionRefusedError("connection refused")

    answer = smoke._attempt_within(Refused(), CHECK, 1.0, clock=lambda: 0.0)
    assert answer is not None and "ConnectionRefusedError" in answer[1]
