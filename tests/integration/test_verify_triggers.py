"""Each way in: EventBridge deployment events, the CodeDeploy hook (always answered), the ECS lifecycle
hook (always a hookStatus), a direct CI invocation; duplicates and bad input."""

from __future__ import annotations

import json
import time

import pytest

from fleetops.errors import RetryLaterError
from simulator.ecs.deployments import codedeploy_hook_event, deployment_event, ecs_hook_event, short_service_arn
from simulator.http_server import Route, local_http_server
from simulator.worlds.verify import VerifyWorld, revision_of

# -- EventBridge: ECS Deployment State Change -----------------------------------------------------


def test_a_completed_deployment_is_verified_and_remembered_as_known_good(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    report = verify.invoke(verify.completed_event(release))
    assert (report["verdict"], report["deployment_id"]) == ("PASSED", release.deployment_id)
    assert verify.known_good(release.service_arn) == release.task_definition
    assert verify.notifications() == []  # a pass is not announced unless Announce=everything


def test_an_old_short_service_arn_is_found_in_the_configured_cluster(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    event = deployment_event(short_service_arn("web"), "SERVICE_DEPLOYMENT_COMPLETED", release.deployment_id)
    report = verify.invoke(event)
    assert report["verdict"] == "PASSED"
    assert report["service"] == "prod/web"


def test_a_failed_deployment_is_announced_loudly_as_a_failed_release(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    event = deployment_event(
        release.service_arn,
        "SERVICE_DEPLOYMENT_FAILED",
        release.deployment_id,
        reason="ECS deployment circuit breaker: task failed to start.",
        event_type="ERROR",
    )
    report = verify.invoke(event)
    assert report["verdict"] == "RELEASE_FAILED"
    [note] = verify.notifications()
    assert note["subject"] == "ATTENTION release of prod/web FAILED in ECS (not a success)"
    assert (
        "ECS reported SERVICE_DEPLOYMENT_FAILED: ECS deployment circuit breaker: task failed to start."
        in note["message"]
    )


def test_a_circuit_breaker_rolling_back_is_a_failed_release_not_a_quiet_success(verify: VerifyWorld) -> None:
    release = verify.given_a_release(circuit_breaker_rollback=True)
    rollback_id = verify.deployments.circuit_breaker_rolling_back("web", release.deployment_id)
    reason = f"ECS deployment circuit breaker: rolling back to deploymentId {release.deployment_id}."
    report = verify.invoke(
        deployment_event(release.service_arn, "SERVICE_DEPLOYMENT_IN_PROGRESS", rollback_id, reason=reason)
    )
    assert report["verdict"] == "RELEASE_FAILED"
    assert verify.notifications()[0]["subject"].startswith("ATTENTION release of prod/web FAILED")


def test_a_deployment_starting_is_ignored_until_it_completes(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    result = verify.invoke(
        deployment_event(release.service_arn, "SERVICE_DEPLOYMENT_IN_PROGRESS", release.deployment_id)
    )
    assert result["status"] == "ignored"


def test_a_duplicated_event_verifies_once(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.deployments.stop_running("web", 1)
    event = verify.completed_event(release)
    first = verify.invoke(event)
    verify.api.reset()
    second = verify.invoke(event)
    assert first["verdict"] == second["verdict"] == "FAILED"
    assert verify.api.calls["ecs:DescribeServices"] == 0  # the stored result was returned
    assert len(verify.notifications()) == 1


class RuntimeDied(BaseException):
    """The runtime dying mid-invocation: no ``except Exception`` can tidy up after it."""


def test_an_event_whose_verification_died_midway_is_failed_again_so_lambda_retries_it(verify: VerifyWorld) -> None:
    # Found by the end-to-end faults: a verification that dies leaves its idempotency record in
    # progress until its deadline (the 120 s timeout), past Lambda's first retry a minute later.
    # Acknowledged as a duplicate, that retry would end Lambda's retries: the release never verified.
    release = verify.given_a_release()
    event = verify.completed_event(release)

    def die(operation: str) -> None:
        if operation == "verify:DescribeServices":
            raise RuntimeDied

    verify.account.faults.append(die)
    with pytest.raises(RuntimeDied):
        verify.invoke(event)
    verify.account.faults.remove(die)

    with pytest.raises(RetryLaterError, match="still being verified"):
        verify.invoke(event)


def test_an_event_for_a_service_that_does_not_exist_is_dead_lettered(verify: VerifyWorld) -> None:
    verify.given_a_release()
    arn = "arn:aws:ecs:us-east-1:123456789012:service/prod/ghost"
    result = verify.invoke(deployment_event(arn, "SERVICE_DEPLOYMENT_COMPLETED", "ecs-svc/1"))
    assert result["status"] == "rejected"
    assert "service 'ghost' was not found ACTIVE in prod" in result["reason"]
    assert verify.dead_letters()[0]["reason"] == result["reason"]


def test_garbage_is_dead_lettered_never_retried(verify: VerifyWorld) -> None:
    result = verify.invoke({"detail-type": "ECS Deployment State Change", "source": "aws.ecs", "detail": "x"})
    assert result["status"] == "rejected"
    assert len(verify.dead_letters()) == 1


# -- CodeDeploy lifecycle hook ---------------------------------------------------------------------


def smoke_checked_by(url: str) -> dict[str, str]:
    """The template's VerifyServices: prod/web smoke-checked at ``url``, once."""
    return {"VerifyServices": json.dumps({"prod/web": {"smoke": [{"url": url, "retries": 0}]}})}


def test_a_codedeploy_hook_is_answered_succeeded_when_the_test_traffic_smoke_check_passes(aws: None) -> None:
    with local_http_server({"/health": Route(200, "ok")}) as server:
        verify = VerifyWorld(parameters=smoke_checked_by(server.url("/health")))
        verify.given_a_release()
        deployment = verify.deployments.codedeploy_deployment("web")
        result = verify.invoke(codedeploy_hook_event(deployment, "exec-ok"))
    assert result["verdict"] == "PASSED"
    assert verify.gaps.hook_answers == {"exec-ok": "Succeeded"}


def test_a_codedeploy_hook_is_answered_failed_when_the_smoke_check_fails(aws: None) -> None:
    with local_http_server({"/health": Route(502, "bad gateway")}) as server:
        verify = VerifyWorld(parameters=smoke_checked_by(server.url("/health")))
        verify.given_a_release()
        deployment = verify.deployments.codedeploy_deployment("web")
        result = verify.invoke(codedeploy_hook_event(deployment, "exec-bad"))
    assert result["verdict"] == "FAILED"
    assert result["rollback"]["action"] == "delegated"
    assert verify.gaps.hook_answers == {"exec-bad": "Failed"}
    assert "ATTENTION" in verify.notifications()[0]["subject"]


def test_a_codedeploy_hook_is_answered_failed_even_when_the_verification_crashes(verify: VerifyWorld) -> None:
    # The deployment id is well formed but CodeDeploy does not know it: GetDeployment raises.
    result = verify.invoke(codedeploy_hook_event("d-NOSUCH123", "exec-crash"))
    assert result["hook"] == "Failed"
    assert verify.gaps.hook_answers == {"exec-crash": "Failed"}
    assert "verification could not run" in verify.notifications()[0]["message"]


def test_a_malformed_codedeploy_hook_is_still_answered_failed(verify: VerifyWorld) -> None:
    result = verify.invoke(codedeploy_hook_event("not-a-deployment-id", "exec-bad-input"))
    assert result["hook"] == "Failed"
    assert verify.gaps.hook_answers == {"exec-bad-input": "Failed"}
    assert "not a CodeDeploy deployment id" in verify.dead_letters()[0]["reason"]


def test_a_codedeploy_hook_delivered_twice_is_answered_once(verify: VerifyWorld) -> None:
    verify.given_a_release()
    deployment = verify.deployments.codedeploy_deployment("web")
    verify.invoke(codedeploy_hook_event(deployment, "exec-twice"))
    again = verify.invoke(codedeploy_hook_event(deployment, "exec-twice"))
    assert again["verdict"] == "PASSED"
    assert verify.gaps.hook_answers == {"exec-twice": "Succeeded"}  # a second answer would be refused


# -- ECS native lifecycle hook ---------------------------------------------------------------------


def test_an_ecs_lifecycle_hook_gets_succeeded_or_failed_from_the_smoke_check(aws: None) -> None:
    with local_http_server({"/health": Route(200, "ok")}) as server:
        verify = VerifyWorld(parameters=smoke_checked_by(server.url("/health")))
        release = verify.given_a_release()
        assert verify.invoke(ecs_hook_event(release.service_arn))["hookStatus"] == "SUCCEEDED"
        server.routes["/health"] = Route(500, "boom")
        failed = verify.invoke(ecs_hook_event(release.service_arn))
    assert failed["hookStatus"] == "FAILED"
    assert "expected status 200, got 500" not in failed["reason"]  # the reason names the check, evidence is in SNS
    assert "smoke: 1 of 1 smoke check(s) failed" in failed["reason"]


def test_an_ecs_lifecycle_hook_bakes_with_in_progress_and_call_back_delay_instead_of_sleeping(aws: None) -> None:
    parameters = {
        "VerifyServices": '{"web": {"alarms": ["web-5xx"], "bake_seconds": 300}}',
        "RecheckIntervalSeconds": "120",
    }
    verify = VerifyWorld(parameters=parameters)
    release = verify.given_a_release()
    verify.deployments.alarm("web-5xx", "OK")
    first = verify.invoke(ecs_hook_event(release.service_arn, hook_details={"team": "payments"}))
    # 120 s asked, 60 s returned: the largest callBackDelay AWS's document shows (no bound is documented).
    assert (first["hookStatus"], first["callBackDelay"]) == ("IN_PROGRESS", 60)
    assert first["hookDetails"]["team"] == "payments"  # the service's own hookDetails are kept
    verify.clock.advance(120)
    second = verify.invoke(ecs_hook_event(release.service_arn, hook_details=first["hookDetails"]))
    assert second["hookStatus"] == "IN_PROGRESS"
    verify.clock.advance(181)
    assert (
        verify.invoke(ecs_hook_event(release.service_arn, hook_details=second["hookDetails"]))["hookStatus"]
        == "SUCCEEDED"
    )


def test_an_ecs_lifecycle_hook_fails_if_an_alarm_fires_during_the_bake(aws: None) -> None:
    verify = VerifyWorld(parameters={"VerifyServices": '{"web": {"alarms": ["web-5xx"], "bake_seconds": 300}}'})
    release = verify.given_a_release()
    verify.deployments.alarm("web-5xx", "OK")
    first = verify.invoke(ecs_hook_event(release.service_arn))
    verify.deployments.set_alarm("web-5xx", "ALARM")
    verify.clock.advance(60)
    assert (
        verify.invoke(ecs_hook_event(release.service_arn, hook_details=first["hookDetails"]))["hookStatus"] == "FAILED"
    )


def test_a_malformed_ecs_lifecycle_hook_still_gets_failed(verify: VerifyWorld) -> None:
    result = verify.invoke({"executionId": "x", "lifecycleStage": "POST_TEST_TRAFFIC_SHIFT", "executionDetails": {}})
    assert result["hookStatus"] == "FAILED"
    assert "the service ARN is not text: None" in result["reason"]


# -- direct invocation (CI) ------------------------------------------------------------------------


def test_a_ci_pipeline_gets_the_report_back(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    report = verify.invoke(
        {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    )
    assert report["verdict"] == "PASSED"
    assert report["trigger"] == "direct"
    assert [c["name"] for c in report["checks"]] == ["deployment", "tasks", "container-health", "targets"]


def test_a_ci_pipeline_with_bad_checks_gets_every_error_back(verify: VerifyWorld) -> None:
    verify.given_a_release()
    result = verify.invoke(
        {
            "cluster": "prod",
            "service": "web",
            "expected_task_definition": "web:2",
            "checks": {"smoke": [{"url": "http://127.0.0.1/", "retries": 9}], "bake_seconds": -1},
        }
    )
    assert result["status"] == "rejected"
    assert "retries must be a whole number from 0 to 5" in result["reason"]
    assert "bake_seconds must be a whole number" in result["reason"]


def test_an_event_from_a_cluster_the_function_does_not_watch_is_acknowledged_not_failed(verify: VerifyWorld) -> None:
    # CLUSTER_NAMES is "prod" in this world, and IAM would deny reading any other cluster.
    event = deployment_event(
        "arn:aws:ecs:us-east-1:123456789012:service/staging/web", "SERVICE_DEPLOYMENT_COMPLETED", "ecs-svc/1"
    )
    result = verify.invoke(event)
    assert result["status"] == "ignored"
    assert "'staging' is not one of CLUSTER_NAMES" in result["reason"]
    assert verify.dead_letters() == []


def test_an_ecs_lifecycle_hook_that_passed_is_answered_succeeded_even_when_sns_refuses_the_message(
    aws: None,
) -> None:
    missing_topic = "arn:aws:sns:us-east-1:123456789012:deleted-topic"
    # The template has no parameter for the topic: an operator pointed the function at a topic since deleted.
    verify = VerifyWorld(parameters={"Announce": "everything"}, environment={"NOTIFICATION_TOPIC_ARN": missing_topic})
    release = verify.given_a_release()
    result = verify.invoke(ecs_hook_event(release.service_arn))
    assert result["hookStatus"] == "SUCCEEDED"


def test_a_ci_call_after_a_circuit_breaker_rollback_fails_because_the_old_revision_runs(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    # The pipeline deployed web:N+1; ECS's circuit breaker rolled the service back to web:N, which is healthy.
    verify.deployments.complete_rollout("web", release.known_good)
    report = verify.invoke(
        {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    )
    assert report["verdict"] == "FAILED"
    assert f"4 running task(s) are not on {revision_of(release.task_definition)}" in report["reason"]


def test_a_ci_call_that_names_no_release_is_refused_not_passed(verify: VerifyWorld) -> None:
    verify.given_a_release()
    result = verify.invoke({"cluster": "prod", "service": "web"})
    assert result["status"] == "rejected"
    assert "expected_task_definition (family:revision or ARN) or expected_image" in result["reason"]


def test_a_codedeploy_hook_whose_smoke_endpoint_hangs_is_answered_failed_before_lambda_s_timeout(aws: None) -> None:
    # The endpoint answers after 20 s; the check would wait 10 s for it. Wide margins: a loaded machine
    # may add seconds to the invocation, never 10.
    with local_http_server({"/health": Route(200, "ok", delay_seconds=20.0)}) as server:
        services = {"prod/web": {"smoke": [{"url": server.url("/health"), "timeout_seconds": 10, "retries": 0}]}}
        verify = VerifyWorld(parameters={"VerifyServices": json.dumps(services)})
        verify.given_a_release()
        deployment = verify.deployments.codedeploy_deployment("web")
        started = time.monotonic()
        # 16 s left in the invocation: 15 s are kept for what follows, so the smoke run gets 1 s.
        result = verify.invoke(codedeploy_hook_event(deployment, "exec-slow"), remaining_millis=16_000)
        elapsed = time.monotonic() - started
    assert verify.gaps.hook_answers == {"exec-slow": "Failed"}
    assert result["verdict"] == "FAILED"
    smoke = next(c for c in result["checks"] if c["name"] == "smoke")
    assert "smoke budget spent after 1 attempt(s)" in smoke["evidence"][0]
    # Never the request's own 10 s timeout (nor the endpoint's 20 s): the budget cut it. The rest of the
    # invocation is moto calls, which a loaded machine (CI, helpers) can slow by a few seconds.
    assert elapsed < 10
