"""What the example cluster looked like, moment by moment: the demo's picture of the day draws these
(``demo/picture.py``).

A sample is taken every tick from the simulation's own state and moto's backends, never through an
API call: sampling must change nothing the day does (no call counted, no client built, no event). Only
a sample that differs from the one before is kept, so the record is a step function, exact between
samples, and small (a few hundred samples for the demo's seven simulated hours).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter

# CloudWatch's three alarm states (MetricAlarm.StateValue, CloudWatch API Reference).
ALARM_STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")


@dataclass(frozen=True)
class FleetSample:
    at: float  # simulated epoch seconds
    running: int  # the service's tasks not STOPPED (PENDING and DEACTIVATING included): FleetRecord.running
    desired: int  # the service's desired count
    hosts_in_service: int  # container instances ACTIVE
    hosts_draining: int  # container instances DRAINING (until their instance is terminated)
    hosts_launching: int  # in the group, not yet registered with the cluster (booting)
    alarms: tuple[tuple[str, str], ...]  # (alarm name, state), the example's alarms in its template's order

    def same_state_as(self, other: FleetSample) -> bool:
        # Field by field, not ``replace(self, at=other.at) == other``: a copy every tick cost 12 µs, this 1.
        return self.state == other.state

    @property
    def state(self) -> tuple[object, ...]:
        """Everything but the moment."""
        return _everything_but_the_moment(self)

    def alarm_state(self, name: str) -> str | None:
        return next((state for alarm, state in self.alarms if alarm == name), None)


_everything_but_the_moment = attrgetter(*(f.name for f in fields(FleetSample) if f.name != "at"))


def keep_if_changed(samples: list[FleetSample], sample: FleetSample) -> None:
    """Append ``sample`` unless the cluster looks as it did at the last one."""
    if not samples or not samples[-1].same_state_as(sample):
        samples.append(sample)
