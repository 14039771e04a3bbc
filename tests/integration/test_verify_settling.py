"""At SERVICE_DEPLOYMENT_COMPLETED, the documents do not promise that DescribeServices lists one
deployment, nor that the target groups' healthy targets already match the running tasks. A good
release whose targets are still in their initial health checks, or whose old deployment (no task left)
is still listed, is re-checked until it settles and passes; it is neither failed nor rolled back. A
shortfall that does not settle still fails, within the bound the target groups give (health check
interval x healthy threshold + deregistration delay)."""

from __future__ import annotations

import re

import pytest

from simulator.worlds.verify import VerifyWorld

# moto's target groups have ELB's defaults: a check every 30 s, 5 to be healthy, 300 s deregistration.
BOUND = 30 * 5 + 300


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld(parameters={"VerifyRollbackEnabled": "true", "Announce": "everything"})


def test_a_good_release_whose_targets_are_still_initial_at_completed_passes_after_the_wait(
    verify: VerifyWorld,
) -> None:
    release = verify.given_a_release()
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    deployment = verify.deployments.complete_rollout("web", v3, targets_initial_for=120)

    first = verify.invoke(verify.completed_event_for(release, deployment))
    verify.run_bake()

    assert first["verdict"] == "SETTLING"
    assert "targets: 4 target(s) of web-0/" in first["reason"] and "are not healthy" in first["reason"]
    assert verify.gaps.updates == []  # not rolled back
    assert verify.known_good(release.service_arn) == v3
    [note] = verify.notifications()
    assert note["subject"] == "release of prod/web verified: PASSED"
    assert "Waited: waited 120 s for what settles by itself (targets: 4 target(s)" in note["message"]


def test_an_old_deployment_still_listed_without_tasks_at_completed_settles(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    deployment = verify.deployments.complete_rollout("web", v3, old_deployment_listed_for=60)

    first = verify.invoke(verify.completed_event_for(release, deployment))
    verify.run_bake()

    assert first["verdict"] == "SETTLING"
    assert "2 deployments are active, not exactly one" in first["reason"]
    assert verify.known_good(release.service_arn) == v3
    assert verify.gaps.updates == []


def test_a_target_that_failed_its_health_checks_fails_at_once(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.deployments.set_target_state("web", "unhealthy", 1, reason="Target.ResponseCodeMismatch")

    report = verify.invoke(verify.completed_event(release))

    assert report["verdict"] == "FAILED"
    assert report["rollback"]["action"] == "update-service"
    assert verify.pending_rechecks() == []


def test_targets_that_never_pass_their_initial_health_checks_fail_within_the_bound(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    deployment = verify.deployments.complete_rollout("web", v3, targets_initial_for=10 * BOUND)

    assert verify.invoke(verify.completed_event_for(release, deployment))["verdict"] == "SETTLING"
    verify.run_bake()

    assert BOUND <= verify.clock.elapsed() <= BOUND + 60
    [note] = verify.notifications()
    assert "FAILED verification - rolled back" in note["subject"]
    waited = re.search(r"still so after (\d+) s, the bound to settle", note["message"])
    assert waited is not None and BOUND <= int(waited[1]) <= BOUND + 60
    assert verify.service_task_definition("web") == release.known_good
