"""The two load traces the capacity figure runs everyone on (the suite through the simulated fleet, and
the models of ``native_models``), as plain data.

1. The demo's spike: the service's load goes from nothing to ``load_cpu`` CPU units at once, on the example
   cluster as the demo starts it (its hosts, its tasks, its alarm's 75 %).
2. The drain trace: ``hosts`` hosts each holding ``tasks_per_host`` task(s) too large to share a host
   with another (fragmented: 1,536 CPU on 2,048-CPU hosts leaves 512 free on each, room for none), and
   ``leaving`` of them terminated at once through the group (an instance refresh's batch, terminate
   first; an AZ rebalance; a manual scale-in): the group's desired capacity goes down by as many, so
   nothing launches unless someone grows it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fleetops.models.scale import Resources

BOOT_SECONDS = 90  # the simulated fleet's: from launch until the host's ECS agent has registered it


@dataclass(frozen=True)
class SpikeTrace:
    load_cpu: float  # CPU units of work from the start
    task: Resources
    host: Resources
    hosts: int  # at the start
    tasks: int  # at the start
    target_percent: float  # the service alarm's threshold: target tracking's target
    service_max: int  # the most tasks any scaler may ask for
    group_max: int
    window_seconds: int  # host-minutes and task-minutes are counted over this window
    boot_seconds: int = BOOT_SECONDS

    @property
    def tasks_needed(self) -> int:
        """Tasks that carry the load at the target: 3,600 / (256 x 75 %) = 18.75, so 19."""
        return math.ceil(self.load_cpu / (self.task.cpu * self.target_percent / 100))


@dataclass(frozen=True)
class DrainTrace:
    hosts: int
    tasks_per_host: int
    task: Resources
    host: Resources
    leaving: int  # hosts terminated at once
    group_max: int
    deregistration_delay: int  # seconds a stopped task stays in the load balancer
    window_seconds: int
    boot_seconds: int = BOOT_SECONDS
