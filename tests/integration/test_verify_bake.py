"""The alarm bake: the alarms are watched for the bake period through delayed SQS re-checks (the suite's
durable wait), never by sleeping inside an invocation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simulator.ecs.deployments import codedeploy_hook_event
from simulator.worlds.verify import VerifyWorld, revision_of

BAKE = {
    "VerifyServices": '{"web": {"alarms": ["web-5xx", "web-latency"], "bake_seconds": 600, "rollback": true}}',
    "RecheckIntervalSeconds": "120",
    "Announce": "everything",
    "VerifyRollbackEnabled": "true",  # the stack may roll back (VerifyRollbackEnabled): "rollback": true asks it to
}


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    world = VerifyWorld(parameters=BAKE)
    world.deployments.alarm("web-5xx", "OK")
    world.deployments.alarm("web-latency", "OK")
    return world


def test_a_release_whose_alarms_stay_quiet_passes_when_the_bake_ends(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    first = verify.invoke(verify.completed_event(release))
    assert first["verdict"] == "BAKING"
    assert verify.known_good(release.service_arn) == release.known_good  # not yet
    results = verify.run_bake()
    assert results == [{"batchItemFailures": []}] * 5  # 4 looks while baking, then the verdict
    assert verify.clock.elapsed() >= 600
    assert verify.sleeps == []  # no invocation slept
    assert verify.known_good(release.service_arn) == release.task_definition
    [note] = verify.notifications()
    assert note["subject"] == "release of prod/web verified: PASSED"
    assert "[PASSED] alarms: 2 alarm(s) stayed out of ALARM" in note["message"]


def test_an_alarm_that_fires_during_the_bake_fails_the_release_and_rolls_it_back(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.invoke(verify.completed_event(release))

    def fire_at_four_minutes(world: VerifyWorld) -> None:
        if world.clock.elapsed() >= 240:
            world.deployments.set_alarm("web-latency", "ALARM")

    results = verify.run_bake(on_each=fire_at_four_minutes)
    assert len(results) == 2  # at 120 s quiet, at 240 s the alarm: no further look
    assert verify.service_task_definition("web") == release.known_good
    assert verify.pending_rechecks() == []
    [note] = verify.notifications()
    assert note["subject"] == "ATTENTION release of prod/web FAILED verification - rolled back"
    assert "Why: alarms: 1 alarm(s) in ALARM: web-latency." in note["message"]
    assert "web-latency: ALARM (Threshold Crossed: simulated ALARM)" in note["message"]


def test_a_duplicated_re_check_does_not_fork_the_bake(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.invoke(verify.completed_event(release))
    [message] = verify.pending_rechecks()
    body = json.dumps(message)
    verify.clock.advance(120)
    verify.invoke(verify.recheck_event(body))
    verify.invoke(verify.recheck_event(body))
    assert len(verify.pending_rechecks()) == 2  # the first delivery's next re-check + the original due one


def test_a_codedeploy_hook_is_answered_only_when_the_bake_ends(verify: VerifyWorld) -> None:
    verify.given_a_release()
    deployment = verify.deployments.codedeploy_deployment("web")
    first = verify.invoke(codedeploy_hook_event(deployment, "exec-bake"))
    assert first["verdict"] == "BAKING"
    assert verify.gaps.hook_answers == {}
    results: list[dict[str, Any]] = verify.run_bake()
    assert len(results) == 5
    assert verify.gaps.hook_answers == {"exec-bake": "Succeeded"}


def test_a_deployment_superseded_during_the_bake_fails_without_touching_the_newer_one(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.invoke(verify.completed_event(release))
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    verify.deployments.complete_rollout("web", v3)
    verify.run_bake()
    [note] = verify.notifications()
    assert f"deployment {release.deployment_id} was superseded during the bake" in note["message"]
    assert "NOT rolled back: deployment" in note["message"]
    assert verify.gaps.updates == []


def test_a_ci_override_that_asks_for_rollback_is_refused_by_a_stack_that_may_not_roll_back(aws: None) -> None:
    verify = VerifyWorld()  # VerifyRollbackEnabled=false: the role holds no ecs:UpdateService
    release = verify.given_a_release()
    checks = {"alarms": ["web-5xx"], "bake_seconds": 120, "rollback": True}
    ci_call = {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    answer = verify.invoke({**ci_call, "checks": checks})
    assert "checks asks for a rollback, but this stack may not roll back" in json.dumps(answer)
    assert verify.gaps.updates == []


def test_a_ci_override_that_asks_for_rollback_is_honoured_when_the_bake_fails(aws: None) -> None:
    verify = VerifyWorld(parameters={"VerifyRollbackEnabled": "true"})  # no service configured to roll back
    verify.deployments.alarm("web-5xx", "OK")
    release = verify.given_a_release()
    checks = {"alarms": ["web-5xx"], "bake_seconds": 120, "rollback": True}
    ci_call = {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    assert verify.invoke({**ci_call, "checks": checks})["verdict"] == "BAKING"
    verify.deployments.set_alarm("web-5xx", "ALARM")
    verify.run_bake()
    assert verify.service_task_definition("web") == release.known_good


def test_a_bake_behind_a_codedeploy_hook_ends_before_codedeploy_gives_up_on_the_hook(aws: None) -> None:
    verify = VerifyWorld(parameters={"VerifyServices": '{"web": {"alarms": ["web-5xx"], "bake_seconds": 7200}}'})
    verify.deployments.alarm("web-5xx", "OK")
    verify.given_a_release()
    deployment = verify.deployments.codedeploy_deployment("web")
    verify.invoke(codedeploy_hook_event(deployment, "exec-long"))
    verify.run_bake()
    assert verify.gaps.hook_answers == {"exec-long": "Succeeded"}
    assert verify.clock.elapsed() <= 50 * 60 + 60


def test_codedeploy_s_two_hooks_of_one_deployment_bake_side_by_side_and_both_are_answered(verify: VerifyWorld) -> None:
    # AfterAllowTestTraffic and AfterAllowTraffic carry the same d-... id, and their bakes overlap.
    verify.given_a_release()
    deployment = verify.deployments.codedeploy_deployment("web")
    assert verify.invoke(codedeploy_hook_event(deployment, "exec-test-traffic"))["verdict"] == "BAKING"
    assert verify.invoke(codedeploy_hook_event(deployment, "exec-all-traffic"))["verdict"] == "BAKING"
    verify.run_bake()
    assert verify.gaps.hook_answers == {"exec-test-traffic": "Succeeded", "exec-all-traffic": "Succeeded"}


def test_an_ecs_event_and_a_ci_call_on_one_deployment_each_finish_their_own_bake(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    assert verify.invoke(verify.completed_event(release))["verdict"] == "BAKING"
    ci = verify.invoke(
        {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    )
    assert ci["verdict"] == "BAKING"
    verify.run_bake()
    # 5 looks each: neither bake read the other's stored result. Their re-checks fall due together, so the
    # event source mapping delivers them in one batch (BatchSize 10): 5 deliveries of 2 messages.
    deliveries = [e.event for e in verify.account.timeline if e.function == "verify" and e.via == "SQS"]
    assert deliveries == ["2 message(s) from VerifyRecheckQueue"] * 5
    verdicts = [n["subject"] for n in verify.notifications()]
    assert verdicts == ["release of prod/web verified: PASSED"] * 2


def test_a_release_that_settled_before_its_bake_says_what_it_waited_for_when_the_bake_ends(
    verify: VerifyWorld,
) -> None:
    release = verify.given_a_release()
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    deployment = verify.deployments.complete_rollout("web", v3, targets_initial_for=120)

    first = verify.invoke(verify.completed_event_for(release, deployment))
    verify.run_bake()

    assert first["verdict"] == "SETTLING"
    assert verify.known_good(release.service_arn) == v3
    [note] = verify.notifications()
    assert note["subject"] == "release of prod/web verified: PASSED"
    assert "[PASSED] alarms: 2 alarm(s) stayed out of ALARM" in note["message"]
    assert "Waited: waited 120 s for what settles by itself (targets: 4 target(s)" in note["message"]
