"""boto3 clients, created once per cold start and only when first used."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_application_autoscaling import ApplicationAutoScalingClient
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_codedeploy import CodeDeployClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

# "standard" mode retries throttling and transient errors with exponential backoff and jitter.
# 8 attempts span roughly 20 s in the worst case, well inside the functions' 60 s timeout; a call
# that still fails raises, so throttling is never mistaken for an empty host.
RETRY_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 8},
    connect_timeout=5,
    read_timeout=15,
)


class AwsClients:
    """The clients the suite uses, sharing one session. Built lazily: a cold start pays for a
    client only if the invocation needs it."""

    def __init__(self, session: boto3.Session | None = None, config: Config = RETRY_CONFIG) -> None:
        self._session = session or boto3.Session()
        self._config = config

    @property
    def session(self) -> boto3.Session:
        """Shared with Powertools Idempotency: a second session would load botocore's endpoint
        data again (measured at about 50 ms of cold start)."""
        return self._session

    def _client(self, service: str) -> Any:
        return self._session.client(service, config=self._config)  # type: ignore[call-overload]

    @cached_property
    def ecs(self) -> ECSClient:
        return self._client("ecs")  # type: ignore[no-any-return]

    @cached_property
    def autoscaling(self) -> AutoScalingClient:
        return self._client("autoscaling")  # type: ignore[no-any-return]

    @cached_property
    def sqs(self) -> SQSClient:
        return self._client("sqs")  # type: ignore[no-any-return]

    @cached_property
    def sns(self) -> SNSClient:
        return self._client("sns")  # type: ignore[no-any-return]

    @cached_property
    def elbv2(self) -> ElasticLoadBalancingv2Client:
        return self._client("elbv2")  # type: ignore[no-any-return]

    @cached_property
    def cloudwatch(self) -> CloudWatchClient:
        return self._client("cloudwatch")  # type: ignore[no-any-return]

    @cached_property
    def codedeploy(self) -> CodeDeployClient:
        return self._client("codedeploy")  # type: ignore[no-any-return]

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return self._client("dynamodb")  # type: ignore[no-any-return]

    @cached_property
    def application_autoscaling(self) -> ApplicationAutoScalingClient:
        return self._client("application-autoscaling")  # type: ignore[no-any-return]


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def batched(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
