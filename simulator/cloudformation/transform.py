"""CloudFormation as the simulated account deploys it: the SAM transform (the same aws-sam-translator
version SAM CLI uses) and the intrinsic functions, resolved the way CloudFormation resolves them.

Both templates go through here: the suite's ``template.yaml`` (SAM) and the example cluster under
``examples/`` (plain CloudFormation), so what the simulation runs is what ``sam deploy`` creates.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

from cfnlint.decode import decode_str

from simulator.cloudformation.parameters import as_text, parameter_values
from simulator.cloudformation.validation import TemplateError as TemplateError  # where callers have always found it

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
ZONES = {REGION: ["us-east-1a", "us-east-1b", "us-east-1c"]}


def stack_id(name: str) -> str:
    """A stack's unique ID (``AWS::StackId``, DescribeStacks' ``StackId``); AWS ends it with a UUID."""
    return f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/simulated"


_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")
NO_VALUE = object()  # what Ref AWS::NoValue resolves to: the property is removed


def read_template(path: Path) -> dict[str, Any]:
    document, errors = decode_str(path.read_text())
    if errors:
        raise TemplateError(f"{path} does not parse: {errors}")
    return dict(document)


@functools.lru_cache(maxsize=4)
def _transformed(text: str) -> str:
    # Imported here: aws-sam-translator takes about a second to import, and only the account needs it.
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:
        """SAM asks IAM for managed policy ARNs only when a policy is named by name; ours never are."""

        def load(self) -> dict[str, str]:
            return {}

    document = yaml_parse(text)
    for resource in document.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                # What `sam package` does: local paths become S3 locations (kept in the key, for us).
                properties[key] = f"s3://ecs-fleet-ops-simulated/{properties[key]}"
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": REGION}):
        transformed = transform(document, {}, NoManagedPolicies())
    return json.dumps(transformed)


def sam_transform(path: Path) -> dict[str, Any]:
    """The CloudFormation the SAM template becomes (a fresh copy: callers may change it)."""
    text = path.read_text()
    if "AWS::Serverless" not in text:
        return read_template(path)
    return dict(json.loads(_transformed(text)))


def code_location(properties: Mapping[str, Any]) -> str:
    """The local directory a transformed function's code came from (see ``_transformed``)."""
    code = properties.get("Code", {})
    return str(code.get("S3Key", "")).rstrip("/")


class Intrinsics:
    """Resolves a template's values for one stack: parameters, pseudo parameters, conditions, and
    the physical names and attributes of the resources created so far.

    ``attribute(logical_id, name)`` answers GetAtt and ``reference(logical_id)`` answers Ref for a
    resource; a reference to a resource not created yet raises KeyError, which is how the deploy
    order finds what to create first.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        *,
        stack_name: str,
        parameters: Mapping[str, str] | None = None,
        reference: Callable[[str], Any] | None = None,
        attribute: Callable[[str, str], Any] | None = None,
        imports: Mapping[str, str] | None = None,
    ) -> None:
        self.document = document
        self.stack_name = stack_name
        self.parameters = self._parameters(parameters or {})
        self._reference = reference or (lambda logical_id: _missing(logical_id))
        self._attribute = attribute or (lambda logical_id, name: _missing(f"{logical_id}.{name}"))
        self._imports = dict(imports or {})
        self._conditions: dict[str, bool] = {}

    def _parameters(self, given: Mapping[str, str]) -> dict[str, Any]:
        # Type, AllowedValues, AllowedPattern, lengths, bounds and size, as CloudFormation checks them.
        return parameter_values(self.document.get("Parameters", {}), given)

    # -- conditions ----------------------------------------------------------------------------------
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self.document["Conditions"][name]))
        return self._conditions[name]

    def enabled(self, resource: Mapping[str, Any]) -> bool:
        return "Condition" not in resource or self.condition(resource["Condition"])

    # -- values ----------------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        resolved = self._resolve(value)
        return None if resolved is NO_VALUE else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
        resolved = {k: self._resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": stack_id(self.stack_name),
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self._reference(name)

    def sub(self, argument: Any) -> str:
        template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        values = {k: self._resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal} is written as ${Literal}
            if name in values:
                return str(values[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self._attribute(logical_id, attribute))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, template)


def _missing(name: str) -> Any:
    raise KeyError(name)


def _get_att(self: Intrinsics, argument: Any) -> Any:
    logical_id, name = argument.split(".", 1) if isinstance(argument, str) else argument
    return self._attribute(logical_id, self.resolve(name))


def _join(self: Intrinsics, argument: Any) -> str:
    # The delimiter is a literal string: cfn_validation refuses any other before anything is resolved.
    delimiter, items = argument
    return str(delimiter).join(str(v) for v in self._resolve(items))


def _split(self: Intrinsics, argument: Any) -> list[str]:
    delimiter, text = argument
    return str(self._resolve(text)).split(str(delimiter))


def _select(self: Intrinsics, argument: Any) -> Any:
    index, items = argument
    return self._resolve(items)[int(self._resolve(index))]


def _if(self: Intrinsics, argument: Any) -> Any:
    name, when_true, when_false = argument
    return self._resolve(when_true if self.condition(name) else when_false)


def _equals(self: Intrinsics, argument: Any) -> bool:
    left, right = (self._resolve(v) for v in argument)
    if isinstance(left, list | dict) or isinstance(right, list | dict):
        # CloudFormation's own words for a list parameter compared without Fn::Join or Fn::Select.
        raise TemplateError(
            f"Template error: every Fn::Equals object requires a list of 2 string parameters ({argument})"
        )
    return as_text(left) == as_text(right)


def _import(self: Intrinsics, argument: Any) -> str:
    name = str(self._resolve(argument))
    if name not in self._imports:
        raise TemplateError(f"Fn::ImportValue {name!r}: no stack exports it")
    return self._imports[name]


def _find_in_map(self: Intrinsics, argument: Any) -> Any:
    table, first, second = (self._resolve(v) for v in argument)
    return self.document["Mappings"][table][first][second]


_FUNCTIONS: dict[str, Callable[[Intrinsics, Any], Any]] = {
    "Ref": lambda self, name: self.ref(name),
    "Fn::GetAtt": _get_att,
    "Fn::Sub": lambda self, argument: self.sub(argument),
    "Fn::Join": _join,
    "Fn::Split": _split,
    "Fn::Select": _select,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": lambda self, argument: not self._resolve(argument[0]),
    "Fn::And": lambda self, argument: all(self._resolve(v) for v in argument),
    "Fn::Or": lambda self, argument: any(self._resolve(v) for v in argument),
    "Condition": lambda self, name: self.condition(name),
    "Fn::GetAZs": lambda self, region: list(ZONES[str(self._resolve(region)) or REGION]),
    "Fn::ImportValue": _import,
    "Fn::FindInMap": _find_in_map,
    "Fn::Base64": lambda self, argument: self._resolve(argument),
}
# Fn::Contains and the other rule functions are the Rules section's own (cfn_rules), not intrinsics.
