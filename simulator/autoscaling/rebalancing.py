"""Auto Scaling's Availability Zone rebalancing (the ``AZRebalance`` process), which moto 5.2 lacks.

What AWS does (Amazon EC2 Auto Scaling User Guide and API Reference):
- TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity "can become unbalanced
  between Availability Zones. Amazon EC2 Auto Scaling tries to rebalance the group, and rebalancing
  might terminate instances in other zones" (TerminateInstanceInAutoScalingGroup, API Reference).
- A rebalancing activity "calls Launch first and then Terminate" ("How suspended processes affect other
  processes", User Guide): it launches in the zone with the fewest instances before it terminates one in
  the zone with the most, and may exceed the group's maximum by 10 % (at least one instance) meanwhile
  ("Rebalancing activities"). With Launch or AZRebalance suspended nothing happens; with Terminate
  suspended it launches without terminating.
- The instance it terminates is chosen like any termination: in the zone with the most instances, by the
  termination policy, protected instances passed over ("Configure termination policies", User Guide). The
  default policy then looks at launch templates and the billing hour and finally picks at random; here the
  first one launched stands in for that choice, so that a test is repeatable.
- That termination is the group's own (its Terminate process), so it goes through the group's termination
  lifecycle hooks (``Terminating:Wait``) like a scale-in. The documents do not say so for rebalancing in
  as many words; the scale job is correct either way, because it never unbalances the zones.

"Balanced" is taken as: the instance counts of the group's zones differ by at most one (with the counts
AWS keeps even, a difference of one is all that an odd count allows). Instances on their way out
(``Terminating*``, ``Detaching``, ``Standby``) do not count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.autoscaling.models import AutoScalingBackend

from simulator.autoscaling.lifecycle import TERMINATING, LifecycleActionRecord, SimulatedLifecycleHooks
from simulator.clock import SimulatedClock

COUNTED_STATES = ("InService", "Pending", "Pending:Wait", "Pending:Proceed")


@dataclass(frozen=True)
class RebalancingActivity:
    at: float
    zones_before: dict[str, int]
    launched: str  # into the zone with the fewest instances
    terminated: str | None  # in the zone with the most; None when none could be (Terminate suspended, all protected)


@dataclass
class AzRebalancing:
    """Run ``tick`` every simulated tick; each unbalanced look starts one activity."""

    backend: AutoScalingBackend
    hooks: SimulatedLifecycleHooks
    clock: SimulatedClock
    group_name: str
    # Every termination hook's action of the instance (EventBridge, SNS), as for any termination through the group.
    on_termination: Callable[[list[LifecycleActionRecord]], None] = lambda actions: None
    # A launched instance (the fleet registers its hosts once booted; a narrower world may do it at once).
    on_launch: Callable[[str], object] = lambda instance_id: None  # what it returns is not used
    activities: list[RebalancingActivity] = field(default_factory=list)

    def tick(self) -> RebalancingActivity | None:
        group = self.backend.autoscaling_groups.get(self.group_name)
        if group is None or {"Launch", "AZRebalance"} & set(group._suspended_processes):
            return None
        zones = self._zones(group)
        if len(zones) < 2:
            return None
        counts = {zone: 0 for zone in zones}
        for state in group.instance_states:
            if state.lifecycle_state in COUNTED_STATES and _zone(state) in counts:
                counts[_zone(state)] += 1
        if max(counts.values()) - min(counts.values()) <= 1:
            return None
        maximum = int(group.max_size or 0)
        if sum(counts.values()) + 1 > maximum + max(1, maximum // 10):
            return None  # beyond the margin rebalancing may use
        order = list(zones)
        fewest = min(order, key=lambda zone: (counts[zone], order.index(zone)))
        most = max(order, key=lambda zone: (counts[zone], -order.index(zone)))
        launched = self._launch_into(group, zones[fewest])
        self.on_launch(launched)
        victim = None if "Terminate" in group._suspended_processes else self._victim(group, most, launched)
        if victim is not None:
            self._terminate(group, victim)
        activity = RebalancingActivity(self.clock(), counts, launched, victim)
        self.activities.append(activity)
        return activity

    def _zones(self, group: Any) -> dict[str, str]:
        """The group's zones, in its subnets' order -> the subnet to launch into."""
        zones: dict[str, str] = {}
        for subnet_id in (s for s in (group.vpc_zone_identifier or "").split(",") if s):
            zones.setdefault(self.backend.ec2_backend.get_subnet(subnet_id).availability_zone, subnet_id)
        return zones

    def _launch_into(self, group: Any, subnet_id: str) -> str:
        before = {state.instance.id for state in group.instance_states}
        subnets = group.vpc_zone_identifier
        try:
            group.vpc_zone_identifier = subnet_id
            group.replace_autoscaling_group_instances(1, group.get_propagated_tags())
        finally:
            group.vpc_zone_identifier = subnets
        return str(next(state.instance.id for state in group.instance_states if state.instance.id not in before))

    def _victim(self, group: Any, zone: str, launched: str) -> str | None:
        return next(
            (
                state.instance.id
                for state in group.instance_states
                if state.lifecycle_state == "InService"
                and _zone(state) == zone
                and state.instance.id != launched
                and not state.protected_from_scale_in
            ),
            None,
        )

    def _terminate(self, group: Any, instance_id: str) -> None:
        hooked = any(
            hook.auto_scaling_group_name == group.name and hook.lifecycle_transition == TERMINATING
            for hook in self.backend.lifecycle_hooks.values()
        )
        if hooked:
            self.on_termination(self.hooks.start_termination(group.name, instance_id))
            return
        # No hook: the instance goes at once, whatever runs on it.
        self.hooks.on_terminate(instance_id)
        self.backend.detach_instances(group.name, [instance_id], should_decrement=False)
        self.backend.ec2_backend.terminate_instances([instance_id])


def _zone(state: Any) -> str:
    return str(state.availability_zone)
