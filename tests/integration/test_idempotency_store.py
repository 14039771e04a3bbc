"""``Idempotency.once`` against a DynamoDB table (moto) that fails where it is told to: each way the
store can fail, and what becomes of the action and its report.

Powertools raises the same ``IdempotencyPersistenceLayerError`` whether the store failed before the
action ran, after it ran (its result could not be saved), or after it raised (its in-progress record
could not be deleted). Only the first may run the action without the store; no case runs it twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from fleetops.errors import RetryLaterError
from fleetops.idempotency import (
    STORE_UNAVAILABLE,
    Handled,
    Idempotency,
    IdempotencyStoreUnavailableError,
    StoreOutagePolicy,
)
from fleetops.observability import metrics
from fleetops.reporting import REPORTING_ERRORS
from simulator.awslambda.context import FakeLambdaContext

TABLE = "idempotency"


class Store:
    """The idempotency table, and the DynamoDB operations it refuses (as throttling past the retries)."""

    def __init__(self) -> None:
        self.session = boto3.Session(region_name="us-east-1")
        self.session.client("dynamodb").create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.refusing: set[str] = set()
        # Registered before Powertools creates its client (clients copy the session's hooks).
        self.session.events.register("before-call.dynamodb", self._refuse)

    def _refuse(self, model: Any, **_: Any) -> None:
        if model.name in self.refusing:
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "You exceeded your throughput."}
            raise ClientError({"Error": error}, model.name)

    def items(self) -> list[dict[str, Any]]:
        return list(self.session.client("dynamodb").scan(TableName=TABLE)["Items"])


class Drain:
    """An action and its report, counting what ran."""

    def __init__(self, *, fails_with: Exception | None = None, report_fails: bool = False) -> None:
        self.runs = 0
        self.reports = 0
        self.fails_with = fails_with
        self.report_fails = report_fails

    def act(self, *, key: str) -> Handled:
        self.runs += 1
        if self.fails_with is not None:
            raise self.fails_with
        return Handled({"status": "complete", "key": key}, report=self.report)

    def report(self) -> None:
        self.reports += 1
        if self.report_fails:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "SNS is down"}}, "Publish")


@pytest.fixture
def store(aws: None) -> Iterator[Store]:
    metrics.clear_metrics()
    yield Store()
    metrics.clear_metrics()


def once(store: Store, action: Callable[..., Handled], policy: StoreOutagePolicy) -> Callable[..., dict[str, Any]]:
    idempotency = Idempotency(TABLE, store.session)
    idempotency.register_lambda_context(FakeLambdaContext())  # the in-progress record expires at its deadline
    return idempotency.once(action, on_store_outage=policy)


def counted(name: str) -> int:
    return sum(int(v) for v in metrics.metric_set.get(name, {}).get("Value", [])) if name in metrics.metric_set else 0


# -- the store answers ---------------------------------------------------------------------------------
def test_an_action_is_recorded_then_reported_and_a_duplicate_gets_the_result_without_a_report(store: Store) -> None:
    drain = Drain()
    run = once(store, drain.act, StoreOutagePolicy.FAIL_CLOSED)

    first = run(key="lifecycle:token-1")
    again = run(key="lifecycle:token-1")

    assert first == {"status": "complete", "key": "lifecycle:token-1"}
    assert again == {**first, "duplicate": True}
    assert (drain.runs, drain.reports) == (1, 1)


def test_a_report_that_fails_is_counted_and_the_action_stays_recorded_so_a_retry_does_not_act_again(
    store: Store,
) -> None:
    drain = Drain(report_fails=True)
    run = once(store, drain.act, StoreOutagePolicy.FAIL_CLOSED)

    first = run(key="lifecycle:token-1")  # does not raise: Lambda has nothing to retry
    retried = run(key="lifecycle:token-1")

    assert first["status"] == "complete" and retried.get("duplicate") is True
    assert drain.runs == 1
    assert counted(REPORTING_ERRORS) == 1


# -- 1. the store fails before the action runs ------------------------------------------------------------
def test_a_store_out_before_the_action_fails_closed_when_the_job_says_so_and_nothing_runs(store: Store) -> None:
    store.refusing = {"PutItem", "GetItem"}
    drain = Drain()
    run = once(store, drain.act, StoreOutagePolicy.FAIL_CLOSED)

    with pytest.raises(IdempotencyStoreUnavailableError, match="retry later") as raised:
        run(key="alarm:cpu-high:ALARM:1")

    assert isinstance(raised.value, RetryLaterError)  # the trigger's own retry decides later
    assert (drain.runs, drain.reports) == (0, 0)
    assert counted(STORE_UNAVAILABLE) == 1


def test_a_store_out_before_the_action_runs_it_without_the_store_when_it_is_safe_to_repeat(store: Store) -> None:
    store.refusing = {"PutItem", "GetItem", "UpdateItem"}
    drain = Drain()
    run = once(store, drain.act, StoreOutagePolicy.PROCEED)

    result = run(key="lifecycle:token-1")

    assert result == {"status": "complete", "key": "lifecycle:token-1"}
    assert (drain.runs, drain.reports) == (1, 1)
    assert counted(STORE_UNAVAILABLE) == 1
    assert store.items() == []  # nothing could be recorded


def test_an_action_run_without_the_store_is_recorded_afterwards_when_the_store_answers_again(store: Store) -> None:
    store.refusing = {"PutItem"}  # the first write fails; the store is back for the result
    drain = Drain()
    run = once(store, drain.act, StoreOutagePolicy.PROCEED)

    run(key="lifecycle:token-1")
    store.refusing = set()
    duplicate = run(key="lifecycle:token-1")

    assert duplicate.get("duplicate") is True
    assert drain.runs == 1
    [item] = store.items()
    assert item["status"]["S"] == "COMPLETED"


# -- 2. the action ran; its result could not be saved ------------------------------------------------------
@pytest.mark.parametrize("policy", list(StoreOutagePolicy))
def test_an_action_whose_result_cannot_be_saved_is_never_run_again_and_is_still_reported(
    store: Store, policy: StoreOutagePolicy
) -> None:
    store.refusing = {"UpdateItem"}
    drain = Drain()
    run = once(store, drain.act, policy)

    result = run(key="alarm:cpu-high:ALARM:1")

    assert result == {"status": "complete", "key": "alarm:cpu-high:ALARM:1"}
    assert (drain.runs, drain.reports) == (1, 1)
    assert counted(STORE_UNAVAILABLE) == 1


# -- 3. the action raised; its in-progress record could not be deleted -------------------------------------
@pytest.mark.parametrize("policy", list(StoreOutagePolicy))
def test_an_action_that_fails_while_its_record_cannot_be_deleted_raises_its_own_error_and_runs_once(
    store: Store, policy: StoreOutagePolicy
) -> None:
    store.refusing = {"DeleteItem"}
    drain = Drain(fails_with=RetryLaterError("UpdateService throttled"))
    run = once(store, drain.act, policy)

    with pytest.raises(RetryLaterError, match="UpdateService throttled"):
        run(key="alarm:cpu-high:ALARM:1")

    assert (drain.runs, drain.reports) == (1, 0)
    assert counted(STORE_UNAVAILABLE) == 1
    [item] = store.items()  # in progress until the invocation's deadline; a retry after it acts afresh
    assert item["status"]["S"] == "INPROGRESS"
