"""A lifecycle hook for a service with no smoke checks and no alarms configured: nothing failed, so the
hook is still answered with a pass; but the report, the log and the hook's reason say plainly that
nothing was verified and why, and a metric counts it."""

from __future__ import annotations

import pytest

from simulator.ecs.deployments import codedeploy_hook_event, ecs_hook_event
from simulator.worlds.verify import VerifyWorld

NOTHING = "nothing was verified: no smoke checks or alarms are configured for this service"


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld()  # VERIFY_SERVICES unset: no smoke checks, no alarms


def test_a_codedeploy_hook_with_nothing_to_check_passes_but_says_nothing_was_verified(verify: VerifyWorld) -> None:
    verify.given_a_release()
    deployment = verify.deployments.codedeploy_deployment("web")

    result = verify.invoke(codedeploy_hook_event(deployment, "exec-nothing"))

    assert verify.gaps.hook_answers == {"exec-nothing": "Succeeded"}  # nothing failed: the answer stands
    assert result["verdict"] == "PASSED" and result["nothing_checked"] is True
    assert result["reason"].startswith(NOTHING)
    assert "VerificationsWithNothingChecked" in verify.metrics()


def test_an_ecs_lifecycle_hook_with_nothing_to_check_succeeds_with_a_reason_that_says_so(verify: VerifyWorld) -> None:
    release = verify.given_a_release()

    answer = verify.invoke(ecs_hook_event(release.service_arn))

    assert answer["hookStatus"] == "SUCCEEDED"
    assert answer["reason"].startswith(NOTHING)
    assert "VerificationsWithNothingChecked" in verify.metrics()


def test_a_hook_that_ran_a_check_is_not_counted_as_nothing_checked(aws: None) -> None:
    verify = VerifyWorld(parameters={"VerifyServices": '{"web": {"alarms": ["web-5xx"]}}'})
    release = verify.given_a_release()
    verify.deployments.alarm("web-5xx", "OK")

    answer = verify.invoke(ecs_hook_event(release.service_arn))

    assert (answer["hookStatus"], answer["reason"]) == ("SUCCEEDED", "every check passed (alarms)")
    assert "VerificationsWithNothingChecked" not in verify.metrics()
