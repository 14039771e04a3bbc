"""Powertools Idempotency, set up once for the suite: duplicate deliveries become no-ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from fleetops.observability import logger, metrics

__all__ = ["Idempotency", "IdempotencyAlreadyInProgressError"]

# Auto Scaling keeps a lifecycle action alive for at most 48 hours: a duplicate can't matter later.
RECORD_LIFETIME_SECONDS = 48 * 3600

_Result = TypeVar("_Result")


def _replayed(response: Any, idempotent_data: DataRecord) -> Any:
    """A duplicate of an event already handled: its stored result, said to be a replay, logged and
    counted like a duplicate still being handled (Powertools returns it silently otherwise)."""
    logger.info("duplicate delivery: already handled", extra={"idempotency_key": idempotent_data.idempotency_key})
    metrics.add_metric(name="DuplicateEvents", unit=MetricUnit.Count, value=1)
    return {**response, "duplicate": True} if isinstance(response, dict) else response


class Idempotency:
    """Wraps functions of one keyword argument, ``key``, so each key runs once.

    The wrapped function's return value (a JSON-safe dict) is stored and returned to duplicates.
    A function that raises leaves no record, so the trigger's retry runs it again.
    """

    def __init__(self, table_name: str, session: boto3.Session | None = None) -> None:
        self._config = IdempotencyConfig(expires_after_seconds=RECORD_LIFETIME_SECONDS, response_hook=_replayed)
        self._persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_session=session)

    def register_lambda_context(self, context: LambdaContext | None) -> None:
        # Lets Powertools expire an in-progress record when the invocation times out.
        if context is not None and hasattr(context, "get_remaining_time_in_millis"):
            self._config.register_lambda_context(context)

    def once(self, function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        wrapped: Callable[..., dict[str, Any]] = idempotent_function(
            data_keyword_argument="key",
            persistence_store=self._persistence,
            config=self._config,
        )(function)
        return wrapped
