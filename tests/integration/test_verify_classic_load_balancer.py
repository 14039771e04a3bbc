"""A rolling service behind a Classic Load Balancer: ECS gives its deployments no rollout state.

"The rolloutState of a service is only returned for services that use the rolling update (ECS)
deployment type that aren't behind a Classic Load Balancer" (Deployment, ECS API Reference). The
simulated ECS answers DescribeServices that way (simulator/ecs/classic_load_balancers.py). A good
release there is judged as ECS's services-stable waiter judges a rollout: one deployment left, all its
tasks running; a rollout still under way is waited out, and one that never finishes still fails.
"""

from __future__ import annotations

import pytest

from simulator.ecs.classic_load_balancers import put_behind_a_classic_load_balancer
from simulator.worlds.verify import Release, VerifyWorld

ROLLBACK_ON = {"VerifyRollbackEnabled": "true", "Announce": "everything"}


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld(parameters=ROLLBACK_ON)


def given_a_release_behind_a_classic_load_balancer(verify: VerifyWorld) -> Release:
    release = verify.given_a_release()
    put_behind_a_classic_load_balancer(verify.deployments, "web")
    return release


def deployment_check(report: dict[str, object]) -> dict[str, str]:
    return next(c for c in report["checks"] if c["name"] == "deployment")  # type: ignore[attr-defined, index]


def test_ecs_describes_the_service_s_deployments_without_a_rollout_state(verify: VerifyWorld) -> None:
    given_a_release_behind_a_classic_load_balancer(verify)

    [service] = verify.session.client("ecs").describe_services(cluster="prod", services=["web"])["services"]

    assert [lb["loadBalancerName"] for lb in service["loadBalancers"]] == ["web-classic"]
    assert all("rolloutState" not in d and "rolloutStateReason" not in d for d in service["deployments"])


def test_a_good_release_behind_a_classic_load_balancer_passes_from_ci_and_is_not_rolled_back(
    verify: VerifyWorld,
) -> None:
    release = given_a_release_behind_a_classic_load_balancer(verify)

    report = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": release.task_definition})

    assert report["verdict"] == "PASSED", report["reason"]
    assert "Classic Load Balancer (web-classic)" in deployment_check(report)["summary"]
    assert verify.gaps.updates == []


def test_a_good_release_behind_a_classic_load_balancer_passes_from_its_completed_event(verify: VerifyWorld) -> None:
    release = given_a_release_behind_a_classic_load_balancer(verify)

    report = verify.invoke(verify.completed_event(release))

    assert report["verdict"] == "PASSED", report["reason"]
    assert verify.known_good(release.service_arn) == release.task_definition


def test_a_rollout_still_under_way_behind_a_classic_load_balancer_is_waited_out(verify: VerifyWorld) -> None:
    release = given_a_release_behind_a_classic_load_balancer(verify)
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    deployment = verify.deployments.complete_rollout("web", v3, old_deployment_listed_for=60)

    first = verify.invoke(verify.completed_event_for(release, deployment))
    verify.run_bake()

    assert first["verdict"] == "SETTLING"
    assert verify.gaps.updates == []
    assert verify.known_good(release.service_arn) == v3


def test_a_rollout_behind_a_classic_load_balancer_that_never_finishes_still_fails(verify: VerifyWorld) -> None:
    release = given_a_release_behind_a_classic_load_balancer(verify)
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    deployment = verify.deployments.stuck_rollout("web", v3)

    verify.invoke(verify.completed_event_for(release, deployment))
    verify.run_bake()

    [note] = verify.notifications()
    assert "FAILED" in note["subject"]
    assert "no rollout state for a service behind a Classic Load Balancer" in note["message"]
