"""Auto Scaling lifecycle actions, as the drain job sees them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

TERMINATING_TRANSITION = "autoscaling:EC2_INSTANCE_TERMINATING"
# The only lifecycle state in which a termination hook's action can still be heartbeated or completed.
TERMINATING_WAIT = "Terminating:Wait"


class LifecycleResult(StrEnum):
    """What CompleteLifecycleAction tells Auto Scaling. For a termination both end the instance;
    ABANDON also cancels the group's other termination hooks."""

    CONTINUE = "CONTINUE"
    ABANDON = "ABANDON"


@dataclass(frozen=True, slots=True)
class LifecycleAction:
    """One pending `EC2_INSTANCE_TERMINATING` action: what is needed to heartbeat and complete it."""

    auto_scaling_group: str
    hook_name: str
    token: str
    ec2_instance_id: str

    def to_dict(self) -> dict[str, str]:
        return {
            "auto_scaling_group": self.auto_scaling_group,
            "hook_name": self.hook_name,
            "token": self.token,
            "ec2_instance_id": self.ec2_instance_id,
        }
