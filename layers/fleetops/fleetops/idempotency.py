"""Powertools Idempotency, set up once for the suite: a duplicate delivery is a no-op, an action is
recorded before anything about it is reported, and each job says what an outage of the store means.

The order inside ``Idempotency.once`` (every job the same):
1. Powertools writes the event's INPROGRESS record (the idempotency store, a DynamoDB table);
2. the action runs (drain a host, scale a service, verify a release) and returns what it did;
3. Powertools saves the result as the event's COMPLETED record; a duplicate delivery gets it back;
4. only then the report (log line, metrics, SNS, the scale job's follow-up), which never raises
   (``reporting``). A report that raised inside the action would make Powertools delete the record
   and the trigger retry the whole action: one alarm, three scale steps.

When the store fails, Powertools raises ``IdempotencyPersistenceLayerError`` in three different
situations, told apart here by what the action did:
- the store failed *before* the action ran (writing or reading the record): the job's
  ``StoreOutagePolicy`` decides: ``PROCEED`` runs the action without the store (only for actions that
  are safe to repeat) and records its result afterwards if the store answers by then;
  ``FAIL_CLOSED`` raises ``IdempotencyStoreUnavailableError``, so the trigger retries later;
- the action ran, and its result could not be saved: the action is never run again here; its result
  is returned (and reported) as if saved. A duplicate delivered later may run it again: counted;
- the action raised, and its INPROGRESS record could not be deleted: the action's own error is raised
  (the record blocks duplicates until the invocation's deadline, then expires).
Each is logged and counted as the metric ``IdempotencyStoreUnavailable``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from fleetops.errors import RetryLaterError
from fleetops.observability import logger, metrics
from fleetops.reporting import Report, report_safely

__all__ = [
    "STORE_UNAVAILABLE",
    "Handled",
    "Idempotency",
    "IdempotencyAlreadyInProgressError",
    "IdempotencyStoreUnavailableError",
    "StoreOutagePolicy",
]

# Auto Scaling keeps a lifecycle action alive for at most 48 hours: a duplicate can't matter later.
RECORD_LIFETIME_SECONDS = 48 * 3600
STORE_UNAVAILABLE = "IdempotencyStoreUnavailable"

# The store is asked twice per event (before and after the action). Its client gives up quickly, so
# that an outage costs an invocation seconds, not its 60 s timeout: 3 attempts in all (standard mode,
# at most 1 + 2 s of backoff when throttled; botocore's "max_attempts" would count retries, not
# attempts), 2 s to connect and 5 s to read (a DynamoDB item read or write answers in milliseconds):
# at most 24 s per call (see clients.RETRY_CONFIG). Powertools' default (60 s timeouts) could let one
# hung call end the invocation.
STORE_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=2, read_timeout=5)


class StoreOutagePolicy(StrEnum):
    """What a job does with an event when the idempotency store cannot be reached before it acts."""

    PROCEED = "proceed"  # the action is safe to repeat: run it without the store, record it afterwards
    FAIL_CLOSED = "fail-closed"  # no record, no action: the trigger retries later, then dead-letters


class IdempotencyStoreUnavailableError(RetryLaterError):
    """The idempotency store could not be reached before the action, and the job fails closed."""


@dataclass(frozen=True, slots=True)
class Handled:
    """What an action did: ``result`` (JSON-safe) is recorded and returned, to duplicates too; ``report``
    runs once, after the result is recorded, and only in the invocation that acted."""

    result: dict[str, Any]
    report: Report | None = None


def _replayed(response: Any, idempotent_data: DataRecord) -> Any:
    """A duplicate of an event already handled: its stored result, said to be a replay, logged and
    counted like a duplicate still being handled (Powertools returns it silently otherwise)."""
    logger.info("duplicate delivery: already handled", extra={"idempotency_key": idempotent_data.idempotency_key})
    metrics.add_metric(name="DuplicateEvents", unit=MetricUnit.Count, value=1)
    return {**response, "duplicate": True} if isinstance(response, dict) else response


class _Attempt:
    """What the action did inside Powertools, to tell its store errors apart afterwards."""

    def __init__(self) -> None:
        self.handled: Handled | None = None
        self.failure: BaseException | None = None

    def wrap(self, action: Callable[..., Handled]) -> Callable[..., dict[str, Any]]:
        # functools.wraps keeps the action's module and name: Powertools keys its records by them.
        @functools.wraps(action)
        def recorded(**kwargs: Any) -> dict[str, Any]:
            try:
                self.handled = action(**kwargs)
            except BaseException as error:  # a runtime that dies too: its record stays INPROGRESS
                self.failure = error
                raise
            return self.handled.result

        return recorded


class Idempotency:
    """Runs actions of one keyword argument, ``key``, once per key (see the module's docstring)."""

    def __init__(self, table_name: str, session: boto3.Session | None = None) -> None:
        self._config = IdempotencyConfig(expires_after_seconds=RECORD_LIFETIME_SECONDS, response_hook=_replayed)
        self._persistence = DynamoDBPersistenceLayer(
            table_name=table_name, boto3_session=session, boto_config=STORE_CLIENT_CONFIG
        )
        self._acting_without_store = False

    @property
    def acting_without_store(self) -> bool:
        """True while an action runs without the store (``PROCEED``): a duplicate delivery of its event
        may be running the same action, unseen. What it finds done may have been done by that copy."""
        return self._acting_without_store

    def register_lambda_context(self, context: LambdaContext | None) -> None:
        # Lets Powertools expire an in-progress record when the invocation times out.
        if context is not None and hasattr(context, "get_remaining_time_in_millis"):
            self._config.register_lambda_context(context)

    def once(
        self, action: Callable[..., Handled], *, on_store_outage: StoreOutagePolicy
    ) -> Callable[..., dict[str, Any]]:
        """``action`` run once per ``key``: its result is returned, and its report made after it is recorded.

        Raises what the action raises (its record is then deleted: a retry acts afresh),
        ``IdempotencyAlreadyInProgressError`` while another invocation handles the same key, and
        ``IdempotencyStoreUnavailableError`` when the store is out and the job fails closed.
        """

        def run(**kwargs: Any) -> dict[str, Any]:
            attempt = _Attempt()
            guarded = idempotent_function(
                data_keyword_argument="key", persistence_store=self._persistence, config=self._config
            )(attempt.wrap(action))
            try:
                result: dict[str, Any] = guarded(**kwargs)
            except IdempotencyPersistenceLayerError as error:
                result = self._store_failed(error, attempt, action, kwargs, on_store_outage)
            if attempt.handled is not None and attempt.handled.report is not None:
                report_safely(attempt.handled.report, f"the result of {action.__name__}")
            return result

        return run

    def _store_failed(
        self,
        error: IdempotencyPersistenceLayerError,
        attempt: _Attempt,
        action: Callable[..., Handled],
        kwargs: dict[str, Any],
        policy: StoreOutagePolicy,
    ) -> dict[str, Any]:
        key = str(kwargs.get("key"))
        if attempt.handled is not None:
            _store_unavailable(
                "the action ran; its record could not be saved (a duplicate may run it again)", key, error
            )
            return attempt.handled.result
        if attempt.failure is not None:
            _store_unavailable("the action failed; its in-progress record could not be deleted", key, error)
            raise attempt.failure
        if policy is StoreOutagePolicy.FAIL_CLOSED:
            _store_unavailable("not acting without it: the trigger retries later", key, error)
            raise IdempotencyStoreUnavailableError(
                f"the idempotency store could not be reached before acting on {key}: {error}; retry later"
            ) from error
        _store_unavailable("acting without it: the action is safe to repeat", key, error)
        self._acting_without_store = True
        try:
            attempt.handled = action(**kwargs)
        finally:
            self._acting_without_store = False
        self._record_late(kwargs.get("key"), attempt.handled.result)
        return attempt.handled.result

    def _record_late(self, key: Any, result: dict[str, Any]) -> None:
        """The result of an action taken without the store, recorded if the store answers again: later
        duplicates of the event then find it. Best effort: the action is done either way."""
        try:
            self._persistence.save_success(data=key, result=result)
        except Exception as error:
            logger.warning("the result could not be recorded after the action either", extra={"error": repr(error)})
        else:
            logger.info("the result was recorded after the action", extra={"idempotency_key": key})


def _store_unavailable(what: str, key: str, error: Exception) -> None:
    logger.warning(f"idempotency store unavailable: {what}", extra={"idempotency_key": key, "error": repr(error)})
    metrics.add_metric(name=STORE_UNAVAILABLE, unit=MetricUnit.Count, value=1)
