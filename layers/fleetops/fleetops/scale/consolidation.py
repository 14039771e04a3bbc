"""Consolidation's limits (``fleetops/models/consolidation.py``): read from a rule's ``"budget"`` and
``"quiet"``, and the budget applied to a group's hosts now. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from fleetops.models.consolidation import DAYS, DisruptionBudget, QuietWindow
from fleetops.models.scale import Host

MINUTES_PER_DAY = 24 * 60
MAX_BUDGET_HOSTS = 10_000  # as MAX_GROUP_SIZE: Auto Scaling groups are far below 10,000 instances

_BUDGET = re.compile(r"^(\d+)(%?)$")
_WINDOW = re.compile(
    r"^(?P<days>[A-Za-z]{3}(?:-[A-Za-z]{3})?(?:,[A-Za-z]{3}(?:-[A-Za-z]{3})?)*)\s+"
    r"(?P<start>\d{2}):(?P<start_minute>\d{2})-(?P<end>\d{2}):(?P<end_minute>\d{2})(?:\s+UTC)?$"
)


def parse_budget(value: object, where: str, errors: list[str]) -> DisruptionBudget | None:
    """``"10%"`` (1 to 100 %), ``"3"`` or ``3`` (1 to 10,000 hosts); a problem is appended to ``errors``."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    match = _BUDGET.match(text.strip()) if isinstance(text, str) else None
    amount = int(match.group(1)) if match else 0
    percent = bool(match and match.group(2))
    if match is None or amount < 1 or amount > (100 if percent else MAX_BUDGET_HOSTS):
        errors.append(
            f"{where} must be a number of hosts (1 to {MAX_BUDGET_HOSTS}) or a percentage of the group's hosts "
            f'(1% to 100%), like 2 or "10%", got {value!r}'
        )
        return None
    return DisruptionBudget(amount, percent)


def parse_quiet_windows(value: object, where: str, errors: list[str]) -> tuple[QuietWindow, ...]:
    """``"Mon-Fri 08:00-18:00 UTC; Sat,Sun 10:00-12:00"``: windows separated by ``;``, each days (a day, a
    range, or a list of both, Mon to Sun) and a span of one day in UTC (``UTC`` may be written, no other zone),
    start before end (``24:00`` ends at midnight; a night across midnight is two windows)."""
    if not isinstance(value, str):
        errors.append(f'{where} must be a string of quiet windows like "Mon-Fri 08:00-18:00 UTC", got {value!r}')
        return ()
    windows: list[QuietWindow] = []
    for part in (piece.strip() for piece in value.split(";")):
        if not part:
            continue
        window = _parse_window(part)
        if window is None:
            errors.append(
                f"{where}: {part!r} is not a quiet window like 'Mon-Fri 08:00-18:00 UTC' (days Mon to Sun as a "
                "day, a range or a list; start before end, 00:00 to 24:00, in UTC; a night across midnight is two "
                "windows, 'Fri 22:00-24:00; Sat 00:00-06:00')"
            )
            continue
        windows.append(window)
    return tuple(windows)


def _parse_window(text: str) -> QuietWindow | None:
    match = _WINDOW.match(text)
    if match is None:
        return None
    days: set[int] = set()
    for span in match.group("days").split(","):
        first, _, last = span.partition("-")
        if first.capitalize() not in DAYS or (last or first).capitalize() not in DAYS:
            return None
        start_day, end_day = DAYS.index(first.capitalize()), DAYS.index((last or first).capitalize())
        # A range may wrap round the week's end: Fri-Mon is Fri, Sat, Sun, Mon.
        days.update((start_day + offset) % 7 for offset in range((end_day - start_day) % 7 + 1))
    if int(match.group("start_minute")) > 59 or int(match.group("end_minute")) > 59:
        return None
    start = int(match.group("start")) * 60 + int(match.group("start_minute"))
    end = int(match.group("end")) * 60 + int(match.group("end_minute"))
    if not 0 <= start < end <= MINUTES_PER_DAY:
        return None
    return QuietWindow(frozenset(days), start, end)


@dataclass(frozen=True, slots=True)
class Disruption:
    """The budget applied to one group now: ``most`` hosts may be leaving at once, ``leaving`` already are,
    so ``allowed`` more may go."""

    group_hosts: int
    most: int
    leaving: int

    @property
    def allowed(self) -> int:
        return max(0, self.most - self.leaving)


def disruption(hosts: Iterable[Host], budget: DisruptionBudget) -> Disruption:
    """The budget over the group's hosts registered with the cluster (Standby ones left out: an operator's, and
    out of the desired capacity). Hosts already draining or terminating count against it, as Karpenter counts
    the nodes it is deleting: their tasks are moving too."""
    in_group = [host for host in hosts if host.lifecycle_state is not None and not host.in_standby]
    return Disruption(
        group_hosts=len(in_group),
        most=budget.hosts(len(in_group)),
        leaving=sum(1 for host in in_group if host.departing),
    )
