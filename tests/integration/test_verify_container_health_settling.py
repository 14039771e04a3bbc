"""An essential container still in its first health checks at SERVICE_DEPLOYMENT_COMPLETED: UNKNOWN settles
within the bound its health check gives, UNHEALTHY fails at once (the third adversarial review, issue 14);
and each container of a simulated task is reported with its own image."""

from __future__ import annotations

import pytest

from simulator.ecs.deployments import SIDECAR
from simulator.worlds.verify import VerifyWorld


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld(parameters={"VerifyRollbackEnabled": "true"})


def test_an_essential_container_still_in_its_first_health_checks_settles_and_is_not_rolled_back(
    verify: VerifyWorld,
) -> None:
    # HealthCheck (ECS API Reference): UNKNOWN is "The container health check is being evaluated, there's
    # no container health check defined, or Amazon ECS doesn't have the health status of the container":
    # a task started moments ago (a replacement, a task moved off a draining host) is UNKNOWN until its
    # first check passes, or for the whole ``startPeriod``. That settles by itself, like a target in
    # ELB's ``initial`` state. (It failed at once, and with rollback on the good release was rolled back.)
    release = verify.given_a_release()
    verify.deployments.set_container_health("web", "UNKNOWN", 1, container="web")

    report = verify.invoke(verify.completed_event(release))

    assert report["verdict"] == "SETTLING"
    assert verify.gaps.updates == []  # not rolled back


def test_an_essential_container_that_stays_unknown_fails_at_the_bound_its_health_check_gives(
    verify: VerifyWorld,
) -> None:
    # The web container's health check: the defaults (interval 30 s, 3 retries, timeout 5 s): 95 s to
    # decide. Still UNKNOWN after that bound (and the target groups' own), the release fails.
    release = verify.given_a_release()
    verify.deployments.set_container_health("web", "UNKNOWN", 1, container="web")

    assert verify.invoke(verify.completed_event(release))["verdict"] == "SETTLING"
    verify.run_bake()

    [note] = verify.notifications()
    assert "FAILED verification - rolled back" in note["subject"]
    assert "still so after" in note["message"] and "UNKNOWN" in note["message"]


def test_an_essential_container_that_is_unhealthy_fails_at_once(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.deployments.set_container_health("web", "UNHEALTHY", 1, container="web")

    report = verify.invoke(verify.completed_event(release))

    assert report["verdict"] == "FAILED"
    assert verify.pending_rechecks() == []


def test_the_simulated_describe_tasks_reports_each_container_with_its_own_image(verify: VerifyWorld) -> None:
    # DescribeTasks' Container.image is that container's image (the simulation once gave every container
    # the first container definition's image and digest).
    verify.given_a_release(sidecar=True)
    tasks = [t.task_arn for t in verify.deployments.services["web"].tasks]
    described = verify.session.client("ecs").describe_tasks(cluster="prod", tasks=tasks)["tasks"]
    sidecars = [c for t in described for c in t["containers"] if c["name"] == SIDECAR]
    assert len(sidecars) == len(tasks)
    assert all(c["image"].startswith("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable") for c in sidecars)
