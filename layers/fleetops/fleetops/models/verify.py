"""The verify job's commands, observations, check results and report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fleetops.errors import BadInputError
from fleetops.models.ecs import cluster_name


class VerifyTrigger(StrEnum):
    ECS_EVENT = "ecs-deployment-event"
    CODEDEPLOY_HOOK = "codedeploy-hook"
    ECS_LIFECYCLE_HOOK = "ecs-lifecycle-hook"
    DIRECT = "direct"
    RECHECK = "recheck"


class CheckName(StrEnum):
    DEPLOYMENT = "deployment"
    TASKS = "tasks"
    CONTAINER_HEALTH = "container-health"
    TARGETS = "targets"
    SMOKE = "smoke"
    ALARMS = "alarms"


class CheckStatus(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    PENDING = "PENDING"  # the alarm bake period is still running
    SKIPPED = "SKIPPED"  # not configured, or nothing to look at


class Verdict(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    BAKING = "BAKING"  # every check passed so far; alarms are watched until the bake period ends
    SETTLING = "SETTLING"  # only what settles by itself fell short (targets in initial health checks): re-checked
    RELEASE_FAILED = "RELEASE_FAILED"  # ECS itself failed the deployment (circuit breaker)
    ERROR = "ERROR"  # the verification could not run (AWS refused a call): nothing is known of the release


@dataclass(frozen=True, slots=True)
class ServiceRef:
    """A service, by cluster and name. ``cluster`` is None when an old short service ARN named none."""

    service: str
    cluster: str | None
    region: str = ""
    account: str = ""

    @property
    def label(self) -> str:
        return f"{cluster_name(self.cluster) if self.cluster else '?'}/{self.service}"


@dataclass(frozen=True, slots=True)
class CodeDeployHook:
    deployment_id: str
    execution_id: str


@dataclass(frozen=True, slots=True)
class EcsLifecycleHook:
    execution_id: str
    lifecycle_stage: str
    target_service_revision_arn: str
    hook_details: dict[str, Any] = field(default_factory=dict)
    service_deployment_arn: str = ""  # the event's resourceArn: DescribeServiceDeployments reads its deadline


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """One verification to run, whatever shape the trigger had."""

    service: ServiceRef | None  # None only for a CodeDeploy hook, until its deployment group is read
    trigger: VerifyTrigger
    deployment_id: str | None = None
    expected_task_definition: str | None = None
    expected_image: str | None = None
    checks_override: dict[str, Any] | None = None  # raw per-invocation checks (direct invocation)
    codedeploy_hook: CodeDeployHook | None = None
    ecs_hook: EcsLifecycleHook | None = None
    event_name: str = ""

    @property
    def idempotency_key(self) -> str | None:
        """Per deployment id and event. Direct invocations and ECS hooks are never deduplicated: a CI
        retry must verify again, and ECS re-invokes a hook on purpose after IN_PROGRESS."""
        if self.codedeploy_hook is not None:
            return f"codedeploy:{self.codedeploy_hook.execution_id}"
        if self.trigger is VerifyTrigger.ECS_EVENT and self.deployment_id:
            return f"ecs-event:{self.event_name}:{self.deployment_id}"
        return None


@dataclass(frozen=True, slots=True)
class ReleaseFailure:
    """ECS reports the deployment failed or is being rolled back by its circuit breaker: no verification
    can make this release good. Reported loudly, never as a success.

    One circuit-breaker failure with rollback is announced twice: SERVICE_DEPLOYMENT_FAILED of the
    failing deployment and SERVICE_DEPLOYMENT_IN_PROGRESS "rolling back to deploymentId <previous>",
    whose ``deploymentId`` the documents leave open (the failing deployment, or the rollback
    deployment that starts). Keyed by the failing deployment (``failing_deployment_id``, found in
    DescribeServices when the event names the rollback), the two are one failure, one report."""

    service: ServiceRef
    deployment_id: str  # as the event names it
    event_name: str
    reason: str
    rolled_back_to: str | None = None  # the deployment a circuit-breaker rollback returns to
    failing_deployment_id: str = ""  # the deployment that failed; "" until resolved: the event's

    @property
    def failing(self) -> str:
        return self.failing_deployment_id or self.deployment_id

    @property
    def idempotency_key(self) -> str:
        return f"release-failed:{self.failing}"


@dataclass(frozen=True, slots=True)
class IgnoredVerifyEvent:
    reason: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: CheckName
    status: CheckStatus
    summary: str
    evidence: tuple[str, ...] = ()
    settling: bool = False  # FAILED only for what settles by itself (a target in its initial health checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name.value,
            "status": self.status.value,
            "summary": self.summary,
            "evidence": list(self.evidence),
            "settling": self.settling,
        }


@dataclass(frozen=True, slots=True)
class TargetHealth:
    target_group_arn: str
    target_id: str
    port: int | None
    state: str  # initial | healthy | unhealthy | unused | draining | unavailable
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SmokeOutcome:
    url: str
    method: str
    passed: bool
    attempts: int
    status: int | None
    detail: str


class RollbackAction(StrEnum):
    NONE = "none"
    STOP_DEPLOYMENT = "stop-service-deployment"  # ECS's own rollback of an in-progress deployment
    UPDATE_SERVICE = "update-service"  # back to the last known-good task definition
    DELEGATED = "delegated"  # a hook answered FAILED: CodeDeploy or ECS rolls the deployment back itself


@dataclass(frozen=True, slots=True)
class RollbackDecision:
    roll_back: bool
    reason: str
    target_task_definition: str | None = None


@dataclass(frozen=True, slots=True)
class RollbackOutcome:
    action: RollbackAction
    reason: str
    target_task_definition: str | None = None
    new_deployment_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "reason": self.reason,
            "target_task_definition": self.target_task_definition,
            "new_deployment_id": self.new_deployment_id,
        }


# How a report that passed without a single check having run begins its reason.
NOTHING_VERIFIED = "nothing was verified"


@dataclass(frozen=True, slots=True)
class VerificationReport:
    service: ServiceRef
    service_arn: str
    deployment_id: str | None
    task_definition: str | None
    trigger: VerifyTrigger
    verdict: Verdict
    checks: tuple[CheckResult, ...]
    started_at: float
    finished_at: float
    bake_until: float | None = None
    rollback: RollbackOutcome | None = None
    reason: str = ""
    settle_until: float | None = None  # SETTLING: re-checked until then, then failed
    waited: str = ""  # what the verification waited for before its verdict, and how long

    @property
    def failing(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if check.status is CheckStatus.FAILED)

    @property
    def failed(self) -> bool:
        return self.verdict in (Verdict.FAILED, Verdict.RELEASE_FAILED, Verdict.ERROR)

    @property
    def nothing_checked(self) -> bool:
        """A pass in which no check ran (a hook with no smoke checks or alarms configured): nothing
        failed, and nothing was verified either."""
        return self.verdict is Verdict.PASSED and not any(c.status is CheckStatus.PASSED for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "service": self.service.label,
            "service_arn": self.service_arn,
            "deployment_id": self.deployment_id,
            "task_definition": self.task_definition,
            "trigger": self.trigger.value,
            "reason": self.reason,
            "checks": [check.to_dict() for check in self.checks],
            "bake_until": self.bake_until,
            "rollback": self.rollback.to_dict() if self.rollback else None,
            "duration_seconds": round(max(0.0, self.finished_at - self.started_at), 3),
            "nothing_checked": self.nothing_checked,
            "settle_until": self.settle_until,
            "waited": self.waited,
        }


BAKE_STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class BakeState:
    """Carried in the delayed SQS message while the service's alarms bake (the durable wait)."""

    service: ServiceRef
    service_arn: str
    deployment_id: str | None
    task_definition: str | None
    trigger: VerifyTrigger
    started_at: float
    bake_until: float
    checks: tuple[CheckResult, ...]
    codedeploy_hook: CodeDeployHook | None = None
    alarms: tuple[str, ...] = ()
    rollback: bool | None = None  # the configuration's choice when the bake started (a CI override counts)
    attempt: int = 0
    bake_id: str = ""  # one per bake, drawn when it starts: two bakes of one deployment never share a key
    checks_overridden: bool = False  # a CI call chose the checks: its pass never makes a known-good
    settle_until: float | None = None  # a SETTLING verification: the whole verification is re-run until then
    # What the verification waited for before its bake began: the bake's final report says it too.
    waited: str = ""

    @classmethod
    def after(
        cls,
        report: VerificationReport,
        *,
        alarms: tuple[str, ...],
        bake_until: float,
        trigger: VerifyTrigger | None = None,
        codedeploy_hook: CodeDeployHook | None = None,
        rollback: bool | None = None,
        bake_id: str = "",
        checks_overridden: bool = False,
    ) -> BakeState:
        """The bake that a verification answered BAKING begins: its service, deployment and checks."""
        return cls(
            service=report.service,
            service_arn=report.service_arn,
            deployment_id=report.deployment_id,
            task_definition=report.task_definition,
            trigger=trigger or report.trigger,
            started_at=report.started_at,
            bake_until=bake_until,
            checks=report.checks,
            alarms=alarms,
            codedeploy_hook=codedeploy_hook,
            rollback=rollback,
            bake_id=bake_id,
            checks_overridden=checks_overridden,
            waited=report.waited,
        )

    @property
    def idempotency_key(self) -> str:
        """Per bake and look. A deployment id alone is not enough: CodeDeploy's AfterAllowTestTraffic and
        AfterAllowTraffic hooks of one ``d-...`` bake at the same time, and so can an ECS event and a CI
        call on one ``ecs-svc/...`` deployment; sharing a key, the second bake would read the first's
        stored result, schedule nothing and leave its hook unanswered."""
        if self.bake_id:
            return f"bake:{self.bake_id}:{self.attempt}"
        # A message from before bake ids existed: as distinct as what it carries allows.
        hook = self.codedeploy_hook.execution_id if self.codedeploy_hook else "-"
        return f"bake:{self.trigger.value}:{hook}:{self.deployment_id or self.service_arn}:{self.attempt}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": BAKE_STATE_VERSION,
                "service": {
                    "service": self.service.service,
                    "cluster": self.service.cluster,
                    "region": self.service.region,
                    "account": self.service.account,
                },
                "service_arn": self.service_arn,
                "deployment_id": self.deployment_id,
                "task_definition": self.task_definition,
                "trigger": self.trigger.value,
                "started_at": self.started_at,
                "bake_until": self.bake_until,
                "checks": [check.to_dict() for check in self.checks],
                "codedeploy_hook": None
                if self.codedeploy_hook is None
                else {
                    "deployment_id": self.codedeploy_hook.deployment_id,
                    "execution_id": self.codedeploy_hook.execution_id,
                },
                "alarms": list(self.alarms),
                "rollback": self.rollback,
                "attempt": self.attempt,
                "bake_id": self.bake_id,
                "checks_overridden": self.checks_overridden,
                "settle_until": self.settle_until,
                "waited": self.waited,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, body: str) -> BakeState:
        try:
            raw = json.loads(body)
        except (TypeError, ValueError) as error:
            raise BadInputError(f"bake state is not JSON: {error}") from error
        if not isinstance(raw, dict) or raw.get("version") != BAKE_STATE_VERSION:
            raise BadInputError("bake state is not a version-1 JSON object")
        try:
            service = raw["service"]
            hook = raw.get("codedeploy_hook")
            return cls(
                service=ServiceRef(
                    service=str(service["service"]),
                    cluster=service.get("cluster"),
                    region=str(service.get("region", "")),
                    account=str(service.get("account", "")),
                ),
                service_arn=str(raw["service_arn"]),
                deployment_id=raw.get("deployment_id"),
                task_definition=raw.get("task_definition"),
                trigger=VerifyTrigger(raw["trigger"]),
                started_at=float(raw["started_at"]),
                bake_until=float(raw["bake_until"]),
                checks=tuple(
                    CheckResult(
                        name=CheckName(check["name"]),
                        status=CheckStatus(check["status"]),
                        summary=str(check["summary"]),
                        evidence=tuple(str(item) for item in check.get("evidence", [])),
                        settling=check.get("settling") is True,
                    )
                    for check in raw["checks"]
                ),
                codedeploy_hook=None
                if hook is None
                else CodeDeployHook(deployment_id=str(hook["deployment_id"]), execution_id=str(hook["execution_id"])),
                alarms=tuple(str(name) for name in raw.get("alarms", [])),
                rollback=raw.get("rollback") if isinstance(raw.get("rollback"), bool) else None,
                attempt=int(raw["attempt"]),
                bake_id=str(raw.get("bake_id") or ""),
                checks_overridden=raw.get("checks_overridden") is True,
                settle_until=float(raw["settle_until"]) if raw.get("settle_until") is not None else None,
                waited=str(raw.get("waited") or ""),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise BadInputError(f"bake state is incomplete or malformed: {error!r}") from error
