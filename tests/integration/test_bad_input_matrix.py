"""Every malformed envelope through every function of the simulated account, invoked asynchronously as
EventBridge and SNS invoke them: each is bad input, so each ends the same way, in every function:

- a dead letter with its reason (what is wrong, said plainly) and the event itself;
- nothing changed: the invocation called AWS for the dead letter and for nothing else;
- no retry: the invocation succeeded, so Lambda has nothing to retry and nothing else is dead-lettered.

And a dead letter always fits SQS: an event with a 1 MiB field is kept with its whole reason and as much
of the event as fits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from fleetops.aws.messaging import SQS_BODY_LIMIT
from simulator.account import SimulatedAccount
from simulator.cloudformation.template import EVERY_CLUSTER_AND_GROUP
from simulator.cloudformation.transform import ACCOUNT, REGION
from simulator.moto_patches import simulated_aws
from simulator.sqs.queues import take_all

JOBS = ("drain", "scale", "verify")
# What each job's EventBridge rule delivers: an event of that kind, save for what the shape breaks.
EVENTBRIDGE = {
    "drain": ("aws.autoscaling", "EC2 Instance-terminate Lifecycle Action"),
    "scale": ("aws.cloudwatch", "CloudWatch Alarm State Change"),
    "verify": ("aws.ecs", "ECS Deployment State Change"),
}
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:ecs-fleet-ops-LifecycleHookTopic"


def eventbridge(job: str, **fields: Any) -> dict[str, Any]:
    source, detail_type = EVENTBRIDGE[job]
    return {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [],
        **fields,
    }


def sns_record(**sns: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
    }
    if sns:
        record["Sns"] = {"Type": "Notification", "TopicArn": TOPIC, **sns}
    return record


def without_detail(job: str) -> dict[str, Any]:
    return eventbridge(job)


def with_a_detail_that_is_text(job: str) -> dict[str, Any]:
    return eventbridge(job, detail="i-0123456789abcdef0")


def an_sns_record_without_sns(job: str) -> dict[str, Any]:
    return {"Records": [sns_record()]}


def an_sns_record_without_a_message(job: str) -> dict[str, Any]:
    return {"Records": [sns_record(Subject="Auto Scaling: Lifecycle action 'TERMINATING'")]}


def an_empty_object(job: str) -> dict[str, Any]:
    return {}


SHAPES = {
    "an EventBridge event without detail": without_detail,
    "an EventBridge event whose detail is text": with_a_detail_that_is_text,
    "an SNS record without Sns": an_sns_record_without_sns,
    "an SNS record without a message": an_sns_record_without_a_message,
    "an empty object": an_empty_object,
}
# The reason each function gives, where they differ (verify has no SNS trigger: any SNS shape is unknown).
REASONS = {
    "an EventBridge event without detail": {"drain": "has no 'detail'", "scale": "has no 'detail'"},
    "an EventBridge event whose detail is text": {"drain": "'detail' that is not an object"},
    "an SNS record without Sns": {"drain": "SNS record 0 has no 'Sns' object", "scale": "no 'Sns' object"},
    "an SNS record without a message": {"drain": "no 'Sns.Message' text", "scale": "no 'Sns.Message' text"},
    "an empty object": {},
}
DEFAULT_REASONS = {
    "an EventBridge event without detail": "detail is not an object",
    "an EventBridge event whose detail is text": "not an object",
    "an SNS record without Sns": "unknown event shape",
    "an SNS record without a message": "unknown event shape",
    "an empty object": "unknown event shape",
}


@pytest.fixture(scope="module")
def account() -> Iterator[SimulatedAccount]:
    """The stack, deployed once for the module; each test reads (and empties) the dead-letter queue."""
    with simulated_aws():
        yield SimulatedAccount(parameters=EVERY_CLUSTER_AND_GROUP)


@pytest.mark.parametrize("job", JOBS)
@pytest.mark.parametrize("shape", SHAPES)
def test_a_malformed_envelope_is_dead_lettered_with_its_reason_changes_nothing_and_is_not_retried(
    account: SimulatedAccount, shape: str, job: str
) -> None:
    event = SHAPES[shape](job)
    account.dead_letters()  # emptied: each test reads only its own
    before = len(account.timeline)

    account.invoke_async(job, event, description=shape)
    account.run_until_quiet()

    [invocation] = [e for e in account.timeline[before:] if e.function]  # one: no retry
    assert invocation.error is None, invocation.error
    assert set(invocation.calls) == {"sqs:SendMessage"}, invocation.calls  # the dead letter, nothing else
    assert "InvalidEvents" in invocation.metrics
    [kept] = account.dead_letters()
    assert kept["function"] == job and kept["event"] == event
    assert REASONS[shape].get(job, DEFAULT_REASONS[shape]) in kept["reason"]


def test_an_event_with_a_one_mebibyte_field_is_dead_lettered_with_its_whole_reason_and_as_much_as_fits(
    account: SimulatedAccount,
) -> None:
    instance_id = "i-" + "0" * 1024 * 1024  # 1 MiB: no EC2 instance id, and more than any SQS message holds
    detail = {
        "LifecycleActionToken": "87654321-4321-4321-4321-210987654321",
        "AutoScalingGroupName": "demo-hosts",
        "LifecycleHookName": "ecs-fleet-ops-drain-before-terminate",
        "EC2InstanceId": instance_id,
        "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
    }
    event = eventbridge("drain", detail=detail)
    account.dead_letters()

    # A direct invocation (an operator redriving an event by hand: up to 6 MB, synchronously).
    result = account.invoke("drain", event, description="an event with a 1 MiB field")

    assert result["status"] == "rejected"
    [body] = take_all(account.session, account.stack.outputs["DeadLetterQueueUrl"])
    assert len(body.encode()) <= SQS_BODY_LIMIT
    kept = json.loads(body)
    assert kept["reason"] == result["reason"]  # whole, as the function gave it
    assert kept["reason"].startswith("field 'EC2InstanceId' is not an EC2 instance id: 'i-0000")
    assert kept["event_bytes"] == len(json.dumps(event))
    assert json.dumps(event).startswith(kept["event_truncated"])
    assert "LifecycleActionToken" in kept["event_truncated"]  # what comes before the big field is there
