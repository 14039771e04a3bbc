"""The simulated deploy refuses what CloudFormation refuses, one restriction at a time, on small plain
templates (each case cites the document in ``cfn_validation``, ``cfn_parameters`` or ``cfn_rules``), and
refuses it before any resource is created."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from simulator.cloudformation.stack import account_exports, deploy_stack
from simulator.cloudformation.transform import REGION, TemplateError
from simulator.cloudformation.validation import S3_BODY_BYTES
from simulator.moto_patches import simulated_aws

TOPIC = {"Type": "AWS::SNS::Topic"}


def template(directory: Path, **sections: Any) -> Path:
    """A plain CloudFormation template (JSON is YAML) with one topic unless Resources is given."""
    document = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Topic": TOPIC}, **sections}
    path = directory / f"template-{len(list(directory.iterdir()))}.json"
    path.write_text(json.dumps(document, indent=1))
    return path


def refused(path: Path, parameters: dict[str, str] | None = None, *, name: str = "probe") -> str:
    """Deploy, expecting a refusal; returns its message after checking nothing was created."""
    with simulated_aws():
        session = boto3.Session(region_name=REGION)
        with pytest.raises(TemplateError) as error:
            deploy_stack(session, name=name, parameters=parameters, template=path)
        assert session.client("sns").list_topics()["Topics"] == []
    return str(error.value)


def accepted(path: Path, parameters: dict[str, str] | None = None) -> None:
    with simulated_aws():
        deploy_stack(boto3.Session(region_name=REGION), name="probe", parameters=parameters, template=path)


# -- Conditions ----------------------------------------------------------------------------------------------
LIST = {"Names": {"Type": "CommaDelimitedList", "Default": ""}}


def test_a_list_parameter_tested_for_emptiness_with_join_inside_equals_is_accepted(tmp_path: Path) -> None:
    conditions = {"HasNames": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "Names"}]}, ""]}]}}
    topic = {**TOPIC, "Condition": "HasNames"}
    path = template(tmp_path, Parameters=LIST, Conditions=conditions, Resources={"Topic": topic, "Other": TOPIC})
    accepted(path)
    accepted(path, {"Names": "a,b"})


def test_a_list_parameter_compared_without_join_is_refused_with_cloudformation_s_own_words(tmp_path: Path) -> None:
    conditions = {"HasNames": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Names"}, ""]}]}}
    path = template(
        tmp_path, Parameters=LIST, Conditions=conditions, Resources={"Topic": {**TOPIC, "Condition": "HasNames"}}
    )
    assert "every Fn::Equals object requires a list of 2 string parameters" in refused(path)


CONDITION_CASES = {
    "rule-function-as-condition": (
        {"C": {"Fn::Contains": [{"Ref": "Names"}, "a"]}},
        "Fn::Contains is not a condition function",
    ),
    "getatt-inside-equals": (
        {"C": {"Fn::Equals": [{"Fn::GetAtt": ["Topic", "TopicName"]}, "x"]}},
        "Fn::GetAtt is not accepted inside Fn::Equals in Conditions",
    ),
    "ref-to-a-resource": (
        {"C": {"Fn::Equals": [{"Ref": "Topic"}, "x"]}},
        "Ref Topic names a resource: Conditions are evaluated before any resource exists",
    ),
    "sub-of-a-resource": (
        {"C": {"Fn::Equals": [{"Fn::Sub": "${Topic}"}, "x"]}},
        "Fn::Sub ${Topic} names a resource",
    ),
    "ref-to-an-undeclared-parameter": (
        {"C": {"Fn::Equals": [{"Ref": "Nowhere"}, "x"]}},
        "Ref 'Nowhere' names no declared parameter",
    ),
    "undeclared-condition": ({"C": {"Condition": "Nowhere"}}, "Condition names 'Nowhere', which is not declared"),
    "circular": (
        {"C": {"Fn::Not": [{"Condition": "D"}]}, "D": {"Fn::Not": [{"Condition": "C"}]}},
        "condition C depends on itself",
    ),
    "and-of-one": ({"C": {"Fn::And": [{"Fn::Equals": ["a", "a"]}]}}, "Fn::And takes a list of 2 to 10 items"),
    # Said as a refusal, not a crash of the check itself (it once read the missing condition's name).
    "if-of-nothing": ({"C": {"Fn::If": []}}, "Fn::If takes a list of 3 items"),
    "split-as-an-operand": (
        {"C": {"Fn::Equals": [{"Fn::Split": [",", "a,b"]}, "a"]}},
        "Fn::Split is not accepted inside Fn::Equals",
    ),
}


@pytest.mark.parametrize(("conditions", "message"), CONDITION_CASES.values(), ids=CONDITION_CASES.keys())
def test_a_condition_cloudformation_would_refuse_is_refused(
    tmp_path: Path, conditions: dict[str, Any], message: str
) -> None:
    assert message in refused(template(tmp_path, Parameters=LIST, Conditions=conditions))


# -- references elsewhere -------------------------------------------------------------------------------------
REFERENCE_CASES = {
    "fn-if-on-an-undeclared-condition": (
        {"Topic": {**TOPIC, "Properties": {"DisplayName": {"Fn::If": ["Nowhere", "a", "b"]}}}},
        "Fn::If names condition 'Nowhere', which is not declared",
    ),
    "resource-condition-undeclared": (
        {"Topic": {**TOPIC, "Condition": "Nowhere"}},
        "Condition 'Nowhere' is not declared",
    ),
    "ref-to-nothing": (
        {"Topic": {**TOPIC, "Properties": {"DisplayName": {"Ref": "Nowhere"}}}},
        "Ref 'Nowhere' names no parameter, resource or pseudo parameter",
    ),
    "sub-of-nothing": (
        {"Topic": {**TOPIC, "Properties": {"DisplayName": {"Fn::Sub": "${Nowhere.Arn}"}}}},
        "Fn::Sub ${Nowhere.Arn} names no parameter, resource or pseudo parameter",
    ),
    "depends-on-nothing": ({"Topic": {**TOPIC, "DependsOn": "Nowhere"}}, "DependsOn 'Nowhere' names no resource"),
    "logical-id-not-alphanumeric": ({"My-Topic": TOPIC}, "Resources logical ID 'My-Topic' is not alphanumeric"),
}


# "For the Fn::Join delimiter, you can't use any functions. You must specify a string value." (and the same
# for Fn::Split's delimiter and Fn::Sub's String): refused even in a branch no condition takes.
COMPUTED_LITERAL_CASES = {
    "join-delimiter": ({"Fn::Join": [{"Fn::Sub": ","}, ["a", "b"]]}, "Fn::Join's delimiter must be a string value"),
    "split-delimiter": ({"Fn::Select": [0, {"Fn::Split": [{"Ref": "AWS::Region"}, "a"]}]}, "Fn::Split's delimiter"),
    "sub-string": ({"Fn::Sub": [{"Fn::Join": ["", ["${AWS::Region}"]]}, {}]}, "Fn::Sub's String must be a string"),
    "in-an-untaken-branch": (
        {"Fn::If": ["Never", {"Fn::Join": [{"Ref": "AWS::Region"}, ["a"]]}, "x"]},
        "Fn::Join's delimiter must be a string value",
    ),
}


@pytest.mark.parametrize(
    ("display_name", "message"), COMPUTED_LITERAL_CASES.values(), ids=COMPUTED_LITERAL_CASES.keys()
)
def test_a_delimiter_or_sub_string_given_as_a_function_is_refused(
    tmp_path: Path, display_name: dict[str, Any], message: str
) -> None:
    never = {"Never": {"Fn::Equals": ["a", "b"]}}
    path = template(
        tmp_path, Conditions=never, Resources={"Topic": {**TOPIC, "Properties": {"DisplayName": display_name}}}
    )
    assert message in refused(path)


@pytest.mark.parametrize(("resources", "message"), REFERENCE_CASES.values(), ids=REFERENCE_CASES.keys())
def test_a_reference_to_nothing_declared_is_refused(tmp_path: Path, resources: dict[str, Any], message: str) -> None:
    assert message in refused(template(tmp_path, Resources=resources))


# -- Rules ---------------------------------------------------------------------------------------------------
RULE_CASES = {
    "sub-in-an-assert": (
        {"R": {"Assertions": [{"Assert": {"Fn::Equals": [{"Fn::Sub": "${Names}"}, ""]}}]}},
        "rule R: Assert uses Fn::Sub, which CloudFormation does not accept in Rules",
    ),
    "select-in-a-rule-condition": (
        {
            "R": {
                "RuleCondition": {"Fn::Equals": [{"Fn::Select": [0, {"Ref": "Names"}]}, ""]},
                "Assertions": [{"Assert": {"Fn::Equals": ["a", "a"]}}],
            }
        },
        "rule R: RuleCondition uses Fn::Select",
    ),
    "no-assertions": ({"R": {"RuleCondition": {"Fn::Equals": ["a", "a"]}}}, "rule R: Assertions is required"),
    "function-inside-value-of": (
        {"R": {"Assertions": [{"Assert": {"Fn::Contains": [{"Fn::ValueOf": [{"Ref": "Names"}, "VpcId"]}, "x"]}}]}},
        "Fn::ValueOf takes two literal strings",
    ),
    "ref-to-a-resource": (
        {"R": {"Assertions": [{"Assert": {"Fn::Equals": [{"Ref": "Topic"}, "x"]}}]}},
        "Ref 'Topic' names no declared parameter",
    ),
}


@pytest.mark.parametrize(("rules", "message"), RULE_CASES.values(), ids=RULE_CASES.keys())
def test_a_rule_written_with_anything_but_rule_functions_is_refused(
    tmp_path: Path, rules: dict[str, Any], message: str
) -> None:
    assert message in refused(template(tmp_path, Parameters=LIST, Rules=rules))


def test_each_member_in_is_evaluated_as_cloudformation_evaluates_it(tmp_path: Path) -> None:
    rules = {
        "KnownEnvironments": {
            "Assertions": [
                {
                    "Assert": {"Fn::EachMemberIn": [{"Ref": "Names"}, ["dev", "prod"]]},
                    "AssertDescription": "Names may only be dev or prod.",
                }
            ]
        }
    }
    parameters = {"Names": {"Type": "CommaDelimitedList", "Default": "dev"}}
    path = template(tmp_path, Parameters=parameters, Rules=rules)
    accepted(path, {"Names": "prod, dev"})
    assert "rule KnownEnvironments: Names may only be dev or prod." in refused(path, {"Names": "dev,test"})


def test_value_of_ref_all_and_value_of_all_read_the_account_s_vpcs_and_subnets(tmp_path: Path) -> None:
    # The documents' own examples: every subnet given is in the VPC given, and every subnet of the
    # account is in one of its VPCs.
    rules = {
        "SubnetsInVpc": {
            "Assertions": [
                {
                    "Assert": {"Fn::EachMemberEquals": [{"Fn::ValueOf": ["Subnets", "VpcId"]}, {"Ref": "Vpc"}]},
                    "AssertDescription": "All subnets must be in the VPC.",
                },
                {
                    "Assert": {
                        "Fn::EachMemberIn": [
                            {"Fn::ValueOfAll": ["AWS::EC2::Subnet::Id", "VpcId"]},
                            {"Fn::RefAll": "AWS::EC2::VPC::Id"},
                        ]
                    }
                },
                {
                    "Assert": {"Fn::Equals": [{"Fn::ValueOf": ["Vpc", "Tags.Team"]}, "platform"]},
                    "AssertDescription": "The VPC must be the platform team's.",
                },
            ]
        }
    }
    parameters = {"Vpc": {"Type": "AWS::EC2::VPC::Id"}, "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"}}
    path = template(tmp_path, Parameters=parameters, Rules=rules)
    with simulated_aws():
        session = boto3.Session(region_name=REGION)
        ec2 = session.client("ec2")
        ours = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        ec2.create_tags(Resources=[ours], Tags=[{"Key": "Team", "Value": "platform"}])
        theirs = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
        a = ec2.create_subnet(VpcId=ours, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
        b = ec2.create_subnet(VpcId=ours, CidrBlock="10.1.2.0/24")["Subnet"]["SubnetId"]
        other = ec2.create_subnet(VpcId=theirs, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]
        deploy_stack(session, name="ours", parameters={"Vpc": ours, "Subnets": f"{a},{b}"}, template=path)
        with pytest.raises(TemplateError, match=r"rule SubnetsInVpc: All subnets must be in the VPC\."):
            deploy_stack(session, name="mixed", parameters={"Vpc": ours, "Subnets": f"{a},{other}"}, template=path)
        with pytest.raises(TemplateError, match=r"The VPC must be the platform team's\."):
            deploy_stack(session, name="theirs", parameters={"Vpc": theirs, "Subnets": other}, template=path)


# -- parameter values ---------------------------------------------------------------------------------------
PARAMETER_CASES = {
    "number-that-is-not-one": ({"Type": "Number", "Default": 5}, "five", "is not a number"),
    "number-below-min-value": ({"Type": "Number", "Default": 60, "MinValue": 10}, "9", "is less than MinValue 10"),
    "number-above-max-value": (
        {"Type": "Number", "Default": 60, "MaxValue": 900},
        "900.5",
        "is more than MaxValue 900",
    ),
    "nan-is-not-a-number": ({"Type": "Number", "Default": 5}, "nan", "is not a number"),
    "list-of-numbers-with-a-word": ({"Type": "List<Number>", "Default": "1"}, "1,two", "is not a number ('two')"),
    "string-shorter-than-min-length": (
        {"Type": "String", "Default": "x", "MinLength": 1},
        "",
        "is shorter than MinLength 1",
    ),
    "string-longer-than-max-length": (
        {"Type": "String", "Default": "x", "MaxLength": 3},
        "abcd",
        "is longer than MaxLength 3",
    ),
    "string-outside-pattern": (
        {"Type": "String", "Default": "a", "AllowedPattern": "[a-z]+", "ConstraintDescription": "lower-case letters"},
        "abc1",
        "is malformed: lower-case letters",
    ),
    "pattern-must-match-the-whole-value": (
        {"Type": "String", "Default": "a", "AllowedPattern": "[a-z]+"},
        "ab-c",
        "must match pattern",
    ),
    "list-member-outside-pattern": (
        {"Type": "CommaDelimitedList", "Default": "a", "AllowedPattern": "[a-z]+"},
        "a,B",
        "is malformed: must match pattern [a-z]+ ('B')",
    ),
    "list-member-outside-allowed-values": (
        {"Type": "CommaDelimitedList", "Default": "dev", "AllowedValues": ["dev", "prod"]},
        "dev,test",
        "is not one of AllowedValues ['dev', 'prod'] ('test')",
    ),
    "value-over-4096-bytes": (
        {"Type": "String", "Default": "x"},
        "é" * 2049,
        "more than the 4,096 a parameter value may be",
    ),
    "unsupported-type": (
        {"Type": "Boolean", "Default": "true"},
        "true",
        "Type 'Boolean' is not a type CloudFormation supports",
    ),
    "default-outside-its-own-constraints": (
        {"Type": "Number", "Default": 0, "MinValue": 1},
        "2",
        "its Default '0' is less than",
    ),
}


@pytest.mark.parametrize(("spec", "value", "message"), PARAMETER_CASES.values(), ids=PARAMETER_CASES.keys())
def test_a_parameter_value_outside_its_declared_constraints_is_refused(
    tmp_path: Path, spec: dict[str, Any], value: str, message: str
) -> None:
    path = template(tmp_path, Parameters={"Setting": spec})
    assert message in refused(path, {"Setting": value})


def test_a_list_member_among_the_allowed_values_is_accepted_and_members_are_space_trimmed(tmp_path: Path) -> None:
    spec = {
        "Type": "CommaDelimitedList",
        "Default": "dev",
        "AllowedValues": ["dev", "prod"],
        "AllowedPattern": "[a-z]+",
    }
    accepted(template(tmp_path, Parameters={"Setting": spec}), {"Setting": "dev, prod"})


# -- quotas and sizes ----------------------------------------------------------------------------------------
def test_a_template_over_1_mb_is_refused_even_from_s3(tmp_path: Path) -> None:
    path = template(tmp_path, Metadata={"Padding": "x" * S3_BODY_BYTES})
    assert "more than the 1,000,000 allowed for a template uploaded to S3" in refused(path)


QUOTA_CASES = {
    "201-parameters": (
        {"Parameters": {f"P{i}": {"Type": "String", "Default": ""} for i in range(201)}},
        "Parameters declares 201, more than the quota of 200",
    ),
    "501-resources": (
        {"Resources": {f"Topic{i}": TOPIC for i in range(501)}},
        "Resources declares 501, more than the quota of 500",
    ),
    "201-outputs": (
        {"Outputs": {f"O{i}": {"Value": "x"} for i in range(201)}},
        "Outputs declares 201, more than the quota of 200",
    ),
    "201-mappings": (
        {"Mappings": {f"M{i}": {"a": {"b": "c"}} for i in range(201)}},
        "Mappings declares 201, more than the quota of 200",
    ),
    "logical-id-of-256": ({"Resources": {"T" * 256: TOPIC}}, "is longer than 255 characters"),
    "description-of-1025-bytes": ({"Description": "d" * 1025}, "Description is 1025 bytes, more than 1024"),
    "interface-names-an-undeclared-parameter": (
        {"Metadata": {"AWS::CloudFormation::Interface": {"ParameterGroups": [{"Parameters": ["Nowhere"]}]}}},
        "AWS::CloudFormation::Interface groups parameter Nowhere, which is not declared",
    ),
    "export-name-of-a-resource": (
        {"Outputs": {"Arn": {"Value": {"Ref": "Topic"}, "Export": {"Name": {"Ref": "Topic"}}}}},
        "the Export Name depends on a resource",
    ),
}


@pytest.mark.parametrize(("sections", "message"), QUOTA_CASES.values(), ids=QUOTA_CASES.keys())
def test_a_template_over_a_cloudformation_quota_is_refused(
    tmp_path: Path, sections: dict[str, Any], message: str
) -> None:
    assert message in refused(template(tmp_path, **sections))


def test_an_export_name_already_exported_in_the_account_is_refused(tmp_path: Path) -> None:
    outputs = {"TopicArn": {"Value": {"Ref": "Topic"}, "Export": {"Name": "shared-topic"}}}
    path = template(tmp_path, Outputs=outputs)
    twice = template(tmp_path, Outputs={**outputs, "Again": {"Value": "x", "Export": {"Name": "shared-topic"}}})
    assert "output Again exports 'shared-topic', already exported" in refused(twice)
    with simulated_aws():
        session = boto3.Session(region_name=REGION)
        first = deploy_stack(session, name="first", template=path)
        assert account_exports() == {"shared-topic": first.outputs["TopicArn"]}
        with pytest.raises(
            TemplateError, match="stack second: output TopicArn exports 'shared-topic', already exported"
        ):
            deploy_stack(session, name="second", template=path)
