"""The verify job end to end: parse, deduplicate, verify, roll back, answer hooks, report.

The Lambda handler only calls ``VerifyService.handle``. Two promises hold whatever goes wrong:
- a CodeDeploy hook is always answered (Failed when the verification crashes or the event is bad);
- an ECS lifecycle hook always gets a ``hookStatus`` (FAILED in the same cases).
Bad input is dead-lettered and never retried; a duplicate delivery is a no-op.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from fleetops.aws.clients import AwsClients, error_code, error_message
from fleetops.aws.cloudwatch import AlarmReader
from fleetops.aws.codedeploy import CodeDeployAdapter, HookAnswer
from fleetops.aws.ecs import EcsAdapter
from fleetops.aws.elbv2 import TargetHealthReader
from fleetops.aws.messaging import DeadLetters, DelayedQueue, Notifier
from fleetops.errors import BadInputError, RetryLaterError
from fleetops.idempotency import Handled, Idempotency, IdempotencyAlreadyInProgressError, StoreOutagePolicy
from fleetops.intake import dead_letter, duplicate_delivery, is_sqs_batch
from fleetops.models.verify import (
    BakeState,
    CheckName,
    CheckResult,
    CheckStatus,
    CodeDeployHook,
    IgnoredVerifyEvent,
    ReleaseFailure,
    RollbackAction,
    RollbackOutcome,
    SmokeOutcome,
    Verdict,
    VerificationReport,
    VerifyRequest,
    VerifyTrigger,
)
from fleetops.observability import logger, metrics
from fleetops.reporting import Report, report_safely
from fleetops.settings import cluster_name
from fleetops.verify.config import ServiceChecks, parse_service_checks, smoke_run_seconds
from fleetops.verify.hook_deadline import HookDeadline, hook_deadline
from fleetops.verify.parse import VerifyTriggerEvent, codedeploy_hook_of, parse_trigger
from fleetops.verify.report import report_verification
from fleetops.verify.rollback import RollbackExecutor, RollbackRefusedError
from fleetops.verify.runner import Verification, VerificationRunner, acting_error_report, aws_error_report
from fleetops.verify.settings import VerifySettings
from fleetops.verify.state import CiSettling, VerifyStateStore
from fleetops.verify.trigger_shape import HOOKS, TriggerShape, trigger_shape

FUNCTION = "verify"
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
# callBackDelay: ECS waits 30 s by default and its document's example returns 60; no bound is documented.
# An answer ECS refused would roll the deployment back, so the delay stays between those two values.
ECS_HOOK_MIN_CALLBACK_DELAY = 30
ECS_HOOK_MAX_CALLBACK_DELAY = 60
# CodeDeploy fails a lifecycle hook left unanswered for an hour: a bake behind one ends in 50 minutes.
CODEDEPLOY_HOOK_MAX_BAKE_SECONDS = 50 * 60


class VerifyService:
    def __init__(
        self,
        settings: VerifySettings,
        *,
        session: boto3.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clients = AwsClients(session)
        self._clock = clock
        self._sleep = sleep
        self._idempotency = Idempotency(settings.idempotency_table, self.clients.session)
        # Without the idempotency store: a hook must be answered (CodeDeploy fails a deployment whose
        # hook goes unanswered for an hour), and answering twice is harmless (CodeDeploy refuses the
        # second answer; a rollback behind a hook is CodeDeploy's own): so a hook, or the bake behind
        # one, proceeds. An ECS event fails closed: Lambda retries it later (a verification may roll
        # back, and does so only with its rollback ledger, in DynamoDB too). CI calls and ECS
        # lifecycle hooks are never deduplicated, so they never need the store.
        self._event_once = self._idempotency.once(self._on_event, on_store_outage=StoreOutagePolicy.FAIL_CLOSED)
        self._codedeploy_once = self._idempotency.once(
            self._on_codedeploy_hook, on_store_outage=StoreOutagePolicy.PROCEED
        )
        self._bake_once = self._idempotency.once(self._on_bake, on_store_outage=StoreOutagePolicy.FAIL_CLOSED)
        self._hook_bake_once = self._idempotency.once(self._on_bake, on_store_outage=StoreOutagePolicy.PROCEED)
        self._batch = BatchProcessor(event_type=EventType.SQS)
        self._context: LambdaContext | None = None

    # Clients and adapters are built on first use: a cold start pays only for what its event needs
    # (an ECS event never touches CodeDeploy; a passing verification never touches SNS).
    @cached_property
    def ecs(self) -> EcsAdapter:
        return EcsAdapter(self.clients.ecs)

    @cached_property
    def store(self) -> VerifyStateStore:
        return VerifyStateStore(self.clients.dynamodb, self.settings.state_table)

    @cached_property
    def runner(self) -> VerificationRunner:
        return VerificationRunner(
            ecs=self.ecs,
            targets=TargetHealthReader(self.clients.elbv2),
            alarms=AlarmReader(self.clients.cloudwatch),
            smoke=self._run_smoke,
            clock=self._clock,
            clusters=self.settings.clusters,
        )

    @cached_property
    def rollbacks(self) -> RollbackExecutor:
        return RollbackExecutor(self.ecs, self.store, self._clock)

    @cached_property
    def codedeploy(self) -> CodeDeployAdapter:
        return CodeDeployAdapter(self.clients.codedeploy)

    @cached_property
    def _rechecks(self) -> DelayedQueue:
        return DelayedQueue(self.clients.sqs, self.settings.recheck_queue_url)

    @cached_property
    def _dead_letters(self) -> DeadLetters:
        return DeadLetters(self.clients.sqs, self.settings.dead_letter_queue_url)

    @cached_property
    def _notifier(self) -> Notifier:
        topic = self.settings.notification_topic_arn
        return Notifier(self.clients, topic)

    # -- entry ---------------------------------------------------------------------------------------
    def handle(self, event: Any, context: LambdaContext | None) -> dict[str, Any]:
        self._idempotency.register_lambda_context(context)
        self._context = context  # the smoke run's deadline is taken from its remaining time
        if is_sqs_batch(event):
            response = process_partial_response(
                event=dict(event), record_handler=self._bake_record, processor=self._batch, context=context
            )
            return dict(response)
        hook = trigger_shape(event, HOOKS)
        if hook is TriggerShape.ECS_LIFECYCLE_HOOK:
            return self._ecs_hook(event)
        if hook is TriggerShape.CODEDEPLOY_HOOK:
            return self._codedeploy_hook(event)
        try:
            trigger = parse_trigger(event)
        except BadInputError as error:
            return dead_letter(self._dead_letters, event, error, FUNCTION)
        trigger = self._outside_named_clusters(trigger)
        if isinstance(trigger, IgnoredVerifyEvent):
            logger.info(f"event ignored: {trigger.reason}")
            metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
            return {"status": "ignored", "reason": trigger.reason}
        if isinstance(trigger, VerifyRequest) and trigger.trigger is VerifyTrigger.DIRECT:
            return self._direct(trigger, event)
        if isinstance(trigger, ReleaseFailure):
            trigger = self.runner.identify_failure(trigger)
        key = trigger.idempotency_key
        logger.set_correlation_id(trigger.deployment_id)
        try:
            return self._event_once(key=key, trigger=trigger)
        except IdempotencyAlreadyInProgressError as error:
            raise _still_in_progress(str(key)) from error
        except BadInputError as error:
            return dead_letter(self._dead_letters, event, error, FUNCTION)

    def _outside_named_clusters(self, trigger: VerifyTriggerEvent) -> VerifyTriggerEvent:
        """An event from a cluster outside CLUSTER_NAMES is acknowledged, not failed: IAM lets the function
        read only the named clusters (the EventBridge rule may hear more than them)."""
        clusters = self.settings.clusters
        if clusters.everything or isinstance(trigger, IgnoredVerifyEvent) or trigger.service is None:
            return trigger
        if isinstance(trigger, VerifyRequest) and trigger.trigger is VerifyTrigger.DIRECT:
            return trigger
        cluster = trigger.service.cluster
        if cluster is not None and not clusters.includes(cluster_name(cluster)):
            return IgnoredVerifyEvent(f"cluster {cluster!r} is not one of CLUSTER_NAMES ({clusters})")
        return trigger

    # -- ECS deployment events and direct invocations ------------------------------------------------
    def _on_event(self, *, key: str, trigger: VerifyRequest | ReleaseFailure) -> Handled:
        if isinstance(trigger, ReleaseFailure):
            return self._handled(self._release_failed(trigger))
        assert trigger.service is not None
        checks = self.settings.checks_for(trigger.service.cluster, trigger.service.service)
        return self._handled(self._verify_and_act(trigger, checks))

    def _direct(self, request: VerifyRequest, event: Any) -> dict[str, Any]:
        assert request.service is not None
        checks = self.settings.checks_for(request.service.cluster, request.service.service)
        if request.checks_override is not None:
            errors: list[str] = []
            checks = parse_service_checks(request.checks_override, self.settings.smoke_allowed_hosts, "checks", errors)
            self.settings.refuse_rollback_it_may_not_make(checks, "checks", errors)
            if errors:
                error = BadInputError("invalid checks: " + "; ".join(errors))
                return dead_letter(self._dead_letters, event, error, FUNCTION)
        # The CI job is answered with a report, never a Lambda error: what AWS refused, and when.
        try:
            verification = self._verify(request, checks)
        except BadInputError as error:
            return dead_letter(self._dead_letters, event, error, FUNCTION)
        except (ClientError, BotoCoreError) as error:
            logger.exception("direct verification stopped by an AWS error")
            report = aws_error_report(request.service, error, trigger=request.trigger, at=self._clock())
        else:
            try:
                report, _ = self._conclude(verification, checks_overridden=request.checks_override is not None)
            except (ClientError, BotoCoreError) as error:
                # The checks ran; what was to follow them (a bake's first message, a rollback whose call
                # got no answer) did not, or may not have: said with the checks, not as "could not run".
                logger.exception("direct verification: acting on the verdict stopped by an AWS error")
                report = acting_error_report(verification.report, error)
        self._report(report)
        return report.to_dict()

    def _verify_and_act(
        self, request: VerifyRequest, checks: ServiceChecks, *, checks_overridden: bool = False
    ) -> VerificationReport:
        verification = self._verify(request, checks)
        report, _ = self._conclude(verification, checks_overridden=checks_overridden)  # no CodeDeploy hook here
        return report

    def _verify(self, request: VerifyRequest, checks: ServiceChecks) -> Verification:
        assert request.service is not None
        # A CI call answered SETTLING is called again: the bound runs from its first look, kept in the
        # state table, or each call would start a bound of its own and a stuck release never fail.
        ci_key = _ci_settling_key(request) if request.trigger is VerifyTrigger.DIRECT else None
        found = self.store.ci_settling(ci_key) if ci_key else None
        settling = found if found is not None and found.goes_on(self._clock()) else None
        verification = self.runner.verify(
            request.service,
            checks,
            trigger=request.trigger,
            deployment_id=request.deployment_id,
            expected_task_definition=request.expected_task_definition,
            expected_image=request.expected_image,
            settling_since=settling.since if settling else None,
            settle_until=settling.until if settling else None,
            settled_from=settling.first_look if settling else (),
        )
        logger.set_correlation_id(verification.report.deployment_id)
        if ci_key:
            self._keep_ci_settling(ci_key, verification.report, settling, open_before=found is not None)
        return verification

    def _keep_ci_settling(
        self, key: str, report: VerificationReport, settling: CiSettling | None, *, open_before: bool
    ) -> None:
        now = self._clock()
        if report.verdict is Verdict.SETTLING and report.settle_until is not None:
            self.store.remember_ci_settling(
                key,
                CiSettling(
                    since=settling.since if settling else report.started_at,
                    until=report.settle_until,
                    first_look=settling.first_look if settling else report.checks,
                    last_seen=now,
                ),
            )
        elif open_before:
            self.store.close_ci_settling(key, now)

    def _conclude(
        self,
        verification: Verification,
        codedeploy_hook: CodeDeployHook | None = None,
        *,
        checks_overridden: bool = False,
    ) -> tuple[VerificationReport, bool]:
        """Act on a finished look: bake on, remember a good release, roll back (or answer) a bad one.
        The report is the caller's to make, once the result is recorded; the flag says whether it is to be
        announced (not when a retried invocation found its CodeDeploy hook answered: the first did it).

        ``checks_overridden``: a CI call chose the checks (``{"checks": {}}`` runs none of the configured
        smoke checks or alarms), so its pass says nothing about the release and is never remembered as
        known-good: a later real failure would otherwise be refused its rollback."""
        report = verification.report
        if report.verdict is Verdict.SETTLING and report.trigger is VerifyTrigger.DIRECT:
            pass  # a CI call: the caller re-checks (answered SETTLING), nothing is scheduled or rolled back
        elif report.verdict is Verdict.SETTLING:
            self._schedule_settle(report, verification.checks)
        elif report.verdict is Verdict.BAKING:
            self._schedule_bake(report, verification.checks, codedeploy_hook, checks_overridden=checks_overridden)
        elif report.verdict is Verdict.PASSED:
            if not checks_overridden:
                report = self._remember_known_good(report)
            if codedeploy_hook is not None and not self._answer(codedeploy_hook, "Succeeded"):
                return report, False  # an earlier attempt answered and announced it
        elif codedeploy_hook is not None:
            if not self._answer(codedeploy_hook, "Failed"):
                return report, False  # an earlier attempt answered and announced it
            report = replace(report, rollback=_delegated("CodeDeploy"))
        elif verification.service is not None and report.trigger in (
            VerifyTrigger.ECS_EVENT,
            VerifyTrigger.DIRECT,
            VerifyTrigger.RECHECK,
        ):
            try:
                outcome = self.rollbacks.roll_back(
                    verification.service,
                    report.deployment_id,
                    wanted=self.settings.rollback_wanted(verification.checks),
                    max_per_window=self.settings.rollback_max_per_window,
                    window_seconds=self.settings.rollback_window_seconds,
                )
            except RollbackRefusedError as error:
                if report.trigger is not VerifyTrigger.DIRECT:
                    raise  # an event: Lambda retries it, and the rollback is tried again
                # A CI call is answered once: the release failed, and the rollback AWS refused (nothing
                # changed: the executor gave its reservation back) is said in the report, not lost.
                outcome = RollbackOutcome(
                    RollbackAction.NONE,
                    f"the rollback was refused by AWS ({error.operation_name}: {error_code(error)}, "
                    f"{error_message(error)}); nothing was rolled back",
                )
            report = replace(report, rollback=outcome)
        return report, True

    def _release_failed(self, failure: ReleaseFailure) -> VerificationReport:
        """ECS failed the deployment (or its circuit breaker is rolling it back): loudly a failure."""
        logger.set_correlation_id(failure.failing)
        now = self._clock()
        failing = CheckResult(
            CheckName.DEPLOYMENT, CheckStatus.FAILED, f"ECS reported {failure.event_name}: {failure.reason}"
        )
        report = VerificationReport(
            service=failure.service,
            service_arn="",
            deployment_id=failure.failing,
            task_definition=None,
            trigger=VerifyTrigger.ECS_EVENT,
            verdict=Verdict.RELEASE_FAILED,
            checks=(failing,),
            started_at=now,
            finished_at=now,
            reason=failing.summary,
        )
        try:
            ref, service = self.runner.resolve(failure.service)
        except BadInputError as error:
            report = replace(report, rollback=RollbackOutcome(RollbackAction.NONE, f"service not found: {error}"))
        else:
            primary = service.primary
            report = replace(
                report,
                service=ref,
                service_arn=service.arn,
                task_definition=primary.task_definition if primary else service.task_definition,
                rollback=self.rollbacks.roll_back(
                    service,
                    failure.failing,
                    wanted=self.settings.rollback_wanted(self.settings.checks_for(ref.cluster, ref.service)),
                    max_per_window=self.settings.rollback_max_per_window,
                    window_seconds=self.settings.rollback_window_seconds,
                    failed_by_ecs=True,
                ),
            )
        return report

    # -- CodeDeploy lifecycle hook: always answered --------------------------------------------------
    def _codedeploy_hook(self, event: Mapping[str, Any]) -> dict[str, Any]:
        hook = codedeploy_hook_of(event)
        if hook is None:
            # Without both ids there is nothing to answer: CodeDeploy's own hook timeout will fail it.
            error = BadInputError("a CodeDeploy hook needs DeploymentId and LifecycleEventHookExecutionId")
            return dead_letter(self._dead_letters, event, error, FUNCTION)
        logger.set_correlation_id(hook.deployment_id)
        try:
            return self._codedeploy_once(key=f"codedeploy:{hook.execution_id}", event=dict(event))
        except IdempotencyAlreadyInProgressError as error:
            raise _still_in_progress(f"codedeploy:{hook.execution_id}") from error

    def _on_codedeploy_hook(self, *, key: str, event: dict[str, Any]) -> Handled:
        hook = codedeploy_hook_of(event)
        assert hook is not None
        try:
            parse_trigger(event)  # validates the ids
            ref = self.codedeploy.service_of(hook.deployment_id)
            if ref is None:
                raise BadInputError(f"CodeDeploy deployment {hook.deployment_id} names no ECS service")
            checks = self.settings.checks_for(ref.cluster, ref.service)
            # Mid-deployment: two task sets are live by design, so the deployment/task/target checks
            # that expect one would fail; smoke checks (against the test listener) and alarms decide.
            verification = self.runner.verify(
                ref,
                checks,
                trigger=VerifyTrigger.CODEDEPLOY_HOOK,
                deployment_id=hook.deployment_id,
                deployment_checks=False,
            )
            return self._handled(*self._conclude(verification, codedeploy_hook=hook))
        except Exception as error:  # the hook must be answered whatever went wrong
            logger.exception("CodeDeploy hook verification crashed; answering Failed", extra={"error": str(error)})
            metrics.add_metric(name="VerificationErrors", unit=MetricUnit.Count, value=1)
            answered = self._answer(hook, "Failed")
            if isinstance(error, BadInputError):
                self._dead_letters.keep(event, str(error), FUNCTION)
            if not answered:
                return Handled({"status": "already-answered", "reason": f"verification could not run: {error}"})
            crash = repr(error)  # the name ``error`` is unbound once the except block ends
            return Handled(
                {"status": "failed", "hook": "Failed", "reason": f"verification could not run: {error}"},
                report=lambda: self._notifier.publish(
                    f"ATTENTION CodeDeploy deployment {hook.deployment_id} failed: verification could not run",
                    f"CodeDeploy deployment {hook.deployment_id}: the verification could not run ({crash}).\n"
                    "What was done: the lifecycle hook was answered Failed, so CodeDeploy stops the deployment "
                    "(and rolls it back if the deployment group says so).",
                ),
            )

    def _answer(self, hook: CodeDeployHook, status: HookAnswer) -> bool:
        """Answer the hook; False if it was answered already (a retried invocation), which is logged and
        counted: that first answer stands, and this attempt neither answers nor announces again."""
        if not self.codedeploy.answer(hook, status):
            logger.warning(
                f"CodeDeploy hook already answered; {status} not sent (a retried invocation)",
                extra={"deployment_id": hook.deployment_id},
            )
            metrics.add_metric(name="HookAlreadyAnswered", unit=MetricUnit.Count, value=1)
            return False
        logger.info(f"CodeDeploy hook answered {status}", extra={"deployment_id": hook.deployment_id})
        return True

    # -- ECS native lifecycle hook: always returns a hookStatus --------------------------------------
    def _ecs_hook(self, event: Mapping[str, Any]) -> dict[str, Any]:
        try:
            request = parse_trigger(event)
            assert isinstance(request, VerifyRequest) and request.service is not None and request.ecs_hook
            logger.set_correlation_id(request.deployment_id)
            checks = self.settings.checks_for(request.service.cluster, request.service.service)
            bake = _ecs_hook_bake(request)
            if bake is not None:
                state = BakeState(
                    service=request.service,
                    service_arn="",
                    deployment_id=request.deployment_id,
                    task_definition=None,
                    trigger=VerifyTrigger.ECS_LIFECYCLE_HOOK,
                    started_at=self._clock(),
                    bake_until=bake.bake_until,
                    checks=(),
                    alarms=checks.alarms,
                )
                verification = self.runner.continue_bake(state)
            else:
                verification = self.runner.verify(
                    request.service,
                    checks,
                    trigger=VerifyTrigger.ECS_LIFECYCLE_HOOK,
                    deployment_id=request.deployment_id,
                    deployment_checks=False,
                )
                if verification.report.bake_until is not None:
                    bake = EcsHookBake(bake_until=verification.report.bake_until)
                    state = BakeState.after(verification.report, alarms=checks.alarms, bake_until=bake.bake_until)
            if verification.report.verdict is Verdict.BAKING and bake is not None:
                bake = self._within_hook_deadline(request, bake)
                if bake.bake_until <= self._clock():  # the hook's deadline leaves no more time: conclude now
                    verification = self.runner.continue_bake(replace(state, bake_until=bake.bake_until))
            report = _with_hook_bake_note(verification.report, bake)
            if report.verdict is Verdict.FAILED:
                report = replace(report, rollback=_delegated("ECS"))
        except Exception as error:  # ECS rolls back on FAILED; an unanswered hook would be worse
            logger.exception("ECS lifecycle hook verification crashed; answering FAILED", extra={"error": str(error)})
            metrics.add_metric(name="VerificationErrors", unit=MetricUnit.Count, value=1)
            if isinstance(error, BadInputError):
                self._dead_letters.keep(event, str(error), FUNCTION)
            return {"hookStatus": "FAILED", "reason": f"verification could not run: {error}"[:500]}
        self._report(report)  # after the verdict: a reporting failure never changes the hook's answer
        if report.verdict is Verdict.BAKING and bake is not None:
            details = {
                **request.ecs_hook.hook_details,
                **bake.hook_details(),
                ECS_HOOK_BAKE_STAGE_KEY: request.ecs_hook.lifecycle_stage,
                ECS_HOOK_BAKE_DEPLOYMENT_KEY: request.deployment_id,
            }
            delay = min(
                ECS_HOOK_MAX_CALLBACK_DELAY, max(ECS_HOOK_MIN_CALLBACK_DELAY, self._next_delay(bake.bake_until))
            )
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
        function_arn = self._context.invoked_function_arn if self._context is not None else None
        arn = request.ecs_hook.service_deployment_arn
        deadline: HookDeadline | None = None
        why = "the event names no service deployment (resourceArn)"
        try:
            executions = self.ecs.lifecycle_hook_executions(arn) if arn else None
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
        cap = max(deadline.answer_by, self._clock())  # a deadline too close for any more: this look is the last
        logger.warning(
            f"bake shortened to end at {_iso(cap)}: the ECS lifecycle hook times out at "
            f"{_iso(deadline.expires_at)} ({deadline.action})",
            extra={"deployment_id": request.deployment_id},
        )
        metrics.add_metric(name="BakesShortened", unit=MetricUnit.Count, value=1)
        return replace(bake, bake_until=cap, cut_from=bake.bake_until)

    # -- the alarm bake (durable wait through delayed SQS messages) ----------------------------------
    def _schedule_bake(
        self,
        report: VerificationReport,
        checks: ServiceChecks,
        hook: CodeDeployHook | None,
        *,
        checks_overridden: bool = False,
    ) -> None:
        assert report.bake_until is not None
        bake_until = report.bake_until
        if hook is not None and bake_until > report.started_at + CODEDEPLOY_HOOK_MAX_BAKE_SECONDS:
            bake_until = report.started_at + CODEDEPLOY_HOOK_MAX_BAKE_SECONDS
            logger.warning("bake shortened to 50 minutes: CodeDeploy fails a hook unanswered for an hour")
        state = BakeState.after(
            report,
            alarms=checks.alarms,
            bake_until=bake_until,
            codedeploy_hook=hook,
            rollback=checks.rollback,
            bake_id=uuid.uuid4().hex,
            checks_overridden=checks_overridden,
        )
        self._rechecks.send(state.to_json(), self._next_delay(bake_until))

    def _schedule_settle(self, report: VerificationReport, checks: ServiceChecks) -> None:
        """A SETTLING verification is run again, whole, through the bake's durable re-check queue."""
        assert report.settle_until is not None
        state = replace(
            BakeState.after(
                report,
                alarms=checks.alarms,
                bake_until=report.settle_until,
                rollback=checks.rollback,
                bake_id=uuid.uuid4().hex,
            ),
            settle_until=report.settle_until,
        )
        self._rechecks.send(state.to_json(), self._next_delay(report.settle_until))

    def _on_settling(self, state: BakeState) -> Handled:
        assert state.settle_until is not None
        checks = self.settings.checks_for(state.service.cluster, state.service.service)
        verification = self.runner.verify(
            state.service,
            checks,
            trigger=state.trigger,
            deployment_id=state.deployment_id,
            settling_since=state.started_at,
            settle_until=state.settle_until,
            settled_from=state.checks,
        )
        if verification.report.verdict is Verdict.SETTLING:
            next_state = replace(state, attempt=state.attempt + 1)
            self._rechecks.send(next_state.to_json(), self._next_delay(state.settle_until))
            return self._handled(verification.report)
        return self._handled(*self._conclude(verification))

    def _next_delay(self, bake_until: float) -> int:
        remaining = int(bake_until - self._clock()) + 1
        return max(1, min(self.settings.recheck_interval_seconds, remaining))

    def _bake_record(self, record: SQSRecord) -> dict[str, Any]:
        try:
            state = BakeState.from_json(record.body)
        except BadInputError as error:
            return dead_letter(
                self._dead_letters, {"sqs_message_id": record.message_id, "body": record.body}, error, FUNCTION
            )
        logger.set_correlation_id(state.deployment_id)
        # The bake behind a CodeDeploy hook ends in the hook's answer, which must come (see __init__).
        bake_once = self._bake_once if state.codedeploy_hook is None else self._hook_bake_once
        try:
            return bake_once(key=state.idempotency_key, state=state)
        except IdempotencyAlreadyInProgressError:
            return duplicate_delivery(state.idempotency_key)

    def _on_bake(self, *, key: str, state: BakeState) -> Handled:
        if state.settle_until is not None:
            return self._on_settling(state)
        try:
            verification = self.runner.continue_bake(state)
        except Exception as error:
            if state.codedeploy_hook is None:
                raise  # SQS redelivers the message: the bake resumes
            logger.exception("bake re-check crashed; answering the CodeDeploy hook Failed")
            self._answer(state.codedeploy_hook, "Failed")
            return Handled({"status": "failed", "hook": "Failed", "reason": f"verification could not run: {error}"})
        report = verification.report
        if report.verdict is Verdict.BAKING:
            next_state = replace(state, attempt=state.attempt + 1)
            self._rechecks.send(next_state.to_json(), self._next_delay(state.bake_until))
            return Handled(report.to_dict())
        # The alarms and the rollback choice are those the bake started with (a CI override included).
        configured = self.settings.checks_for(report.service.cluster, report.service.service)
        rollback = configured.rollback if state.rollback is None else state.rollback
        checks = replace(configured, alarms=state.alarms, rollback=rollback)
        return self._handled(
            *self._conclude(
                Verification(report, verification.service, checks),
                state.codedeploy_hook,
                checks_overridden=state.checks_overridden,
            )
        )

    def _handled(self, report: VerificationReport, announce: bool = True) -> Handled:
        """The verification's result, and its report made once the result is recorded (if it is to be)."""
        return Handled(report.to_dict(), report=self._reporting(report) if announce else None)

    def _reporting(self, report: VerificationReport) -> Report:
        return lambda: report_verification(report, self._notifier, notify_on_success=self.settings.notify_on_success)

    def _report(self, report: VerificationReport) -> None:
        """Log, metrics and the SNS message, where no result is recorded first (CI, ECS lifecycle hooks).
        A reporting failure (SNS throttled, topic policy) is logged and counted, never raised: it must not
        turn a verdict already reached (or a hook's answer) around."""
        report_safely(self._reporting(report), "the verification")

    def _remember_known_good(self, report: VerificationReport) -> VerificationReport:
        """Only a full verification (the deployment check ran and passed) makes a release known-good.

        From CI, a record that cannot be written leaves the pass a pass, with the loss said: the job is
        answered once. From an event, the error stands, and Lambda's retry verifies and records again."""
        deployment_passed = any(
            c.name is CheckName.DEPLOYMENT and c.status is CheckStatus.PASSED for c in report.checks
        )
        if not (deployment_passed and report.task_definition and report.service_arn):
            return report
        try:
            self.store.remember_known_good(
                report.service_arn, report.task_definition, report.deployment_id or "", self._clock()
            )
        except (ClientError, BotoCoreError) as error:
            if report.trigger is not VerifyTrigger.DIRECT:
                raise
            logger.warning(f"passed, but the known-good record could not be written: {error}")
            why = error_code(error) if isinstance(error, ClientError) else type(error).__name__
            return replace(
                report,
                reason=f"{report.reason}; the known-good record could not be written ({why}): "
                "a later rollback of this service goes back to the release remembered before this one",
            )
        return report

    # -- smoke checks (urllib is imported only here) -------------------------------------------------
    def _run_smoke(self, checks: ServiceChecks) -> list[SmokeOutcome]:
        from fleetops.verify.smoke import run_smoke_check

        # One deadline for the whole run, on the real clock: Lambda ends an invocation at its Timeout
        # (120 s), and an invocation killed there leaves a hook unanswered.
        remaining = self._context.get_remaining_time_in_millis() if self._context is not None else None
        deadline = time.monotonic() + smoke_run_seconds(remaining)
        allowed = self.settings.smoke_allowed_hosts
        return [run_smoke_check(check, allowed, sleep=self._sleep, deadline=deadline) for check in checks.smoke]


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


def _delegated(who: str) -> RollbackOutcome:
    return RollbackOutcome(
        RollbackAction.DELEGATED, f"the hook was answered FAILED: {who} stops the deployment and rolls it back"
    )


def _still_in_progress(key: str) -> RetryLaterError:
    """The same asynchronous event is being verified, or was by an invocation that died: fail, so Lambda
    retries later. Acknowledging it as a duplicate would end Lambda's retries, and with a 120 s timeout
    the record of a dead invocation blocks past Lambda's first retry: the release would go unverified."""
    duplicate_delivery(key)  # logged and counted as one
    return RetryLaterError(f"{key} is still being verified by another invocation; retry later")


def _ci_settling_key(request: VerifyRequest) -> str:
    """One settling episode per service and release a CI job names (a new release starts its own)."""
    assert request.service is not None
    return "#".join(
        (
            request.service.cluster or "-",
            request.service.service,
            request.expected_task_definition or "-",
            request.expected_image or "-",
        )
    )
