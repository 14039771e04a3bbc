"""The drain job end to end: parse, deduplicate, run, report. The Lambda handler only calls this."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from fleetops.aws.autoscaling import AutoScalingAdapter
from fleetops.aws.clients import RETRY_CONFIG, AwsClients
from fleetops.aws.drain_records import DrainRecords
from fleetops.aws.ecs import EcsAdapter
from fleetops.aws.messaging import DeadLetters, DelayedQueue, Notifier
from fleetops.drain.parse import DrainTrigger, parse_trigger
from fleetops.drain.report import report_drain_step
from fleetops.drain.runner import DrainRunner
from fleetops.drain.settings import DrainSettings
from fleetops.errors import BadInputError
from fleetops.idempotency import Handled, Idempotency, IdempotencyAlreadyInProgressError, StoreOutagePolicy
from fleetops.intake import dead_letter, duplicate_delivery, is_sqs_batch, refused_by_iam
from fleetops.models.drain import (
    ContainerInstanceEmptied,
    DrainOutcome,
    DrainRequest,
    DrainState,
    DrainStepReport,
    IgnoredEvent,
)
from fleetops.observability import logger, metrics
from fleetops.reporting import report_safely

FUNCTION = "drain"
# The drain function's Timeout (template.yaml Globals).
FUNCTION_TIMEOUT_SECONDS = 60
# A start that AWS failed is tried again within the invocation, at most three times in all, 5 s apart,
# while 30 s are left for the attempt (one call's worst case is 24 s: fleetops/aws/clients.py).
START_ATTEMPTS = 3
START_RETRY_PAUSE_SECONDS = 5
START_ATTEMPT_ROOM_SECONDS = 30
# A re-check's message is made to come back no sooner than 10 s after its invocation can have ended:
# by then the idempotency record of an invocation that died has expired (Powertools sets it to the
# invocation's deadline), and the redelivery is not taken for a duplicate of a run still going on.
REDELIVERY_AFTER_INVOCATION_SECONDS = 10
# A drain started while the idempotency store was out may run twice (the hook's EventBridge event and
# its SNS notification both start one): two bounded wait loops, and the second finds the action ended
# by the first. Said so, rather than blamed on someone else.
ENDED_WITHOUT_US = frozenset({DrainOutcome.COMPLETED_ELSEWHERE, DrainOutcome.ACTION_EXPIRED})
TWIN_NOTE = (
    " (this step ran while the idempotency store was unavailable: a second copy of this drain, started by"
    " another delivery of the same event, may be what ended it)"
)


class DrainService:
    def __init__(
        self,
        settings: DrainSettings,
        *,
        session: boto3.Session | None = None,
        clock: Callable[[], float] = time.time,
        client_config: Config = RETRY_CONFIG,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._context: LambdaContext | None = None
        self.clients = AwsClients(session, client_config)
        self.runner = DrainRunner(
            ecs=EcsAdapter(self.clients.ecs),
            autoscaling=AutoScalingAdapter(self.clients.autoscaling),
            rechecks=DelayedQueue(self.clients.sqs, settings.recheck_queue_url),
            settings=settings,
            clock=clock,
            records=DrainRecords(self.clients, settings.idempotency_table),
        )
        self._dead_letters = DeadLetters(self.clients.sqs, settings.dead_letter_queue_url)
        self._notifier = Notifier(self.clients, settings.notification_topic_arn)
        self._idempotency = Idempotency(settings.idempotency_table, self.clients.session)
        # Every step of a drain is safe to repeat (DRAINING twice, one more heartbeat, completing an
        # action that is gone), and a drain that does not start loses the host's tasks: without the
        # store, it goes on (a duplicate wait loop it may start is bounded: see the README).
        self._start_once = self._idempotency.once(self._start, on_store_outage=StoreOutagePolicy.PROCEED)
        self._recheck_once = self._idempotency.once(self._recheck, on_store_outage=StoreOutagePolicy.PROCEED)
        self._on_ecs_event_once = self._idempotency.once(self._on_ecs_event, on_store_outage=StoreOutagePolicy.PROCEED)
        self._batch = BatchProcessor(event_type=EventType.SQS)

    def handle(self, event: Any, context: LambdaContext | None) -> dict[str, Any]:
        self._idempotency.register_lambda_context(context)
        self._context = context
        if is_sqs_batch(event):
            self._in_case_this_invocation_dies(event)
            response = process_partial_response(
                event=dict(event), record_handler=self._recheck_record, processor=self._batch, context=context
            )
            return dict(response)
        try:
            triggers = parse_trigger(
                event,
                hook_name_prefix=self.settings.drain_hook_name_prefix,
                auto_scaling_groups=self.settings.auto_scaling_groups,
                clusters=self.settings.clusters,
            )
        except BadInputError as error:
            return dead_letter(self._dead_letters, event, error, FUNCTION)
        return {"results": [self._handle_trigger(trigger, event) for trigger in triggers]}

    def _handle_trigger(self, trigger: DrainTrigger, event: Any) -> dict[str, Any]:
        if isinstance(trigger, IgnoredEvent):
            logger.info(f"event ignored: {trigger.reason}", extra={"ec2_instance_id": trigger.ec2_instance_id})
            metrics.add_metric(name=trigger.metric, unit=MetricUnit.Count, value=1)
            return {"status": "ignored", "reason": trigger.reason}
        if isinstance(trigger, ContainerInstanceEmptied):
            return self._complete_on_ecs_event(trigger)
        logger.set_correlation_id(trigger.ec2_instance_id)
        try:
            return self._start_with_retries(trigger)
        except IdempotencyAlreadyInProgressError:
            return duplicate_delivery(trigger.idempotency_key)
        except BadInputError as error:
            return self._cannot_drain(event, trigger.ec2_instance_id, error)
        except ClientError as error:
            if (refused := refused_by_iam(error)) is None:
                raise
            return self._cannot_drain(event, trigger.ec2_instance_id, refused)

    def _complete_on_ecs_event(self, trigger: ContainerInstanceEmptied) -> dict[str, Any]:
        """ECS's event of an emptied DRAINING host, once per event (EventBridge delivers at least once).
        Counted, for what the subscription costs. A failure is logged, not raised: the re-check loop
        completes the drain anyway, and an event retried into the dead-letter queue would raise the alarm
        of a drain that stopped."""
        logger.set_correlation_id(trigger.ec2_instance_id)
        try:
            return self._on_ecs_event_once(key=trigger.idempotency_key, trigger=trigger)
        except IdempotencyAlreadyInProgressError:
            return duplicate_delivery(trigger.idempotency_key)
        except (ClientError, BotoCoreError, BadInputError) as error:
            logger.warning(
                "could not complete the drain on ECS's event; its next re-check will",
                extra={"ec2_instance_id": trigger.ec2_instance_id, "error": str(error)},
            )
            return {"status": "ignored", "reason": f"left to the re-check loop: {error}"}

    def _on_ecs_event(self, *, key: str, trigger: ContainerInstanceEmptied) -> Handled:
        metrics.add_metric(name="EcsEmptiedHostEvents", unit=MetricUnit.Count, value=1)
        outcome = self.runner.complete_on_ecs_event(trigger)
        if isinstance(outcome, str):
            logger.info(f"ECS event: {outcome}", extra={"ec2_instance_id": trigger.ec2_instance_id})
            return Handled(result={"status": "ignored", "reason": outcome})
        return self._handled(outcome)

    def _start_with_retries(self, trigger: DrainRequest) -> dict[str, Any]:
        """The start, tried again within this invocation when AWS failed it past botocore's retries (ECS
        throttled, an endpoint out). Lambda retries a failed asynchronous invocation only a minute later,
        then two ("Asynchronous invocation", Lambda Developer Guide): past the heartbeat timeout of a short
        hook (30 s is the least Auto Scaling allows), which would end the action with its default result
        and the host's tasks on it. Each attempt starts afresh (a failed one leaves no idempotency record)
        and repeats only what is safe to repeat; a further attempt is made only while the invocation has
        room for it, and the last failure is raised for Lambda's own retries."""
        failure: ClientError | BotoCoreError | None = None
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                return self._start_once(key=trigger.idempotency_key, request=trigger)
            except IdempotencyAlreadyInProgressError:
                if failure is None:
                    raise  # another delivery is starting this drain: a duplicate
                # Our own failed attempt's record, left because the store failed to delete it: not a
                # duplicate to acknowledge, or nobody would start this drain. Lambda retries later.
                raise failure from None
            except (ClientError, BotoCoreError) as error:
                failure = error
                transient = not (isinstance(error, ClientError) and refused_by_iam(error) is not None)
                room = self._invocation_left() >= START_RETRY_PAUSE_SECONDS + START_ATTEMPT_ROOM_SECONDS
                if not transient or attempt == START_ATTEMPTS or not room:
                    raise
                logger.warning(
                    "drain start failed; trying again within this invocation",
                    extra={"attempt": attempt, "error": str(error), "retry_in_seconds": START_RETRY_PAUSE_SECONDS},
                )
                self._sleep(START_RETRY_PAUSE_SECONDS)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _invocation_left(self) -> float:
        """Seconds left of this invocation (the function's timeout when there is no Lambda context)."""
        if self._context is None:
            return float(FUNCTION_TIMEOUT_SECONDS)
        return self._context.get_remaining_time_in_millis() / 1000

    def _in_case_this_invocation_dies(self, event: Any) -> None:
        """Before any work, every re-check of the batch whose hook's heartbeat timer would run out before
        the queue's visibility timeout is made to come back just past this invocation's end: a runtime that
        dies (the function's timeout, an out-of-memory kill) reaches no ``except``, nor do the records of
        the batch after the one it died on. A record that succeeds is deleted all the same."""
        not_before = self._invocation_left() + REDELIVERY_AFTER_INVOCATION_SECONDS
        for raw in event.get("Records") or ():
            record = SQSRecord(raw)
            try:
                state, receipt_handle = DrainState.from_json(record.body), record.receipt_handle
            except (BadInputError, KeyError, TypeError):
                continue  # a damaged record: dead-lettered with its reason when its turn comes
            self.runner.bring_recheck_back_sooner(
                receipt_handle, state, not_before_seconds=not_before, why="in case this invocation dies"
            )

    def _recheck_record(self, record: SQSRecord) -> dict[str, Any]:
        try:
            state = DrainState.from_json(record.body)
        except BadInputError as error:
            return dead_letter(
                self._dead_letters, {"sqs_message_id": record.message_id, "body": record.body}, error, FUNCTION
            )
        logger.set_correlation_id(state.ec2_instance_id)
        try:
            return self._recheck_once(key=state.idempotency_key, state=state)
        except IdempotencyAlreadyInProgressError:
            return duplicate_delivery(state.idempotency_key)
        except ClientError as error:
            if (refused := refused_by_iam(error)) is None:
                self.runner.bring_recheck_back_sooner(record.receipt_handle, state, why="it failed")
                raise
            return self._cannot_drain({"body": record.body}, state.ec2_instance_id, refused)
        except Exception:
            self.runner.bring_recheck_back_sooner(record.receipt_handle, state, why="it failed")
            raise

    def _cannot_drain(self, event: Any, ec2_instance_id: str, error: BadInputError) -> dict[str, Any]:
        """A drain that retrying cannot help (outside the stack's scope, refused by IAM): kept as a dead
        letter and announced at once, rather than retried until the hook times out with a vaguer story.
        The lifecycle action is left alone: it ends with the hook's default result at its timeout."""
        rejected = dead_letter(self._dead_letters, event, error, FUNCTION)
        report_safely(
            lambda: self._notifier.publish(
                f"ATTENTION ecs-fleet-ops drain of {ec2_instance_id}: not drained",
                f"The drain of EC2 instance {ec2_instance_id} cannot proceed and was not retried.\n"
                f"Why: {error}\n"
                "The lifecycle action is left to the hook's timeout and default result. The event is in the "
                "dead-letter queue with this reason.",
            ),
            "a drain that cannot proceed",
        )
        return rejected

    def _start(self, *, key: str, request: DrainRequest) -> Handled:
        logger.info("drain requested", extra={"source": request.source.value, "idempotency_key": key})
        return self._handled(self.runner.start(request))

    def _recheck(self, *, key: str, state: DrainState) -> Handled:
        return self._handled(self.runner.recheck(state))

    def _handled(self, report: DrainStepReport) -> Handled:
        """The step's result, and its report (log line, metrics, the SNS message) made once it is recorded."""
        if self._idempotency.acting_without_store and report.decision.outcome in ENDED_WITHOUT_US:
            report = replace(report, decision=replace(report.decision, reason=report.decision.reason + TWIN_NOTE))
        decision = report.decision
        return Handled(
            result={
                "status": decision.action.value,
                "outcome": decision.outcome.value if decision.outcome else None,
                "ec2_instance_id": report.ec2_instance_id,
                "reason": decision.reason,
            },
            report=lambda: report_drain_step(
                report, self._notifier, notify_every_drain=self.settings.notify_every_drain
            ),
        )
