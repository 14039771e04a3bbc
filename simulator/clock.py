"""A simulated clock, so an hour-long drain runs in seconds."""

from __future__ import annotations

import datetime

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z: any fixed instant keeps runs reproducible


class SimulatedClock:
    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("simulated time never goes back")
        self.now += seconds

    def elapsed(self) -> float:
        return self.now - START


def iso_time(moment: float, *, milliseconds: bool = False) -> str:
    """An instant as AWS's events write it: ``2026-01-01T00:00:00Z`` (an EventBridge envelope's ``time``), or
    with milliseconds, ``2026-01-01T00:00:00.000Z`` (an ECS event's ``createdAt`` or ``updatedAt``)."""
    stamp = datetime.datetime.fromtimestamp(moment, datetime.UTC)
    if milliseconds:
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
