"""Reads the project's own template.yaml: event patterns, environment and IAM as deployed.

Intrinsic functions are resolved only as far as the checks need, with the parameters' defaults
(or the values given): enough to tell whether a pattern matches an event and whether a policy
names an action.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str
from moto.events.models import EventPattern

from tests.support.functions import ROOT

TEMPLATE = ROOT / "template.yaml"


class Template:
    def __init__(self, path: Path = TEMPLATE, parameters: dict[str, Any] | None = None) -> None:
        document, errors = decode_str(path.read_text())
        if errors:
            raise ValueError(f"template.yaml does not parse: {errors}")
        self.document: dict[str, Any] = dict(document)
        self.parameters = {name: spec.get("Default") for name, spec in self.document.get("Parameters", {}).items()} | (
            parameters or {}
        )
        for name, spec in self.document.get("Parameters", {}).items():
            if spec.get("Type") == "CommaDelimitedList" and isinstance(self.parameters[name], str):
                self.parameters[name] = [v for v in self.parameters[name].split(",") if v]

    @property
    def resources(self) -> dict[str, Any]:
        return dict(self.document["Resources"])

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.document["Conditions"][name]))

    def resolve(self, value: Any) -> Any:
        """Resolves Ref (to parameters), Join, Equals, Not, If and NoValue; leaves other values as they are."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value if not self._is_no_value(v)]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and arg in self.parameters:
                return self.parameters[arg]
            if key == "Fn::Join":
                return str(self.resolve(arg[0])).join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::Equals":
                left, right = self.resolve(arg)
                return left == right
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::If":
                chosen = arg[1] if self.condition(arg[0]) else arg[2]
                return None if self._is_no_value(chosen) else self.resolve(chosen)
        return {k: self.resolve(v) for k, v in value.items() if not self._is_no_value(v)}

    def _is_no_value(self, value: Any) -> bool:
        if value == {"Ref": "AWS::NoValue"}:
            return True
        if isinstance(value, dict) and "Fn::If" in value:
            arg = value["Fn::If"]
            chosen = arg[1] if self.condition(arg[0]) else arg[2]
            return chosen == {"Ref": "AWS::NoValue"}
        return False

    def function_events(self, function: str, kind: str) -> dict[str, Any]:
        events = self.resources[function]["Properties"].get("Events", {})
        return {name: self.resolve(e["Properties"]) for name, e in events.items() if e["Type"] == kind}

    def event_patterns(self, function: str) -> list[dict[str, Any]]:
        """Every EventBridge pattern that invokes the function: SAM events and plain rules targeting it."""
        patterns = [props["Pattern"] for props in self.function_events(function, "EventBridgeRule").values()]
        for resource in self.resources.values():
            if resource["Type"] != "AWS::Events::Rule":
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            targets = resource["Properties"].get("Targets", [])
            if any(t["Arn"] == {"Fn::GetAtt": [function, "Arn"]} for t in targets):
                patterns.append(self.resolve(resource["Properties"]["EventPattern"]))
        return patterns

    def matches(self, function: str, event: dict[str, Any]) -> bool:
        """Whether any of the function's EventBridge patterns matches the event (moto's matcher)."""
        return any(EventPattern.load(json.dumps(p)).matches_event(event) for p in self.event_patterns(function))

    def policy_actions(self, function: str) -> set[str]:
        actions: set[str] = set()
        for policy in self.resources[function]["Properties"].get("Policies", []):
            if not isinstance(policy, dict) or "Statement" not in policy:
                continue
            for statement in self.resolve(policy["Statement"]):
                if statement and statement.get("Effect") == "Allow":
                    listed = statement["Action"]
                    actions.update([listed] if isinstance(listed, str) else listed)
        return actions

    def environment(self, function: str) -> dict[str, Any]:
        shared = self.document.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        own = self.resources[function]["Properties"].get("Environment", {}).get("Variables", {})
        return {**shared, **own}
