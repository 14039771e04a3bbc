"""A target group shared with another service's tasks, or holding a target registered by hand, through
the real handler: the release is judged on its own tasks' targets (instance and host port in bridge
mode, the task's address in awsvpc), and the others are reported, never judged."""

from __future__ import annotations

from simulator.worlds.verify import Release, VerifyWorld, revision_of


def targets_check(report: dict[str, object]) -> dict[str, object]:
    return next(c for c in report["checks"] if c["name"] == "targets")  # type: ignore[attr-defined, index]


def another_service_and_a_hand_registered_target_in_its_groups(verify: VerifyWorld, release: Release) -> None:
    """``api`` (2 tasks, one failing its health checks) behind web's target group, on the same hosts,
    and one of those hosts registered by hand on port 8080, unhealthy: nothing of web's."""
    api = verify.deployments.task_definition("registry.example.com/api:7", family="api")
    verify.deployments.create_service("api", api, desired=2, sharing_target_groups_of=release.name)
    verify.deployments.set_target_state("api", "unhealthy", 1, reason="Target.ResponseCodeMismatch")
    host = next(iter(verify.cluster.container_instances))
    verify.deployments.register_by_hand(release.name, host, 8080, "unhealthy")


def test_a_good_release_whose_target_group_also_holds_another_service_s_targets_passes(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    another_service_and_a_hand_registered_target_in_its_groups(verify, release)

    report = verify.invoke(verify.completed_event(release))

    assert report["verdict"] == "PASSED", report["reason"]
    targets = targets_check(report)
    assert (
        targets["summary"]
        == "1 target group(s), 4 healthy target(s) each (3 other target(s) in shared groups not judged)"
    )
    assert verify.known_good(release.service_arn) == release.task_definition  # and nothing was rolled back


def test_a_release_whose_own_task_s_target_is_unhealthy_in_a_shared_group_still_fails(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    another_service_and_a_hand_registered_target_in_its_groups(verify, release)
    verify.deployments.set_target_state(release.name, "unhealthy", 1, reason="Target.Timeout")

    report = verify.invoke(verify.completed_event(release))

    assert report["verdict"] == "FAILED"
    targets = targets_check(report)
    assert str(targets["summary"]).startswith("1 target(s) of web-0/")  # web's one, not api's nor the host's
    assert str(targets["summary"]).endswith(" are not healthy")
    assert any("Target.Timeout" in line for line in targets["evidence"])  # type: ignore[attr-defined]
    assert not any("ResponseCodeMismatch" in line for line in targets["evidence"])  # type: ignore[attr-defined]


def test_an_awsvpc_release_is_matched_by_its_tasks_addresses_in_a_shared_ip_group(verify: VerifyWorld) -> None:
    v1 = verify.deployments.task_definition("registry.example.com/web:1", network_mode="awsvpc")
    verify.deployments.create_service("web", v1, desired=3)
    v2 = verify.deployments.task_definition("registry.example.com/web:2", network_mode="awsvpc")
    verify.deployments.complete_rollout("web", v2)
    verify.deployments.register_by_hand("web", "10.0.1.200", 80, "unhealthy")  # an address no task of web has
    ci = {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(v2)}

    good = verify.invoke(ci)

    assert good["verdict"] == "PASSED", good["reason"]
    assert "1 other target(s) in shared groups not judged" in str(targets_check(good)["summary"])
    verify.deployments.set_target_state("web", "unhealthy", 1)
    assert verify.invoke(ci)["verdict"] == "FAILED"
