"""Auto Scaling lifecycle actions and hooks, as the drain job sees them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

TERMINATING_TRANSITION = "autoscaling:EC2_INSTANCE_TERMINATING"
# The only lifecycle state in which a termination hook's action can still be heartbeated or completed.
TERMINATING_WAIT = "Terminating:Wait"
# An instance going back to a warm pool instead "pauses to perform a custom action at the
# Warmed:Pending:Wait state for the EC2_INSTANCE_TERMINATING lifecycle action" (Auto Scaling User
# Guide, "Use lifecycle hooks with a warm pool").
WARM_POOL_RETURN_WAIT = "Warmed:Pending:Wait"
# States of an instance that is in its group and not leaving it: a drain that finds its host in one
# of these has a host back in service (DescribeAutoScalingInstances, LifecycleState).
IN_SERVICE_STATES = frozenset({"Pending", "Pending:Wait", "Pending:Proceed", "InService", "EnteringStandby", "Standby"})

# LifecycleHookName: "Length Constraints: Minimum length of 1. Maximum length of 255. Pattern:
# [A-Za-z0-9\-_\/]+" (API reference, LifecycleHook).
HOOK_NAME_PATTERN = re.compile(r"^[A-Za-z0-9\-_/]{1,255}$")
# The hook ECS adds to a group whose capacity provider has managed instance draining ENABLED
# ("Configuring Amazon ECS capacity providers to safely shut down instances").
ECS_MANAGED_DRAINING_HOOK = "ecs-managed-draining-termination-hook"
# LifecycleHook.GlobalTimeout: "The maximum is 172800 seconds (48 hours) or 100 times
# HeartbeatTimeout, whichever is smaller."
GLOBAL_TIMEOUT_CAP_SECONDS = 172_800
GLOBAL_TIMEOUT_HEARTBEATS = 100


def holds_host_for_drain(hook_name: str, drain_hook_name_prefix: str | None) -> bool:
    """Whether a termination hook holds a host until its ECS tasks have moved: the suite's own hooks (its
    drain waits for the tasks; None when no drain answers them) and ECS managed instance draining's (ECS
    does). Any other termination hook (a log shipper's, a node handler's) may let the host go with its
    tasks still on it."""
    suites = drain_hook_name_prefix is not None and hook_name.startswith(drain_hook_name_prefix)
    return suites or hook_name == ECS_MANAGED_DRAINING_HOOK


class LifecycleResult(StrEnum):
    """What CompleteLifecycleAction tells Auto Scaling. For a termination both end the instance, unless the
    group's instance lifecycle policy retains instances on ABANDON (``TerminateHookAbandon: retain``: the
    instance then waits in ``Terminating:Retained``, "Configure instance retention"); ABANDON also cancels
    the group's other termination hooks."""

    CONTINUE = "CONTINUE"
    ABANDON = "ABANDON"


class Destination(StrEnum):
    """Where a terminating instance goes once its termination hooks are done (the event's Destination)."""

    EC2 = "EC2"  # terminated
    WARM_POOL = "WarmPool"  # stopped (or hibernated) back into the group's warm pool, its tasks with it

    @property
    def wait_state(self) -> str:
        return WARM_POOL_RETURN_WAIT if self is Destination.WARM_POOL else TERMINATING_WAIT


@dataclass(frozen=True, slots=True)
class LifecycleAction:
    """One pending `EC2_INSTANCE_TERMINATING` action: what is needed to heartbeat and complete it."""

    auto_scaling_group: str
    hook_name: str
    token: str
    ec2_instance_id: str
    destination: Destination = Destination.EC2

    @property
    def wait_state(self) -> str:
        return self.destination.wait_state

    def to_dict(self) -> dict[str, str]:
        return {
            "auto_scaling_group": self.auto_scaling_group,
            "hook_name": self.hook_name,
            "token": self.token,
            "ec2_instance_id": self.ec2_instance_id,
            "destination": self.destination.value,
        }


@dataclass(frozen=True, slots=True)
class LifecycleHook:
    """One hook of a group, as DescribeLifecycleHooks describes it."""

    name: str
    transition: str
    heartbeat_timeout: int | None
    global_timeout: int | None

    @property
    def is_termination(self) -> bool:
        return self.transition == TERMINATING_TRANSITION


@dataclass(frozen=True, slots=True)
class InstanceLifecycle:
    """Where DescribeAutoScalingInstances places an instance: its group and lifecycle state."""

    auto_scaling_group: str
    state: str


def global_timeout_of(heartbeat_timeout: int) -> int:
    """What Auto Scaling allows a wait in total, whatever the heartbeats."""
    return min(GLOBAL_TIMEOUT_CAP_SECONDS, GLOBAL_TIMEOUT_HEARTBEATS * heartbeat_timeout)
