"""An alarm's actions, carried out as CloudWatch carries them out when the alarm changes state: each SNS
topic of its AlarmActions (OKActions, InsufficientDataActions) is published to by CloudWatch, a service
principal, on behalf of the alarm (moto 5.2 changes the state and does nothing else).

CloudWatch needs the topic's policy to let ``cloudwatch.amazonaws.com`` publish and, when a KMS key
encrypts the topic, the key's policy to let it use the key (Amazon SNS Developer Guide, "Key management",
compatibility with AWS services: an AWS service publishing to an encrypted topic needs
``kms:GenerateDataKey*`` and ``kms:Decrypt`` in the key policy; the AWS managed key alias/aws/sns cannot
give them). A refused action is not retried: the notification is lost, and the alarm's history says so,
as CloudWatch records it: an ``Action`` item "Failed to execute action <topic>" with the error.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.authorization import disable_iam_authentication

from simulator.cloudformation.transform import ACCOUNT, REGION
from simulator.cloudwatch.alarms import AlarmChange

if TYPE_CHECKING:
    from simulator.account import SimulatedAccount

_ACTIONS_BY_STATE = {"ALARM": "AlarmActions", "OK": "OKActions", "INSUFFICIENT_DATA": "InsufficientDataActions"}


@dataclass(frozen=True)
class ActionHistoryItem:
    """One ``Action`` item of an alarm's history (DescribeAlarmHistory, HistoryItemType Action)."""

    alarm: str
    summary: str  # "Successfully executed action <arn>" or "Failed to execute action <arn>"
    error: str | None = None


# One history per simulated account, kept beside moto's CloudWatch backend, which lives as long as the account.
_HISTORY: weakref.WeakKeyDictionary[Any, dict[str, list[ActionHistoryItem]]] = weakref.WeakKeyDictionary()


AlarmState = Literal["ALARM", "OK", "INSUFFICIENT_DATA"]


def change_state(
    account: SimulatedAccount, alarm_name: str, state: AlarmState, *, value: float, reason: str = ""
) -> int:
    """The alarm goes to ``state`` (a datapoint ``value`` crossed its threshold) and CloudWatch carries out
    the state's actions; returns how many topics took the notification."""
    with disable_iam_authentication():  # CloudWatch itself, not a principal under test
        cloudwatch = account.session.client("cloudwatch")
        [alarm] = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
        old = alarm["StateValue"]
        cloudwatch.set_alarm_state(AlarmName=alarm_name, StateValue=state, StateReason=reason or f"simulated {state}")
        change = AlarmChange(alarm, old, state, value, account.clock())
        delivered = 0
        for action in cast(list[str], alarm.get(_ACTIONS_BY_STATE[state], [])):
            if ":sns:" not in action:
                continue
            refusal = account.service_publish_refusal(action, "cloudwatch.amazonaws.com", alarm["AlarmArn"])
            if refusal is not None:
                _record(alarm_name, ActionHistoryItem(alarm_name, f"Failed to execute action {action}", refusal))
                account.note("CloudWatch", f"{alarm_name}: its {state} action to {action} failed: {refusal}")
                continue
            # Let in above (the topic's and the key's policies, read once): delivered as CloudWatch delivers it.
            account.publish(action, _message(change), subject=change.subject[:99], source="CloudWatch")
            _record(alarm_name, ActionHistoryItem(alarm_name, f"Successfully executed action {action}"))
            delivered += 1
        return delivered


def action_history(alarm_name: str) -> list[ActionHistoryItem]:
    """The alarm's ``Action`` history items, oldest first (what DescribeAlarmHistory would list)."""
    return list(_HISTORY.get(cloudwatch_backends[ACCOUNT][REGION], {}).get(alarm_name, []))


def history_data(item: ActionHistoryItem) -> str:
    """The item's HistoryData, as CloudWatch writes it for an SNS action."""
    data: dict[str, Any] = {"actionState": "Failed" if item.error else "Succeeded", "error": item.error}
    return json.dumps(data)


def _record(alarm_name: str, item: ActionHistoryItem) -> None:
    _HISTORY.setdefault(cloudwatch_backends[ACCOUNT][REGION], {}).setdefault(alarm_name, []).append(item)


def _message(change: AlarmChange) -> str:
    """The notification's text: a metric alarm's as CloudWatch writes it; a metric-math alarm (no single
    metric) with its state and reason only."""
    if "MetricName" in change.alarm:
        return change.sns_message()
    return json.dumps(
        {
            "AlarmName": change.name,
            "AWSAccountId": ACCOUNT,
            "NewStateValue": change.new,
            "OldStateValue": change.old,
            "AlarmArn": change.alarm["AlarmArn"],
        }
    )
