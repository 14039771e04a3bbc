"""Issue 15, item 3: the scale job's rules and verify's per-service checks from SSM Parameter Store
(``ConfigParameterPrefix``), read once per cold start under the function's own role; and inline JSON that
the command line cut refused at deploy time, not at the function's first cold start."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from fleetops.errors import ConfigurationError
from fleetops.observability import logger
from simulator.account import SimulatedFunction
from simulator.clock import SimulatedClock
from simulator.cloudformation.sam_cli import overrides_of_command, parse_parameter_overrides
from simulator.cloudformation.stack import DeployedStack, deploy_stack
from simulator.cloudformation.template import EVERY_CLUSTER_AND_GROUP
from simulator.cloudformation.transform import REGION, TemplateError
from simulator.moto_patches import simulated_aws
from simulator.paths import PROJECT_ROOT as ROOT

PREFIX = "/ecs-fleet-ops/sandbox"
EXAMPLES = ROOT / "config" / "examples"
SCALE, VERIFY = "ScaleFunction", "VerifyFunction"
# Verify's example names smoke hosts: the stack must allow them (the function checks at cold start).
# The example services ask for rollbacks: the stack must be one that may make them.
ALLOWED = {"SmokeAllowedHosts": "web.example.com,api.example.com", "VerifyRollbackEnabled": "true"}


@pytest.fixture
def ssm() -> Iterator[boto3.client]:  # type: ignore[valid-type]
    with simulated_aws():
        yield boto3.client("ssm", region_name=REGION)


def deployed(parameters: dict[str, str]) -> DeployedStack:
    """The stack with the given parameters, its scope every cluster and group unless they name one."""
    return deploy_stack(boto3.Session(region_name=REGION), parameters={**EVERY_CLUSTER_AND_GROUP, **parameters})


def cold_start(stack: DeployedStack, function: str) -> SimulatedFunction:
    """The function's handler imported as Lambda imports it: its environment, its role, IAM enforced."""
    return SimulatedFunction(stack.function(function), SimulatedClock(), fault=lambda _: None)


def put(ssm: boto3.client, name: str, path: Path, **options: str) -> None:  # type: ignore[valid-type]
    ssm.put_parameter(Name=name, Value=path.read_text(), Type=options.pop("Type", "String"), **options)


# -- read from Parameter Store -------------------------------------------------------------------------------
def test_with_a_prefix_each_function_reads_its_document_from_parameter_store_under_its_own_role(
    ssm: boto3.client,  # type: ignore[valid-type]
) -> None:
    put(ssm, f"{PREFIX}/scaling-rules", EXAMPLES / "scaling-rules.json")
    put(ssm, f"{PREFIX}/verify-services", EXAMPLES / "verify-services.json")
    stack = deployed({"ConfigParameterPrefix": PREFIX, "ClusterNames": "prod", **ALLOWED})

    scale = cold_start(stack, SCALE).module.service.settings
    verify = cold_start(stack, VERIFY).module.service.settings

    expected_rules = json.loads((EXAMPLES / "scaling-rules.json").read_text())
    assert [rule.alarm_name for rule in scale.rules] == [rule["alarm"] for rule in expected_rules]
    assert set(verify.services) == set(json.loads((EXAMPLES / "verify-services.json").read_text()))


@contextmanager
def cold_start_logs() -> Iterator[io.StringIO]:
    """What the functions' shared Powertools logger writes at INFO (the template's LogLevel default)."""
    written = io.StringIO()
    streams = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    previous = [h.setStream(written) for h in streams]
    level = logger.log_level
    logger.setLevel("INFO")
    try:
        yield written
    finally:
        logger.setLevel(level)
        for handler, stream in zip(streams, previous, strict=True):
            handler.setStream(stream)


def test_a_missing_parameter_is_no_configuration_and_the_cold_start_log_says_which_was_read(
    ssm: boto3.client,  # type: ignore[valid-type]
) -> None:
    put(ssm, f"{PREFIX}/verify-services", EXAMPLES / "verify-services.json")
    stack = deployed({"ConfigParameterPrefix": PREFIX, "ClusterNames": "prod", **ALLOWED})

    with cold_start_logs() as written:
        scale = cold_start(stack, SCALE).module.service.settings
        verify = cold_start(stack, VERIFY).module.service.settings

    assert scale.rules == ()  # GetParameter answered ParameterNotFound: no declared rule
    assert verify.services
    logged = [json.loads(line) for line in written.getvalue().splitlines() if line.startswith("{")]
    said = {(entry["message"], entry.get("parameter")) for entry in logged}
    assert ("configuration parameter absent: none configured", f"{PREFIX}/scaling-rules") in said
    assert ("configuration parameter read", f"{PREFIX}/verify-services") in said


def test_a_secure_string_fails_the_cold_start_with_a_clear_error(ssm: boto3.client) -> None:  # type: ignore[valid-type]
    put(ssm, f"{PREFIX}/scaling-rules", EXAMPLES / "scaling-rules.json", Type="SecureString")
    stack = deployed({"ConfigParameterPrefix": PREFIX, "ClusterNames": "prod"})

    with pytest.raises(ConfigurationError, match=f"SSM parameter {PREFIX}/scaling-rules is a SecureString"):
        cold_start(stack, SCALE)


def test_a_broken_document_fails_the_cold_start_naming_the_parameter_and_every_error(
    ssm: boto3.client,  # type: ignore[valid-type]
) -> None:
    ssm.put_parameter(Name=f"{PREFIX}/scaling-rules", Type="String", Value='[{"alarm": "a", "step": "+x"}]')
    stack = deployed({"ConfigParameterPrefix": PREFIX})

    with pytest.raises(ConfigurationError) as error:
        cold_start(stack, SCALE)
    assert f"SSM parameter {PREFIX}/scaling-rules[0].cluster must be a non-empty string" in str(error.value)
    assert f"SSM parameter {PREFIX}/scaling-rules[0].step must be a signed whole number" in str(error.value)


def test_the_role_may_read_only_its_own_two_parameters_and_a_refusal_is_a_clear_cold_start_error(
    ssm: boto3.client,  # type: ignore[valid-type]
) -> None:
    # A prefix the template did not grant (an environment edited by hand): IAM refuses the read.
    put(ssm, "/someone-else/scaling-rules", EXAMPLES / "scaling-rules.json")
    stack = deployed({"ConfigParameterPrefix": PREFIX})
    spec = stack.function(SCALE)
    edited = type(spec)(
        **{**spec.__dict__, "environment": {**spec.environment, "CONFIG_PARAMETER_PREFIX": "/someone-else"}}
    )

    with pytest.raises(ConfigurationError) as error:
        SimulatedFunction(edited, SimulatedClock(), fault=lambda _: None)
    assert "could not read SSM parameter /someone-else/scaling-rules: AccessDeniedException" in str(error.value)
    assert "needs ssm:GetParameter" in str(error.value)


def test_without_a_prefix_no_function_may_read_any_parameter(ssm: boto3.client) -> None:  # type: ignore[valid-type]
    stack = deployed({})
    iam = boto3.client("iam", region_name=REGION)
    for function in (SCALE, VERIFY):
        role = stack.function(function).role_arn.rsplit("/", 1)[-1]
        documents = [
            iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
        ]
        assert "ssm:" not in json.dumps(documents), function
        assert stack.function(function).environment["CONFIG_PARAMETER_PREFIX"] == ""


# -- deploy-time refusals ------------------------------------------------------------------------------------
def test_inline_json_and_a_prefix_together_are_refused_at_deploy_time(ssm: boto3.client) -> None:  # type: ignore[valid-type]
    with pytest.raises(TemplateError, match="ScalingRules must be empty when ConfigParameterPrefix is set"):
        deployed({"ConfigParameterPrefix": PREFIX, "ScalingRules": "[]"})
    with pytest.raises(TemplateError, match="VerifyServices must be empty when ConfigParameterPrefix is set"):
        deployed({"ConfigParameterPrefix": PREFIX, "VerifyServices": "{}"})


@pytest.mark.parametrize(
    "prefix", ["ecs-fleet-ops/prod", "/aws/prod", "/SSM/prod", "/ecs fleet ops", "/a/", "/" + "/".join("x" * 15)]
)
def test_a_prefix_that_is_not_an_ssm_hierarchy_is_refused_at_deploy_time(
    ssm: boto3.client,  # type: ignore[valid-type]
    prefix: str,
) -> None:
    with pytest.raises(TemplateError, match="parameter ConfigParameterPrefix"):
        deployed({"ConfigParameterPrefix": prefix})


def test_json_that_sam_deploy_cut_is_refused_at_deploy_time_not_at_cold_start(ssm: boto3.client) -> None:  # type: ignore[valid-type]
    # Written bare, as a newcomer would: SAM CLI sends "{" and "[{" (simulator.cloudformation.sam_cli).
    cut = parse_parameter_overrides(
        [
            'VerifyServices={"prod/web": {"rollback": true}}',
            'ScalingRules=[{"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": 1}]',
        ]
    )
    assert cut == {"VerifyServices": "{", "ScalingRules": "[{"}
    with pytest.raises(TemplateError, match="parameter VerifyServices"):
        deployed({"VerifyServices": cut["VerifyServices"]})
    with pytest.raises(TemplateError, match="parameter ScalingRules"):
        deployed({"ScalingRules": cut["ScalingRules"]})


def test_the_quoted_form_the_readme_shows_reaches_the_functions_whole(ssm: boto3.client) -> None:  # type: ignore[valid-type]
    # Double quotes for the shell, single quotes inside for sam deploy (README, the sandbox walk-through).
    given = overrides_of_command(
        "sam deploy --parameter-overrides ClusterNames=prod "
        """"VerifyServices='{\\"prod/web\\": {\\"rollback\\": true}}'" """
        """"ScalingRules='[{\\"alarm\\": \\"ecs-scale-web-cpu-high\\", \\"cluster\\": \\"prod\\", """
        """\\"service\\": \\"web\\", \\"step\\": 1, \\"max\\": 4}]'" --resolve-s3"""
    )
    stack = deployed({**given, "VerifyRollbackEnabled": "true"})
    assert cold_start(stack, VERIFY).module.service.settings.services["prod/web"].rollback is True
    assert cold_start(stack, SCALE).module.service.settings.rules[0].maximum == 4


# -- the simulation is as strict as SSM ------------------------------------------------------------------------
def test_a_standard_parameter_holds_at_most_4096_characters_and_an_advanced_one_8192(ssm: boto3.client) -> None:  # type: ignore[valid-type]
    with pytest.raises(ClientError, match="maximum parameter value of 4096 characters"):
        ssm.put_parameter(Name=f"{PREFIX}/verify-services", Type="String", Value="x" * 4097)
    ssm.put_parameter(Name=f"{PREFIX}/verify-services", Type="String", Value="x" * 4096)
    ssm.put_parameter(Name=f"{PREFIX}/scaling-rules", Type="String", Value="x" * 8192, Tier="Advanced")
    with pytest.raises(ClientError, match="less than or equal to 8192"):
        ssm.put_parameter(Name=f"{PREFIX}/scaling-rules", Value="x" * 8193, Overwrite=True)
