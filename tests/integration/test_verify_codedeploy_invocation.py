"""Whether CodeDeploy invokes a hook function synchronously or asynchronously, the documents do not say:
each hook execution is answered exactly once through PutLifecycleEventHookExecutionStatus, whichever it
is. Synchronously, the one invocation answers; asynchronously, Lambda may retry an invocation that
already answered (it died after answering, or its idempotency record is gone), and the retry neither
answers again (CodeDeploy would refuse it) nor fails nor announces the release a second time."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.ecs.deployments import codedeploy_hook_event
from simulator.worlds.verify import VerifyWorld


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    world = VerifyWorld(parameters={"VerifyServices": '{"web": {"alarms": ["web-5xx"]}}'})
    world.deployments.alarm("web-5xx", "OK")
    return world


def _idempotency_records_expire(verify: VerifyWorld) -> None:
    """What Lambda's retry finds when the first attempt died after answering, once its in-progress
    record has expired (or the store was unreachable): no record of the first attempt."""
    dynamodb = verify.session.client("dynamodb")
    for item in dynamodb.scan(TableName=verify.idempotency_table)["Items"]:
        dynamodb.delete_item(TableName=verify.idempotency_table, Key={"id": item["id"]})


def _retried(verify: VerifyWorld, event: dict[str, Any]) -> dict[str, Any]:
    _idempotency_records_expire(verify)
    return verify.invoke(event)


def test_a_retried_invocation_of_a_passing_hook_answers_once_and_does_not_fail(verify: VerifyWorld) -> None:
    verify.given_a_release()
    event = codedeploy_hook_event(verify.deployments.codedeploy_deployment("web"), "exec-retried")

    first = verify.invoke(event)
    retry = _retried(verify, event)

    assert first["verdict"] == retry["verdict"] == "PASSED"
    assert verify.gaps.hook_answers == {"exec-retried": "Succeeded"}


def test_a_retried_invocation_of_a_failing_hook_answers_and_announces_once(verify: VerifyWorld) -> None:
    verify.given_a_release()
    verify.deployments.set_alarm("web-5xx", "ALARM")
    event = codedeploy_hook_event(verify.deployments.codedeploy_deployment("web"), "exec-bad-retried")

    first = verify.invoke(event)
    retry = _retried(verify, event)

    assert first["verdict"] == retry["verdict"] == "FAILED"
    assert verify.gaps.hook_answers == {"exec-bad-retried": "Failed"}
    assert len([n for n in verify.notifications() if "FAILED" in n["subject"]]) == 1


def test_a_retried_invocation_whose_verification_crashes_again_is_not_announced_twice(verify: VerifyWorld) -> None:
    event = codedeploy_hook_event("d-NOSUCH123", "exec-crash-retried")  # CodeDeploy does not know it

    first = verify.invoke(event)
    retry = _retried(verify, event)

    assert (first["hook"], retry["status"]) == ("Failed", "already-answered")
    assert verify.gaps.hook_answers == {"exec-crash-retried": "Failed"}  # the error was still answered Failed
    assert len(verify.notifications()) == 1
