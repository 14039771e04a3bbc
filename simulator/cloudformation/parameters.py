"""Parameter values as CloudFormation takes them (Parameters, AWS CloudFormation User Guide,
parameters-section-structure.html; quotas, cloudformation-limits.html): the declared Type, then the
constraints, for a value given or the default. A value CloudFormation would refuse raises
TemplateError naming the parameter and the constraint, before anything is created.

- Type: ``String``; ``Number`` ("an integer or float", validated as a number, referenced as a string);
  ``List<Number>``; ``CommaDelimitedList`` (split at commas, each member space-trimmed: "" is ``[""]``);
  the AWS-specific types and their lists (``AWS::EC2::VPC::Id``, ``List<AWS::EC2::Subnet::Id>``, ...);
  the SSM types (``AWS::SSM::Parameter::Value<...>``: the value is a parameter name). Any other type is
  refused.
- AllowedValues and AllowedPattern: the whole value of a String, each member of a CommaDelimitedList.
  The pattern must match the entire value (Java regular expressions; Python's agree on what templates
  use). MinLength and MaxLength: String. MinValue and MaxValue: Number (each member of a List<Number>).
- A value is at most 4,096 bytes (quota "Parameter value").
- The default must meet the constraints too ("If you define constraints for the parameter, you must
  specify a value that adheres to those constraints"): it is checked even when a value is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulator.cloudformation.validation import TemplateError

MAX_VALUE_BYTES = 4_096

AWS_SPECIFIC_TYPES = frozenset(
    {
        "AWS::EC2::AvailabilityZone::Name",
        "AWS::EC2::Image::Id",
        "AWS::EC2::Instance::Id",
        "AWS::EC2::KeyPair::KeyName",
        "AWS::EC2::SecurityGroup::GroupName",
        "AWS::EC2::SecurityGroup::Id",
        "AWS::EC2::Subnet::Id",
        "AWS::EC2::Volume::Id",
        "AWS::EC2::VPC::Id",
        "AWS::Route53::HostedZone::Id",
    }
)
_SSM_VALUE = re.compile(r"AWS::SSM::Parameter::Value<(?P<inner>.+)>")
_LIST = re.compile(r"List<(?P<inner>.+)>")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def is_list_type(parameter_type: str) -> bool:
    """Whether a value given for this type is a comma-separated list (``Ref`` returns a list). The value
    of an SSM type is the name of a Systems Manager parameter, whose value the simulation never reads."""
    return parameter_type == "CommaDelimitedList" or parameter_type.startswith("List<")


def parameter_values(declared: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Each declared parameter's value as ``Ref`` returns it (a string, or a list of strings)."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TemplateError(f"parameters not declared by the template: {unknown}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        _check_type(name, spec)
        if "Default" in spec:
            _check_value(name, spec, as_text(spec["Default"]), what="its Default")
        if name in given:
            text = as_text(given[name])
            _check_value(name, spec, text, what="the value given")
        elif "Default" in spec:
            text = as_text(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no Default and no value was given")
        values[name] = _members(text) if is_list_type(str(spec["Type"])) else text
    return values


def as_text(value: Any) -> str:
    """A template value as CloudFormation reads it: YAML's true is JSON's true, not Python's True."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(as_text(v) for v in value)
    return str(value)


def _members(text: str) -> list[str]:
    # "The total number of strings should be one more than the total number of commas", each trimmed.
    return [member.strip() for member in text.split(",")]


def _check_type(name: str, spec: Mapping[str, Any]) -> None:
    parameter_type = spec.get("Type")
    if not isinstance(parameter_type, str) or not _supported(parameter_type):
        raise TemplateError(f"parameter {name}: Type {parameter_type!r} is not a type CloudFormation supports")


def _supported(parameter_type: str) -> bool:
    if parameter_type in ("String", "Number", "List<Number>", "CommaDelimitedList", "AWS::SSM::Parameter::Name"):
        return True
    ssm = _SSM_VALUE.fullmatch(parameter_type)
    if ssm and ssm.group("inner") in ("String", "CommaDelimitedList", "List<String>"):
        return True
    inner = ssm.group("inner") if ssm else parameter_type
    listed = _LIST.fullmatch(inner)
    return (listed.group("inner") if listed else inner) in AWS_SPECIFIC_TYPES


def _check_value(name: str, spec: Mapping[str, Any], text: str, *, what: str) -> None:
    """Raise TemplateError naming the first constraint the value breaks, checked in this order: size,
    number (with MinValue and MaxValue), length, AllowedValues, AllowedPattern."""
    parameter_type = str(spec["Type"])
    members = _members(text) if is_list_type(parameter_type) else [text]
    reason = (
        _size_problem(text)
        or _number_problem(spec, parameter_type, members)
        or _length_problem(spec, parameter_type, text)
        or _allowed_values_problem(spec, parameter_type, members)
        or _pattern_problem(spec, parameter_type, members)
    )
    if reason is not None:
        raise TemplateError(f"parameter {name}: {what} {_shown(text)} {reason}")


def _size_problem(text: str) -> str | None:
    size = len(text.encode())
    if size > MAX_VALUE_BYTES:
        return f"is {size:,} bytes, more than the {MAX_VALUE_BYTES:,} a parameter value may be"
    return None


def _number_problem(spec: Mapping[str, Any], parameter_type: str, members: list[str]) -> str | None:
    """Number and List<Number>: each member a number within MinValue and MaxValue."""
    if parameter_type not in ("Number", "List<Number>"):
        return None
    for member in members:
        number = _number(member)
        if number is None:
            return f"is not a number ({member!r})"
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return f"is less than MinValue {spec['MinValue']}"
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return f"is more than MaxValue {spec['MaxValue']}"
    return None


def _length_problem(spec: Mapping[str, Any], parameter_type: str, text: str) -> str | None:
    """MinLength and MaxLength apply to a String only."""
    if parameter_type != "String":
        return None
    if "MinLength" in spec and len(text) < int(spec["MinLength"]):
        return f"is shorter than MinLength {spec['MinLength']}"
    if "MaxLength" in spec and len(text) > int(spec["MaxLength"]):
        return f"is longer than MaxLength {spec['MaxLength']}"
    return None


def _allowed_values_problem(spec: Mapping[str, Any], parameter_type: str, members: list[str]) -> str | None:
    """Each member one of AllowedValues; numbers compare as numbers ("1.0" is "1")."""
    allowed = spec.get("AllowedValues")
    if allowed is None:
        return None
    choices = [as_text(a) for a in allowed]
    if parameter_type in ("Number", "List<Number>"):
        numbers = [_number(c) for c in choices]
        outside = [m for m in members if _number(m) not in numbers]
    else:
        outside = [m for m in members if m not in choices]
    if outside:
        return f"is not one of AllowedValues {choices} ({outside[0]!r})"
    return None


def _pattern_problem(spec: Mapping[str, Any], parameter_type: str, members: list[str]) -> str | None:
    """AllowedPattern applies to a String and to each member of a CommaDelimitedList."""
    pattern = spec.get("AllowedPattern")
    if pattern is None or parameter_type not in ("String", "CommaDelimitedList"):
        return None
    unmatched = [m for m in members if not re.fullmatch(str(pattern), m)]
    if unmatched:
        reason = spec.get("ConstraintDescription") or f"must match pattern {pattern}"
        return f"is malformed: {reason} ({unmatched[0]!r})"
    return None


def _number(text: str) -> float | None:
    """An integer or a decimal number (not "nan" or "inf", which Python's float() would take)."""
    return float(text) if _NUMBER.fullmatch(text.strip()) else None


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")
