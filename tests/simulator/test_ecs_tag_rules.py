"""The simulated ECS refuses the tags ECS refuses (Tag, Amazon ECS API Reference): a story cannot rely on
a service team's tag that nobody could write on AWS."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from simulator.moto_patches import simulated_aws


@pytest.fixture
def service_arn() -> Iterator[str]:
    with simulated_aws():
        ecs = boto3.client("ecs", region_name="us-east-1")
        ecs.create_cluster(clusterName="prod")
        ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "web", "image": "web", "memory": 128}]
        )
        yield ecs.create_service(cluster="prod", serviceName="web", taskDefinition="web", desiredCount=0)["service"][
            "serviceArn"
        ]


def tag(arn: str, *pairs: tuple[str, str]) -> None:
    boto3.client("ecs", region_name="us-east-1").tag_resource(
        resourceArn=arn, tags=[{"key": k, "value": v} for k, v in pairs]
    )


def refusal(arn: str, *pairs: tuple[str, str]) -> str:
    with pytest.raises(ClientError) as raised:
        tag(arn, *pairs)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    return str(raised.value.response["Error"]["Message"])


def test_a_value_of_allowed_characters_is_taken_and_described(service_arn: str) -> None:
    tag(service_arn, ("fleetops:verify:smoke-urls", "https://web.example.com/health https://web.example.com/ready"))
    [described] = boto3.client("ecs", region_name="us-east-1").describe_services(
        cluster="prod", services=["web"], include=["TAGS"]
    )["services"]
    assert described["tags"] == [
        {"key": "fleetops:verify:smoke-urls", "value": "https://web.example.com/health https://web.example.com/ready"}
    ]


def test_a_url_with_a_query_string_a_long_value_and_the_aws_prefix_are_refused(service_arn: str) -> None:
    assert "letters, numbers, spaces" in refusal(
        service_arn, ("fleetops:verify:smoke-urls", "https://w.example.com/?a=1&b=2")
    )
    assert "at most 256 characters" in refusal(service_arn, ("fleetops:verify:alarms", "a" * 257))
    assert "1 to 128 characters" in refusal(service_arn, ("k" * 129, "v"))
    assert "reserved for AWS use" in refusal(service_arn, ("aws:team", "payments"))
    assert "letters, numbers, spaces" in refusal(service_arn, ("team", "pay\nments"))


def test_a_service_holds_at_most_fifty_tags(service_arn: str) -> None:
    tag(service_arn, *[(f"tag-{i}", "x") for i in range(49)])
    tag(service_arn, ("tag-49", "x"))  # the fiftieth
    assert "at most 50 tags; this would make 51" in refusal(service_arn, ("tag-50", "x"))
    tag(service_arn, ("tag-0", "changed"))  # a key it has already is no new tag
