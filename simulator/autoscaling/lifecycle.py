"""Auto Scaling termination lifecycle hooks, which moto 5.2 never fires.

What Auto Scaling does, and this does too (Amazon EC2 Auto Scaling User Guide, "Add lifecycle hooks",
and the API reference's LifecycleHook, CompleteLifecycleAction, RecordLifecycleActionHeartbeat):
- a termination gives *every* ``EC2_INSTANCE_TERMINATING`` hook of the group its own lifecycle action:
  its own token, heartbeat timer, global timeout (the lesser of 48 h and 100 x the heartbeat timeout)
  and notification (EventBridge always; SNS too when the hook has a NotificationTargetARN);
- each action ends on its own: CompleteLifecycleAction, its heartbeat timeout, or its global timeout
  (the two timeouts apply the hook's DefaultResult); a heartbeat restarts only the heartbeat timer;
- ABANDON, completed or by default, "stops any remaining actions, such as other lifecycle hooks";
  CONTINUE lets them finish;
- the instance goes on (terminated, or stopped into a warm pool) only when every action has ended.
The documents do not say whether several hooks' actions run side by side or one after another: here
they run side by side, the reading under which a handler sees the most foreign activity at once.

Each action records who ended it: ``"timeout"``/``"global-timeout"`` (Auto Scaling), ``"abandoned"``
(another hook's ABANDON), or for a completion the actor that called CompleteLifecycleAction
(``acting_as``; the simulated account runs each function as ``function:<job>``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import AutoScalingBackend

from simulator.autoscaling import gaps as autoscaling_gaps
from simulator.clock import SimulatedClock, iso_time

TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
TO_EC2 = "EC2"
TO_WARM_POOL = "WarmPool"
# Where the instance waits while its termination hooks run ("Use lifecycle hooks with a warm pool":
# an instance returning to the warm pool pauses at Warmed:Pending:Wait for EC2_INSTANCE_TERMINATING).
WAIT_STATE = {TO_EC2: "Terminating:Wait", TO_WARM_POOL: "Warmed:Pending:Wait"}
WARM_POOL_STOPPED = "Warmed:Stopped"
# LifecycleHook.GlobalTimeout: "The maximum is 172800 seconds (48 hours) or 100 times HeartbeatTimeout,
# whichever is smaller."
GLOBAL_TIMEOUT_CAP_SECONDS = 172_800
GLOBAL_TIMEOUT_HEARTBEATS = 100

_ACTOR: ContextVar[str] = ContextVar("lifecycle_actor", default="an operator")


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Lifecycle API calls made inside are recorded as ``actor``'s (what CloudTrail would name)."""
    token = _ACTOR.set(actor)
    try:
        yield
    finally:
        _ACTOR.reset(token)


def global_timeout(heartbeat_timeout: int) -> int:
    return min(GLOBAL_TIMEOUT_CAP_SECONDS, GLOBAL_TIMEOUT_HEARTBEATS * heartbeat_timeout)


@dataclass
class LifecycleActionRecord:
    group: str
    hook: str
    instance_id: str
    token: str
    heartbeat_timeout: int
    global_timeout: int
    default_result: str
    metadata: str | None
    started_at: float
    last_heartbeat_at: float
    destination: str = TO_EC2
    heartbeats: int = 0
    result: str | None = None  # the result Auto Scaling applied; None when another hook's ABANDON ended it
    ended_by: str | None = None  # "completion" | "timeout" | "global-timeout" | "abandoned"
    actor: str | None = None  # who: the caller of CompleteLifecycleAction, or "Auto Scaling"
    ended_at: float | None = None

    @property
    def active(self) -> bool:
        return self.ended_by is None


@dataclass
class SimulatedLifecycleHooks:
    backend: AutoScalingBackend
    clock: SimulatedClock
    on_terminate: Callable[[str], None] = lambda instance_id: None
    on_stop: Callable[[str], None] = lambda instance_id: None  # stopped into the warm pool
    on_start: Callable[[str], None] = lambda instance_id: None  # started again out of the warm pool
    actions: dict[str, LifecycleActionRecord] = field(default_factory=dict)  # by token
    region: str = "us-east-1"
    account: str = "123456789012"

    def install(self) -> SimulatedLifecycleHooks:
        autoscaling_gaps.route_lifecycle_actions_to(self)
        return self

    # -- what Auto Scaling does -------------------------------------------------------------
    def start_termination(
        self, group_name: str, instance_id: str, *, metadata: str | None = None, destination: str = TO_EC2
    ) -> list[LifecycleActionRecord]:
        """The instance enters its wait state, and every termination hook of the group gets an action."""
        group = self.backend.autoscaling_groups[group_name]
        hooks = [
            h
            for h in self.backend.lifecycle_hooks.values()
            if h.auto_scaling_group_name == group_name and h.lifecycle_transition == TERMINATING
        ]
        if not hooks:
            raise ValueError(f"group {group_name} has no {TERMINATING} hook: nothing would hold the instance")
        state = next(s for s in group.instance_states if s.instance.id == instance_id)
        state.lifecycle_state = WAIT_STATE[destination]
        now = self.clock()
        records = []
        for hook in hooks:
            record = LifecycleActionRecord(
                group=group_name,
                hook=hook.name,
                instance_id=instance_id,
                token=str(uuid.uuid4()),
                heartbeat_timeout=hook.heartbeat_timeout,
                global_timeout=global_timeout(hook.heartbeat_timeout),
                default_result=hook.default_result,
                # As Auto Scaling sends it: the hook's own NotificationMetadata unless a test says otherwise.
                metadata=metadata if metadata is not None else getattr(hook, "notification_metadata", None),
                started_at=now,
                last_heartbeat_at=now,
                destination=destination,
            )
            self.actions[record.token] = record
            records.append(record)
        return records

    def begin_termination(
        self, group_name: str, instance_id: str, *, metadata: str | None = None, destination: str = TO_EC2
    ) -> LifecycleActionRecord:
        """``start_termination`` for a group with one termination hook: its one action."""
        records = self.start_termination(group_name, instance_id, metadata=metadata, destination=destination)
        if len(records) != 1:
            raise ValueError(f"group {group_name} has {len(records)} termination hooks: use start_termination")
        return records[0]

    def reuse_from_warm_pool(self, group_name: str, instance_id: str) -> None:
        """A scale-out takes a stopped instance out of the warm pool: it starts and goes InService."""
        group = self.backend.autoscaling_groups[group_name]
        state = next(s for s in group.instance_states if s.instance.id == instance_id)
        if state.lifecycle_state != WARM_POOL_STOPPED:
            raise ValueError(f"{instance_id} is {state.lifecycle_state}, not {WARM_POOL_STOPPED}")
        self.backend.ec2_backend.start_instances([instance_id])
        state.lifecycle_state = "InService"
        self.on_start(instance_id)

    def expire_overdue(self) -> list[LifecycleActionRecord]:
        """Apply the default result to actions past their global or heartbeat timeout."""
        now = self.clock()
        expired: list[LifecycleActionRecord] = []
        for action in list(self.actions.values()):
            if not action.active:  # ended by an earlier one's ABANDON in this very pass
                continue
            if now >= action.started_at + action.global_timeout:
                self._end(action, action.default_result, "global-timeout", "Auto Scaling")
            elif now >= action.last_heartbeat_at + action.heartbeat_timeout:
                self._end(action, action.default_result, "timeout", "Auto Scaling")
            else:
                continue
            expired.append(action)
        return expired

    def action_for(self, instance_id: str, hook: str | None = None) -> LifecycleActionRecord:
        """The latest action of the instance (of ``hook``, if named)."""
        return next(
            a
            for a in reversed(list(self.actions.values()))
            if a.instance_id == instance_id and (hook is None or a.hook == hook)
        )

    def active_actions(self, hook: str | None = None) -> list[LifecycleActionRecord]:
        return [a for a in self.actions.values() if a.active and (hook is None or a.hook == hook)]

    # -- the API calls moto lacks (routed here by autoscaling.gaps) ----------------------------------
    def complete(self, *, group: str, hook: str, token: str | None, instance_id: str | None, result: str) -> None:
        if result not in ("CONTINUE", "ABANDON"):
            raise ValidationError(f"Invalid LifecycleActionResult {result!r}")
        self._end(self._active(group, hook, token, instance_id), result, "completion", _ACTOR.get())

    def heartbeat(self, *, group: str, hook: str, token: str | None, instance_id: str | None) -> None:
        action = self._active(group, hook, token, instance_id)
        action.heartbeats += 1
        action.last_heartbeat_at = self.clock()

    def _active(self, group: str, hook: str, token: str | None, instance_id: str | None) -> LifecycleActionRecord:
        # Given both, the token and the instance must name the same action: the documents say "the
        # specified token or instance" and are silent on a mismatch; the stricter reading is taken.
        for action in self.actions.values():
            if (
                action.active
                and action.group == group
                and action.hook == hook
                and (token is None or action.token == token)
                and (instance_id is None or action.instance_id == instance_id)
            ):
                return action
        # The message real Auto Scaling sends for an unknown, completed or expired action.
        raise ValidationError(f"No active Lifecycle Action found with instance ID {instance_id}")

    def _end(self, action: LifecycleActionRecord, result: str, how: str, by: str) -> None:
        now = self.clock()
        action.result, action.ended_by, action.actor, action.ended_at = result, how, by, now
        pending = [a for a in self._pending(action) if a is not action]
        if result == "ABANDON":
            for other in pending:
                other.ended_by, other.actor, other.ended_at = "abandoned", f"ABANDON of {action.hook}", now
            pending = []
        if not pending:
            self._proceed(action)

    def _pending(self, action: LifecycleActionRecord) -> list[LifecycleActionRecord]:
        """The active actions of the same wait (instance and group)."""
        return [
            a
            for a in self.actions.values()
            if a.active and a.instance_id == action.instance_id and a.group == action.group
        ]

    def _proceed(self, action: LifecycleActionRecord) -> None:
        """Every action of the wait has ended: the instance goes where it was going."""
        group = self.backend.autoscaling_groups.get(action.group)
        state = next((s for s in group.instance_states if s.instance.id == action.instance_id), None) if group else None
        if action.destination == TO_WARM_POOL:
            if state is not None:
                state.lifecycle_state = WARM_POOL_STOPPED
            self.backend.ec2_backend.stop_instances([action.instance_id])
            self.on_stop(action.instance_id)
            return
        if state is not None:
            state.lifecycle_state = "Terminating:Proceed"
        # For a termination both CONTINUE and ABANDON end with the instance terminated.
        self.on_terminate(action.instance_id)
        if state is not None:
            self.backend.detach_instances(action.group, [action.instance_id], should_decrement=False)
        self.backend.ec2_backend.terminate_instances([action.instance_id])

    # -- the two shapes in which the hook's notification reaches a handler --------------------
    def eventbridge_event(self, action: LifecycleActionRecord) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "LifecycleActionToken": action.token,
            "AutoScalingGroupName": action.group,
            "LifecycleHookName": action.hook,
            "EC2InstanceId": action.instance_id,
            "LifecycleTransition": TERMINATING,
            **self._warm_pool_fields(action),
        }
        if action.metadata is not None:
            detail["NotificationMetadata"] = action.metadata
        return {
            "version": "0",
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, action.token)),
            "detail-type": "EC2 Instance-terminate Lifecycle Action",
            "source": "aws.autoscaling",
            "account": self.account,
            "time": iso_time(action.started_at),
            "region": self.region,
            "resources": [
                f"arn:aws:autoscaling:{self.region}:{self.account}:autoScalingGroup:"
                f"{uuid.uuid5(uuid.NAMESPACE_URL, action.group)}:autoScalingGroupName/{action.group}"
            ],
            "detail": detail,
        }

    def _warm_pool_fields(self, action: LifecycleActionRecord) -> dict[str, str]:
        """``Origin`` and ``Destination`` "are only emitted by Auto Scaling groups that have a warm pool"
        (Auto Scaling User Guide, "Warm pool event types and patterns")."""
        group = self.backend.autoscaling_groups.get(action.group)
        if action.destination != TO_WARM_POOL and (group is None or group.warm_pool is None):
            return {}
        return {"Origin": "AutoScalingGroup", "Destination": action.destination}

    def sns_event(self, action: LifecycleActionRecord, topic_arn: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            **self._warm_pool_fields(action),
            "LifecycleHookName": action.hook,
            "AccountId": self.account,
            "RequestId": str(uuid.uuid4()),
            "LifecycleTransition": TERMINATING,
            "AutoScalingGroupName": action.group,
            "Service": "AWS Auto Scaling",
            "Time": iso_time(action.started_at, milliseconds=True),
            "EC2InstanceId": action.instance_id,
            "LifecycleActionToken": action.token,
        }
        if action.metadata is not None:
            message["NotificationMetadata"] = action.metadata
        return sns_delivery(
            json.dumps(message), topic_arn, subject="Auto Scaling:  Lifecycle action 'TERMINATING' for instance"
        )


def sns_delivery(message: str, topic_arn: str, subject: str | None = None) -> dict[str, Any]:
    """The event Lambda receives for one SNS notification."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": topic_arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": "2026-01-01T00:00:00.000Z",
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {},
                },
            }
        ]
    }
