"""The scale job end to end: parse, deduplicate, run, report. The Lambda handler only calls this."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from fleetops.aws.application_autoscaling import ApplicationAutoScalingAdapter
from fleetops.aws.autoscaling import AutoScalingAdapter
from fleetops.aws.bad_tags import BadTagReports
from fleetops.aws.clients import THROTTLED_OR_UNAVAILABLE, AwsClients, error_code, error_message
from fleetops.aws.cloudwatch import AlarmReader
from fleetops.aws.cooldowns import CooldownLedger
from fleetops.aws.ecs import EcsAdapter
from fleetops.aws.messaging import DeadLetters, DelayedQueue, Notifier
from fleetops.errors import BadInputError, RetryLaterError
from fleetops.idempotency import Handled, Idempotency, IdempotencyAlreadyInProgressError, StoreOutagePolicy
from fleetops.intake import dead_letter, duplicate_delivery, is_sqs_batch
from fleetops.models.scale import AlarmState, AlarmTransition, PlacementFailure, ScaleReport
from fleetops.observability import logger, metrics
from fleetops.reporting import report_safely
from fleetops.scale.decide import decide_follow_up
from fleetops.scale.parse import parse_trigger
from fleetops.scale.report import report_placement, report_scale
from fleetops.scale.runner import ScaleRunner
from fleetops.scale.settings import ScaleSettings

FUNCTION = "scale"

# Errors that outlived botocore's own retries (standard mode, 8 attempts) and may pass: the
# invocation fails, Lambda's asynchronous retries (at most 2, see the template) run it again, and
# after them the event goes to the dead-letter queue. Anything else will not pass by waiting.
TRANSIENT_ERRORS = THROTTLED_OR_UNAVAILABLE | {
    "ProvisionedThroughputExceededException",
    "ScalingActivityInProgress",
    "ResourceContention",
}


class ScaleService:
    def __init__(
        self,
        settings: ScaleSettings,
        *,
        session: boto3.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.clients = AwsClients(session)
        self._clock = clock
        self._idempotency = Idempotency(settings.idempotency_table, session)
        # Scaling twice is not harmless, and the cooldown ledger that keeps two decisions on one target
        # apart lives in the same table: no store, no decision. The invocation fails; Lambda's retries
        # (or SQS's redeliveries of a follow-up) decide later, then the dead-letter queue keeps it.
        self._decide_once = self._idempotency.once(self._decide, on_store_outage=StoreOutagePolicy.FAIL_CLOSED)
        self._place_once = self._idempotency.once(self._decide_placement, on_store_outage=StoreOutagePolicy.FAIL_CLOSED)
        self._batch = BatchProcessor(event_type=EventType.SQS)

    # Built on first use: a cold start pays for the clients only when an alarm asks for a decision
    # (an OK transition, the most common event, needs none).
    @cached_property
    def runner(self) -> ScaleRunner:
        return ScaleRunner(
            ecs=EcsAdapter(self.clients.ecs),
            autoscaling=AutoScalingAdapter(self.clients.autoscaling),
            alarms=AlarmReader(self.clients.cloudwatch),
            application_autoscaling=ApplicationAutoScalingAdapter(self.clients.application_autoscaling),
            cooldowns=CooldownLedger(self.clients.dynamodb, self.settings.idempotency_table),
            settings=self.settings,
            clock=self._clock,
            bad_tags=BadTagReports(self.clients.dynamodb, self.settings.idempotency_table, self._notifier, self._clock),
        )

    @cached_property
    def _dead_letters(self) -> DeadLetters:
        return DeadLetters(self.clients.sqs, self.settings.dead_letter_queue_url)

    @cached_property
    def _follow_ups(self) -> DelayedQueue | None:
        url = self.settings.follow_up_queue_url
        return DelayedQueue(self.clients.sqs, url) if url else None

    @cached_property
    def _notifier(self) -> Notifier:
        topic = self.settings.notification_topic_arn
        return Notifier(self.clients, topic)

    def handle(self, event: Any, context: LambdaContext | None) -> dict[str, Any]:
        self._idempotency.register_lambda_context(context)
        if is_sqs_batch(event):
            # Follow-ups: a failed record (throttling) is redelivered by SQS, then dead-lettered.
            response = process_partial_response(
                event=dict(event), record_handler=self._follow_up_record, processor=self._batch, context=context
            )
            return dict(response)
        try:
            transitions = parse_trigger(event)
        except BadInputError as error:
            return dead_letter(self._dead_letters, event, error, FUNCTION)
        return {
            "results": [
                self._handle_placement_failure(trigger, event)
                if isinstance(trigger, PlacementFailure)
                else self._handle_transition(trigger, event)
                for trigger in transitions
            ]
        }

    def _follow_up_record(self, record: SQSRecord) -> dict[str, Any]:
        try:
            transition = AlarmTransition.from_json(record.body)
        except BadInputError as error:
            return dead_letter(
                self._dead_letters, {"sqs_message_id": record.message_id, "body": record.body}, error, FUNCTION
            )
        return self._handle_transition(transition, {"follow_up": record.body})

    def _handle_transition(self, transition: AlarmTransition, event: Any) -> dict[str, Any]:
        logger.set_correlation_id(transition.idempotency_key)
        if transition.new_state is not AlarmState.ALARM:
            # Only a transition into ALARM asks for a change; OK and INSUFFICIENT_DATA say nothing.
            logger.info(
                f"alarm transition to {transition.new_state.value} ignored", extra={"alarm": transition.alarm_name}
            )
            metrics.add_metric(name="AlarmTransitionsIgnored", unit=MetricUnit.Count, value=1)
            return {"status": "ignored", "alarm": transition.alarm_name, "reason": f"new state {transition.new_state}"}
        try:
            return self._decide_once(key=transition.idempotency_key, transition=transition, event=event)
        except IdempotencyAlreadyInProgressError:
            return {**duplicate_delivery(transition.idempotency_key), "alarm": transition.alarm_name}

    def _handle_placement_failure(self, failure: PlacementFailure, event: Any) -> dict[str, Any]:
        logger.set_correlation_id(failure.idempotency_key)
        if not failure.for_room:
            # An agent disconnected, a placement constraint: more hosts of the same kind may not help.
            logger.info("placement failure not for room ignored", extra={"service": failure.service})
            return {"status": "ignored", "service": failure.service, "reason": f"placement failure {failure.reason}"}
        try:
            return self._place_once(key=failure.idempotency_key, failure=failure, event=event)
        except IdempotencyAlreadyInProgressError:
            return {**duplicate_delivery(failure.idempotency_key), "service": failure.service}

    def _decide_placement(self, *, key: str, failure: PlacementFailure, event: Any) -> Handled:
        """One decision per placement failure event: the hosts its service's waiting tasks need."""
        logger.info("placement failure to decide", extra={"service": failure.service, "idempotency_key": key})
        try:
            decision, acted = self.runner.place_waiting_tasks(failure)
        except BadInputError as error:
            return self._reject(event, error, alarm=f"placement failure of {failure.cluster}/{failure.service}")
        except ClientError as error:
            return self._refused(event, error, alarm=f"placement failure of {failure.cluster}/{failure.service}")
        result = {
            "status": "decided",
            "service": failure.service,
            "outcome": decision.outcome.value,
            "acted": acted,
            "dry_run": self.settings.dry_run,
            "reason": decision.reason,
            "group_capacity": list(decision.group_capacity) if decision.group_capacity else None,
        }
        return Handled(
            result,
            report=lambda: report_placement(
                failure, decision, self._notifier, acted=acted, dry_run=self.settings.dry_run
            ),
        )

    def _refused(self, event: Any, error: ClientError, *, alarm: str) -> Handled:
        """AWS's refusal of a decision's call: a transient one (after botocore's retries) is raised for
        Lambda to retry the event later; any other is dead-lettered with its reason."""
        code = error_code(error)
        if code in TRANSIENT_ERRORS:
            metrics.add_metric(name="ScaleRetriedLater", unit=MetricUnit.Count, value=1)
            raise RetryLaterError(f"{code} after botocore's retries: {error_message(error)}") from error
        return self._reject(event, BadInputError(f"AWS refused: {code}: {error_message(error)}"), alarm=alarm)

    def _decide(self, *, key: str, transition: AlarmTransition, event: Any) -> Handled:
        """One decision per transition. A result (even a refusal) is stored and returned to duplicates;
        a transient error leaves no record, so the retry decides afresh. What comes after the change
        (the follow-up message, the report) is made once the result is recorded, and never raises."""
        logger.info("alarm transition to decide", extra={"alarm": transition.alarm_name, "idempotency_key": key})
        try:
            report = self.runner.run(transition)
        except BadInputError as error:
            return self._reject(event, error, alarm=transition.alarm_name)
        except ClientError as error:
            return self._refused(event, error, alarm=transition.alarm_name)
        follow_up_in = decide_follow_up(
            transition,
            report.rule,
            report.decision,
            dry_run=report.dry_run,
            max_follow_ups=self.settings.max_follow_ups,
            alarm_window_seconds=report.alarm.breach_seconds if report.alarm else None,
            alarm_period_seconds=report.alarm.period_seconds if report.alarm else None,
        )
        if follow_up_in is not None and self._follow_ups is not None:
            report = replace(report, follow_up_in_seconds=follow_up_in)
        decision = report.decision
        result = {
            "status": "decided",
            "alarm": transition.alarm_name,
            "outcome": decision.outcome.value,
            "acted": report.acted,
            "dry_run": report.dry_run,
            "reason": decision.reason,
            "service_count": list(decision.service_count) if decision.service_count else None,
            "group_capacity": list(decision.group_capacity) if decision.group_capacity else None,
            "hosts_to_terminate": list(decision.hosts_to_terminate),
            "follow_up": transition.follow_up,
            "follow_up_in_seconds": report.follow_up_in_seconds,
        }
        return Handled(result, report=lambda: self._after_decision(transition, report))

    def _after_decision(self, transition: AlarmTransition, report: ScaleReport) -> None:
        """The follow-up message (the next look at an alarm still in ALARM), then the report."""
        if report.follow_up_in_seconds is not None and self._follow_ups is not None:
            queue, delay = self._follow_ups, report.follow_up_in_seconds
            outcome = report.decision.outcome
            idle = 0 if outcome.acted else transition.idle_looks + (1 if outcome.counts_as_idle else 0)
            follow_up = replace(transition, follow_up=transition.follow_up + 1, idle_looks=idle)
            if not report_safely(lambda: queue.send(follow_up.to_json(), delay), "the follow-up look"):
                report = replace(report, follow_up_in_seconds=None)
        report_scale(report, self._notifier, notify_every_decision=self.settings.notify_every_decision)

    def _reject(self, event: Any, error: BadInputError, *, alarm: str) -> Handled:
        """Never retried: logged, counted and kept in the dead-letter queue with its reason; announced once
        the refusal is recorded."""
        rejected = dead_letter(self._dead_letters, event, error, FUNCTION)
        return Handled(
            {**rejected, "alarm": alarm},
            report=lambda: self._notifier.publish(
                f"ATTENTION ecs-fleet-ops scale: alarm {alarm} not acted on", f"{error}."
            ),
        )
