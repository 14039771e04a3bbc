"""The simulated deploy refuses, as AWS refuses them, a log group, a KMS key, a function's logging
configuration and a reservation of concurrency that AWS would not take (moto takes them all): small plain
templates, or the rule on plain data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from simulator.account import FunctionOutput
from simulator.awslambda.configuration import AccountConcurrency, logging_problems
from simulator.cloudformation.stack import deploy_stack
from simulator.cloudformation.transform import ACCOUNT, REGION, TemplateError
from simulator.moto_patches import simulated_aws

ACCOUNT_ADMINISTERS = {
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}
CLOUDWATCH_USES = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudwatch.amazonaws.com"},
    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
    "Resource": "*",
}


def deployed(directory: Path, resources: dict[str, Any]) -> boto3.Session:
    path = directory / "template.json"
    path.write_text(json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}))
    session = boto3.Session(region_name=REGION)
    deploy_stack(session, name="probe", template=path)
    return session


def refusal(directory: Path, resources: dict[str, Any]) -> str:
    with pytest.raises(TemplateError) as refused:
        deployed(directory, resources)
    return str(refused.value)


# -- CloudWatch Logs ---------------------------------------------------------------------------------------
def test_a_log_group_keeps_its_logs_only_for_one_of_cloudwatch_logs_retention_values(tmp_path: Path) -> None:
    with simulated_aws():
        assert "RetentionInDays 31 is not one of" in refusal(
            tmp_path, {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 31}}}
        )
        assert "begins with aws/" in refusal(
            tmp_path, {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "aws/mine"}}}
        )
        session = deployed(tmp_path, {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}}})
        [group] = session.client("logs").describe_log_groups()["logGroups"]
        assert group["retentionInDays"] == 30


# -- KMS -------------------------------------------------------------------------------------------------------
def test_a_key_policy_that_locks_the_account_out_or_rotation_of_an_asymmetric_key_is_refused(tmp_path: Path) -> None:
    with simulated_aws():
        locked = {"Version": "2012-10-17", "Statement": [CLOUDWATCH_USES]}
        assert "will not allow you to update the key policy" in refusal(
            tmp_path, {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": locked}}}
        )
        assert "no Statement" in refusal(
            tmp_path, {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17"}}}}
        )
        asymmetric = {"KeySpec": "RSA_2048", "EnableKeyRotation": True}
        assert "only for symmetric encryption keys" in refusal(
            tmp_path, {"Key": {"Type": "AWS::KMS::Key", "Properties": asymmetric}}
        )
        policy = {"Version": "2012-10-17", "Statement": [ACCOUNT_ADMINISTERS, CLOUDWATCH_USES]}
        session = deployed(
            tmp_path, {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": policy, "EnableKeyRotation": True}}}
        )
        [key] = session.client("kms").list_keys()["Keys"]
        assert session.client("kms").get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]


# -- Lambda ----------------------------------------------------------------------------------------------------
def test_log_levels_are_filtered_only_in_json_logs() -> None:
    assert list(logging_problems({"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "SystemLogLevel": "WARN"})) == []
    assert any("needs LogFormat JSON" in p for p in logging_problems({"ApplicationLogLevel": "DEBUG"}))
    assert any("must be Text or JSON" in p for p in logging_problems({"LogFormat": "json"}))
    assert any("must be one of" in p for p in logging_problems({"LogFormat": "JSON", "ApplicationLogLevel": "WARNING"}))
    assert any("LogGroup" in p for p in logging_problems({"LogFormat": "JSON", "LogGroup": "no spaces please"}))


def test_a_reservation_must_leave_the_account_100_unreserved_executions_and_a_10_quota_takes_none() -> None:
    account = AccountConcurrency()  # the default quota, 1,000
    account.reserve("drain", 900)
    with pytest.raises(ValueError, match=r"below its minimum value of \[100\]"):
        account.reserve("scale", 1)
    account.reserve("drain", 10)  # a function's own reservation is replaced, not added to
    account.reserve("scale", 5)
    account.release({"drain", "scale"})  # a stack rolled back gives its reservations back
    account.reserve("verify", 900)

    new_account = AccountConcurrency(quota=10)
    with pytest.raises(ValueError, match=r"below its minimum value of \[10\]"):
        new_account.reserve("drain", 1)
    new_account.reserve("drain", 0)  # 0 takes nothing from the others (it switches the function off)


def test_an_application_log_level_above_info_drops_the_metrics_with_the_info_lines() -> None:
    # Powertools prints its EMF documents without a "level": Lambda files them at INFO.
    emf = json.dumps(
        {"_aws": {"CloudWatchMetrics": [{"Namespace": "EcsFleetOps", "Metrics": [{"Name": "DrainsStarted"}]}]}}
    )
    lines = "\n".join(
        [
            emf,
            json.dumps({"level": "INFO", "message": "drain started"}),
            json.dumps({"level": "WARNING", "message": "late"}),
        ]
    )

    assert FunctionOutput.read(lines).metrics == ["DrainsStarted"]  # no level filter (the stack's default)
    assert FunctionOutput.read(lines, application_log_level="DEBUG").metrics == ["DrainsStarted"]
    filtered = FunctionOutput.read(lines, application_log_level="WARN")
    assert filtered.metrics == [] and [r["message"] for r in filtered.logs] == ["late"]
