"""One detector tells the verify job's trigger shapes apart, for the parser and the handler alike."""

from __future__ import annotations

from typing import Any

import pytest

from fleetops.verify.trigger_shape import HOOKS, TriggerShape, trigger_shape


@pytest.mark.parametrize(
    ("event", "shape"),
    [
        ({"source": "aws.ecs", "detail-type": "ECS Deployment State Change"}, TriggerShape.ECS_DEPLOYMENT_EVENT),
        ({"DeploymentId": "d-ABCDEFGHI"}, TriggerShape.CODEDEPLOY_HOOK),
        ({"LifecycleEventHookExecutionId": "eyJ..."}, TriggerShape.CODEDEPLOY_HOOK),
        ({"executionId": "e-1", "lifecycleStage": "POST_PRODUCTION_TRAFFIC_SHIFT"}, TriggerShape.ECS_LIFECYCLE_HOOK),
        ({"executionDetails": {}}, TriggerShape.ECS_LIFECYCLE_HOOK),
        ({"cluster": "prod", "service": "web"}, TriggerShape.DIRECT),
    ],
)
def test_a_trigger_shape_is_recognised_by_any_one_of_its_marker_keys(
    event: dict[str, Any], shape: TriggerShape
) -> None:
    assert trigger_shape(event) is shape


@pytest.mark.parametrize("event", [{"cluster": "prod"}, {}, [], "service", None])
def test_anything_else_has_no_shape(event: Any) -> None:
    assert trigger_shape(event) is None
    assert trigger_shape(event, HOOKS) is None


def test_a_hook_is_routed_as_a_hook_whatever_else_its_event_carries() -> None:
    both_hooks = {"detail-type": "x", "DeploymentId": "d-ABCDEFGHI", "lifecycleStage": "RECONCILE_SERVICE"}
    assert trigger_shape(both_hooks, HOOKS) is TriggerShape.ECS_LIFECYCLE_HOOK
    assert trigger_shape({"detail-type": "x", "DeploymentId": "d-ABCDEFGHI"}, HOOKS) is TriggerShape.CODEDEPLOY_HOOK
    assert trigger_shape({"detail-type": "x", "service": "web"}, HOOKS) is None


def test_the_parser_reads_an_event_with_several_shapes_markers_in_its_order() -> None:
    assert trigger_shape({"detail-type": "x", "DeploymentId": "d-ABCDEFGHI"}) is TriggerShape.ECS_DEPLOYMENT_EVENT
    assert trigger_shape({"DeploymentId": "d-ABCDEFGHI", "lifecycleStage": "x"}) is TriggerShape.CODEDEPLOY_HOOK
    assert trigger_shape({"lifecycleStage": "x", "service": "web"}) is TriggerShape.ECS_LIFECYCLE_HOOK
