"""Parameter Store that does not answer is not a wrong configuration: the cold start fails to be tried
again, and says so (issue 15's review, finding 6). Parameter Store is stubbed with botocore's Stubber."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from fleetops.aws.clients import AwsClients
from fleetops.aws.parameter_store import ParameterStore
from fleetops.stored_configuration import ParameterStoreError, ParameterStoreUnavailable

NAME = "/ecs-fleet-ops/prod/scaling-rules"


def store_answering(code: str, status: int) -> ParameterStore:
    clients = AwsClients(boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"))
    stubber = Stubber(clients.ssm)
    stubber.add_client_error("get_parameter", service_error_code=code, http_status_code=status)
    stubber.activate()
    return ParameterStore(clients)


@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 400), ("InternalServerError", 500)])
def test_a_throttled_or_failing_parameter_store_is_unavailable_not_a_configuration_error(
    code: str, status: int
) -> None:
    with pytest.raises(ParameterStoreUnavailable, match="tried again"):
        store_answering(code, status).read(NAME)


def test_a_refusal_is_still_a_configuration_error_that_names_the_permission() -> None:
    with pytest.raises(ParameterStoreError, match=f"needs ssm:GetParameter on {NAME}"):
        store_answering("AccessDeniedException", 400).read(NAME)
