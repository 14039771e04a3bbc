"""What moto 5.2 lacks of Amazon EC2 Auto Scaling's lifecycle hooks and launches, closed here and only
here (each patch names the gap it closes).

- Auto Scaling CompleteLifecycleAction / RecordLifecycleActionHeartbeat raise NotImplementedError
  and hooks never fire: they are routed to ``lifecycle.SimulatedLifecycleHooks``.
- Auto Scaling launches every instance of a group into the group's first subnet; AWS balances them
  across the group's zones. Each launch here goes to the subnet with the fewest of the group's
  instances.
- Auto Scaling PutLifecycleHook drops NotificationTargetARN, RoleARN and NotificationMetadata (and
  describes made-up ones): they are kept on the hook, as AWS keeps them. It describes every hook's
  GlobalTimeout as 172800; AWS's is "172800 seconds (48 hours) or 100 times HeartbeatTimeout, whichever
  is smaller" (API reference, LifecycleHook). And it accepts any name, heartbeat timeout and default
  result; AWS refuses a name outside ``[A-Za-z0-9-_/]+`` or longer than 255, a heartbeat timeout
  outside 30..7200 s and a result other than CONTINUE or ABANDON (PutLifecycleHook), and so does this.
- Auto Scaling EnterStandby and a lower desired capacity: see ``standby_gaps``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Protocol

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import FakeAutoScalingGroup
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult, EmptyResult

from simulator.patching import Patch, Replace

# PutLifecycleHook's constraints (API reference): LifecycleHookName, HeartbeatTimeout, DefaultResult.
_HOOK_NAME = re.compile(r"^[A-Za-z0-9\-_\/]{1,255}$")
HEARTBEAT_TIMEOUT_RANGE = (30, 7200)
GLOBAL_TIMEOUT_CAP_SECONDS = 172_800


class LifecycleBackend(Protocol):
    def complete(self, *, group: str, hook: str, token: str | None, instance_id: str | None, result: str) -> None: ...

    def heartbeat(self, *, group: str, hook: str, token: str | None, instance_id: str | None) -> None: ...


_lifecycle: LifecycleBackend | None = None


def route_lifecycle_actions_to(backend: LifecycleBackend | None) -> None:
    global _lifecycle
    _lifecycle = backend


def _complete_lifecycle_action(self: AutoScalingResponse) -> ActionResult:
    _require_lifecycle().complete(
        group=self._get_param("AutoScalingGroupName"),
        hook=self._get_param("LifecycleHookName"),
        token=self._get_param("LifecycleActionToken"),
        instance_id=self._get_param("InstanceId"),
        result=self._get_param("LifecycleActionResult"),
    )
    return EmptyResult()


def _record_lifecycle_action_heartbeat(self: AutoScalingResponse) -> ActionResult:
    _require_lifecycle().heartbeat(
        group=self._get_param("AutoScalingGroupName"),
        hook=self._get_param("LifecycleHookName"),
        token=self._get_param("LifecycleActionToken"),
        instance_id=self._get_param("InstanceId"),
    )
    return EmptyResult()


def _require_lifecycle() -> LifecycleBackend:
    if _lifecycle is None:
        raise NotImplementedError("no SimulatedLifecycleHooks is active (moto has no lifecycle actions)")
    return _lifecycle


_ORIGINAL_PUT_LIFECYCLE_HOOK = AutoScalingResponse.put_lifecycle_hook


def _put_lifecycle_hook(self: AutoScalingResponse) -> ActionResult:
    group, name = self._get_param("AutoScalingGroupName"), self._get_param("LifecycleHookName")
    _check_hook(name, self._get_int_param("HeartbeatTimeout"), self._get_param("DefaultResult"))
    result = _ORIGINAL_PUT_LIFECYCLE_HOOK(self)
    hook = self.autoscaling_backend.lifecycle_hooks[f"{group}_{name}"]
    hook.notification_target_arn = self._get_param("NotificationTargetARN")
    hook.role_arn = self._get_param("RoleARN")
    hook.notification_metadata = self._get_param("NotificationMetadata")  # type: ignore[attr-defined]
    hook.global_timeout = min(GLOBAL_TIMEOUT_CAP_SECONDS, 100 * int(hook.heartbeat_timeout))
    return result


def _check_hook(name: str | None, heartbeat_timeout: int | None, default_result: str | None) -> None:
    """What PutLifecycleHook refuses, with the messages AWS sends."""
    if not name or not _HOOK_NAME.match(name):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'lifecycleHookName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [A-Za-z0-9\\-_\\/]+ and have length 1 to 255"
        )
    low, high = HEARTBEAT_TIMEOUT_RANGE
    if heartbeat_timeout is not None and not low <= heartbeat_timeout <= high:
        raise ValidationError(f"Heartbeat timeout must be between {low} and {high} seconds, got {heartbeat_timeout}")
    if default_result is not None and default_result not in ("CONTINUE", "ABANDON"):
        raise ValidationError(f"Invalid DefaultResult {default_result!r}: must be CONTINUE or ABANDON")


_ORIGINAL_LAUNCH = FakeAutoScalingGroup.replace_autoscaling_group_instances


def _launch_balanced_across_zones(
    self: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]
) -> None:
    subnets = [s for s in (self.vpc_zone_identifier or "").split(",") if s]
    if len(subnets) < 2:
        _ORIGINAL_LAUNCH(self, count_needed, propagated_tags)
        return
    try:
        for _ in range(count_needed):
            launched = Counter(state.instance.subnet_id for state in self.instance_states)
            self.vpc_zone_identifier = min(subnets, key=lambda subnet: (launched[subnet], subnets.index(subnet)))
            _ORIGINAL_LAUNCH(self, 1, dict(propagated_tags))
    finally:
        self.vpc_zone_identifier = ",".join(subnets)


PATCHES: tuple[Patch, ...] = (
    Replace(AutoScalingResponse, "complete_lifecycle_action", _complete_lifecycle_action),
    Replace(AutoScalingResponse, "record_lifecycle_action_heartbeat", _record_lifecycle_action_heartbeat),
    Replace(AutoScalingResponse, "put_lifecycle_hook", _put_lifecycle_hook),
    Replace(FakeAutoScalingGroup, "replace_autoscaling_group_instances", _launch_balanced_across_zones),
)
