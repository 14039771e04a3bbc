"""What EventBridge and SNS cannot deliver to a function goes to a dead-letter queue only as AWS puts it
there: through the queue's policy.

- EventBridge sends an event it may not deliver (a permission error is not retried) straight to the
  target's dead-letter queue, if the queue's policy lets ``events.amazonaws.com`` send to it ("Using
  dead-letter queues to process undelivered events in EventBridge").
- SNS does not retry a client-side error (the function's policy no longer lets the topic invoke it):
  the message goes to the subscription's RedrivePolicy dead-letter queue, if the queue's policy lets
  ``sns.amazonaws.com`` send to it for that topic, and is discarded otherwise ("Amazon SNS dead-letter
  queues").

The undeliverable event is made the way it happens: someone removes the function's permission for
the service (``aws lambda remove-permission``). The scale job's rule and topic carry the events: the
queue policy's two statements cover every rule and both topics of the stack alike.

Likewise CloudWatch publishes an alarm's notification to the scaling topic only if the topic's policy
(``ScalingAlarmTopicPolicy``) lets ``cloudwatch.amazonaws.com`` in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.account import SimulatedAccount
from simulator.cloudformation.template import EVERY_CLUSTER_AND_GROUP
from simulator.paths import PROJECT_ROOT as ROOT
from simulator.paths import TEMPLATE

EVENTS = ROOT / "events"


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def alarm_notification() -> dict[str, Any]:
    """The SNS notification of an alarm action (what CloudWatch publishes to ScalingAlarmTopic)."""
    notification: dict[str, Any] = sample("scale/sns-service-cpu-high.json")["Records"][0]["Sns"]
    return notification


def without_statement(sid: str, directory: Path) -> Path:
    """template.yaml with the policy statement ``sid`` left out (and nothing else changed). It becomes
    ``AWS::NoValue``, which also stands for it where it is a branch of ``Fn::If``."""
    lines = TEMPLATE.read_text().splitlines(keepends=True)
    [start] = [i for i, line in enumerate(lines) if line.strip() == f"- Sid: {sid}"]
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and lines[end].strip() and len(lines[end]) - len(lines[end].lstrip()) > indent:
        end += 1
    path = directory / "template.yaml"
    path.write_text("".join([*lines[:start], " " * indent + "- !Ref AWS::NoValue\n", *lines[end:]]))
    return path


def without_subscription_redrive_policies(directory: Path) -> Path:
    """template.yaml whose SNS subscriptions have no RedrivePolicy."""
    text = TEMPLATE.read_text()
    redrive = "            RedrivePolicy:\n              deadLetterTargetArn: !GetAtt DeadLetterQueue.Arn\n"
    assert text.count(redrive) == 2  # the drain's and the scale's SNS events
    path = directory / "template.yaml"
    path.write_text(text.replace(redrive, ""))
    return path


def scale_arn(account: SimulatedAccount) -> str:
    return account.function("scale").spec.arn


def dropped_notes(account: SimulatedAccount) -> list[str]:
    return [e.event for e in account.timeline if e.event.startswith("dead letter dropped")]


# -- EventBridge -------------------------------------------------------------------------------------------
def test_an_event_the_rule_may_no_longer_deliver_is_kept_in_the_dead_letter_queue(aws: None) -> None:
    account = SimulatedAccount(parameters=EVERY_CLUSTER_AND_GROUP)
    account.stack.remove_permission(scale_arn(account), "events.amazonaws.com")
    event = sample("scale/eventbridge-service-cpu-high.json")

    assert account.put_event(event) != []
    account.run_until_quiet()

    assert not any(e.function for e in account.timeline)  # the function never ran
    [kept] = account.dead_letters()
    assert kept["detail"] == event["detail"] and kept["detail-type"] == event["detail-type"]
    assert dropped_notes(account) == []


def test_without_the_queue_policy_statement_for_eventbridge_the_undeliverable_event_is_lost(
    aws: None, tmp_path: Path
) -> None:
    account = SimulatedAccount(
        parameters=EVERY_CLUSTER_AND_GROUP, template=without_statement("EventBridgeDeadLetters", tmp_path)
    )
    account.stack.remove_permission(scale_arn(account), "events.amazonaws.com")

    assert account.put_event(sample("scale/eventbridge-service-cpu-high.json")) != []
    account.run_until_quiet()

    assert account.dead_letters() == []
    [note] = dropped_notes(account)
    assert "events.amazonaws.com" in note and ":rule/" in note


# -- SNS ---------------------------------------------------------------------------------------------------
def test_a_notification_the_topic_may_no_longer_deliver_goes_to_the_subscriptions_dead_letter_queue(
    aws: None,
) -> None:
    account = SimulatedAccount(parameters=EVERY_CLUSTER_AND_GROUP)
    account.stack.remove_permission(scale_arn(account), "sns.amazonaws.com")
    notification, topic = alarm_notification(), account.stack.outputs["ScalingAlarmTopicArn"]

    assert account.publish(topic, notification["Message"], subject=notification["Subject"], source="CloudWatch") == 0
    account.run_until_quiet()

    assert not any(e.function for e in account.timeline)
    [kept] = account.dead_letters()
    assert (kept["TopicArn"], kept["Message"], kept["Subject"]) == (
        topic,
        notification["Message"],
        notification["Subject"],
    )
    assert dropped_notes(account) == []


def test_without_the_queue_policy_statement_for_sns_the_undeliverable_notification_is_lost(
    aws: None, tmp_path: Path
) -> None:
    account = SimulatedAccount(
        parameters=EVERY_CLUSTER_AND_GROUP, template=without_statement("SnsDeadLetters", tmp_path)
    )
    account.stack.remove_permission(scale_arn(account), "sns.amazonaws.com")
    notification, topic = alarm_notification(), account.stack.outputs["ScalingAlarmTopicArn"]

    account.publish(topic, notification["Message"], subject=notification["Subject"], source="CloudWatch")
    account.run_until_quiet()

    assert account.dead_letters() == []
    [note] = dropped_notes(account)
    assert "sns.amazonaws.com" in note and topic in note


def test_without_a_redrive_policy_sns_discards_what_it_cannot_deliver(aws: None, tmp_path: Path) -> None:
    account = SimulatedAccount(
        parameters=EVERY_CLUSTER_AND_GROUP, template=without_subscription_redrive_policies(tmp_path)
    )
    account.stack.remove_permission(scale_arn(account), "sns.amazonaws.com")
    notification, topic = alarm_notification(), account.stack.outputs["ScalingAlarmTopicArn"]

    account.publish(topic, notification["Message"], subject=notification["Subject"], source="CloudWatch")
    account.run_until_quiet()

    assert account.dead_letters() == []
    assert any("may not be invoked by the topic" in e.event for e in account.timeline)


# -- CloudWatch publishing to the scaling topic --------------------------------------------------------------
def with_topic_policy_for(service: str, directory: Path) -> Path:
    """template.yaml whose ScalingAlarmTopicPolicy lets ``service`` publish instead of CloudWatch."""
    text = TEMPLATE.read_text()
    principal = "Principal: { Service: cloudwatch.amazonaws.com }"
    # The notification topic's policy and the topics' key name CloudWatch too: only this policy's changes.
    policy = text.index("\n  ScalingAlarmTopicPolicy:\n")
    policy_end = text.index("\n\n", policy)
    assert text[policy:policy_end].count(principal) == 1
    edited = text[policy:policy_end].replace(principal, f"Principal: {{ Service: {service} }}")
    path = directory / "template.yaml"
    path.write_text(text[:policy] + edited + text[policy_end:])
    return path


def publish_as_cloudwatch(account: SimulatedAccount) -> int:
    notification = alarm_notification()
    return account.publish(
        account.stack.outputs["ScalingAlarmTopicArn"],
        notification["Message"],
        subject=notification["Subject"],
        source="CloudWatch",
        as_service="cloudwatch.amazonaws.com",
        on_behalf_of=json.loads(notification["Message"])["AlarmArn"],
    )


def test_an_alarm_of_the_account_may_publish_to_the_scaling_topic(aws: None) -> None:
    account = SimulatedAccount(parameters=EVERY_CLUSTER_AND_GROUP)
    assert publish_as_cloudwatch(account) == 1
    account.run_until_quiet()
    assert [e.via for e in account.timeline if e.function == "scale"] == ["SNS"]


def test_a_topic_policy_that_does_not_name_cloudwatch_keeps_its_alarms_out(aws: None, tmp_path: Path) -> None:
    account = SimulatedAccount(
        parameters=EVERY_CLUSTER_AND_GROUP, template=with_topic_policy_for("events.amazonaws.com", tmp_path)
    )
    assert publish_as_cloudwatch(account) == 0
    account.run_until_quiet()
    assert not any(e.function for e in account.timeline)
    assert any("does not let cloudwatch.amazonaws.com publish" in e.event for e in account.timeline)
