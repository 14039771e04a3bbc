"""A template's Rules, evaluated as CloudFormation evaluates them before it creates or updates a stack
(Rules syntax, rules-section-structure.html; AWS rule functions, intrinsic-function-reference-rules.html).

A rule's RuleCondition decides whether its assertions apply; each Assert must then be true, or the
stack is not created (TemplateError with the AssertDescription, as CloudFormation reports it). Only the
rule-specific functions are evaluated here (``cfn_validation`` refuses any other before this runs):

- ``Ref`` of a declared parameter: its value, a list for list types (``CommaDelimitedList`` "" is ``[""]``);
- ``Fn::Equals`` (any two values), ``Fn::Not``, ``Fn::And`` and ``Fn::Or`` (2 to 10 conditions);
- ``Fn::Contains [list, string]``: the string is one of the list's members;
- ``Fn::EachMemberEquals [list, string]``: every member is the string (the documents do not say what an
  empty list gives; a list parameter is never empty, so it does not arise here);
- ``Fn::EachMemberIn [list, list]``: every member of the first is in the second;
- ``Fn::RefAll type``, ``Fn::ValueOf [parameter, attribute]``, ``Fn::ValueOfAll [type, attribute]``: the
  account's values of an AWS-specific parameter type and their "Supported attributes" (VPC:
  DefaultNetworkAcl, DefaultSecurityGroup, Tags.key; subnet: AvailabilityZone, VpcId, Tags.key; security
  group: Tags.key), read from the simulated account (``AccountParameterValues``);
- ``Fn::If [condition, a, b]`` on the template's conditions.

A value of the wrong kind (a list where a string is wanted, a condition that is not true or false) is
refused with the rule's name and the function's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import boto3

from simulator.cloudformation.parameters import as_text
from simulator.cloudformation.validation import TemplateError


class ParameterValues(Protocol):
    """What the account holds for an AWS-specific parameter type (Fn::RefAll, Fn::ValueOf...)."""

    def all_values(self, parameter_type: str) -> list[str]: ...

    def attribute(self, parameter_type: str, value: str, attribute: str) -> str: ...


class NoAccount:
    """For a template read without an account: any rule that asks the account is refused."""

    def all_values(self, parameter_type: str) -> list[str]:
        raise TemplateError(f"Fn::RefAll {parameter_type}: no account to read it from")

    def attribute(self, parameter_type: str, value: str, attribute: str) -> str:
        raise TemplateError(f"{attribute} of {value}: no account to read it from")


def evaluate_rules(
    document: Mapping[str, Any],
    parameters: Mapping[str, Any],
    *,
    condition: Callable[[str], bool],
    account: ParameterValues | None = None,
) -> None:
    """Raise TemplateError for the first assertion that fails, naming the rule and its description."""
    for name, rule in (document.get("Rules") or {}).items():
        evaluator = _Evaluator(name, document, parameters, condition, account or NoAccount())
        if "RuleCondition" in rule and not evaluator.truth(rule["RuleCondition"], "RuleCondition"):
            continue
        for assertion in rule["Assertions"]:
            if not evaluator.truth(assertion["Assert"], "Assert"):
                raise TemplateError(f"rule {name}: {assertion.get('AssertDescription', 'an assertion failed')}")


class _Evaluator:
    def __init__(
        self,
        rule: str,
        document: Mapping[str, Any],
        parameters: Mapping[str, Any],
        condition: Callable[[str], bool],
        account: ParameterValues,
    ) -> None:
        self.rule = rule
        self.declared: Mapping[str, Any] = document.get("Parameters") or {}
        self.parameters = parameters
        self.condition = condition
        self.account = account

    def truth(self, expression: Any, where: str) -> bool:
        value = self.value(expression)
        if not isinstance(value, bool):
            raise self.error(where, f"evaluates to {value!r}, not to true or false")
        return value

    def error(self, function: str, reason: str) -> TemplateError:
        return TemplateError(f"rule {self.rule}: {function} {reason}")

    def value(self, expression: Any) -> Any:
        if isinstance(expression, list):
            return [self.value(item) for item in expression]
        if not isinstance(expression, dict) or len(expression) != 1:
            return expression
        ((function, argument),) = expression.items()
        evaluate = _FUNCTIONS.get(function)
        if evaluate is None:
            raise self.error(function, "is not a rule-specific function")
        return evaluate(self, argument)

    # -- typed operands ------------------------------------------------------------------------------------
    def strings(self, function: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(function, f"wants a list of strings, got {value!r}")
        return list(value)

    def string(self, function: str, value: Any) -> str:
        if isinstance(value, list | dict):
            raise self.error(function, f"wants a string, got {value!r}")
        return as_text(value)

    def pair(self, function: str, argument: Any) -> tuple[Any, Any]:
        if not isinstance(argument, list) or len(argument) != 2:
            raise self.error(function, f"takes a list of two items, not {argument!r}")
        return self.value(argument[0]), self.value(argument[1])

    def conditions(self, function: str, argument: Any, least: int, most: int) -> list[bool]:
        if not isinstance(argument, list) or not least <= len(argument) <= most:
            raise self.error(function, f"takes {least} to {most} conditions, not {argument!r}")
        return [self.truth(item, function) for item in argument]


def _ref(self: _Evaluator, name: Any) -> Any:
    if name not in self.parameters:
        raise self.error("Ref", f"{name!r} names no declared parameter")
    return self.parameters[name]


def _equals(self: _Evaluator, argument: Any) -> bool:
    left, right = self.pair("Fn::Equals", argument)
    if isinstance(left, list) or isinstance(right, list):
        return bool(left == right)
    return as_text(left) == as_text(right)


def _contains(self: _Evaluator, argument: Any) -> bool:
    members, text = self.pair("Fn::Contains", argument)
    return self.string("Fn::Contains", text) in self.strings("Fn::Contains", members)


def _each_member_equals(self: _Evaluator, argument: Any) -> bool:
    members, text = self.pair("Fn::EachMemberEquals", argument)
    wanted = self.string("Fn::EachMemberEquals", text)
    return all(member == wanted for member in self.strings("Fn::EachMemberEquals", members))


def _each_member_in(self: _Evaluator, argument: Any) -> bool:
    checked, matched = self.pair("Fn::EachMemberIn", argument)
    allowed = set(self.strings("Fn::EachMemberIn", matched))
    return all(member in allowed for member in self.strings("Fn::EachMemberIn", checked))


def _if(self: _Evaluator, argument: Any) -> Any:
    if not isinstance(argument, list) or len(argument) != 3:
        raise self.error("Fn::If", f"takes a condition name and two values, not {argument!r}")
    name, when_true, when_false = argument
    return self.value(when_true if self.condition(str(name)) else when_false)


def _ref_all(self: _Evaluator, parameter_type: Any) -> list[str]:
    return self.account.all_values(str(parameter_type))


def _value_of(self: _Evaluator, argument: Any) -> Any:
    name, attribute = argument
    parameter_type = str(self.declared[name]["Type"])
    value = _ref(self, name)
    if isinstance(value, list):
        return [self.account.attribute(_single(parameter_type), v, attribute) for v in value]
    return self.account.attribute(parameter_type, value, attribute)


def _value_of_all(self: _Evaluator, argument: Any) -> list[str]:
    parameter_type, attribute = argument
    return [self.account.attribute(parameter_type, v, attribute) for v in self.account.all_values(parameter_type)]


def _single(parameter_type: str) -> str:
    return parameter_type[len("List<") : -1] if parameter_type.startswith("List<") else parameter_type


_FUNCTIONS: dict[str, Callable[[_Evaluator, Any], Any]] = {
    "Ref": _ref,
    "Fn::Equals": _equals,
    "Fn::Not": lambda self, argument: not self.conditions("Fn::Not", argument, 1, 1)[0],
    "Fn::And": lambda self, argument: all(self.conditions("Fn::And", argument, 2, 10)),
    "Fn::Or": lambda self, argument: any(self.conditions("Fn::Or", argument, 2, 10)),
    "Fn::Contains": _contains,
    "Fn::EachMemberEquals": _each_member_equals,
    "Fn::EachMemberIn": _each_member_in,
    "Fn::If": _if,
    "Fn::RefAll": _ref_all,
    "Fn::ValueOf": _value_of,
    "Fn::ValueOfAll": _value_of_all,
}


class AccountParameterValues:
    """The simulated account's EC2 values for Fn::RefAll, Fn::ValueOf and Fn::ValueOfAll ("Supported
    attributes", AWS rule functions). A type or attribute the documents do not list is refused."""

    def __init__(self, session: boto3.Session) -> None:
        self.session = session

    @functools.cached_property
    def ec2(self) -> Any:
        # Made only for a rule that asks the account (few do): a client costs ~10 ms, every deploy checks rules.
        return self.session.client("ec2")

    def all_values(self, parameter_type: str) -> list[str]:
        single = _single(parameter_type)
        ec2 = self.ec2
        listers: dict[str, Callable[[], list[str]]] = {
            "AWS::EC2::VPC::Id": lambda: [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]],
            "AWS::EC2::Subnet::Id": lambda: [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]],
            "AWS::EC2::SecurityGroup::Id": lambda: [
                g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]
            ],
            "AWS::EC2::AvailabilityZone::Name": lambda: [
                z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]
            ],
            "AWS::EC2::KeyPair::KeyName": lambda: [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]],
        }
        if single not in listers:
            raise TemplateError(f"Fn::RefAll {parameter_type}: the simulation does not list this type")
        return listers[single]()

    def attribute(self, parameter_type: str, value: str, attribute: str) -> str:
        single = _single(parameter_type)
        ec2 = self.ec2
        described: dict[str, Callable[[], dict[str, Any]]] = {
            "AWS::EC2::VPC::Id": lambda: _only(ec2.describe_vpcs(Filters=[_is("vpc-id", value)])["Vpcs"], value),
            "AWS::EC2::Subnet::Id": lambda: _only(
                ec2.describe_subnets(Filters=[_is("subnet-id", value)])["Subnets"], value
            ),
            "AWS::EC2::SecurityGroup::Id": lambda: _only(
                ec2.describe_security_groups(Filters=[_is("group-id", value)])["SecurityGroups"], value
            ),
        }
        supported = {
            "AWS::EC2::VPC::Id": {"DefaultNetworkAcl", "DefaultSecurityGroup"},
            "AWS::EC2::Subnet::Id": {"AvailabilityZone", "VpcId"},
            "AWS::EC2::SecurityGroup::Id": set(),
        }
        if single not in described or not (attribute in supported[single] or attribute.startswith("Tags.")):
            raise TemplateError(f"{attribute} of {parameter_type} is not a supported attribute of AWS rule functions")
        item = described[single]()
        if attribute.startswith("Tags."):
            # The documents do not say what a missing tag gives: an empty string, which no rule compares
            # equal to a tag value it names.
            tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
            return str(tags.get(attribute[len("Tags.") :], ""))
        if attribute == "DefaultNetworkAcl":
            acls = ec2.describe_network_acls(Filters=[_is("vpc-id", value), _is("default", "true")])["NetworkAcls"]
            return str(acls[0]["NetworkAclId"])
        if attribute == "DefaultSecurityGroup":
            groups = ec2.describe_security_groups(Filters=[_is("vpc-id", value), _is("group-name", "default")])
            return str(groups["SecurityGroups"][0]["GroupId"])
        return str(item[attribute])


def _is(name: str, value: str) -> dict[str, Any]:
    return {"Name": name, "Values": [value]}


def _only(items: list[dict[str, Any]], value: str) -> dict[str, Any]:
    if len(items) != 1:
        raise TemplateError(f"{value} does not exist in the account")
    return items[0]
