"""A notification's subject is one SNS takes: "UTF-8 text with no line breaks or control characters, and
less than 100 characters long" (Amazon SNS API Reference, Publish). The simulated topic holds the
document's limit (``sns_gaps``); the Notifier cuts and cleans every subject to fit it."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from fleetops.aws.clients import AwsClients
from fleetops.aws.messaging import Notifier
from simulator.cloudformation.transform import ACCOUNT, REGION
from simulator.sqs.queues import take_all


def a_topic_read_by_a_queue(session: boto3.Session) -> tuple[str, str]:
    topic = session.client("sns").create_topic(Name="notifications")["TopicArn"]
    queue = session.client("sqs").create_queue(QueueName="reader")["QueueUrl"]
    session.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:reader")
    return topic, queue


@pytest.mark.parametrize("subject", ["x" * 100, "two\nlines", "a bell\x07"])
def test_the_simulated_topic_refuses_a_subject_the_publish_reference_rules_out(aws: None, subject: str) -> None:
    session = boto3.Session(region_name=REGION)
    topic, _ = a_topic_read_by_a_queue(session)
    with pytest.raises(ClientError) as refused:
        session.client("sns").publish(TopicArn=topic, Message="m", Subject=subject)
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
    session.client("sns").publish(TopicArn=topic, Message="m", Subject="x" * 99)


@pytest.mark.parametrize(
    ("subject", "published"),
    [
        ("x" * 100, "x" * 96 + "..."),
        ("ecs-fleet-ops drain of i-0123456789abcdef0: " + "still waiting " * 10, None),
        (
            "ATTENTION drain of\ni-0123456789abcdef0:\tnot drained",
            "ATTENTION drain of i-0123456789abcdef0: not drained",
        ),
        ("a\x00nul, a\x07bell and a\x1bescape", "a nul, a bell and a escape"),
        ("café ✓", "caf? ?"),
    ],
)
def test_a_notification_subject_is_cut_and_cleaned_so_that_sns_takes_it(
    aws: None, subject: str, published: str | None
) -> None:
    session = boto3.Session(region_name=REGION)
    topic, queue = a_topic_read_by_a_queue(session)

    Notifier(AwsClients(session), topic).publish(subject, "the message")

    [envelope] = [json.loads(body) for body in take_all(session, queue)]
    assert len(envelope["Subject"]) <= 99 and envelope["Subject"].isprintable()
    if published is not None:
        assert envelope["Subject"] == published
    assert envelope["Message"] == "the message"
