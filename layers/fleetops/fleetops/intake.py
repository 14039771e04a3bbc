"""What every job does with an event before its own logic: tell the envelope apart, keep bad input
as a dead letter, and treat a duplicate delivery as a no-op."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from fleetops.aws.clients import error_code, error_message
from fleetops.aws.messaging import DeadLetters
from fleetops.errors import BadInputError
from fleetops.observability import logger, metrics


def is_sqs_batch(event: Any) -> bool:
    """A batch from one of the suite's own queues (delayed re-checks, follow-ups)."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(record, Mapping) and record.get("eventSource") == "aws:sqs" for record in records)
    )


def parse_envelope[Command](
    event: Any,
    *,
    eventbridge: Callable[[Mapping[str, Any]], Command],
    sns_message: Callable[[str], Command],
) -> list[Command]:
    """An EventBridge event gives one command; an SNS delivery one per record (Lambda sends one).

    The envelope is checked here, before a job reads it: a ``detail`` or an ``Sns`` that is missing
    is bad input (dead-lettered with its reason), not a KeyError that Lambda would retry twice.
    """
    if not isinstance(event, Mapping):
        raise BadInputError(f"the event is a {type(event).__name__}, not a JSON object")
    if "detail-type" in event:
        return [eventbridge(_eventbridge_envelope(event))]
    records = event.get("Records")
    if isinstance(records, list) and records:
        if not all(isinstance(r, Mapping) and r.get("EventSource") == "aws:sns" for r in records):
            raise BadInputError("the event has Records that are not all SNS notifications")
        return [sns_message(_sns_message(record, index)) for index, record in enumerate(records)]
    raise BadInputError("unknown event shape: neither an EventBridge event nor an SNS notification")


def _eventbridge_envelope(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """An EventBridge event always carries ``source``, ``detail-type`` and a ``detail`` object (an
    empty one at least: "Amazon EventBridge events", EventBridge User Guide)."""
    for field in ("source", "detail-type"):
        if not isinstance(event.get(field), str):
            raise BadInputError(f"the EventBridge event has no {field!r} text")
    if not isinstance(event.get("detail"), Mapping):
        missing = "detail" not in event
        raise BadInputError(
            f"the EventBridge event ({event['detail-type']!r} from {event['source']!r}) has "
            + ("no 'detail'" if missing else "a 'detail' that is not an object")
        )
    return event


def _sns_message(record: Mapping[str, Any], index: int) -> str:
    """The message of one SNS record: ``Records[i].Sns.Message``, a string ("Using Lambda with Amazon SNS")."""
    sns = record.get("Sns")
    if not isinstance(sns, Mapping):
        raise BadInputError(f"SNS record {index} has no 'Sns' object")
    message = sns.get("Message")
    if not isinstance(message, str):
        raise BadInputError(f"SNS record {index} has no 'Sns.Message' text")
    return message


def dead_letter(dead_letters: DeadLetters, event: Any, error: BadInputError, function: str) -> dict[str, Any]:
    """Bad input is never retried: it is logged, counted and kept in the dead-letter queue with its reason."""
    logger.error("invalid event dead-lettered", extra={"reason": str(error)})
    metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
    dead_letters.keep(event, str(error), function)
    return {"status": "rejected", "reason": str(error)}


# What AWS answers when a role's policy does not allow a call, service by service.
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnauthorizedOperation",
        "AuthorizationErrorException",
    }
)


def refused_by_iam(error: ClientError) -> BadInputError | None:
    """An authorization failure, as bad input: retrying cannot heal it, a human must fix the policy
    or the function's scope (ClusterNames, AutoScalingGroupNames). None for any other error."""
    if error_code(error) not in ACCESS_DENIED_CODES:
        return None
    operation = error.operation_name
    return BadInputError(
        f"AWS refused {operation}: {error_code(error)}: {error_message(error)} (the function's IAM policy does not "
        "allow it: is the resource within the stack's ClusterNames and AutoScalingGroupNames?)"
    )


def duplicate_delivery(key: str) -> dict[str, Any]:
    """Another invocation is handling (or has handled) the same event: nothing more to do."""
    logger.info("duplicate delivery: already being handled", extra={"idempotency_key": key})
    metrics.add_metric(name="DuplicateEvents", unit=MetricUnit.Count, value=1)
    return {"status": "duplicate"}
