"""On failure: back to the last known-good task definition, but never a rollback of a rollback, never
against ECS's circuit breaker, at most N per service per window, and only when configured."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from fleetops.errors import ConfigurationError
from simulator.ecs.deployments import deployment_event
from simulator.http_server import Route, local_http_server
from simulator.worlds.verify import VerifyWorld, revision_of

ROLLBACK_ON = {
    "VerifyRollbackEnabled": "true",
    "VerifyRollbackMaxPerWindow": "1",
    "VerifyRollbackWindowSeconds": "3600",
}


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld(parameters=ROLLBACK_ON)


def test_a_release_that_fails_verification_is_rolled_back_to_the_known_good_revision(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.deployments.set_container_health("web", "UNHEALTHY", 4)
    report = verify.invoke(verify.completed_event(release))
    metrics = verify.function.last_output.values  # Powertools writes metrics to its logs (CloudWatch EMF)
    assert metrics["VerificationsFailed"] == [1.0] and metrics["RollbacksStarted"] == [1.0]
    assert report["verdict"] == "FAILED"
    assert report["rollback"]["action"] == "update-service"
    assert report["rollback"]["target_task_definition"] == release.known_good
    assert verify.service_task_definition("web") == release.known_good
    [update] = verify.gaps.updates
    assert report["rollback"]["new_deployment_id"] == update["deployment_id"]
    [note] = verify.notifications()
    assert note["subject"] == "ATTENTION release of prod/web FAILED verification - rolled back"
    assert "Failing check: container-health - 4 of 4 health-checked container(s) are not HEALTHY" in note["message"]
    assert (
        f"What was done: rolling back to the last known-good {release.known_good} with UpdateService" in note["message"]
    )


def test_the_rollback_deployment_is_never_rolled_back_itself(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.deployments.stop_running("web", 1)
    first = verify.invoke(verify.completed_event(release))
    rollback_deployment = first["rollback"]["new_deployment_id"]
    # The rollback completes, but it is unhealthy too (the known-good was not so good).
    verify.deployments.complete_rollout("web", release.known_good, deployment_id=rollback_deployment)
    verify.deployments.set_container_health("web", "UNHEALTHY", 1)
    second = verify.invoke(deployment_event(release.service_arn, "SERVICE_DEPLOYMENT_COMPLETED", rollback_deployment))
    assert second["verdict"] == "FAILED"
    assert second["rollback"]["action"] == "none"
    assert "itself a rollback" in second["rollback"]["reason"]
    assert len(verify.gaps.updates) == 1
    assert "NOT rolled back: the failing deployment is itself a rollback" in verify.notifications()[-1]["message"]


def test_a_rollout_still_in_progress_is_rolled_back_with_ecs_s_own_rollback(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    verify.deployments.stuck_rollout("web", v3)
    report = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": revision_of(v3)})
    assert report["verdict"] == "FAILED"
    assert report["rollback"]["action"] == "stop-service-deployment"
    [deployment] = verify.gaps.service_deployments
    assert (deployment.stop_type, deployment.status) == ("ROLLBACK", "ROLLBACK_REQUESTED")
    assert verify.gaps.updates == []
    assert verify.known_good(release.service_arn) == release.known_good


def test_a_circuit_breaker_rollback_under_way_is_not_fought(verify: VerifyWorld) -> None:
    release = verify.given_a_release(circuit_breaker_rollback=True)
    rollback_id = verify.deployments.circuit_breaker_rolling_back("web", release.deployment_id)
    reason = f"ECS deployment circuit breaker: rolling back to deploymentId {release.deployment_id}."
    report = verify.invoke(
        deployment_event(release.service_arn, "SERVICE_DEPLOYMENT_IN_PROGRESS", rollback_id, reason=reason)
    )
    assert report["verdict"] == "RELEASE_FAILED"
    assert report["rollback"]["action"] == "none"
    assert verify.gaps.updates == [] and verify.gaps.service_deployments == []


def test_a_failed_verification_of_a_deployment_ecs_failed_on_its_deployment_alarms_is_left_to_ecs_s_rollback(
    verify: VerifyWorld,
) -> None:
    release = verify.given_a_release(alarms_rollback=True)
    failed = verify.deployments.deployment_alarm_failed("web")
    report = verify.invoke(
        {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    )
    assert report["verdict"] == "FAILED"
    assert report["rollback"]["action"] == "none"
    assert report["rollback"]["reason"] == (
        f"ECS failed deployment {failed} and rolls it back itself (deployment alarms): not fighting it"
    )
    assert verify.gaps.updates == [] and verify.gaps.service_deployments == []
    assert verify.service_task_definition("web") == release.task_definition


def test_a_failed_deployment_on_a_service_whose_deployment_alarms_roll_back_is_left_to_ecs(verify: VerifyWorld) -> None:
    release = verify.given_a_release(alarms_rollback=True)
    event = deployment_event(
        release.service_arn, "SERVICE_DEPLOYMENT_FAILED", release.deployment_id, event_type="ERROR"
    )
    report = verify.invoke(event)
    assert report["rollback"]["action"] == "none"
    assert "ECS rolls this failed deployment back itself (deployment alarms)" in report["rollback"]["reason"]
    assert verify.gaps.updates == []


def test_a_service_deployment_ecs_is_rolling_back_is_seen_and_not_fought(verify: VerifyWorld) -> None:
    verify.given_a_release()
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    verify.deployments.stuck_rollout("web", v3)
    rolling_back = verify.deployments.ecs_rolling_back_service_deployment("web")
    report = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": revision_of(v3)})
    assert report["verdict"] == "FAILED"
    assert report["rollback"]["action"] == "none"
    assert report["rollback"]["reason"].startswith(
        f"ECS is already rolling back service deployment {rolling_back.arn} (ROLLBACK_IN_PROGRESS): not fighting it"
    )
    assert verify.gaps.updates == [] and rolling_back.stop_type is None


def test_a_failed_deployment_on_a_service_whose_circuit_breaker_rolls_back_is_left_to_ecs(verify: VerifyWorld) -> None:
    release = verify.given_a_release(circuit_breaker_rollback=True)
    event = deployment_event(
        release.service_arn, "SERVICE_DEPLOYMENT_FAILED", release.deployment_id, event_type="ERROR"
    )
    report = verify.invoke(event)
    assert report["rollback"]["reason"].startswith("ECS's circuit breaker rolls this failed deployment back itself")
    assert verify.gaps.updates == []


def test_a_failed_deployment_without_a_circuit_breaker_rollback_is_rolled_back_by_us(verify: VerifyWorld) -> None:
    release = verify.given_a_release(circuit_breaker_rollback=False)
    event = deployment_event(
        release.service_arn, "SERVICE_DEPLOYMENT_FAILED", release.deployment_id, event_type="ERROR"
    )
    report = verify.invoke(event)
    assert report["verdict"] == "RELEASE_FAILED"
    assert report["rollback"]["action"] == "update-service"
    assert verify.service_task_definition("web") == release.known_good


def test_rollbacks_are_capped_per_service_per_window(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.deployments.stop_running("web", 1)
    assert verify.invoke(verify.completed_event(release))["rollback"]["action"] == "update-service"

    # Ten minutes later someone ships web:3, and it is bad too: the cap (1 an hour) holds.
    verify.clock.advance(600)
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    third = verify.deployments.complete_rollout("web", v3)
    verify.deployments.stop_running("web", 1)
    capped = verify.invoke(deployment_event(release.service_arn, "SERVICE_DEPLOYMENT_COMPLETED", third))
    assert capped["rollback"]["action"] == "none"
    assert "rollback cap reached: 1 rollback(s) of this service in the last 3600 s" in capped["rollback"]["reason"]

    # An hour on, the window has moved: web:4 failing is rolled back again.
    verify.clock.advance(3600)
    v4 = verify.deployments.task_definition("registry.example.com/web:4")
    fourth = verify.deployments.complete_rollout("web", v4)
    verify.deployments.stop_running("web", 1)
    again = verify.invoke(deployment_event(release.service_arn, "SERVICE_DEPLOYMENT_COMPLETED", fourth))
    assert again["rollback"]["action"] == "update-service"
    assert len(verify.gaps.updates) == 2


def test_without_rollback_configured_a_failure_is_reported_and_nothing_is_touched(aws: None) -> None:
    verify = VerifyWorld()
    release = verify.given_a_release()
    verify.deployments.stop_running("web", 1)
    report = verify.invoke(verify.completed_event(release))
    assert report["rollback"]["reason"] == "rollback is not configured for this service (reported only)"
    assert verify.service_task_definition("web") == release.task_definition
    assert verify.gaps.updates == []


def test_rollback_can_be_switched_on_for_one_service(aws: None) -> None:
    # The stack may roll back (VerifyRollbackEnabled=true); every other service opts out.
    services = '{"*": {"rollback": false}, "prod/web": {"rollback": true}}'
    verify = VerifyWorld(parameters={"VerifyRollbackEnabled": "true", "VerifyServices": services})
    release = verify.given_a_release()
    verify.deployments.stop_running("web", 1)
    assert verify.invoke(verify.completed_event(release))["rollback"]["action"] == "update-service"
    assert verify.settings.rollback_wanted(verify.settings.checks_for("prod", "api")) is False


def test_a_stack_that_may_not_roll_back_refuses_a_service_configured_to(aws: None) -> None:
    with pytest.raises(ConfigurationError, match=r"VERIFY_SERVICES\['prod/web'\] asks for a rollback"):
        VerifyWorld(parameters={"VerifyServices": '{"prod/web": {"rollback": true}}'})


def test_a_ci_call_that_skips_the_checks_never_makes_its_release_the_known_good(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    revision = revision_of(release.task_definition)
    # A pipeline asks for no checks at all: it passes, but proves nothing about the release.
    ci = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": revision, "checks": {}})
    assert ci["verdict"] == "PASSED"
    assert verify.known_good(release.service_arn) == release.known_good
    # The configured verification then finds the release bad: the rollback is not refused.
    verify.deployments.set_container_health("web", "UNHEALTHY", 4)
    report = verify.invoke(verify.completed_event(release))
    assert report["rollback"]["action"] == "update-service"
    assert verify.service_task_definition("web") == release.known_good


def test_ecs_s_rollback_stops_the_failing_deployment_not_whichever_is_listed_first(verify: VerifyWorld) -> None:
    verify.given_a_release()
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    v4 = verify.deployments.task_definition("registry.example.com/web:4")
    verify.deployments.stuck_rollout("web", v3)
    verify.deployments.another_service_deployment_listed_first("web", v4)
    report = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": revision_of(v3)})
    assert report["rollback"]["action"] == "stop-service-deployment"
    other, failing = verify.gaps.service_deployments
    assert (failing.task_definition, failing.stop_type) == (v3, "ROLLBACK")
    assert (other.task_definition, other.status) == (v4, "IN_PROGRESS")  # untouched


def test_a_circuit_breaker_rollback_that_began_during_the_smoke_check_is_not_fought(verify: VerifyWorld) -> None:
    release = verify.given_a_release()

    def circuit_breaker_trips() -> None:
        verify.deployments.circuit_breaker_rolling_back("web", release.deployment_id)

    with local_http_server({"/health": Route(500, "boom", on_request=circuit_breaker_trips)}) as server:
        report = verify.invoke(
            {
                "cluster": "prod",
                "service": "web",
                "expected_task_definition": revision_of(release.task_definition),
                "checks": {"smoke": [{"url": server.url("/health"), "retries": 0}]},
            }
        )
    assert report["verdict"] == "FAILED"
    assert report["rollback"]["action"] == "none"
    assert report["rollback"]["reason"] == (
        "ECS's circuit breaker is already rolling back: not fighting it (on a fresh look before rolling back)"
    )
    assert verify.gaps.updates == []


def test_a_rollback_aws_refused_does_not_use_up_the_cap_so_the_retry_rolls_back(verify: VerifyWorld) -> None:
    # Found by running the template with ecs:UpdateService taken out: the refusal failed the
    # invocation, and its retry said "rollback cap reached" although nothing had been rolled back.
    release = verify.given_a_release()
    verify.deployments.set_container_health("web", "UNHEALTHY", 4)
    refusals = [ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "UpdateService")]

    def refuse_once(operation: str) -> None:
        if operation == "verify:UpdateService" and refusals:
            raise refusals.pop()

    verify.account.faults.append(refuse_once)
    with pytest.raises(ClientError, match="AccessDenied"):
        verify.invoke(verify.completed_event(release))
    assert verify.service_task_definition("web") == release.task_definition  # nothing changed

    retried = verify.invoke(verify.completed_event(release))

    assert retried["rollback"]["action"] == "update-service", retried["rollback"]
    assert verify.service_task_definition("web") == release.known_good


def test_a_failed_release_whose_rollback_aws_refuses_is_reported_failed_from_ci_with_the_refusal(
    verify: VerifyWorld,
) -> None:
    verify.given_a_release()  # an ECS-controller service: rolled back with UpdateService
    bad = verify.deployments.task_definition("registry.example.com/web:3")
    verify.deployments.complete_rollout("web", bad)
    verify.deployments.set_container_health("web", "UNHEALTHY", 1)

    def refuse(operation: str) -> None:
        if operation == "verify:UpdateService":
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform ecs:UpdateService"}},
                "UpdateService",
            )

    verify.account.faults.append(refuse)
    report = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": bad})

    assert report["verdict"] == "FAILED"
    assert "container-health" in report["reason"]
    assert report["rollback"]["action"] == "none"
    assert report["rollback"]["reason"] == (
        "the rollback was refused by AWS (UpdateService: AccessDeniedException, "
        "not authorized to perform ecs:UpdateService); nothing was rolled back"
    )
    assert verify.service_task_definition("web") == bad
    [note] = verify.notifications()
    assert "NOT rolled back: the rollback was refused by AWS" in note["message"]


# -- ECS's own rollbacks, after they finished, and the ones it is about to start ------------------------


def test_ecs_s_finished_rollback_to_a_revision_other_than_the_known_good_is_reported_not_rolled_back(
    verify: VerifyWorld,
) -> None:
    # web:1 is the known-good; web:2 completed but was never verified good; web:3's rollout fails and
    # ECS's circuit breaker returns the service to web:2. Once that rollback completed, its reason no
    # longer says it was one; the service deployment it belongs to does (ROLLBACK_SUCCESSFUL, rollback).
    release = verify.given_a_release(circuit_breaker_rollback=True)
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    verify.deployments.stuck_rollout("web", v3)
    rollback_deployment = verify.deployments.ecs_rolled_back("web")
    [rolled_back] = verify.gaps.service_deployments
    verify.deployments.set_container_health("web", "UNHEALTHY", 4)

    report = verify.invoke(verify.completed_event_for(release, rollback_deployment))

    assert report["verdict"] == "FAILED"
    assert report["rollback"]["action"] == "none"
    assert report["rollback"]["reason"] == (
        f"ECS rolled back service deployment {rolled_back.arn} to {revision_of(release.task_definition)}; "
        "that revision fails verification: "
        "a person must look (never roll back a rollback) (on a fresh look before rolling back)"
    )
    assert verify.gaps.updates == []
    assert verify.service_task_definition("web") == release.task_definition
    assert "a person must look" in verify.notifications()[-1]["message"]


def test_a_release_deployed_after_ecs_s_rollback_is_rolled_back_as_any_other(verify: VerifyWorld) -> None:
    release = verify.given_a_release(circuit_breaker_rollback=True)
    verify.deployments.stuck_rollout("web", verify.deployments.task_definition("registry.example.com/web:3"))
    verify.deployments.ecs_rolled_back("web")
    v4 = verify.deployments.task_definition("registry.example.com/web:4")
    fourth = verify.deployments.complete_rollout("web", v4)
    verify.deployments.set_container_health("web", "UNHEALTHY", 4)

    report = verify.invoke(verify.completed_event_for(release, fourth))

    assert report["rollback"]["action"] == "update-service"
    assert verify.service_task_definition("web") == release.known_good


def test_ecs_s_circuit_breaker_rollback_seen_starting_is_never_rolled_back_once_it_completed(
    verify: VerifyWorld,
) -> None:
    # No service deployments to read (a service whose history predates them, or a role without the
    # APIs): the verify job remembers the rollback deployment it saw ECS start.
    release = verify.given_a_release(circuit_breaker_rollback=True)
    failing = "ecs-svc/3333333333333333333"
    rollback_deployment = verify.deployments.circuit_breaker_rolling_back("web", failing)
    failed = verify.invoke(
        deployment_event(release.service_arn, "SERVICE_DEPLOYMENT_FAILED", failing, event_type="ERROR")
    )
    assert failed["rollback"]["action"] == "none"
    verify.deployments.complete_rollout("web", release.task_definition, deployment_id=rollback_deployment)
    verify.deployments.set_container_health("web", "UNHEALTHY", 4)

    report = verify.invoke(verify.completed_event_for(release, rollback_deployment))

    assert report["rollback"]["action"] == "none"
    assert report["rollback"]["reason"].startswith(
        f"deployment {rollback_deployment} is ECS's rollback to {revision_of(release.task_definition)}; "
        "that revision fails verification"
    )
    assert verify.gaps.updates == []


def test_a_rollout_whose_deployment_alarm_triggered_is_left_to_ecs_not_stopped_by_us(verify: VerifyWorld) -> None:
    verify.given_a_release(alarms_rollback=True)
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    verify.deployments.stuck_rollout("web", v3)
    triggered = verify.deployments.deployment_alarm_triggered("web")

    report = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": revision_of(v3)})

    assert report["verdict"] == "FAILED"
    assert report["rollback"]["action"] == "none"
    assert report["rollback"]["reason"] == (
        f"deployment alarm(s) web-deployment-errors in ALARM in service deployment {triggered.arn}: "
        "ECS rolls it back itself; not fighting it (on a fresh look before rolling back)"
    )
    assert (triggered.stop_type, triggered.status) == (None, "IN_PROGRESS")
    assert verify.gaps.updates == []
