"""The ECS lifecycle hook's bake across invocations, under either answer the documents leave open:
whether ECS replaces the configured ``hookDetails`` with those returned with IN_PROGRESS or merges the
two (and keeps returned keys into a later stage); and which ``callBackDelay`` it accepts."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.ecs.deployments import ecs_hook_event
from simulator.worlds.verify import VerifyWorld

CONFIGURED = {"team": "payments"}  # the service's own hookDetails, sent by ECS on every invocation


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    world = VerifyWorld(parameters={"VerifyServices": '{"web": {"alarms": ["web-5xx"], "bake_seconds": 300}}'})
    world.deployments.alarm("web-5xx", "OK")
    return world


def replaced(configured: dict[str, Any], returned: dict[str, Any]) -> dict[str, Any]:
    return dict(returned)


def merged(configured: dict[str, Any], returned: dict[str, Any]) -> dict[str, Any]:
    return {**configured, **returned}


@pytest.mark.parametrize("ecs", [replaced, merged])
def test_a_bake_resumes_and_ends_whether_ecs_replaces_or_merges_hook_details(verify: VerifyWorld, ecs: Any) -> None:
    arn = verify.given_a_release().service_arn
    answers = [verify.invoke(ecs_hook_event(arn, hook_details=CONFIGURED))]
    while answers[-1]["hookStatus"] == "IN_PROGRESS" and len(answers) < 20:
        verify.clock.advance(answers[-1]["callBackDelay"])
        details = ecs(CONFIGURED, answers[-1]["hookDetails"])
        answers.append(verify.invoke(ecs_hook_event(arn, hook_details=details)))

    assert answers[-1]["hookStatus"] == "SUCCEEDED"
    assert all(a["hookDetails"]["team"] == "payments" for a in answers[:-1])  # every key it was given, back
    assert 300 <= sum(a["callBackDelay"] for a in answers[:-1]) < 300 + 60


def test_a_bake_deadline_left_by_an_earlier_stage_does_not_skip_the_next_stage_s_bake(verify: VerifyWorld) -> None:
    arn = verify.given_a_release().service_arn
    first = verify.invoke(ecs_hook_event(arn, stage="POST_TEST_TRAFFIC_SHIFT"))
    verify.clock.advance(400)  # the test-traffic bake is long over
    # Were ECS to carry returned keys into the next stage, the production stage would see the old deadline.
    production = verify.invoke(
        ecs_hook_event(arn, stage="POST_PRODUCTION_TRAFFIC_SHIFT", hook_details=first["hookDetails"])
    )

    assert production["hookStatus"] == "IN_PROGRESS"  # a bake of its own, not an instant SUCCEEDED
    assert production["hookDetails"]["fleetopsVerifyBakeStage"] == "POST_PRODUCTION_TRAFFIC_SHIFT"
    assert production["hookDetails"]["fleetopsVerifyBakeUntil"] == pytest.approx(verify.clock() + 300)


@pytest.mark.parametrize(("interval", "expected"), [("900", 60), ("10", 30)])
def test_call_back_delay_stays_between_the_documented_default_and_example(
    aws: None, interval: str, expected: int
) -> None:
    verify = VerifyWorld(
        parameters={
            "VerifyServices": '{"web": {"alarms": ["web-5xx"], "bake_seconds": 300}}',
            "RecheckIntervalSeconds": interval,
        }
    )
    verify.deployments.alarm("web-5xx", "OK")

    answer = verify.invoke(ecs_hook_event(verify.given_a_release().service_arn))

    assert (answer["hookStatus"], answer["callBackDelay"]) == ("IN_PROGRESS", expected)
