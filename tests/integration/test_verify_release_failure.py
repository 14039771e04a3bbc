"""One circuit-breaker failure, one notification and one report: ECS announces it twice
(SERVICE_DEPLOYMENT_FAILED of the failing deployment, and SERVICE_DEPLOYMENT_IN_PROGRESS "rolling back
to deploymentId ..."), in an order and with a ``deploymentId`` for the second that the documents leave
open; the verify job keys the failure by the failing deployment."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.ecs.deployments import deployment_event
from simulator.fleet.fleet import SimulatedFleet
from simulator.worlds.verify import Release, VerifyWorld

FAILED_REASON = "ECS deployment circuit breaker: task failed to start."
PREVIOUS_DEPLOYMENT = "ecs-svc/6538016222865037559"  # the last COMPLETED one, which ECS returns to


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld()


def _failed(release: Release) -> dict[str, Any]:
    return deployment_event(
        release.service_arn,
        "SERVICE_DEPLOYMENT_FAILED",
        release.deployment_id,
        reason=FAILED_REASON,
        event_type="ERROR",
    )


def _rolling_back(release: Release, *, named: str) -> dict[str, Any]:
    reason = f"ECS deployment circuit breaker: rolling back to deploymentId {PREVIOUS_DEPLOYMENT}."
    return deployment_event(release.service_arn, "SERVICE_DEPLOYMENT_IN_PROGRESS", named, reason=reason)


def _failure_notices(notifications: list[dict[str, str]]) -> list[dict[str, str]]:
    return [n for n in notifications if "FAILED" in n["subject"]]


@pytest.mark.parametrize("rollback_event_names", ["the rollback deployment", "the failing deployment"])
@pytest.mark.parametrize("order", ["failed first", "rolling back first"])
def test_one_circuit_breaker_failure_is_announced_once_whichever_deployment_and_order_ecs_uses(
    verify: VerifyWorld, rollback_event_names: str, order: str
) -> None:
    release = verify.given_a_release(circuit_breaker_rollback=True)
    rollback_id = verify.deployments.circuit_breaker_rolling_back("web", release.deployment_id)
    named = rollback_id if rollback_event_names == "the rollback deployment" else release.deployment_id
    events = [_failed(release), _rolling_back(release, named=named)]
    if order == "rolling back first":
        events.reverse()

    first, second = (verify.invoke(event) for event in events)

    assert first["verdict"] == "RELEASE_FAILED"
    assert first["deployment_id"] == release.deployment_id  # the failing deployment, whatever the event named
    assert second.get("duplicate") is True
    assert len(_failure_notices(verify.notifications())) == 1


def test_a_failed_deployment_without_a_rollback_is_still_announced(verify: VerifyWorld) -> None:
    release = verify.given_a_release(circuit_breaker_rollback=False)

    report = verify.invoke(_failed(release))

    assert (report["verdict"], report["deployment_id"]) == ("RELEASE_FAILED", release.deployment_id)
    assert len(_failure_notices(verify.notifications())) == 1


def test_two_failed_releases_are_two_notifications(verify: VerifyWorld) -> None:
    release = verify.given_a_release(circuit_breaker_rollback=True)
    verify.invoke(_failed(release))
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    later = verify.deployments.complete_rollout("web", v3)

    verify.invoke(
        deployment_event(
            release.service_arn, "SERVICE_DEPLOYMENT_FAILED", later, reason=FAILED_REASON, event_type="ERROR"
        )
    )

    assert len(_failure_notices(verify.notifications())) == 2


def test_the_demo_s_release_that_trips_the_circuit_breaker_is_announced_once(fleet: SimulatedFleet) -> None:
    fleet.crash_looping_images.add("registry.example.com/web:broken")
    fleet.release("registry.example.com/web:broken")
    fleet.run_for(300)

    states = [state for _, _, state in fleet.record.deployments]
    assert states.count("SERVICE_DEPLOYMENT_FAILED") == 1
    verify_results = [e.result for e in fleet.account.timeline if e.function == "verify" and isinstance(e.result, dict)]
    failures = [r for r in verify_results if r.get("verdict") == "RELEASE_FAILED"]
    [report] = [r for r in failures if not r.get("duplicate")]  # ECS's second announcement is a duplicate
    assert len(failures) == 2
    released = next(r for r in verify_results if r.get("status") == "ignored")["reason"].split()[1]
    assert report["deployment_id"] == released  # the deployment that failed, not the rollback's
    assert len(_failure_notices(fleet.account.notifications())) == 1
