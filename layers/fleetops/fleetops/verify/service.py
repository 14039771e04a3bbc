"""The verify job end to end: parse, deduplicate, verify, roll back, answer hooks, report.

The Lambda handler only calls ``VerifyService.handle``. Two promises hold whatever goes wrong:
- a CodeDeploy hook is always answered (Failed when the verification crashes or the event is bad);
- an ECS lifecycle hook always gets a ``hookStatus`` (FAILED in the same cases).
Bad input is dead-lettered and never retried; a duplicate delivery is a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cached_property
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from fleetops.aws.bad_tags import BadTagReports
from fleetops.aws.clients import AwsClients, error_code, error_message
from fleetops.aws.cloudwatch import AlarmReader
from fleetops.aws.codedeploy import CodeDeployAdapter
from fleetops.aws.ecs import EcsAdapter
from fleetops.aws.elbv2 import TargetHealthReader
from fleetops.aws.messaging import DeadLetters, Notifier
from fleetops.errors import BadInputError, RetryLaterError
from fleetops.idempotency import Handled, Idempotency, IdempotencyAlreadyInProgressError, StoreOutagePolicy
from fleetops.intake import dead_letter, duplicate_delivery, is_sqs_batch
from fleetops.models.ecs import EcsService, cluster_name
from fleetops.models.verify import (
    BakeState,
    CheckName,
    CheckStatus,
    CodeDeployHook,
    IgnoredVerifyEvent,
    ReleaseFailure,
    RollbackAction,
    RollbackOutcome,
    SmokeOutcome,
    VerificationReport,
    VerifyRequest,
    VerifyTrigger,
)
from fleetops.observability import logger, metrics
from fleetops.reporting import Report, report_safely
from fleetops.verify.config import ServiceChecks, smoke_run_seconds
from fleetops.verify.decide import NextStep, delegated, next_step
from fleetops.verify.parse import VerifyTriggerEvent, codedeploy_hook_of, parse_trigger
from fleetops.verify.report import report_verification
from fleetops.verify.rollback import RollbackExecutor, RollbackRefusedError
from fleetops.verify.runner import Verification, VerificationRunner
from fleetops.verify.settings import VerifySettings
from fleetops.verify.state import CiSettling, VerifyStateStore
from fleetops.verify.tags import checks_with_tags
from fleetops.verify.trigger_shape import HOOKS, TriggerShape, trigger_shape
from fleetops.verify.triggers.codedeploy_hook import CodeDeployHookTrigger, answer_codedeploy_hook
from fleetops.verify.triggers.direct import DirectTrigger
from fleetops.verify.triggers.ecs_event import EcsEventTrigger
from fleetops.verify.triggers.ecs_hook import EcsHookTrigger
from fleetops.verify.triggers.recheck import Rechecks

FUNCTION = "verify"


class VerifyService:
    """Takes every trigger in (its shape told apart, bad input dead-lettered, duplicates dropped), hands it
    to its own module in ``triggers/``, and acts on the verdict the same way for all of them."""

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
        # The actions stay methods of this class: Powertools keys its records by the action's module and
        # qualified name, and records written before the split must still be found after it.
        self._event_once = self._idempotency.once(self._on_event, on_store_outage=StoreOutagePolicy.FAIL_CLOSED)
        self._codedeploy_once = self._idempotency.once(
            self._on_codedeploy_hook, on_store_outage=StoreOutagePolicy.PROCEED
        )
        self._bake_once = self._idempotency.once(self._on_bake, on_store_outage=StoreOutagePolicy.FAIL_CLOSED)
        self._hook_bake_once = self._idempotency.once(self._on_bake, on_store_outage=StoreOutagePolicy.PROCEED)
        self._batch = BatchProcessor(event_type=EventType.SQS)
        self._context: LambdaContext | None = None
        self._ecs_events = EcsEventTrigger(self)
        self._codedeploy_hooks = CodeDeployHookTrigger(self)
        self._ecs_hooks = EcsHookTrigger(self)
        self._direct = DirectTrigger(self)
        self.rechecks = Rechecks(self)

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
            tailor=self.with_service_tags,
        )

    @cached_property
    def rollbacks(self) -> RollbackExecutor:
        return RollbackExecutor(self.ecs, self.store, self._clock)

    @cached_property
    def bad_tags(self) -> BadTagReports:
        return BadTagReports(self.clients.dynamodb, self.settings.idempotency_table, self.notifier, self._clock)

    def with_service_tags(self, checks: ServiceChecks, service: EcsService) -> ServiceChecks:
        """The stack's ``checks`` with the service's valid verification tags in their keys' places; each
        bad tag is left out (its key keeps the stack's value) and announced once (``BadTagReports``)."""
        tailored, bad = checks_with_tags(checks, service.arn, service.tags, self.settings)
        if bad:
            self.bad_tags.report_once(bad)
        return tailored

    @cached_property
    def codedeploy(self) -> CodeDeployAdapter:
        return CodeDeployAdapter(self.clients.codedeploy)

    @cached_property
    def dead_letters(self) -> DeadLetters:
        return DeadLetters(self.clients.sqs, self.settings.dead_letter_queue_url)

    @cached_property
    def notifier(self) -> Notifier:
        topic = self.settings.notification_topic_arn
        return Notifier(self.clients, topic)

    @property
    def context(self) -> LambdaContext | None:
        """The invocation's Lambda context (None outside Lambda): its function ARN and remaining time."""
        return self._context

    def now(self) -> float:
        return self._clock()

    # -- intake: every trigger's shape, bad input, duplicates ----------------------------------------
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
            return self._ecs_hooks.answer(event)
        if hook is TriggerShape.CODEDEPLOY_HOOK:
            return self._codedeploy_hook(event)
        try:
            trigger = parse_trigger(event)
        except BadInputError as error:
            return self.reject(event, error)
        trigger = self._outside_named_clusters(trigger)
        if isinstance(trigger, IgnoredVerifyEvent):
            logger.info(f"event ignored: {trigger.reason}")
            metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
            return {"status": "ignored", "reason": trigger.reason}
        if isinstance(trigger, VerifyRequest) and trigger.trigger is VerifyTrigger.DIRECT:
            return self._direct.answer(trigger, event)
        if isinstance(trigger, ReleaseFailure):
            trigger = self.runner.identify_failure(trigger)
        key = trigger.idempotency_key
        logger.set_correlation_id(trigger.deployment_id)
        try:
            return self._event_once(key=key, trigger=trigger)
        except IdempotencyAlreadyInProgressError as error:
            raise _still_in_progress(str(key)) from error
        except BadInputError as error:
            return self.reject(event, error)

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

    def _codedeploy_hook(self, event: Mapping[str, Any]) -> dict[str, Any]:
        hook = codedeploy_hook_of(event)
        if hook is None:
            # Without both ids there is nothing to answer: CodeDeploy's own hook timeout will fail it.
            error = BadInputError("a CodeDeploy hook needs DeploymentId and LifecycleEventHookExecutionId")
            return self.reject(event, error)
        logger.set_correlation_id(hook.deployment_id)
        try:
            return self._codedeploy_once(key=f"codedeploy:{hook.execution_id}", event=dict(event))
        except IdempotencyAlreadyInProgressError as error:
            raise _still_in_progress(f"codedeploy:{hook.execution_id}") from error

    def _bake_record(self, record: SQSRecord) -> dict[str, Any]:
        try:
            state = BakeState.from_json(record.body)
        except BadInputError as error:
            return self.reject({"sqs_message_id": record.message_id, "body": record.body}, error)
        logger.set_correlation_id(state.deployment_id)
        # The bake behind a CodeDeploy hook ends in the hook's answer, which must come (see __init__).
        bake_once = self._bake_once if state.codedeploy_hook is None else self._hook_bake_once
        try:
            return bake_once(key=state.idempotency_key, state=state)
        except IdempotencyAlreadyInProgressError:
            return duplicate_delivery(state.idempotency_key)

    def reject(self, event: Any, error: BadInputError) -> dict[str, Any]:
        """Bad input: dead-lettered with its reason, answered "rejected", never retried."""
        return dead_letter(self.dead_letters, event, error, FUNCTION)

    def keep_bad_input(self, event: Any, error: BadInputError) -> None:
        """Bad input behind a hook: kept in the dead-letter queue (the hook is answered FAILED by its caller)."""
        self.dead_letters.keep(event, str(error), FUNCTION)

    # -- the actions run once per key (see __init__) -------------------------------------------------
    def _on_event(self, *, key: str, trigger: VerifyRequest | ReleaseFailure) -> Handled:
        return self.handled(self._ecs_events.verify(trigger))

    def _on_codedeploy_hook(self, *, key: str, event: dict[str, Any]) -> Handled:
        return self._codedeploy_hooks.verify(event)

    def _on_bake(self, *, key: str, state: BakeState) -> Handled:
        return self.rechecks.on_recheck(state)

    # -- shared by the triggers: look, then act on the verdict ---------------------------------------
    def verify_request(
        self, request: VerifyRequest, checks: ServiceChecks, *, settling: CiSettling | None = None
    ) -> Verification:
        """One full look at the release ``request`` names; ``settling``: a CI call's settling so far."""
        assert request.service is not None
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
            tags_apply=request.checks_override is None,
        )
        logger.set_correlation_id(verification.report.deployment_id)
        return verification

    def conclude(
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
        step = next_step(
            report, behind_codedeploy_hook=codedeploy_hook is not None, service_found=verification.service is not None
        )
        if step is NextStep.CALLER_RECHECKS:
            pass  # a CI call: the caller re-checks (answered SETTLING), nothing is scheduled or rolled back
        elif step is NextStep.SETTLE:
            self.rechecks.schedule_settle(report, verification.checks)
        elif step is NextStep.BAKE:
            self.rechecks.schedule_bake(
                report, verification.checks, codedeploy_hook, checks_overridden=checks_overridden
            )
        elif step is NextStep.PASS:
            if not checks_overridden:
                report = self._remember_known_good(report)
            if codedeploy_hook is not None and not answer_codedeploy_hook(
                self.codedeploy, codedeploy_hook, "Succeeded"
            ):
                return report, False  # an earlier attempt answered and announced it
        elif step is NextStep.ANSWER_HOOK_FAILED:
            assert codedeploy_hook is not None
            if not answer_codedeploy_hook(self.codedeploy, codedeploy_hook, "Failed"):
                return report, False  # an earlier attempt answered and announced it
            report = replace(report, rollback=delegated("CodeDeploy"))
        elif step is NextStep.ROLL_BACK:
            report = replace(report, rollback=self._roll_back(verification))
        return report, True

    def _roll_back(self, verification: Verification) -> RollbackOutcome:
        assert verification.service is not None
        report = verification.report
        try:
            return self.rollbacks.roll_back(
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
            return RollbackOutcome(
                RollbackAction.NONE,
                f"the rollback was refused by AWS ({error.operation_name}: {error_code(error)}, "
                f"{error_message(error)}); nothing was rolled back",
            )

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

    # -- reporting -----------------------------------------------------------------------------------
    def handled(self, report: VerificationReport, announce: bool = True) -> Handled:
        """The verification's result, and its report made once the result is recorded (if it is to be)."""
        return Handled(report.to_dict(), report=self._reporting(report) if announce else None)

    def _reporting(self, report: VerificationReport) -> Report:
        return lambda: report_verification(report, self.notifier, notify_on_success=self.settings.notify_on_success)

    def report(self, report: VerificationReport) -> None:
        """Log, metrics and the SNS message, where no result is recorded first (CI, ECS lifecycle hooks).
        A reporting failure (SNS throttled, topic policy) is logged and counted, never raised: it must not
        turn a verdict already reached (or a hook's answer) around."""
        report_safely(self._reporting(report), "the verification")

    # -- smoke checks (urllib is imported only here) -------------------------------------------------
    def _run_smoke(self, checks: ServiceChecks) -> list[SmokeOutcome]:
        from fleetops.verify.smoke import run_smoke_check

        # One deadline for the whole run, on the real clock: Lambda ends an invocation at its Timeout
        # (120 s), and an invocation killed there leaves a hook unanswered.
        remaining = self._context.get_remaining_time_in_millis() if self._context is not None else None
        deadline = time.monotonic() + smoke_run_seconds(remaining)
        allowed = self.settings.smoke_allowed_hosts
        return [run_smoke_check(check, allowed, sleep=self._sleep, deadline=deadline) for check in checks.smoke]


def _still_in_progress(key: str) -> RetryLaterError:
    """The same asynchronous event is being verified, or was by an invocation that died: fail, so Lambda
    retries later. Acknowledging it as a duplicate would end Lambda's retries, and with a 120 s timeout
    the record of a dead invocation blocks past Lambda's first retry: the release would go unverified."""
    duplicate_delivery(key)  # logged and counted as one
    return RetryLaterError(f"{key} is still being verified by another invocation; retry later")
