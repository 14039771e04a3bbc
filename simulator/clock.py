"""A simulated clock, so an hour-long drain runs in seconds."""

from __future__ import annotations

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
