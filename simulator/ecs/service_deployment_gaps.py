"""What moto 5.2 lacks of ECS service deployments, closed here and only here (each patch names the gap it
closes), and the record (``VerifyGaps``) the simulated deployments keep: the target states
``simulator.elbv2.gaps`` reports and the hook answers ``simulator.codedeploy.gaps`` takes are held here too.

- ECS ListServiceDeployments / DescribeServiceRevisions / StopServiceDeployment raise
  NotImplementedError: they are served from ``service_deployments`` (the simulated ECS's service
  deployments, each with the task definition its target revision deploys, its ``createdAt`` and source
  revision) and ``service_revisions`` (revisions no record targets: those a rollback returns to), and
  record the stop. ListServiceDeployments filters on ``status`` and ``createdAt`` and pages by
  ``maxResults`` (1 to 100, 20 by default) and ``nextToken``.
- ECS DescribeServiceDeployments raises NotImplementedError: served from ``service_deployments`` too,
  with ``lifecycleHookDetails`` for the lifecycle hook executions a record holds (``hooks``): each with
  its ``expiresAt`` (its start on the simulated clock plus ``timeoutInMinutes``, default 1440) and
  ``timeoutAction`` (default ROLLBACK), as DeploymentLifecycleHookTimeoutConfiguration and
  DeploymentLifecycleHookDetail (ECS API Reference) say; ``rollback`` once ECS rolled the deployment
  back (Rollback: the revision it returned to, no new one), ``alarms`` and ``deploymentCircuitBreaker``
  with their ``status`` (MONITORING, TRIGGERED with ``triggeredAlarmNames``, DISABLED) and the
  ``deploymentConfiguration`` the deployment started with. An ARN it does not hold is a ``failures``
  entry (reason MISSING), as DescribeServices reports an unknown service. ``deployments.py`` plays the
  hook executions themselves (invocations, answers, the timeout action).
- ECS UpdateService with a new task definition starts no new deployment (moto only renames one on
  ``forceNewDeployment``): like AWS, a new PRIMARY deployment IN_PROGRESS replaces the list and the
  previous one stays ACTIVE.
- ECS CreateService drops ``deploymentConfiguration`` (circuit breaker settings): the simulated
  service keeps it (``deployments.SimulatedDeployments.create_service``).
- Time: moto's ELB and ECS do not change by themselves. ``later`` schedules a change on the simulated
  clock, applied before DescribeTargetHealth or DescribeServices answers: a target that stays
  ``initial`` (Elb.InitialHealthChecking) until it passes its health checks ("Health checks for
  Application Load Balancer target groups": a new target is ``initial`` until then), an old deployment
  still listed a moment after SERVICE_DEPLOYMENT_COMPLETED.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.authorization import disable_iam_authentication
from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.responses import EC2ContainerServiceResponse

from simulator.ecs.classic_load_balancers import without_rollout_state
from simulator.patching import Patch, Replace

_ORIGINAL_UPDATE_SERVICE = EC2ContainerServiceResponse.update_service
_ORIGINAL_DESCRIBE_SERVICES = EC2ContainerServiceResponse.describe_services


# DeploymentLifecycleHookTimeoutConfiguration: timeoutInMinutes 1 to 20160, default 1440; action
# ROLLBACK (default) or CONTINUE.
HOOK_TIMEOUT_DEFAULT_MINUTES = 1440
HOOK_TIMEOUT_RANGE_MINUTES = range(1, 20160 + 1)
HOOK_TIMEOUT_ACTIONS = ("ROLLBACK", "CONTINUE")
# DescribeServiceDeployments: "You can specify a maximum of 20 ARNs."
DESCRIBE_SERVICE_DEPLOYMENTS_MAX = 20
# ListServiceDeployments: maxResults "can be between 1 and 100"; without it, "up to 20 results and a
# nextToken value if applicable".
LIST_SERVICE_DEPLOYMENTS_MAX = 100
LIST_SERVICE_DEPLOYMENTS_DEFAULT = 20


@dataclass
class HookExecutionRecord:
    """One lifecycle hook's execution in a service deployment (DeploymentLifecycleHookDetail)."""

    hook_id: str
    target_arn: str  # the hook's hookTargetArn, as configured (unqualified, version or alias)
    lifecycle_stage: str
    started_at: float
    timeout_minutes: int = HOOK_TIMEOUT_DEFAULT_MINUTES
    timeout_action: str = "ROLLBACK"
    target_type: str = "AWS_LAMBDA"
    status: str = "IN_PROGRESS"  # IN_PROGRESS | SUCCEEDED | FAILED | TIMED_OUT

    def __post_init__(self) -> None:
        if self.timeout_minutes not in HOOK_TIMEOUT_RANGE_MINUTES:
            raise ValueError(f"timeoutInMinutes must be 1 to 20160, got {self.timeout_minutes}")
        if self.timeout_action not in HOOK_TIMEOUT_ACTIONS:
            raise ValueError(f"timeout action must be ROLLBACK or CONTINUE, got {self.timeout_action!r}")

    @property
    def expires_at(self) -> float:
        return self.started_at + self.timeout_minutes * 60


@dataclass
class RollbackRecord:
    """A service deployment's ``rollback`` (Rollback, ECS API Reference): why, when, and "the service
    revision deployed as part of the rollback" (no new revision: the last successful one)."""

    reason: str
    started_at: float
    service_revision_arn: str


@dataclass
class ServiceDeploymentRecord:
    arn: str
    service_arn: str
    cluster_arn: str
    task_definition: str = ""
    status: str = "IN_PROGRESS"
    stop_type: str | None = None
    hooks: list[HookExecutionRecord] = field(default_factory=list)
    created_at: float = 0.0  # on the simulated clock
    source_revision_arns: list[str] = field(default_factory=list)  # sourceServiceRevisions
    rollback: RollbackRecord | None = None  # set when ECS rolls it back (status ROLLBACK_*)
    # The service's deploymentConfiguration when the deployment started (circuit breaker, alarms).
    configuration: dict[str, Any] = field(default_factory=dict)
    # ServiceDeploymentAlarms / ServiceDeploymentCircuitBreaker ``status``: MONITORING while watched,
    # TRIGGERED once an alarm went to ALARM / the threshold was reached; DISABLED when not configured.
    alarms_status: str = "DISABLED"
    triggered_alarms: list[str] = field(default_factory=list)
    circuit_breaker_status: str = "DISABLED"

    @property
    def revision_arn(self) -> str:
        return self.arn.replace(":service-deployment/", ":service-revision/")


@dataclass
class VerifyGaps:
    # (target group, Id, Port) -> (state, reason)
    target_states: dict[tuple[str, str, int], tuple[str, str]] = field(default_factory=dict)
    hook_answers: dict[str, str] = field(default_factory=dict)  # execution id -> Succeeded | Failed
    service_deployments: list[ServiceDeploymentRecord] = field(default_factory=list)
    # Service revisions no deployment record targets (the one a rollback returns to): ARN -> task definition.
    service_revisions: dict[str, str] = field(default_factory=dict)
    updates: list[dict[str, str]] = field(default_factory=list)  # UpdateService calls that changed a revision
    # A fault: DescribeServiceDeployments refused, as for a role without ecs:DescribeServiceDeployments.
    describe_service_deployments_denied: bool = False
    clock: Callable[[], float] | None = None  # the simulated clock the scheduled changes follow
    scheduled: list[tuple[float, Callable[[], None]]] = field(default_factory=list)

    def later(self, at: float, change: Callable[[], None]) -> None:
        """Make ``change`` at ``at`` on the simulated clock (seen by the next Describe call after it)."""
        self.scheduled.append((at, change))

    def run_due(self) -> None:
        if self.clock is None:
            return
        now = self.clock()
        due = [change for at, change in self.scheduled if at <= now]
        self.scheduled = [(at, change) for at, change in self.scheduled if at > now]
        # ECS and ELB changing their own state, not a caller: no caller's policy applies, even when the
        # change falls due while a function's request (IAM enforced) is being answered.
        with disable_iam_authentication():
            for change in due:
                change()


_gaps = VerifyGaps()


def current() -> VerifyGaps:
    return _gaps


def _describe_services(self: EC2ContainerServiceResponse) -> ActionResult:
    _gaps.run_due()
    return without_rollout_state(_ORIGINAL_DESCRIBE_SERVICES(self))


def _list_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    """ServiceDeploymentBrief per deployment, filtered on ``status`` and ``createdAt`` (``after`` taken as
    strictly after: the reference does not say, and the code must not depend on it), in pages of
    ``maxResults``. The API promises no order: records are listed in the order they were added."""
    service = self._get_param("service").rsplit("/", 1)[-1]
    statuses = self._get_param("status") or []
    created = self._get_param("createdAt") or {}
    page_size = self._get_param("maxResults") or LIST_SERVICE_DEPLOYMENTS_DEFAULT
    if not 1 <= int(page_size) <= LIST_SERVICE_DEPLOYMENTS_MAX:
        raise InvalidParameterException(f"maxResults must be between 1 and {LIST_SERVICE_DEPLOYMENTS_MAX}")
    matching = [
        d
        for d in _gaps.service_deployments
        if d.service_arn.rsplit("/", 1)[-1] == service
        and (not statuses or d.status in statuses)
        and ("after" not in created or d.created_at > _epoch(created["after"]))
        and ("before" not in created or d.created_at < _epoch(created["before"]))
    ]
    start = int(self._get_param("nextToken") or 0)
    page = matching[start : start + int(page_size)]
    found = [
        {
            "serviceDeploymentArn": d.arn,
            "serviceArn": d.service_arn,
            "clusterArn": d.cluster_arn,
            "createdAt": d.created_at,  # the JSON protocol's timestamps are epoch seconds
            "startedAt": d.created_at,
            "status": d.status,
            "targetServiceRevisionArn": d.revision_arn,
        }
        for d in page
    ]
    result: dict[str, object] = {"serviceDeployments": found}
    if start + int(page_size) < len(matching):
        result["nextToken"] = str(start + int(page_size))
    return ActionResult(result)


def _epoch(timestamp: object) -> float:
    """A request's timestamp as moto parses it (a datetime), or as the JSON protocol sends it (epoch seconds)."""
    return timestamp.timestamp() if isinstance(timestamp, datetime) else float(timestamp)  # type: ignore[arg-type]


def _describe_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    _gaps.run_due()  # a hook whose deadline passed has timed out before anyone looks
    if _gaps.describe_service_deployments_denied:
        raise ECSException("AccessDeniedException", "User is not authorized to perform: ecs:DescribeServiceDeployments")
    wanted = self._get_param("serviceDeploymentArns") or []
    if not wanted or len(wanted) > DESCRIBE_SERVICE_DEPLOYMENTS_MAX:
        raise InvalidParameterException(
            f"serviceDeploymentArns must name 1 to {DESCRIBE_SERVICE_DEPLOYMENTS_MAX} service deployments"
        )
    by_arn = {d.arn: d for d in _gaps.service_deployments}
    found = [_service_deployment(by_arn[arn]) for arn in wanted if arn in by_arn]
    failures = [{"arn": arn, "reason": "MISSING"} for arn in wanted if arn not in by_arn]
    return ActionResult({"serviceDeployments": found, "failures": failures})


def _service_deployment(record: ServiceDeploymentRecord) -> dict[str, object]:
    described: dict[str, object] = {
        "serviceDeploymentArn": record.arn,
        "serviceArn": record.service_arn,
        "clusterArn": record.cluster_arn,
        "createdAt": record.created_at,
        "startedAt": record.created_at,
        "status": record.status,
        "sourceServiceRevisions": [{"arn": arn} for arn in record.source_revision_arns],
        "targetServiceRevision": {"arn": record.revision_arn},
        "deploymentCircuitBreaker": {"status": record.circuit_breaker_status},
        "alarms": {
            "status": record.alarms_status,
            "alarmNames": list(record.configuration.get("alarms", {}).get("alarmNames", [])),
            "triggeredAlarmNames": list(record.triggered_alarms),
        },
    }
    if record.configuration:
        described["deploymentConfiguration"] = record.configuration
    if record.rollback is not None:
        described["rollback"] = {
            "reason": record.rollback.reason,
            "startedAt": record.rollback.started_at,
            "serviceRevisionArn": record.rollback.service_revision_arn,
        }
    if record.hooks:
        described["lifecycleStage"] = record.hooks[-1].lifecycle_stage
        described["lifecycleHookDetails"] = [
            {
                "hookId": hook.hook_id,
                "targetType": hook.target_type,
                "targetArn": hook.target_arn,
                "status": hook.status,
                "expiresAt": hook.expires_at,  # the JSON protocol's timestamps are epoch seconds
                "timeoutAction": hook.timeout_action,
            }
            for hook in record.hooks
        ]
    return described


def _describe_service_revisions(self: EC2ContainerServiceResponse) -> ActionResult:
    wanted = self._get_param("serviceRevisionArns") or []
    found = [
        {"serviceRevisionArn": d.revision_arn, "serviceArn": d.service_arn, "taskDefinition": d.task_definition}
        for d in _gaps.service_deployments
        if d.revision_arn in wanted
    ] + [
        {"serviceRevisionArn": arn, "taskDefinition": task_definition}
        for arn, task_definition in _gaps.service_revisions.items()
        if arn in wanted
    ]
    return ActionResult({"serviceRevisions": found, "failures": []})


def _stop_service_deployment(self: EC2ContainerServiceResponse) -> ActionResult:
    arn = self._get_param("serviceDeploymentArn")
    for deployment in _gaps.service_deployments:
        if deployment.arn == arn and deployment.status == "IN_PROGRESS":
            deployment.stop_type = self._get_param("stopType") or "ABORT"
            deployment.status = "ROLLBACK_REQUESTED" if deployment.stop_type == "ROLLBACK" else "STOP_REQUESTED"
            return ActionResult({"serviceDeploymentArn": arn})
    raise InvalidParameterException(f"service deployment {arn} is not in progress")


def _update_service(self: EC2ContainerServiceResponse) -> ActionResult:
    task_definition = self._get_param("taskDefinition")
    service_name = self._get_param("service").rsplit("/", 1)[-1]
    cluster = (self._get_param("cluster") or "default").rsplit("/", 1)[-1]
    result = _ORIGINAL_UPDATE_SERVICE(self)
    service = self.ecs_backend.services[f"{cluster}:{service_name}"]
    if task_definition:
        arn = self.ecs_backend.describe_task_definition(task_definition).arn
        service.task_definition = arn
        new_id = f"ecs-svc/{uuid.uuid4().int % 10**19}"
        previous = [dict(d, status="ACTIVE") for d in service.deployments if d.get("status") == "PRIMARY"]
        service.deployments = [
            {
                "id": new_id,
                "status": "PRIMARY",
                "taskDefinition": arn,
                "desiredCount": service.desired_count,
                "runningCount": 0,
                "pendingCount": service.desired_count,
                "failedTasks": 0,
                "rolloutState": "IN_PROGRESS",
                "rolloutStateReason": f"ECS deployment {new_id} in progress.",
            },
            *previous,
        ]
        _gaps.updates.append({"service": service_name, "task_definition": arn, "deployment_id": new_id})
    return result


def new_record() -> VerifyGaps:
    """A fresh record of the simulated deployments and of what was asked of them (one per world)."""
    global _gaps
    _gaps = VerifyGaps()
    return _gaps


PATCHES: tuple[Patch, ...] = (
    Replace(EC2ContainerServiceResponse, "describe_services", _describe_services),
    Replace(EC2ContainerServiceResponse, "list_service_deployments", _list_service_deployments),
    Replace(EC2ContainerServiceResponse, "stop_service_deployment", _stop_service_deployment),
    Replace(EC2ContainerServiceResponse, "describe_service_revisions", _describe_service_revisions),
    Replace(EC2ContainerServiceResponse, "describe_service_deployments", _describe_service_deployments),
    Replace(EC2ContainerServiceResponse, "update_service", _update_service),
)
