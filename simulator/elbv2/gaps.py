"""What moto 5.2 lacks of Elastic Load Balancing's target groups, closed here and only here.

- ELBv2 DescribeTargetHealth reports every registered target ``healthy``: the simulated deployments'
  record (``service_deployment_gaps.VerifyGaps.target_states``) overrides the state (and reason) of chosen
  targets (by group, Id and Port: an instance carries one target per host port), the way a failing health
  check would, and changes scheduled on the simulated clock apply before it answers.
- ELBv2 target groups hold one target per instance ID; AWS tells targets apart by ID and port, as
  tasks in bridge mode on one host (dynamic host ports) need. Targets here are kept by ID and port.
  And it registers any Id in any group; AWS takes an instance ID in a group of target type
  ``instance`` and an IP address in one of type ``ip`` (TargetDescription, Elastic Load Balancing API
  Reference), and refuses other targets (``InvalidTarget``): so does this.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from moto.core.responses import ActionResult
from moto.elbv2.exceptions import InvalidTargetError
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup
from moto.elbv2.responses import ELBV2Response

from simulator.ecs.service_deployment_gaps import current as deployments_record
from simulator.patching import Patch, Replace

_ORIGINAL_HEALTH_FOR = FakeTargetGroup.health_for


def _target_key(group: FakeTargetGroup, target: dict[str, Any]) -> str:
    return f"{target['Id']}:{target.get('Port', group.port)}"


def _register_targets(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
    for target in targets:
        if not _fits_target_type(self.target_type, str(target["Id"])):
            raise InvalidTargetError()
    for target in targets:
        key = _target_key(self, target)
        self.targets[key] = {"Id": target["Id"], "Port": target.get("Port", self.port)}
        self.deregistered_targets.pop(key, None)


def _fits_target_type(target_type: str, target_id: str) -> bool:
    if target_type == "instance":
        return target_id.startswith("i-")
    if target_type == "ip":
        try:
            ipaddress.ip_address(target_id)
        except ValueError:
            return False
    return True


def _deregister_targets(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
    # "If the specified target does not exist, the action returns successfully" (Elastic Load
    # Balancing API Reference, DeregisterTargets): a target deregistered twice, or never registered.
    for target in targets:
        key = _target_key(self, target)
        registered = self.targets.pop(key, None)
        if registered is not None:
            self.deregistered_targets[key] = registered


def _health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
    if _target_key(self, target) in self.targets:
        return FakeHealthStatus(target["Id"], target.get("Port", self.port), self.health_check_port, "healthy")
    return _ORIGINAL_HEALTH_FOR(self, target, ec2_backend)


_ORIGINAL_DESCRIBE_TARGET_HEALTH = ELBV2Response.describe_target_health


def _describe_target_health(self: ELBV2Response) -> ActionResult:
    deployments_record().run_due()
    result = _ORIGINAL_DESCRIBE_TARGET_HEALTH(self)
    group = self._get_param("TargetGroupArn")
    described: list[FakeHealthStatus] = result.result["TargetHealthDescriptions"]  # type: ignore[index]
    for index, health in enumerate(described):
        override = deployments_record().target_states.get((group, health.instance_id, int(health.port)))
        if override is not None:
            state, reason = override
            described[index] = FakeHealthStatus(
                health.instance_id, health.port, health.health_check_port, state, reason, f"simulated {state}"
            )
    return result


PATCHES: tuple[Patch, ...] = (
    Replace(ELBV2Response, "describe_target_health", _describe_target_health),
    Replace(FakeTargetGroup, "register", _register_targets),
    Replace(FakeTargetGroup, "deregister", _deregister_targets),
    Replace(FakeTargetGroup, "health_for", _health_for),
)
