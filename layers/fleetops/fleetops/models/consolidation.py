"""What a consolidating cluster scale-in keeps to: how many hosts may be leaving at once (the disruption
budget) and when no host is taken away at all (quiet windows). Plain data, declared per rule
(``"budget"``, ``"quiet"`` in a ``"step": "consolidate"`` rule) and parsed in ``fleetops/scale/consolidation.py``.

Modelled on Karpenter's NodePool disruption budgets ("Disruption", karpenter.sh; the design note
kubernetes-sigs/karpenter designs/disruption-controls.md): a budget is a number of nodes or a percentage of
the pool's nodes, a percentage rounds up, the nodes already being deleted count against it, and with no
budget configured Karpenter allows 10 %. Its schedules ("0 9 * * mon-fri" for 8 h with a budget of 0) are
written here as quiet windows in one plain line: ``Mon-Fri 08:00-18:00 UTC``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # time.gmtime's tm_wday order: Monday is 0


@dataclass(frozen=True, slots=True)
class DisruptionBudget:
    """The most hosts of a group leaving the cluster at once, counting those already draining or terminating:
    ``amount`` hosts, or ``amount`` % of the group's hosts rounded up (at least one)."""

    amount: int = 10
    percent: bool = True

    def hosts(self, group_hosts: int) -> int:
        """How many of ``group_hosts`` may be leaving at once."""
        if not self.percent:
            return self.amount
        return max(1, math.ceil(group_hosts * self.amount / 100))

    def __str__(self) -> str:
        return f"{self.amount}{'%' if self.percent else ''}"


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """Days of the week (0 = Monday) and a span of the day in UTC minutes, ``start`` included, ``end`` not."""

    days: frozenset[int]
    start: int
    end: int

    def minutes_left(self, epoch_seconds: float) -> int | None:
        """Whole minutes (at least 1) until this window ends, if ``epoch_seconds`` falls in it; else None."""
        moment = time.gmtime(epoch_seconds)
        minute = moment.tm_hour * 60 + moment.tm_min
        if moment.tm_wday not in self.days or not self.start <= minute < self.end:
            return None
        return self.end - minute

    def __str__(self) -> str:
        days = ",".join(DAYS[day] for day in sorted(self.days))
        return f"{days} {self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d} UTC"


@dataclass(frozen=True, slots=True)
class ConsolidationPolicy:
    """A consolidating rule's disruption budget (default 10 %) and quiet windows (default none)."""

    budget: DisruptionBudget = DisruptionBudget()
    quiet_windows: tuple[QuietWindow, ...] = ()

    def quiet_at(self, epoch_seconds: float) -> tuple[QuietWindow, int] | None:
        """The quiet window ``epoch_seconds`` falls in and the seconds until it ends; None outside them all."""
        for window in self.quiet_windows:
            left = window.minutes_left(epoch_seconds)
            if left is not None:
                return window, left * 60 - int(epoch_seconds) % 60
        return None
