"""Reads the project's own template.yaml: event patterns, environment and IAM as deployed.

Intrinsic functions are resolved as CloudFormation would (``cfn.Intrinsics``), with the parameters'
defaults or the values given; references to resources are left as written, since nothing is
deployed (``stack.deploy_stack`` deploys it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from moto.events.models import EventPattern

from simulator.cloudformation.transform import Intrinsics, read_template
from simulator.paths import TEMPLATE

EVERY_CLUSTER_AND_GROUP = {"ClusterNames": "*", "AutoScalingGroupNames": "*"}


def as_object(pattern: Any) -> Any:
    """An event pattern as EventBridge reads it: AWS::Events::Rule takes a JSON text or an object."""
    return json.loads(pattern) if isinstance(pattern, str) else pattern


class Template:
    def __init__(self, path: Path = TEMPLATE, parameters: dict[str, Any] | None = None) -> None:
        self.document = read_template(path)
        given = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in (parameters or {}).items()}
        # ClusterNames has no default: a reading that names no scope reads the explicit opt-in to all.
        given = {**EVERY_CLUSTER_AND_GROUP, **given}
        # References to resources stay as written: nothing is deployed here.
        self._intrinsics = Intrinsics(
            self.document,
            stack_name="ecs-fleet-ops",
            parameters=given,
            reference=lambda logical_id: {"Ref": logical_id},
            attribute=lambda logical_id, name: {"Fn::GetAtt": [logical_id, name]},
        )
        self.parameters = self._intrinsics.parameters

    @property
    def resources(self) -> dict[str, Any]:
        return dict(self.document["Resources"])

    def condition(self, name: str) -> bool:
        return self._intrinsics.condition(name)

    def resolve(self, value: Any) -> Any:
        """Parameters, pseudo parameters, conditions and functions resolved (``cfn.Intrinsics``);
        references to resources left as they are written."""
        return self._intrinsics.resolve(value)

    def function_events(self, function: str, kind: str) -> dict[str, Any]:
        events = self.resources[function]["Properties"].get("Events", {})
        return {name: self.resolve(e["Properties"]) for name, e in events.items() if e["Type"] == kind}

    def event_patterns(self, function: str) -> list[dict[str, Any]]:
        """Every EventBridge pattern that invokes the function: SAM events and plain rules targeting it."""
        patterns = [as_object(props["Pattern"]) for props in self.function_events(function, "EventBridgeRule").values()]
        for resource in self.resources.values():
            if resource["Type"] != "AWS::Events::Rule":
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            targets = resource["Properties"].get("Targets", [])
            if any(t["Arn"] == {"Fn::GetAtt": [function, "Arn"]} for t in targets):
                patterns.append(as_object(self.resolve(resource["Properties"]["EventPattern"])))
        return patterns

    def matches(self, function: str, event: dict[str, Any]) -> bool:
        """Whether any of the function's EventBridge patterns matches the event (moto's matcher)."""
        return any(
            EventPattern.load(json.dumps(p)).matches_event(cast(Any, event)) for p in self.event_patterns(function)
        )

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
