"""An ECS native deployment lifecycle hook: always answered with a ``hookStatus`` (FAILED when the
verification crashes or the event is bad; ECS then rolls the deployment back).

A bake behind the hook waits in ECS itself: the answer is IN_PROGRESS with a ``callBackDelay``, and the
bake's state rides along in ``hookDetails`` until the next invocation. These hooks are never deduplicated
(``VerifyService.__init__`` says why), so they do not go through the idempotency store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from fleetops.errors import BadInputError
from fleetops.models.verify import BakeState, Verdict, VerificationReport, VerifyRequest, VerifyTrigger
from fleetops.observability import logger, metrics
from fleetops.verify.decide import delegated, ecs_hook_callback_delay
from fleetops.verify.hook_deadline import HookDeadline, hook_deadline
from fleetops.verify.parse import parse_trigger

if TYPE_CHECKING:
    from fleetops.verify.service import VerifyService

# hookDetails keys under which the ECS lifecycle hook carries its bake between invocations: the deadline,
# and the lifecycle stage and service deployment it belongs to. Whether ECS replaces the configured
# hookDetails with the returned ones or merges them, and whether returned keys outlive their stage, the
# documents do not say (docs/aws-behaviour.md): the answer returns every key it was given plus its own,
# and a deadline is resumed only by the stage and deployment that set it.
ECS_HOOK_BAKE_KEY = "fleetopsVerifyBakeUntil"
ECS_HOOK_BAKE_STAGE_KEY = "fleetopsVerifyBakeStage"
ECS_HOOK_BAKE_DEPLOYMENT_KEY = "fleetopsVerifyBakeDeployment"
# The hook's deadline (epoch seconds) and timeout action once read, and the bake's configured end when
# that deadline cut it short (hook_deadline.py).
ECS_HOOK_EXPIRES_KEY = "fleetopsVerifyHookExpiresAt"
ECS_HOOK_TIMEOUT_ACTION_KEY = "fleetopsVerifyHookTimeoutAction"
ECS_HOOK_BAKE_CUT_FROM_KEY = "fleetopsVerifyBakeCutFrom"


class EcsHookTrigger:
    def __init__(self, service: VerifyService) -> None:
        self._service = service

    def answer(self, event: Mapping[str, Any]) -> dict[str, Any]:
        service = self._service
        try:
            request = parse_trigger(event)
            assert isinstance(request, VerifyRequest) and request.service is not None and request.ecs_hook
            logger.set_correlation_id(request.deployment_id)
            checks = service.settings.checks_for(request.service.cluster, request.service.service)
            bake = _ecs_hook_bake(request)
            if bake is not None:
                # A callback of the bake: the alarms are the service's as its tags say now (one more
                # DescribeServices; the first look's tailored checks are not carried in hookDetails).
                _, found = service.runner.resolve(request.service)
                checks = service.with_service_tags(checks, found)
                state = BakeState(
                    service=request.service,
                    service_arn="",
                    deployment_id=request.deployment_id,
                    task_definition=None,
                    trigger=VerifyTrigger.ECS_LIFECYCLE_HOOK,
                    started_at=service.now(),
                    bake_until=bake.bake_until,
                    checks=(),
                    alarms=checks.alarms,
                )
                verification = service.runner.continue_bake(state)
            else:
                verification = service.runner.verify(
                    request.service,
                    checks,
                    trigger=VerifyTrigger.ECS_LIFECYCLE_HOOK,
                    deployment_id=request.deployment_id,
                    deployment_checks=False,
                )
                if verification.report.bake_until is not None:
                    bake = EcsHookBake(bake_until=verification.report.bake_until)
                    state = BakeState.after(
                        verification.report, alarms=verification.checks.alarms, bake_until=bake.bake_until
                    )
            if verification.report.verdict is Verdict.BAKING and bake is not None:
                bake = self._within_hook_deadline(request, bake)
                if bake.bake_until <= service.now():  # the hook's deadline leaves no more time: conclude now
                    verification = service.runner.continue_bake(replace(state, bake_until=bake.bake_until))
            report = _with_hook_bake_note(verification.report, bake)
            if report.verdict is Verdict.FAILED:
                report = replace(report, rollback=delegated("ECS"))
        except Exception as error:  # ECS rolls back on FAILED; an unanswered hook would be worse
            logger.exception("ECS lifecycle hook verification crashed; answering FAILED", extra={"error": str(error)})
            metrics.add_metric(name="VerificationErrors", unit=MetricUnit.Count, value=1)
            if isinstance(error, BadInputError):
                service.keep_bad_input(event, error)
            return {"hookStatus": "FAILED", "reason": f"verification could not run: {error}"[:500]}
        service.report(report)  # after the verdict: a reporting failure never changes the hook's answer
        if report.verdict is Verdict.BAKING and bake is not None:
            details = {
                **request.ecs_hook.hook_details,
                **bake.hook_details(),
                ECS_HOOK_BAKE_STAGE_KEY: request.ecs_hook.lifecycle_stage,
                ECS_HOOK_BAKE_DEPLOYMENT_KEY: request.deployment_id,
            }
            delay = ecs_hook_callback_delay(service.rechecks.next_delay(bake.bake_until))
            return {"hookStatus": "IN_PROGRESS", "callBackDelay": delay, "hookDetails": details}
        status = "SUCCEEDED" if report.verdict is Verdict.PASSED else "FAILED"
        return {"hookStatus": status, "reason": report.reason[:500]}

    def _within_hook_deadline(self, request: VerifyRequest, bake: EcsHookBake) -> EcsHookBake:
        """The bake, cut to end before the hook's deadline (read once, then carried in hookDetails).

        A deadline that cannot be read (API error, deployment or hook execution not found) does not fail
        the release: the bake goes on as configured, and the deadline is asked for again at the next
        invocation; each time is logged and counted (EcsHookDeadlineUnread, an alarm can watch it) and
        the report says the bake was not capped. A guessed cap would pass a release on less watching than
        its owner asked for, with no document to justify the guess; ECS's default timeout (1440 minutes)
        is four times the longest bake (6 h, ``MAX_BAKE_SECONDS``), so only a hook configured shorter than
        its service's bake is at risk, and that service's operator is told on every invocation."""
        if bake.expires_at is not None:
            return bake
        assert request.ecs_hook is not None
        service = self._service
        function_arn = service.context.invoked_function_arn if service.context is not None else None
        arn = request.ecs_hook.service_deployment_arn
        deadline: HookDeadline | None = None
        why = "the event names no service deployment (resourceArn)"
        try:
            executions = service.ecs.lifecycle_hook_executions(arn) if arn else None
            if executions is not None:
                deadline = hook_deadline(executions, function_arn)
                why = f"service deployment {arn} has no pending Lambda hook with a deadline"
            elif arn:
                why = f"service deployment {arn} is not known to ECS"
        except (ClientError, BotoCoreError) as error:
            why = f"DescribeServiceDeployments failed: {error}"
        if deadline is None:
            logger.warning(
                f"the ECS lifecycle hook's deadline could not be read ({why}); the bake is not capped",
                extra={"deployment_id": request.deployment_id},
            )
            metrics.add_metric(name="EcsHookDeadlineUnread", unit=MetricUnit.Count, value=1)
            return bake
        if not deadline.identified:
            logger.warning(
                "this function's hook execution was not told apart from the others in progress: the earliest "
                "deadline of those is kept",
                extra={"deployment_id": request.deployment_id},
            )
        bake = replace(bake, expires_at=deadline.expires_at, timeout_action=deadline.action)
        if bake.bake_until <= deadline.answer_by:
            return bake
        cap = max(deadline.answer_by, service.now())  # a deadline too close for any more: this look is the last
        logger.warning(
            f"bake shortened to end at {_iso(cap)}: the ECS lifecycle hook times out at "
            f"{_iso(deadline.expires_at)} ({deadline.action})",
            extra={"deployment_id": request.deployment_id},
        )
        metrics.add_metric(name="BakesShortened", unit=MetricUnit.Count, value=1)
        return replace(bake, bake_until=cap, cut_from=bake.bake_until)


@dataclass(frozen=True, slots=True)
class EcsHookBake:
    """A bake behind an ECS lifecycle hook, carried between invocations in ``hookDetails``."""

    bake_until: float
    expires_at: float | None = None  # the hook's deadline, once read (DescribeServiceDeployments)
    timeout_action: str = ""  # what ECS does at that deadline
    cut_from: float | None = None  # the configured end, when the deadline cut the bake short

    def hook_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {ECS_HOOK_BAKE_KEY: self.bake_until}
        if self.expires_at is not None:
            details[ECS_HOOK_EXPIRES_KEY] = self.expires_at
            details[ECS_HOOK_TIMEOUT_ACTION_KEY] = self.timeout_action
        if self.cut_from is not None:
            details[ECS_HOOK_BAKE_CUT_FROM_KEY] = self.cut_from
        return details


def _ecs_hook_bake(request: VerifyRequest) -> EcsHookBake | None:
    """The bake this very hook execution started, if ``hookDetails`` carries one. A deadline set by
    another lifecycle stage or deployment (were ECS to keep returned keys beyond their stage) is not this
    bake's: the verification starts afresh."""
    assert request.ecs_hook is not None
    details = request.ecs_hook.hook_details
    bake_until = _number(details.get(ECS_HOOK_BAKE_KEY))
    if bake_until is None:
        return None
    if details.get(ECS_HOOK_BAKE_STAGE_KEY) != request.ecs_hook.lifecycle_stage:
        return None
    if details.get(ECS_HOOK_BAKE_DEPLOYMENT_KEY) != request.deployment_id:
        return None
    action = details.get(ECS_HOOK_TIMEOUT_ACTION_KEY)
    return EcsHookBake(
        bake_until=bake_until,
        expires_at=_number(details.get(ECS_HOOK_EXPIRES_KEY)),
        timeout_action=action if isinstance(action, str) else "",
        cut_from=_number(details.get(ECS_HOOK_BAKE_CUT_FROM_KEY)),
    )


def _number(value: Any) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return float(value)


def _with_hook_bake_note(report: VerificationReport, bake: EcsHookBake | None) -> VerificationReport:
    """A bake that passed (or goes on) says when it was cut to the hook's deadline, or not capped at all."""
    if bake is None or report.verdict not in (Verdict.PASSED, Verdict.BAKING):
        return report
    if bake.cut_from is not None and bake.expires_at is not None:
        note = (
            f"the bake was cut to the ECS lifecycle hook's timeout: alarms watched until {_iso(bake.bake_until)} "
            f"instead of {_iso(bake.cut_from)}, as ECS takes the hook's timeout action ({bake.timeout_action}) "
            f"at {_iso(bake.expires_at)}"
        )
    elif bake.expires_at is None:
        note = "the ECS lifecycle hook's deadline could not be read, so the bake was not capped by it"
    else:
        return report
    return replace(report, reason=f"{report.reason}; {note}")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
