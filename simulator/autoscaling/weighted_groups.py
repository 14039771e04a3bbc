"""Auto Scaling groups with instance weights, as AWS runs them (moto 5.2 only half does), closed here.

AWS ("Configure an Auto Scaling group to use instance weights", User Guide; LaunchTemplateOverrides
``WeightedCapacity``, API Reference): with a mixed instances policy whose overrides have weights, MinSize,
MaxSize and DesiredCapacity are in the weights' units; Auto Scaling launches instances until the sum of
their weights meets the desired capacity, "even if this results in an overage" (2 units left and only a
weight-5 type: it launches one, 3 units over); each instance in DescribeAutoScalingGroups and
DescribeAutoScalingInstances carries its ``WeightedCapacity`` ("the number of capacity units contributed by
the instance based on its instance type"). ``DesiredCapacityType`` (units | vcpu | memory-mib) is returned
with the group ("Create a mixed instances group using attribute-based instance type selection").

moto 5.2 gaps closed here (``PATCHES``, installed by ``simulator.moto_patches``):
- its instances have no ``WeightedCapacity`` and the launch template's instance type, not the override's;
- it sizes a mixed group as ceil(desired / first override's weight) instances, whatever the weights of
  the instances it already has (heterogeneous hosts are miscounted), and scales in the same way;
- it neither keeps nor returns ``DesiredCapacityType``;
- UpdateAutoScalingGroup without a MixedInstancesPolicy drops the group's policy (AWS keeps what a request
  leaves out), and a new MinSize / MaxSize moves the desired capacity by comparing it with the number of
  instances, not with the desired capacity in units (AWS: the desired capacity must lie within them).
The allocation strategy is taken as "prioritized": the first override is launched (the one a test puts
first). Scale-in terminates unprotected InService instances, newest first, while the rest still meet the
desired capacity (the documents do not say how Auto Scaling picks them with weights; the suite never
relies on it: the scale job terminates the hosts it chose itself).

ECS registers a host with 1,024 CPU units per vCPU (ContainerDefinition ``cpu``, ECS API Reference) and
less memory than the instance has ("Reserving Amazon ECS Linux container instance memory", ECS Developer
Guide): ``INSTANCE_RESOURCES`` gives the simulated hosts' registered
resources per instance type, so that a weighted group's hosts differ in size (``cluster.register_host``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult

from simulator.patching import Patch, Wrap

# instance type -> (vCPUs, registered CPU units, registered memory MiB). Memory: the instance's GiB x 1024
# less a few hundred MiB the agent does not offer to tasks (the exact amount varies with the AMI).
INSTANCE_RESOURCES: dict[str, tuple[int, int, int]] = {
    "c5.xlarge": (4, 4096, 7474),
    "c5.2xlarge": (8, 8192, 15307),
    "c5.4xlarge": (16, 16384, 30976),
}

_previous_set_desired: Any = None
_previous_create: Any = None
_previous_update: Any = None


def _keeping(slot: str, replacement: Any) -> Callable[[Any], Any]:
    """A wrap that keeps what it wraps in this module's ``slot``: the replacement calls it for a group
    without weights, so every other patch of the same method (``standby_gaps``) still applies."""

    def wrap(previous: Any) -> Any:
        globals()[slot] = previous
        return replacement

    return wrap


# TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity: the documents do not say whether
# a weighted instance lowers the desired capacity by its weight or by 1. By its weight here; a test sets
# this False to model the other answer (the scale job must be right under both: docs/aws-behaviour.md).
terminate_decrements_by_weight = True


def decrement_of(state: InstanceState) -> int:
    """What terminating this instance with ShouldDecrementDesiredCapacity takes off the desired capacity."""
    return weight_of(state) if terminate_decrements_by_weight else 1


def weight_of(state: InstanceState) -> int:
    """The units an instance counts for: its WeightedCapacity, 1 in a group without weights."""
    return int(getattr(state, "weighted_capacity", None) or 1)


def _overrides(group: FakeAutoScalingGroup) -> list[dict[str, Any]]:
    policy = group.mixed_instances_policy or {}
    overrides: list[dict[str, Any]] = policy.get("LaunchTemplate", {}).get("Overrides", []) or []
    return overrides


def _is_weighted(group: FakeAutoScalingGroup) -> bool:
    return bool(_overrides(group)) and (
        getattr(group, "desired_capacity_type", "units") != "units"
        or any(str(o.get("WeightedCapacity", "1")) != "1" for o in _overrides(group))
    )


def _launch_weight(group: FakeAutoScalingGroup, instance_type: str) -> int:
    if getattr(group, "desired_capacity_type", "units") == "vcpu":
        return INSTANCE_RESOURCES[instance_type][0]
    if getattr(group, "desired_capacity_type", "units") == "memory-mib":
        return INSTANCE_RESOURCES[instance_type][2]
    return int(_overrides(group)[0].get("WeightedCapacity", "1"))


def _counted(group: FakeAutoScalingGroup) -> list[InstanceState]:
    # In service or on the way in; not Standby (out of the desired capacity) nor leaving.
    return [s for s in group.instance_states if s.lifecycle_state in ("InService", "Pending")]


def _set_desired_capacity(self: FakeAutoScalingGroup, new_capacity: int | None) -> None:
    if not _is_weighted(self):
        _previous_set_desired(self, new_capacity)
        return
    self.desired_capacity = self.min_size if new_capacity is None else new_capacity
    desired = int(self.desired_capacity or 0)
    instance_type = str(_overrides(self)[0]["InstanceType"])
    while sum(weight_of(s) for s in _counted(self)) < desired:
        before = set(self.instance_states)
        self.replace_autoscaling_group_instances(1, self.get_propagated_tags())
        for state in set(self.instance_states) - before:
            state.instance.instance_type = instance_type
            state.instance_type = instance_type
            state.weighted_capacity = str(_launch_weight(self, instance_type))  # type: ignore[attr-defined]
    for state in reversed(list(_counted(self))):
        total = sum(weight_of(s) for s in _counted(self))
        if state.protected_from_scale_in or state.lifecycle_state != "InService" or total - weight_of(state) < desired:
            continue
        self.autoscaling_backend.ec2_backend.terminate_instances([state.instance.id])
        self.instance_states.remove(state)


def _update(self: FakeAutoScalingGroup, *args: Any, **kwargs: Any) -> None:
    names = ("availability_zones", "desired_capacity", "max_size", "min_size", "launch_config_name", "launch_template")
    given = dict(zip(names, args, strict=False)) | kwargs
    kept = self.mixed_instances_policy
    replaced = any(given.get(key) for key in ("mixed_instances_policy", "launch_template", "launch_config_name"))
    if kept and not replaced:
        # moto stores the template's id beside its name, then refuses the pair it stored itself.
        policy = copy.deepcopy(kept)
        policy["LaunchTemplate"]["LaunchTemplateSpecification"].pop("LaunchTemplateId", None)
        kwargs["mixed_instances_policy"] = policy
    if _is_weighted(self) and given.get("desired_capacity") is None:
        low = int(given["min_size"] if given.get("min_size") is not None else self.min_size or 0)
        high = int(given["max_size"] if given.get("max_size") is not None else self.max_size or 0)
        clamped = max(low, min(high, int(self.desired_capacity or 0)))
        if len(args) > 1:
            args = (args[0], clamped, *args[2:])
        else:
            kwargs["desired_capacity"] = clamped
    _previous_update(self, *args, **kwargs)


def _create_auto_scaling_group(self: AutoScalingResponse) -> ActionResult:
    result = _previous_create(self)
    capacity_type = self._get_param("DesiredCapacityType")
    if capacity_type:
        group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
        group.desired_capacity_type = capacity_type  # type: ignore[attr-defined]
        group.set_desired_capacity(group.desired_capacity)
    return result  # type: ignore[no-any-return]


def make_weighted(
    session: Any,
    group: str,
    overrides: list[tuple[str, int]],
    *,
    minimum: int,
    maximum: int,
    desired: int,
) -> None:
    """Give an existing group a mixed instances policy with weights (first override launched first), and
    bounds and desired capacity in its units, through the API as an operator would."""
    session.client("autoscaling").update_auto_scaling_group(
        AutoScalingGroupName=group,
        MixedInstancesPolicy={
            "LaunchTemplate": {
                "LaunchTemplateSpecification": {"LaunchTemplateName": f"{group}-lt", "Version": "$Latest"},
                "Overrides": [{"InstanceType": t, "WeightedCapacity": str(w)} for t, w in overrides],
            },
            "InstancesDistribution": {"OnDemandAllocationStrategy": "prioritized"},
        },
        MinSize=minimum,
        MaxSize=maximum,
        DesiredCapacity=desired,
    )


def registered_resources(instance_type: str) -> tuple[int, int] | None:
    """(CPU units, memory MiB) ECS registers for a host of this type; None: moto's default host."""
    found = INSTANCE_RESOURCES.get(instance_type)
    return (found[1], found[2]) if found else None


PATCHES: tuple[Patch, ...] = (
    Wrap(FakeAutoScalingGroup, "update", _keeping("_previous_update", _update)),
    Wrap(FakeAutoScalingGroup, "set_desired_capacity", _keeping("_previous_set_desired", _set_desired_capacity)),
    Wrap(AutoScalingResponse, "create_auto_scaling_group", _keeping("_previous_create", _create_auto_scaling_group)),
)
