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

# "standard" mode retries throttling and transient errors (and connection and read timeouts) with
# exponential backoff and full jitter; a call that still fails raises, so throttling is never mistaken
# for an empty host, and the invocation fails for Lambda's retries or SQS's redelivery to try again.
# One call must fail before Lambda kills the invocation (60 s for drain and scale, 120 s for verify),
# leaving it time to record and report what it did. botocore 1.44.8 (retries/standard.py) sleeps
# rand(0, 1) x min(1 s x 2^(n-1), 20 s) before retry n of a throttled call (50 ms base otherwise), and up
# to 5 s longer where the answer carries x-amz-retry-after. Worst case of one call with 3 attempts:
#   sleeps 1 + 2 = 3 s, attempts 3 x (2 s to connect + 5 s to read) = 21 s: 24 s;
#   with x-amz-retry-after on both retries, 34 s.
# That leaves at least 26 s of the shortest timeout. (The previous 8 "max_attempts" were 8 retries,
# 9 attempts: 1+2+4+8+16+20+20+20 = 91 s of sleeps plus 9 x 20 s of timeouts, far past 60 s.)
# AWS's control-plane APIs answer in well under a second; a 5 s read that has not answered is better
# retried than waited on (botocore's default is 60 s per attempt).
# Error codes that say "not now" about any AWS API, not "no": a throttle or a server's own failure that
# outlived botocore's retries. Each caller decides what "try again later" means for it.
THROTTLED_OR_UNAVAILABLE = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "ServerException",
        "InternalFailure",
    }
)

RETRY_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
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
    def ssm(self) -> Any:
        # Read once per cold start, only when ConfigParameterPrefix is set (no type stubs installed).
        return self._client("ssm")

    @cached_property
    def application_autoscaling(self) -> ApplicationAutoScalingClient:
        return self._client("application-autoscaling")  # type: ignore[no-any-return]


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def batched(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
