"""Which of the verify job's trigger shapes an event has: one detector for ``parse.py`` (which reads it)
and ``service.py`` (which routes it).

Events are untrusted, so a shape is recognised by any one of its marker keys, not by all of them: a
CodeDeploy hook that lacks one of its ids still reaches its own parser, which says which id is missing
(and the hook is still answered when it can be).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any


class TriggerShape(Enum):
    ECS_DEPLOYMENT_EVENT = "EventBridge ECS Deployment State Change"
    CODEDEPLOY_HOOK = "CodeDeploy ECS lifecycle hook"
    ECS_LIFECYCLE_HOOK = "ECS native deployment lifecycle hook"
    DIRECT = "direct invocation"


_MARKERS: dict[TriggerShape, tuple[str, ...]] = {
    TriggerShape.ECS_DEPLOYMENT_EVENT: ("detail-type",),
    TriggerShape.CODEDEPLOY_HOOK: ("DeploymentId", "LifecycleEventHookExecutionId"),
    TriggerShape.ECS_LIFECYCLE_HOOK: ("lifecycleStage", "executionDetails"),
    TriggerShape.DIRECT: ("service",),
}

# The order in which ``parse_trigger`` reads an event that carries the markers of several shapes.
PARSE_ORDER = (
    TriggerShape.ECS_DEPLOYMENT_EVENT,
    TriggerShape.CODEDEPLOY_HOOK,
    TriggerShape.ECS_LIFECYCLE_HOOK,
    TriggerShape.DIRECT,
)
# The hooks the function routes before any other shape: a hook is answered whatever else its event
# carries (an unanswered one holds the deployment until its own timeout). ECS's hook is looked for first.
HOOKS = (TriggerShape.ECS_LIFECYCLE_HOOK, TriggerShape.CODEDEPLOY_HOOK)


def trigger_shape(event: Any, order: Sequence[TriggerShape] = PARSE_ORDER) -> TriggerShape | None:
    """The first shape of ``order`` whose markers the event carries; None for any other event (one that
    is not a JSON object included)."""
    if not isinstance(event, Mapping):
        return None
    for shape in order:
        if any(key in event for key in _MARKERS[shape]):
            return shape
    return None
