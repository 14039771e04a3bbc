"""Auto Scaling: lifecycle state, heartbeats and completion of a termination hook's action."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from fleetops.aws.clients import batched, error_code, error_message
from fleetops.errors import LifecycleActionGoneError
from fleetops.models.lifecycle import (
    InstanceLifecycle,
    LifecycleAction,
    LifecycleHook,
    LifecycleResult,
    global_timeout_of,
)

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient

    from fleetops.models.scale import GroupInstance, GroupStatus  # imported where built (drain cold start)


class AutoScalingAdapter:
    def __init__(self, client: AutoScalingClient) -> None:
        self._client = client

    def instance_lifecycle(self, ec2_instance_id: str) -> InstanceLifecycle | None:
        """The instance's group and lifecycle state (e.g. ``Terminating:Wait``); None once it has left
        every group."""
        instances = self._client.describe_auto_scaling_instances(InstanceIds=[ec2_instance_id])["AutoScalingInstances"]
        if not instances:
            return None
        return InstanceLifecycle(instances[0]["AutoScalingGroupName"], instances[0]["LifecycleState"])

    def lifecycle_hooks(self, group_name: str) -> tuple[LifecycleHook, ...]:
        """Every hook of the group: DescribeLifecycleHooks answers them all in one response (at most 50
        per group). GlobalTimeout is computed as AWS documents it when the answer leaves it out."""
        described = self._client.describe_lifecycle_hooks(AutoScalingGroupName=group_name)["LifecycleHooks"]
        hooks = []
        for hook in described:
            heartbeat = int(hook["HeartbeatTimeout"]) if "HeartbeatTimeout" in hook else None
            given = int(hook["GlobalTimeout"]) if "GlobalTimeout" in hook else None
            hooks.append(
                LifecycleHook(
                    name=hook["LifecycleHookName"],
                    transition=hook.get("LifecycleTransition", ""),
                    heartbeat_timeout=heartbeat,
                    global_timeout=given if given is not None or heartbeat is None else global_timeout_of(heartbeat),
                )
            )
        return tuple(hooks)

    def record_heartbeat(self, action: LifecycleAction) -> None:
        """Restarts the action's heartbeat timer. Raises LifecycleActionGoneError when Auto Scaling has
        no active action for this group, hook, token and instance: the proof, at a drain's start, that
        the event names a live action (with both token and instance given, it holds whether or not
        Auto Scaling checks that they belong together)."""
        with _lifecycle_action_errors(action):
            self._client.record_lifecycle_action_heartbeat(
                AutoScalingGroupName=action.auto_scaling_group,
                LifecycleHookName=action.hook_name,
                LifecycleActionToken=action.token,
                InstanceId=action.ec2_instance_id,
            )

    def complete(self, action: LifecycleAction, result: LifecycleResult) -> None:
        with _lifecycle_action_errors(action):
            self._client.complete_lifecycle_action(
                AutoScalingGroupName=action.auto_scaling_group,
                LifecycleHookName=action.hook_name,
                LifecycleActionToken=action.token,
                InstanceId=action.ec2_instance_id,
                LifecycleActionResult=result.value,
            )

    # -- capacity (the scale job) ---------------------------------------------------------------
    def groups_of(self, ec2_instance_ids: list[str]) -> dict[str, str]:
        """EC2 instance id -> its Auto Scaling group, for the instances that are in one."""
        groups: dict[str, str] = {}
        # DescribeAutoScalingInstances takes at most 50 instance ids per call.
        for batch in batched(ec2_instance_ids, 50):
            for item in self._client.describe_auto_scaling_instances(InstanceIds=batch)["AutoScalingInstances"]:
                groups[item["InstanceId"]] = item["AutoScalingGroupName"]
        return groups

    def group(self, name: str) -> tuple[GroupStatus, dict[str, GroupInstance]] | None:
        """The group's bounds, desired capacity and instances per zone, and each instance by id."""
        from fleetops.models.scale import ZONE_COUNTED_STATES, GroupInstance, GroupStatus

        found = self._client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        if not found:
            return None
        group = found[0]
        capacity_type = group.get("DesiredCapacityType") or "units"
        instances = {
            item["InstanceId"]: GroupInstance(
                lifecycle_state=item.get("LifecycleState", ""),
                protected_from_scale_in=bool(item.get("ProtectedFromScaleIn", False)),
                zone=item.get("AvailabilityZone"),
                weight=_weight(item.get("WeightedCapacity"), capacity_type),
            )
            for item in group.get("Instances", [])
        }
        # Every zone the group may launch into counts, an empty one too: it is the smallest.
        per_zone = dict.fromkeys(group.get("AvailabilityZones", []), 0)
        for instance in instances.values():
            if instance.zone and instance.lifecycle_state in ZONE_COUNTED_STATES:
                per_zone[instance.zone] = per_zone.get(instance.zone, 0) + 1
        status = GroupStatus(
            name=group["AutoScalingGroupName"],
            minimum=int(group["MinSize"]),
            maximum=int(group["MaxSize"]),
            desired=int(group["DesiredCapacity"]),
            instances_by_zone=tuple(sorted(per_zone.items())),
            capacity_type=capacity_type,
            weighted=capacity_type != "units" or any(i.weight != 1 for i in instances.values()),
            units_per_host=_units_per_host(group, instances.values()),
        )
        return status, instances

    def termination_hooks(self, group_name: str) -> tuple[str, ...]:
        """Names of the group's ``autoscaling:EC2_INSTANCE_TERMINATING`` lifecycle hooks. Without
        one, TerminateInstanceInAutoScalingGroup stops the instance at once, tasks and all."""
        # DescribeLifecycleHooks returns every hook of the group in one response (at most 50 per group).
        hooks = self._client.describe_lifecycle_hooks(AutoScalingGroupName=group_name)["LifecycleHooks"]
        return tuple(
            sorted(
                hook["LifecycleHookName"]
                for hook in hooks
                if hook.get("LifecycleTransition") == "autoscaling:EC2_INSTANCE_TERMINATING"
            )
        )

    def set_desired_capacity(self, group_name: str, capacity: int) -> None:
        # HonorCooldown=False: the scale job keeps its own cooldowns; the group's default cooldown
        # would otherwise silently refuse a scale-out the job has already decided on.
        self._client.set_desired_capacity(
            AutoScalingGroupName=group_name, DesiredCapacity=capacity, HonorCooldown=False
        )

    def desired_capacity(self, name: str) -> int | None:
        found = self._client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        return int(found[0]["DesiredCapacity"]) if found else None

    def terminate_through_group(self, ec2_instance_id: str) -> None:
        """Terminate one instance and lower the desired capacity with it, so the group does not
        replace it; the group's termination lifecycle hook runs first (and with it the drain)."""
        self._client.terminate_instance_in_auto_scaling_group(
            InstanceId=ec2_instance_id, ShouldDecrementDesiredCapacity=True
        )


def _weight(weighted_capacity: str | None, capacity_type: str) -> int | None:
    """The units an instance counts for. DescribeAutoScalingGroups gives each instance's WeightedCapacity
    ("the number of capacity units contributed by the instance based on its instance type") when the
    group has weights; none given is 1 in a group counted in instances, and unknown (None) in one counted
    in vCPUs or MiB, where the documents do not say whether Auto Scaling gives it (docs/aws-behaviour.md)."""
    if weighted_capacity is not None and str(weighted_capacity).isdigit() and int(weighted_capacity) > 0:
        return int(weighted_capacity)
    return 1 if capacity_type == "units" else None


def _units_per_host(group: Any, instances: Iterable[GroupInstance]) -> int:
    """The units one more host adds, for a step given in hosts: the smallest WeightedCapacity of the mixed
    instances policy's overrides (Auto Scaling's allocation strategy picks the type, not the weights), else
    the smallest weight of the group's instances, else 1. The smallest, so that a step of N hosts never
    asks for more than N hosts' worth (and the bounds still cap it at MaxSize)."""
    overrides = (group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate", {}).get("Overrides", [])
    weights = [int(o["WeightedCapacity"]) for o in overrides if str(o.get("WeightedCapacity", "")).isdigit()]
    weights = [w for w in weights if w > 0] or [i.weight for i in instances if i.weight is not None]
    return min(weights, default=1)


@contextmanager
def _lifecycle_action_errors(action: LifecycleAction) -> Iterator[None]:
    """Turns "No active Lifecycle Action found" (a ValidationError) into LifecycleActionGoneError;
    every other error, throttling included, propagates unchanged."""
    try:
        yield
    except ClientError as error:
        if error_code(error) == "ValidationError" and "No active Lifecycle Action found" in error_message(error):
            raise LifecycleActionGoneError(f"{action.ec2_instance_id}: {error_message(error)}") from error
        raise
