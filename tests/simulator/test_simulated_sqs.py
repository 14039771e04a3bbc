"""The simulated SQS refuses what SQS refuses (``sqs_gaps``): a message over the queue's
MaximumMessageSize counted in UTF-8 bytes, attributes included, and characters outside SQS's set."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def queue(aws: None) -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="dead-letters", Attributes={"MaximumMessageSize": "262144"})["QueueUrl"]
    return sqs, url


def test_a_body_is_measured_in_utf8_bytes_not_characters(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    body = "é" * 131_073  # 131,073 characters, 262,146 bytes: 2 over the queue's 262,144

    with pytest.raises(ClientError, match="Message must be shorter than 262144 bytes"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.send_message(QueueUrl=url, MessageBody=body[:-1])


def test_message_attributes_count_towards_the_size(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    attributes = {"reason": {"DataType": "String", "StringValue": "x" * 100}}

    with pytest.raises(ClientError, match="Message must be shorter"):
        sqs.send_message(QueueUrl=url, MessageBody="a" * 262_100, MessageAttributes=attributes)


def test_a_character_outside_sqs_s_set_is_refused(queue: tuple[Any, str]) -> None:
    sqs, url = queue

    with pytest.raises(ClientError, match="InvalidMessageContents"):
        sqs.send_message(QueueUrl=url, MessageBody='{"note": "\x00"}')
