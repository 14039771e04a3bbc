"""Review 3 of issue 14 (items 1, 4+5, 7, 9): what the change still gets wrong, driven through the real
handler on the simulated AWS. Each test fails on main today (xfail strict) and passes once fixed."""

from __future__ import annotations

import pytest

from tests.support.deployments import SIDECAR
from tests.support.verify_world import VerifyWorld, without_default_amis


@pytest.fixture
def verify(monkeypatch: pytest.MonkeyPatch, aws: None) -> VerifyWorld:
    without_default_amis(monkeypatch)
    return VerifyWorld(environment={"ROLLBACK_ENABLED": "true"})


@pytest.mark.xfail(strict=True, reason="review3 finding 1")
def test_an_essential_container_still_in_its_first_health_checks_settles_and_is_not_rolled_back(
    verify: VerifyWorld,
) -> None:
    # HealthCheck (ECS API Reference): UNKNOWN is "The container health check is being evaluated, there's
    # no container health check defined, or Amazon ECS doesn't have the health status of the container":
    # a task started moments ago (a replacement, a task moved off a draining host) is UNKNOWN until its
    # first check passes, or for the whole ``startPeriod``. That settles by itself, like a target in
    # ELB's ``initial`` state; checks.py:check_container_health fails it at once (settling=False), and
    # with rollback on the good release is rolled back.
    release = verify.given_a_release()
    verify.deployments.set_container_health("web", "UNKNOWN", 1, container="web")

    report = verify.invoke(verify.completed_event(release))

    assert report["verdict"] == "SETTLING"
    assert verify.gaps.updates == []  # not rolled back


@pytest.mark.xfail(strict=True, reason="review3 finding 3")
def test_the_simulated_describe_tasks_reports_each_container_with_its_own_image(verify: VerifyWorld) -> None:
    # DescribeTasks' Container.image is that container's image. tests/support/image_resolution.py:
    # resolve_images gives every container the first container definition's image and digest, so the
    # simulated log-router sidecar "runs" registry.example.com/web:2@sha256:... .
    verify.given_a_release(sidecar=True)
    tasks = [t.task_arn for t in verify.deployments.services["web"].tasks]
    described = verify.session.client("ecs").describe_tasks(cluster="prod", tasks=tasks)["tasks"]
    sidecars = [c for t in described for c in t["containers"] if c["name"] == SIDECAR]
    assert len(sidecars) == len(tasks)
    assert all(c["image"].startswith("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable") for c in sidecars)
