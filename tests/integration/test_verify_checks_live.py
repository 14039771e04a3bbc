"""Every check, passing and failing, on a simulated service (moto) through the real handler.

Moto never starts a service's tasks, never moves rolloutState and reports every target healthy; the
simulation (simulator/ecs/deployments.py, service_deployment_gaps.py, elbv2/gaps.py) does what ECS and
the load balancer would.
"""

from __future__ import annotations

import json

import pytest

from simulator.http_server import Route, local_http_server
from simulator.worlds.verify import VerifyWorld, revision_of


def check(report: dict[str, object], name: str) -> dict[str, object]:
    return next(c for c in report["checks"] if c["name"] == name)  # type: ignore[attr-defined, index]


def test_a_good_release_passes_every_check_with_evidence(verify: VerifyWorld) -> None:
    release = verify.given_a_release(target_groups=2)
    report = verify.invoke(verify.completed_event(release))
    assert report["verdict"] == "PASSED"
    assert {c["name"]: c["status"] for c in report["checks"]} == {
        "deployment": "PASSED",
        "tasks": "PASSED",
        "container-health": "PASSED",
        "targets": "PASSED",
    }
    assert check(report, "targets")["summary"] == "2 target group(s), 4 healthy target(s) each"
    assert verify.known_good(release.service_arn) == release.task_definition


def test_a_rollout_stuck_in_progress_fails_the_deployment_check(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    v3 = verify.deployments.task_definition("registry.example.com/web:3")
    verify.deployments.stuck_rollout("web", v3)
    report = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": revision_of(v3)})
    assert report["verdict"] == "FAILED"
    assert "rollout state is IN_PROGRESS" in check(report, "deployment")["summary"]
    assert "2 deployments are active" in check(report, "deployment")["summary"]
    assert verify.known_good(release.service_arn) == release.known_good


def test_a_good_release_with_task_failures_its_circuit_breaker_did_not_reset_passes(verify: VerifyWorld) -> None:
    # resetOnHealthyTask off: ECS keeps the count of failures the rollout got over (below the breaker's
    # threshold, 3 for 4 tasks) after the deployment COMPLETED. One transient failure is not a bad release.
    release = verify.given_a_release(reset_on_healthy_task=False)
    verify.deployments.fail_tasks("web", 1)
    report = verify.invoke(verify.completed_event(release))
    assert report["verdict"] == "PASSED"
    assert "failed=1" in check(report, "deployment")["evidence"][0]  # type: ignore[index]
    assert verify.known_good(release.service_arn) == release.task_definition


def test_tasks_that_crash_after_they_started_fail_the_task_check_not_failed_tasks(verify: VerifyWorld) -> None:
    # With resetOnHealthyTask on (the default), failedTasks is 0 again once a task runs: a task that
    # crashes later is seen as a task missing, never as a failed-task count.
    release = verify.given_a_release()
    verify.deployments.fail_tasks("web", 2)
    verify.deployments.stop_running("web", 1)
    report = verify.invoke(verify.completed_event(release))
    assert "failed=0" in check(report, "deployment")["evidence"][0]  # type: ignore[index]
    assert check(report, "deployment")["status"] == "PASSED"
    assert check(report, "tasks")["status"] == "FAILED"


def test_fewer_tasks_running_than_desired_fails_the_task_check(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.deployments.stop_running("web", 1)
    report = verify.invoke(verify.completed_event(release))
    assert check(report, "tasks")["status"] == "FAILED"
    assert "3 task(s) running, 4 desired" in check(report, "tasks")["summary"]


def test_the_expected_task_definition_and_image_digest_from_ci_are_enforced(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    revision = release.task_definition.rsplit("/", 1)[-1]  # "web:N", as a CI job names it
    digest = "sha256:" + "c" * 64
    verify.deployments.set_image_digest("web", digest)
    good = verify.invoke(
        {
            "cluster": "prod",
            "service": "web",
            "expected_task_definition": revision,
            "expected_image": f"repo/web@{digest}",
        }
    )
    assert good["verdict"] == "PASSED"
    stale = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": "web:99"})
    assert stale["verdict"] == "FAILED"
    assert "4 running task(s) are not on web:99" in check(stale, "tasks")["summary"]
    wrong_image = verify.invoke({"cluster": "prod", "service": "web", "expected_image": "repo/web@sha256:" + "d" * 64})
    assert "4 running task(s) do not run image" in check(wrong_image, "tasks")["summary"]


@pytest.mark.parametrize("sidecar_health", ["UNHEALTHY", "UNKNOWN"])
def test_a_good_release_whose_non_essential_sidecar_is_not_healthy_passes_and_says_so(
    verify: VerifyWorld, sidecar_health: str
) -> None:
    release = verify.given_a_release(sidecar=True)
    verify.deployments.set_container_health("web", sidecar_health, 2, container="log-router")
    described = verify.session.client("ecs").describe_tasks(
        cluster="prod", tasks=[t.task_arn for t in verify.deployments.services["web"].tasks]
    )["tasks"]
    assert {t["healthStatus"] for t in described} == {"HEALTHY"}  # ECS: a sidecar's health is not the task's
    report = verify.invoke(verify.completed_event(release))
    assert report["verdict"] == "PASSED"
    health = check(report, "container-health")
    assert health["summary"] == (
        "4 health-checked container(s) HEALTHY; "
        f"2 non-essential container(s) not HEALTHY, not judged (2 {sidecar_health})"
    )
    evidence: list[str] = health["evidence"]  # type: ignore[assignment]
    assert sum(line.endswith(f"log-router: {sidecar_health} (non-essential, not judged)") for line in evidence) == 2
    assert verify.known_good(release.service_arn) == release.task_definition


def test_an_unhealthy_essential_container_beside_a_sidecar_still_fails(verify: VerifyWorld) -> None:
    release = verify.given_a_release(sidecar=True)
    verify.deployments.set_container_health("web", "UNHEALTHY", 1, container="web")
    report = verify.invoke(verify.completed_event(release))
    assert report["verdict"] == "FAILED"
    assert (
        check(report, "container-health")["summary"]
        == "1 of 4 health-checked container(s) are not HEALTHY (1 UNHEALTHY)"
    )


def test_an_unhealthy_container_fails_the_health_check(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    verify.deployments.set_container_health("web", "UNHEALTHY", 2)
    report = verify.invoke(verify.completed_event(release))
    assert check(report, "container-health")["status"] == "FAILED"
    assert (
        check(report, "container-health")["summary"]
        == "2 of 4 health-checked container(s) are not HEALTHY (2 UNHEALTHY)"
    )


def test_an_unhealthy_target_in_the_second_group_fails_and_draining_ones_do_not(verify: VerifyWorld) -> None:
    release = verify.given_a_release(target_groups=2)
    verify.deployments.set_target_state("web", "draining", 1, group=0)
    # 3 live targets for 4 tasks: it may be registration lag, so re-checked; it never settles, so it fails.
    assert verify.invoke(verify.completed_event(release))["verdict"] == "SETTLING"
    verify.run_bake()
    [note] = verify.notifications()
    assert "FAILED verification" in note["subject"] and "still so after" in note["message"]
    verify.deployments.set_target_state("web", "unhealthy", 1, group=1, reason="Target.ResponseCodeMismatch")
    report = verify.invoke(
        {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    )
    targets = check(report, "targets")
    assert targets["status"] == "FAILED"
    assert "1 target(s) of web-1/" in str(targets["summary"])
    assert any("Target.ResponseCodeMismatch" in line for line in targets["evidence"])  # type: ignore[attr-defined]


def test_smoke_checks_pass_and_fail_against_a_real_local_server(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    revision = revision_of(release.task_definition)
    with local_http_server({"/health": Route(200, "ok"), "/api/orders": Route(500, "boom")}) as server:
        good = verify.invoke(
            {
                "cluster": "prod",
                "service": "web",
                "expected_task_definition": revision,
                "checks": {"smoke": [{"url": server.url("/health"), "expect_body": "ok"}]},
            }
        )
        bad = verify.invoke(
            {
                "cluster": "prod",
                "service": "web",
                "expected_task_definition": revision,
                "checks": {"smoke": [{"url": server.url("/api/orders"), "retries": 2}]},
            }
        )
    assert good["verdict"] == "PASSED"
    assert bad["verdict"] == "FAILED"
    assert "-> 500: expected status 200, got 500 (3 attempt(s))" in check(bad, "smoke")["evidence"][0]  # type: ignore[index]
    assert verify.sleeps == [1.0, 2.0]  # backoff on the simulated clock, no real sleep


def test_a_smoke_check_to_a_host_nobody_allowed_is_refused_before_any_request(verify: VerifyWorld) -> None:
    verify.given_a_release()
    result = verify.invoke(
        {
            "cluster": "prod",
            "service": "web",
            "expected_task_definition": "web:2",
            "checks": {"smoke": [{"url": "http://169.254.169.254/latest/meta-data/"}]},
        }
    )
    assert result["status"] == "rejected"
    assert "'169.254.169.254' is not on the allow-list" in result["reason"]
    assert verify.dead_letters()[0]["function"] == "verify"


def test_an_alarm_in_alarm_fails_and_a_misspelt_alarm_is_not_silently_ok(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    ci_call = {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    verify.deployments.alarm("web-5xx", "ALARM")
    firing = verify.invoke({**ci_call, "checks": {"alarms": ["web-5xx"]}})
    assert check(firing, "alarms")["summary"] == "1 alarm(s) in ALARM: web-5xx"
    missing = verify.invoke({**ci_call, "checks": {"alarms": ["web-5xxx"]}})
    assert "do not exist: web-5xxx" in str(check(missing, "alarms")["summary"])


def test_a_service_of_250_tasks_is_read_on_every_page_and_described_in_batches(verify: VerifyWorld) -> None:
    release = verify.given_a_release(desired=250)
    verify.api.reset()
    report = verify.invoke(verify.completed_event(release))
    assert report["verdict"] == "PASSED", json.dumps(report, indent=1)
    assert check(report, "tasks")["summary"] == f"250/250 task(s) running {release.task_definition.rsplit('/', 1)[-1]}"
    assert verify.api.calls["ecs:ListTasks"] == 3  # 100 + 100 + 50
    assert verify.api.calls["ecs:DescribeTasks"] == 3


def test_tasks_of_other_services_on_the_cluster_are_not_counted(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    # moto's ListTasks ignores serviceName: the adapter keeps only the service's own group.
    verify.cluster.start_tasks(verify.cluster.instance_ids[0], 3, group="service:worker")
    verify.cluster.start_tasks(verify.cluster.instance_ids[1], 2, group="family:batch-job")
    report = verify.invoke(verify.completed_event(release))
    assert report["verdict"] == "PASSED"
    assert check(report, "tasks")["evidence"][1] == "tasks seen: 4 (4 RUNNING)"  # type: ignore[index]


def test_after_an_ecs_blue_green_swap_the_targets_are_read_in_the_alternate_target_group(verify: VerifyWorld) -> None:
    release = verify.given_a_release(target_groups=2)
    verify.deployments.blue_green_swap("web")
    report = verify.invoke(verify.completed_event(release))
    targets = check(report, "targets")
    assert targets["status"] == "PASSED", targets
    assert "4 healthy target(s) each" in str(targets["summary"])
    verify.deployments.set_target_state("web", "unhealthy", 1, group=1, reason="Target.Timeout")
    again = verify.invoke(
        {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    )
    assert "1 target(s) of web-1/" in str(check(again, "targets")["summary"])
    assert "web-1-green/" in str(check(again, "targets")["summary"])
