"""Turn every trigger shape of the verify job into one typed command.

Shapes (all untrusted; anything unexpected raises BadInputError with a reason a human can act on):
- EventBridge ``ECS Deployment State Change`` (source ``aws.ecs``); the service ARN is in
  ``resources``; there is no cluster field, and an old short service ARN names no cluster;
- a CodeDeploy ECS lifecycle hook (``DeploymentId``, ``LifecycleEventHookExecutionId``);
- an ECS native deployment lifecycle hook (``executionId``, ``lifecycleStage``, ``executionDetails``);
- a direct invocation (CI): ``{"cluster", "service", "expected_task_definition"|"expected_image", "checks"}``.
SQS re-check records carry a BakeState and are parsed by ``BakeState.from_json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from fleetops.errors import BadInputError
from fleetops.models.verify import (
    CodeDeployHook,
    EcsLifecycleHook,
    IgnoredVerifyEvent,
    ReleaseFailure,
    ServiceRef,
    VerifyRequest,
    VerifyTrigger,
)
from fleetops.verify.checks import is_circuit_breaker_rollback, is_rollback_reason
from fleetops.verify.image_match import parse_expected_image
from fleetops.verify.trigger_shape import TriggerShape, trigger_shape

VerifyTriggerEvent = VerifyRequest | ReleaseFailure | IgnoredVerifyEvent

DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change"
COMPLETED = "SERVICE_DEPLOYMENT_COMPLETED"
FAILED = "SERVICE_DEPLOYMENT_FAILED"
IN_PROGRESS = "SERVICE_DEPLOYMENT_IN_PROGRESS"

# arn:aws:ecs:us-east-1:123456789012:service/cluster/name (new) or .../service/name (old short format)
_SERVICE_ARN = re.compile(
    r"^arn:(aws[a-z-]*):ecs:([a-z0-9-]+):(\d{12}):service/(?:([A-Za-z0-9_-]{1,255})/)?([A-Za-z0-9_-]{1,255})$"
)
# arn:aws:ecs:us-east-1:123456789012:service-deployment/cluster/service/id: an ECS hook's resourceArn
_SERVICE_DEPLOYMENT_ARN = re.compile(
    r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service-deployment/[A-Za-z0-9_-]{1,255}/[A-Za-z0-9_-]{1,255}/[A-Za-z0-9_-]+$"
)
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
# "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/6538016222865037559."
_ROLLED_BACK_TO = re.compile(r"rolling back to deploymentId (\S+?)\.?$")
_CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]{1,255}$")
_CODEDEPLOY_ID = re.compile(r"^d-[A-Z0-9]{9}$")
# A task definition a CI job expects: ``family:revision`` or the full ARN. A bare family is refused: it
# would match any revision, the old one a circuit breaker rolled back to included.
_TASK_DEFINITION = re.compile(
    r"^(?:arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/)?[A-Za-z0-9_-]{1,255}:[1-9]\d{0,9}$"
)
MISSING_EXPECTED_RELEASE = (
    "name the release to verify: expected_task_definition (family:revision or ARN) or expected_image; "
    "without one, a service rolled back to its old revision by ECS's circuit breaker would pass"
)
_DIRECT_KEYS = frozenset({"cluster", "service", "expected_task_definition", "expected_image", "checks"})


def codedeploy_hook_of(event: Any) -> CodeDeployHook | None:
    """The hook to answer, read as leniently as possible: even a malformed event gets its answer."""
    if not isinstance(event, Mapping):
        return None
    deployment, execution = event.get("DeploymentId"), event.get("LifecycleEventHookExecutionId")
    if isinstance(deployment, str) and deployment and isinstance(execution, str) and execution:
        return CodeDeployHook(deployment_id=deployment, execution_id=execution)
    return None


def is_ecs_lifecycle_hook(event: Any) -> bool:
    return trigger_shape(event, (TriggerShape.ECS_LIFECYCLE_HOOK,)) is TriggerShape.ECS_LIFECYCLE_HOOK


def parse_trigger(event: Any) -> VerifyTriggerEvent:
    if not isinstance(event, Mapping):
        raise BadInputError(f"the event is a {type(event).__name__}, not a JSON object")
    shape = trigger_shape(event)
    if shape is None:
        raise BadInputError(
            "unknown event shape: not an ECS Deployment State Change, a CodeDeploy or ECS lifecycle hook, "
            "nor a direct {cluster, service} invocation"
        )
    return _PARSERS[shape](event)


def parse_service_arn(arn: Any) -> ServiceRef:
    if not isinstance(arn, str):
        raise BadInputError(f"the service ARN is not text: {arn!r}")
    match = _SERVICE_ARN.match(arn)
    if match is None:
        raise BadInputError(f"not an ECS service ARN: {arn!r}")
    _, region, account, cluster, name = match.groups()
    return ServiceRef(service=name, cluster=cluster, region=region, account=account)


def _from_eventbridge(event: Mapping[str, Any]) -> VerifyTriggerEvent:
    source, detail_type = event.get("source"), event.get("detail-type")
    if source != "aws.ecs" or detail_type != DEPLOYMENT_STATE_CHANGE:
        raise BadInputError(f"unknown EventBridge event: source {source!r}, detail-type {detail_type!r}")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise BadInputError("the event's detail is not an object")
    resources = event.get("resources")
    services = [r for r in resources if isinstance(r, str) and ":service/" in r] if isinstance(resources, list) else []
    if len(services) != 1:
        raise BadInputError(f"expected exactly one ECS service ARN in resources, got {resources!r}")
    service = parse_service_arn(services[0])
    name = detail.get("eventName")
    deployment_id = detail.get("deploymentId")
    if not isinstance(deployment_id, str) or not deployment_id:
        raise BadInputError("detail.deploymentId is missing")
    raw_reason = detail.get("reason")
    reason = raw_reason if isinstance(raw_reason, str) else ""
    if name == COMPLETED:
        return VerifyRequest(
            service=service, trigger=VerifyTrigger.ECS_EVENT, deployment_id=deployment_id, event_name=name
        )
    if name == FAILED:
        return ReleaseFailure(service, deployment_id, name, reason or "ECS reported the deployment failed")
    if name == IN_PROGRESS:
        if is_circuit_breaker_rollback(reason):
            target = _ROLLED_BACK_TO.search(reason)
            return ReleaseFailure(service, deployment_id, name, reason, rolled_back_to=target[1] if target else None)
        if is_rollback_reason(reason):
            return IgnoredVerifyEvent(f"a rollback deployment started ({reason}); it is verified when it completes")
        return IgnoredVerifyEvent(f"deployment {deployment_id} started; it is verified when it completes")
    raise BadInputError(f"unknown ECS deployment event name {name!r}")


def _from_codedeploy(event: Mapping[str, Any]) -> VerifyRequest:
    hook = codedeploy_hook_of(event)
    if hook is None:
        raise BadInputError("a CodeDeploy hook needs both DeploymentId and LifecycleEventHookExecutionId")
    if not _CODEDEPLOY_ID.match(hook.deployment_id):
        raise BadInputError(f"DeploymentId is not a CodeDeploy deployment id: {hook.deployment_id!r}")
    return VerifyRequest(service=None, trigger=VerifyTrigger.CODEDEPLOY_HOOK, codedeploy_hook=hook)


def _from_ecs_hook(event: Mapping[str, Any]) -> VerifyRequest:
    details = event.get("executionDetails")
    if not isinstance(details, Mapping):
        raise BadInputError("an ECS lifecycle hook needs executionDetails")
    execution = event.get("executionId")
    stage = event.get("lifecycleStage")
    if not isinstance(execution, str) or not execution or not isinstance(stage, str) or not stage:
        raise BadInputError("an ECS lifecycle hook needs executionId and lifecycleStage")
    service = parse_service_arn(details.get("serviceArn"))
    revision = details.get("targetServiceRevisionArn")
    hook_details = event.get("hookDetails")
    resource = event.get("resourceArn")
    return VerifyRequest(
        service=service,
        trigger=VerifyTrigger.ECS_LIFECYCLE_HOOK,
        deployment_id=_last(event.get("resourceArn")) or execution,
        ecs_hook=EcsLifecycleHook(
            execution_id=execution,
            lifecycle_stage=stage,
            target_service_revision_arn=revision if isinstance(revision, str) else "",
            hook_details=dict(hook_details) if isinstance(hook_details, Mapping) else {},
            service_deployment_arn=resource
            if isinstance(resource, str) and _SERVICE_DEPLOYMENT_ARN.match(resource)
            else "",
        ),
    )


def _from_direct(event: Mapping[str, Any]) -> VerifyRequest:
    unknown = sorted(set(event) - _DIRECT_KEYS)
    if unknown:
        raise BadInputError(f"unknown keys {unknown} in a direct invocation (known: {sorted(_DIRECT_KEYS)})")
    raw_service = event.get("service")
    if isinstance(raw_service, str) and raw_service.startswith("arn:"):
        service = parse_service_arn(raw_service)
        cluster = event.get("cluster") or service.cluster
    else:
        service = ServiceRef(service=str(raw_service), cluster=None)
        cluster = event.get("cluster")
        if not isinstance(raw_service, str) or not _NAME.match(raw_service):
            raise BadInputError(f"service must be a service name or ARN, got {raw_service!r}")
    if not isinstance(cluster, str) or not (_NAME.match(cluster) or _CLUSTER_ARN.match(cluster)):
        raise BadInputError(f"cluster must be a cluster name or ARN, got {cluster!r}")
    expected_td = expected_task_definition(_optional_text(event, "expected_task_definition"))
    expected_image = expected_image_reference(_optional_text(event, "expected_image"))
    if expected_td is None and expected_image is None:
        raise BadInputError(MISSING_EXPECTED_RELEASE)
    checks = event.get("checks")
    if checks is not None and not isinstance(checks, Mapping):
        raise BadInputError("checks must be an object")
    return VerifyRequest(
        service=ServiceRef(service=service.service, cluster=cluster, region=service.region, account=service.account),
        trigger=VerifyTrigger.DIRECT,
        expected_task_definition=expected_td,
        expected_image=expected_image,
        checks_override=dict(checks) if checks is not None else None,
    )


def expected_task_definition(value: str | None) -> str | None:
    """``family:revision`` or a task definition ARN (shared with the console command)."""
    if value is not None and not _TASK_DEFINITION.match(value):
        raise BadInputError(f"expected_task_definition must be family:revision or a task definition ARN, got {value!r}")
    return value


def expected_image_reference(value: str | None) -> str | None:
    """An image reference or a digest (shared with the console command): refused here when malformed,
    so that it never reaches the checks as an image no task could run."""
    if value is not None:
        parse_expected_image(value)
    return value


def _optional_text(event: Mapping[str, Any], key: str) -> str | None:
    value = event.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 2048:
        raise BadInputError(f"{key} must be non-empty text")
    return value.strip()


def _last(arn: Any) -> str | None:
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) and "/" in arn else None


_PARSERS: dict[TriggerShape, Callable[[Mapping[str, Any]], VerifyTriggerEvent]] = {
    TriggerShape.ECS_DEPLOYMENT_EVENT: _from_eventbridge,
    TriggerShape.CODEDEPLOY_HOOK: _from_codedeploy,
    TriggerShape.ECS_LIFECYCLE_HOOK: _from_ecs_hook,
    TriggerShape.DIRECT: _from_direct,
}
