"""Auto Scaling termination lifecycle hooks, which moto 5.2 never fires.

Gives an instance the real ``Terminating:Wait`` state, a token, heartbeats that extend the wait,
a completion that terminates the instance, and a timeout that applies the hook's default result.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import AutoScalingBackend

from tests.support import moto_gaps
from tests.support.clock import SimulatedClock

TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"


@dataclass
class LifecycleActionRecord:
    group: str
    hook: str
    instance_id: str
    token: str
    heartbeat_timeout: int
    default_result: str
    metadata: str | None
    started_at: float
    last_heartbeat_at: float
    heartbeats: int = 0
    result: str | None = None
    ended_by: str | None = None  # "completion" | "timeout"
    ended_at: float | None = None

    @property
    def active(self) -> bool:
        return self.result is None


@dataclass
class SimulatedLifecycleHooks:
    backend: AutoScalingBackend
    clock: SimulatedClock
    on_terminate: Callable[[str], None] = lambda instance_id: None
    actions: dict[str, LifecycleActionRecord] = field(default_factory=dict)  # by token
    region: str = "us-east-1"
    account: str = "123456789012"

    def install(self) -> SimulatedLifecycleHooks:
        moto_gaps.route_lifecycle_actions_to(self)
        return self

    # -- what Auto Scaling does -------------------------------------------------------------
    def begin_termination(
        self, group_name: str, instance_id: str, *, metadata: str | None = None
    ) -> LifecycleActionRecord:
        group = self.backend.autoscaling_groups[group_name]
        hook = next(
            h
            for h in self.backend.lifecycle_hooks.values()
            if h.auto_scaling_group_name == group_name and h.lifecycle_transition == TERMINATING
        )
        state = next(s for s in group.instance_states if s.instance.id == instance_id)
        state.lifecycle_state = "Terminating:Wait"
        now = self.clock()
        record = LifecycleActionRecord(
            group=group_name,
            hook=hook.name,
            instance_id=instance_id,
            token=str(uuid.uuid4()),
            heartbeat_timeout=hook.heartbeat_timeout,
            default_result=hook.default_result,
            # As Auto Scaling sends it: the hook's own NotificationMetadata unless a test says otherwise.
            metadata=metadata if metadata is not None else getattr(hook, "notification_metadata", None),
            started_at=now,
            last_heartbeat_at=now,
        )
        self.actions[record.token] = record
        return record

    def expire_overdue(self) -> list[LifecycleActionRecord]:
        """Apply the default result to actions whose heartbeat timeout has passed."""
        expired = [
            a for a in self.actions.values() if a.active and self.clock() >= a.last_heartbeat_at + a.heartbeat_timeout
        ]
        for action in expired:
            self._end(action, action.default_result, "timeout")
        return expired

    def action_for(self, instance_id: str) -> LifecycleActionRecord:
        return next(a for a in reversed(list(self.actions.values())) if a.instance_id == instance_id)

    # -- the API calls moto lacks (routed here by moto_gaps) ----------------------------------
    def complete(self, *, group: str, hook: str, token: str | None, instance_id: str | None, result: str) -> None:
        if result not in ("CONTINUE", "ABANDON"):
            raise ValidationError(f"Invalid LifecycleActionResult {result!r}")
        self._end(self._active(group, hook, token, instance_id), result, "completion")

    def heartbeat(self, *, group: str, hook: str, token: str | None, instance_id: str | None) -> None:
        action = self._active(group, hook, token, instance_id)
        action.heartbeats += 1
        action.last_heartbeat_at = self.clock()

    def _active(self, group: str, hook: str, token: str | None, instance_id: str | None) -> LifecycleActionRecord:
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

    def _end(self, action: LifecycleActionRecord, result: str, how: str) -> None:
        action.result, action.ended_by, action.ended_at = result, how, self.clock()
        group = self.backend.autoscaling_groups.get(action.group)
        if group is not None:
            for state in group.instance_states:
                if state.instance.id == action.instance_id:
                    state.lifecycle_state = "Terminating:Proceed"
        # For a termination hook both CONTINUE and ABANDON end with the instance terminated.
        self.on_terminate(action.instance_id)
        if group is not None and any(s.instance.id == action.instance_id for s in group.instance_states):
            self.backend.detach_instances(action.group, [action.instance_id], should_decrement=False)
        self.backend.ec2_backend.terminate_instances([action.instance_id])

    # -- the two shapes in which the hook's notification reaches the suite -------------------
    def eventbridge_event(self, action: LifecycleActionRecord) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "LifecycleActionToken": action.token,
            "AutoScalingGroupName": action.group,
            "LifecycleHookName": action.hook,
            "EC2InstanceId": action.instance_id,
            "LifecycleTransition": TERMINATING,
            "Origin": "AutoScalingGroup",
            "Destination": "EC2",
        }
        if action.metadata is not None:
            detail["NotificationMetadata"] = action.metadata
        return {
            "version": "0",
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, action.token)),
            "detail-type": "EC2 Instance-terminate Lifecycle Action",
            "source": "aws.autoscaling",
            "account": self.account,
            "time": "2026-01-01T00:00:00Z",
            "region": self.region,
            "resources": [
                f"arn:aws:autoscaling:{self.region}:{self.account}:autoScalingGroup:"
                f"{uuid.uuid5(uuid.NAMESPACE_URL, action.group)}:autoScalingGroupName/{action.group}"
            ],
            "detail": detail,
        }

    def sns_event(self, action: LifecycleActionRecord, topic_arn: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "Origin": "AutoScalingGroup",
            "Destination": "EC2",
            "LifecycleHookName": action.hook,
            "AccountId": self.account,
            "RequestId": str(uuid.uuid4()),
            "LifecycleTransition": TERMINATING,
            "AutoScalingGroupName": action.group,
            "Service": "AWS Auto Scaling",
            "Time": "2026-01-01T00:00:00.000Z",
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
