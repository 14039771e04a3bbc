"""CloudFormation's DescribeStacks answers for the stacks the simulator deployed, as AWS answers it
(``simulator.cloudformation.describe_stacks``), on a small plain template."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from simulator.cloudformation.stack import deploy_stack
from simulator.cloudformation.transform import ACCOUNT, REGION, stack_id
from simulator.iam.enforcement import assume_role_session, enforced_iam
from simulator.moto_patches import simulated_aws

TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {
        "Secret": {"Type": "String", "NoEcho": True, "Default": "hunter2"},
        "Names": {"Type": "CommaDelimitedList", "Default": "a,b"},
        "WithTopic": {"Type": "String", "AllowedValues": ["yes", "no"], "Default": "yes"},
    },
    "Conditions": {"HasTopic": {"Fn::Equals": [{"Ref": "WithTopic"}, "yes"]}},
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    "Outputs": {
        "TopicArn": {
            "Description": "The topic.",
            "Value": {"Ref": "Topic"},
            "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-TopicArn"}},
        },
        "Only": {"Condition": "HasTopic", "Value": "there"},
    },
}


def test_a_deployed_stack_is_described_with_its_outputs_and_a_missing_one_is_a_validation_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(TEMPLATE))
    with simulated_aws():
        session = boto3.Session(region_name=REGION)
        deploy_stack(session, name="shown", template=path)
        deploy_stack(session, name="hidden", template=path, parameters={"WithTopic": "no"})
        cloudformation = session.client("cloudformation")

        (stack,) = cloudformation.describe_stacks(StackName="shown")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert stack["StackId"] == stack_id("shown")
        outputs = {o["OutputKey"]: o for o in stack["Outputs"]}
        assert outputs["TopicArn"]["Description"] == "The topic."
        assert outputs["TopicArn"]["ExportName"] == "shown-TopicArn"
        assert outputs["TopicArn"]["OutputValue"].startswith("arn:aws:sns:")
        assert outputs["Only"]["OutputValue"] == "there"
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
        assert parameters == {"Secret": "*****", "Names": "a,b", "WithTopic": "yes"}  # NoEcho is masked

        # An output whose Condition is false is not there; a stack is found by its ID too.
        (hidden,) = cloudformation.describe_stacks(StackName=stack_id("hidden"))["Stacks"]
        assert {o["OutputKey"] for o in hidden["Outputs"]} == {"TopicArn"}
        assert {s["StackName"] for s in cloudformation.describe_stacks()["Stacks"]} == {"shown", "hidden"}

        with pytest.raises(ClientError) as missing:
            cloudformation.describe_stacks(StackName="nowhere")
        assert missing.value.response["Error"] == {
            "Type": "Sender",
            "Code": "ValidationError",
            "Message": "Stack with id nowhere does not exist",
        }


def test_describe_stacks_is_refused_to_a_role_whose_policy_does_not_name_the_stack(tmp_path: Path) -> None:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(TEMPLATE))
    with simulated_aws():
        session = boto3.Session(region_name=REGION)
        deploy_stack(session, name="shown", template=path)
        deploy_stack(session, name="other", template=path)
        iam = session.client("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
        }
        role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        allowed = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "cloudformation:DescribeStacks",
                    "Resource": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/shown/*",
                }
            ],
        }
        iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=json.dumps(allowed))
        reader = assume_role_session(role["Arn"], "operator", REGION).client("cloudformation")
        with enforced_iam():
            assert reader.describe_stacks(StackName="shown")["Stacks"][0]["StackName"] == "shown"
            with pytest.raises(ClientError) as refused:
                reader.describe_stacks(StackName="other")
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
        assert "cloudformation:DescribeStacks" in refused.value.response["Error"]["Message"]
