"""Auto Scaling's Standby as strict as Auto Scaling (moto 5.2 is more lenient), closed here only.

moto 5.2 implements EnterStandby and ExitStandby and gets the desired capacity right: it is decremented
when ``ShouldDecrementDesiredCapacity`` asks, a replacement is launched when it does not, and ExitStandby
increments it ("Temporarily remove instances from your Auto Scaling group", User Guide; EnterStandby and
ExitStandby, API Reference). What it lacks:
- EnterStandby takes an instance in any state; AWS takes only one that is ``InService`` ("You can put an
  instance that is in the InService state into the Standby state", User Guide) and answers a ValidationError
  "The instance <id> is not in InService." otherwise (the wording as reported in
  aws-samples/aws-codedeploy-samples issue 50).
- EnterStandby with ``ShouldDecrementDesiredCapacity`` may take the desired capacity below MinSize; AWS
  allows it "as long as the desired capacity of the Auto Scaling group after the instances are placed into
  standby is equal to or greater than the minimum capacity of the group" (EnterStandby). The wording of
  AWS's refusal is not documented: a ValidationError that says why stands in for it.
- A lower desired capacity (SetDesiredCapacity, UpdateAutoScalingGroup) makes moto terminate any
  unprotected instance, a Standby one too; AWS's scale-ins never terminate an instance in Standby (the
  User Guide: standby lets you work on an instance "without worrying about Amazon EC2 Auto Scaling
  terminating the instances as part of its health checks or during scale-in events").
"""

from __future__ import annotations

from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup

from simulator.patching import Patch, Replace

# The lifecycle states of an instance on its way into Standby or in it (DescribeAutoScalingGroups'
# Instance.LifecycleState).
STANDBY_STATES = ("EnteringStandby", "Standby")

_ORIGINAL_ENTER_STANDBY = AutoScalingBackend.enter_standby_instances
_ORIGINAL_SET_DESIRED = FakeAutoScalingGroup.set_desired_capacity


def _enter_standby_instances(
    self: AutoScalingBackend, group_name: str, instance_ids: list[str], should_decrement: bool
) -> Any:
    group = self.autoscaling_groups[group_name]
    states = {state.instance.id: state.lifecycle_state for state in group.instance_states}
    for instance_id in instance_ids:
        if states.get(instance_id) != "InService":
            raise ValidationError(f"The instance {instance_id} is not in InService.")
    desired, minimum = int(group.desired_capacity or 0), int(group.min_size or 0)
    if should_decrement and desired - len(instance_ids) < minimum:
        raise ValidationError(
            f"Cannot move {len(instance_ids)} instance(s) to Standby and decrement the desired capacity of "
            f"{group_name} from {desired} below its minimum of {minimum}."
        )
    return _ORIGINAL_ENTER_STANDBY(self, group_name, instance_ids, should_decrement)


def _set_desired_capacity(self: FakeAutoScalingGroup, new_capacity: int | None) -> None:
    # moto picks the instances it removes among the unprotected ones: a Standby instance is shielded as
    # if protected for the call, and its own protection restored after.
    shielded = [
        state
        for state in self.instance_states
        if state.lifecycle_state in STANDBY_STATES and not state.protected_from_scale_in
    ]
    for state in shielded:
        state.protected_from_scale_in = True
    try:
        _ORIGINAL_SET_DESIRED(self, new_capacity)
    finally:
        for state in shielded:
            state.protected_from_scale_in = False


PATCHES: tuple[Patch, ...] = (
    Replace(AutoScalingBackend, "enter_standby_instances", _enter_standby_instances),
    Replace(FakeAutoScalingGroup, "set_desired_capacity", _set_desired_capacity),
)
