"""The checks are pure: each is shown passing and failing on plain observed data, with its evidence."""

from __future__ import annotations

from dataclasses import replace

from fleetops.models.ecs import EcsService, ServiceDeployment, ServiceTask, TaskContainer
from fleetops.models.verify import AlarmState, CheckStatus, SmokeOutcome, Verdict
from fleetops.verify import checks

TD_V1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
TD_V2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-0/2b3f28daf7467c80"


def deployment(
    id: str = "ecs-svc/1", *, status: str = "PRIMARY", td: str = TD_V2, rollout: str = "COMPLETED", failed: int = 0
) -> ServiceDeployment:
    return ServiceDeployment(id, status, td, rollout, f"ECS deployment {id} {rollout.lower()}.", 4, 4, 0, failed)


def service(*deployments: ServiceDeployment, running: int = 4, pending: int = 0, groups: int = 1) -> EcsService:
    return EcsService(
        arn="arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        name="web",
        status="ACTIVE",
        desired_count=4,
        running_count=running,
        pending_count=pending,
        task_definition=TD_V2,
        deployments=deployments or (deployment(),),
        target_group_arns=tuple(TG.replace("web-0", f"web-{i}") for i in range(groups)),
    )


def task(n: int, *, td: str = TD_V2, status: str = "RUNNING", health: str = "HEALTHY", digest: str = "") -> ServiceTask:
    container = TaskContainer("web", "registry.example.com/web:2", digest, health, status)
    return ServiceTask(
        f"arn:aws:ecs:us-east-1:123456789012:task/prod/t{n}", td, status, "RUNNING", health, (container,)
    )


def four_tasks(**kwargs: str) -> list[ServiceTask]:
    return [task(n, **kwargs) for n in range(4)]


# -- deployment ----------------------------------------------------------------------------------


def test_a_single_completed_primary_deployment_passes() -> None:
    result = checks.check_deployment(service(), "ecs-svc/1")
    assert result.status is CheckStatus.PASSED
    assert "ecs-svc/1 PRIMARY rollout=COMPLETED" in result.evidence[0]


def test_a_rollout_still_in_progress_fails_and_says_so() -> None:
    result = checks.check_deployment(
        service(deployment(rollout="IN_PROGRESS"), deployment("ecs-svc/0", status="ACTIVE")), None
    )
    assert result.status is CheckStatus.FAILED
    assert "rollout state is IN_PROGRESS" in result.summary
    assert "2 deployments are active" in result.summary


def test_failed_tasks_of_a_completed_deployment_are_shown_but_do_not_fail_it() -> None:
    # With resetOnHealthyTask off, ECS keeps counting failures the deployment got over on its way to
    # COMPLETED; with it on (the default), the count is back to 0 once a task runs. Neither is a bad release.
    result = checks.check_deployment(service(deployment(failed=2)), "ecs-svc/1")
    assert result.status is CheckStatus.PASSED
    assert "ecs-svc/1 PRIMARY rollout=COMPLETED running=4/4 failed=2 (web:2)" in result.evidence


def test_a_superseded_deployment_fails() -> None:
    result = checks.check_deployment(service(deployment("ecs-svc/2")), "ecs-svc/1")
    assert result.status is CheckStatus.FAILED
    assert "no longer PRIMARY" in result.summary


def behind_a_classic_load_balancer(*deployments: ServiceDeployment) -> EcsService:
    """ECS gives no rolloutState for a rolling service behind a Classic Load Balancer (Deployment)."""
    return replace(service(*deployments), classic_load_balancers=("web-classic",), target_group_arns=())


def without_rollout_state(id: str = "ecs-svc/1", *, status: str = "PRIMARY", running: int = 4) -> ServiceDeployment:
    return ServiceDeployment(id, status, TD_V2, "", "", 4, running, 4 - running, 0)


def test_a_steady_deployment_without_a_rollout_state_behind_a_classic_load_balancer_passes() -> None:
    result = checks.check_deployment(behind_a_classic_load_balancer(without_rollout_state()), "ecs-svc/1")
    assert result.status is CheckStatus.PASSED
    assert "all 4 of its task(s) running" in result.summary
    assert "Classic Load Balancer (web-classic)" in result.summary


def test_a_rolling_update_without_a_rollout_state_settles_rather_than_fails_for_good() -> None:
    result = checks.check_deployment(
        behind_a_classic_load_balancer(
            without_rollout_state(running=2), without_rollout_state("ecs-svc/0", status="ACTIVE", running=2)
        ),
        "ecs-svc/1",
    )
    assert result.status is CheckStatus.FAILED
    assert result.settling
    assert "runs 2 of 4 task(s) (2 pending)" in result.summary
    assert "2 deployments are active" in result.summary


def test_a_superseded_deployment_without_a_rollout_state_still_fails_for_good() -> None:
    result = checks.check_deployment(behind_a_classic_load_balancer(without_rollout_state("ecs-svc/2")), "ecs-svc/1")
    assert result.status is CheckStatus.FAILED
    assert not result.settling


# -- tasks ---------------------------------------------------------------------------------------


def test_every_desired_task_running_the_expected_revision_passes() -> None:
    result = checks.check_tasks(service(), four_tasks(), "web:2", None)
    assert result.status is CheckStatus.PASSED
    assert result.summary == "4/4 task(s) running web:2"


def test_fewer_running_than_desired_fails() -> None:
    result = checks.check_tasks(service(running=3), four_tasks()[:3], None, None)
    assert result.status is CheckStatus.FAILED
    assert "3 task(s) running, 4 desired" in result.summary


def test_a_task_on_the_old_revision_fails_with_the_task_named() -> None:
    tasks = [*four_tasks()[:3], task(9, td=TD_V1)]
    result = checks.check_tasks(service(), tasks, TD_V2, None)
    assert result.status is CheckStatus.FAILED
    assert "1 running task(s) are not on web:2" in result.summary
    assert any("t9 runs web:1" in line for line in result.evidence)


def test_a_bare_family_matches_no_revision_not_even_the_one_a_rollback_went_back_to() -> None:
    web_41 = TD_V2.replace("web:2", "web:41")
    rolled_back = [task(n, td=web_41) for n in range(4)]
    assert checks.check_tasks(service(), rolled_back, "web", None).status is CheckStatus.FAILED
    assert checks.check_tasks(service(), rolled_back, "web:41", None).status is CheckStatus.PASSED
    assert checks.check_tasks(service(), rolled_back, web_41, None).status is CheckStatus.PASSED


def test_an_expected_image_digest_must_match_every_task() -> None:
    good = "registry.example.com/web@sha256:" + "a" * 64
    assert (
        checks.check_tasks(service(), four_tasks(digest="sha256:" + "a" * 64), None, good).status is CheckStatus.PASSED
    )
    result = checks.check_tasks(service(), four_tasks(digest="sha256:" + "b" * 64), None, good)
    assert result.status is CheckStatus.FAILED
    assert "4 running task(s) do not run image" in result.summary


def test_an_expected_tag_passes_tasks_that_ecs_reports_with_the_digest_it_resolved() -> None:
    digest = "sha256:" + "a" * 64
    resolved = [
        ServiceTask(
            t.arn,
            t.task_definition,
            t.last_status,
            t.desired_status,
            t.health_status,
            (TaskContainer("web", f"registry.example.com/web:2@{digest}", digest, "HEALTHY", "RUNNING"),),
        )
        for t in four_tasks()
    ]
    result = checks.check_tasks(service(), resolved, None, "registry.example.com/web:2")
    assert result.status is CheckStatus.PASSED, result.summary
    assert result.summary == "4/4 task(s) running web:2 with registry.example.com/web:2"
    wrong = checks.check_tasks(service(), resolved, None, "registry.example.com/web:3")
    assert wrong.summary == "4 running task(s) do not run image registry.example.com/web:3"
    assert f"t0 runs web: registry.example.com/web:2@{digest} (imageDigest {digest})" in wrong.evidence


def test_pending_tasks_fail() -> None:
    result = checks.check_tasks(service(pending=1), [*four_tasks(), task(5, status="PENDING")], None, None)
    assert result.status is CheckStatus.FAILED
    assert "not yet running" in result.summary


# -- container health ----------------------------------------------------------------------------


def test_health_is_checked_only_where_a_health_check_is_defined() -> None:
    unknown = four_tasks(health="UNKNOWN")
    assert checks.check_container_health(unknown, frozenset()).status is CheckStatus.SKIPPED
    result = checks.check_container_health(unknown, frozenset({"web"}))
    assert result.status is CheckStatus.FAILED
    assert result.summary == "4 of 4 health-checked container(s) are not HEALTHY (4 UNKNOWN)"


def test_all_healthy_containers_pass() -> None:
    assert checks.check_container_health(four_tasks(), frozenset({"web"})).status is CheckStatus.PASSED


def with_sidecar(n: int, *, web: str = "HEALTHY", sidecar: str = "HEALTHY") -> ServiceTask:
    plain = task(n, health=web)
    proxy = TaskContainer("envoy", "public.ecr.aws/appmesh/aws-appmesh-envoy:v1", "", sidecar, "RUNNING")
    return ServiceTask(plain.arn, plain.task_definition, "RUNNING", "RUNNING", web, (*plain.containers, proxy))


def test_a_non_essential_sidecar_that_is_not_healthy_is_reported_and_not_judged() -> None:
    tasks = [with_sidecar(0, sidecar="UNHEALTHY"), with_sidecar(1, sidecar="UNKNOWN"), with_sidecar(2)]
    result = checks.check_container_health(tasks, frozenset({"web", "envoy"}), frozenset({"envoy"}))
    assert result.status is CheckStatus.PASSED
    assert result.summary == (
        "3 health-checked container(s) HEALTHY; 2 non-essential container(s) not HEALTHY, not judged "
        "(1 UNHEALTHY, 1 UNKNOWN)"
    )
    assert result.evidence == (
        "t0 envoy: UNHEALTHY (non-essential, not judged)",
        "t1 envoy: UNKNOWN (non-essential, not judged)",
    )


def test_an_unhealthy_essential_container_fails_beside_a_healthy_sidecar() -> None:
    tasks = [with_sidecar(0, web="UNHEALTHY"), with_sidecar(1, sidecar="UNHEALTHY")]
    result = checks.check_container_health(tasks, frozenset({"web", "envoy"}), frozenset({"envoy"}))
    assert result.status is CheckStatus.FAILED
    assert result.summary.startswith(
        "1 of 2 health-checked container(s) are not HEALTHY (1 UNHEALTHY); 1 non-essential"
    )
    assert result.evidence[0] == "t0 web: UNHEALTHY"


def test_only_a_sidecar_with_a_health_check_leaves_nothing_to_judge() -> None:
    result = checks.check_container_health(
        [with_sidecar(0, sidecar="UNHEALTHY")], frozenset({"envoy"}), frozenset({"envoy"})
    )
    assert result.status is CheckStatus.SKIPPED
    assert result.summary.startswith("no essential container defines a health check; 1 non-essential")


# -- smoke and alarms ----------------------------------------------------------------------------


def test_smoke_fails_when_one_request_did_not_answer_as_expected() -> None:
    ok = SmokeOutcome("https://web.example.com/health", "GET", True, 1, 200, "as expected")
    bad = SmokeOutcome("https://web.example.com/api", "GET", False, 3, 500, "expected status 200, got 500")
    assert checks.check_smoke([ok]).status is CheckStatus.PASSED
    result = checks.check_smoke([ok, bad])
    assert result.status is CheckStatus.FAILED
    assert "GET https://web.example.com/api -> 500: expected status 200, got 500 (3 attempt(s))" in result.evidence


def test_an_alarm_in_alarm_fails_and_a_missing_alarm_fails_too() -> None:
    quiet = [AlarmState("web-5xx", "OK"), AlarmState("web-latency", "INSUFFICIENT_DATA")]
    assert checks.check_alarms(["web-5xx", "web-latency"], quiet, baking=False).status is CheckStatus.PASSED
    assert checks.check_alarms(["web-5xx"], quiet, baking=True).status is CheckStatus.PENDING
    firing = checks.check_alarms(["web-5xx"], [AlarmState("web-5xx", "ALARM", "Threshold Crossed")], baking=True)
    assert firing.status is CheckStatus.FAILED
    assert "web-5xx: ALARM (Threshold Crossed)" in firing.evidence
    missing = checks.check_alarms(["web-5xxx"], quiet, baking=False)
    assert missing.status is CheckStatus.FAILED
    assert "do not exist: web-5xxx" in missing.summary


def test_the_verdict_is_failed_if_any_check_failed_and_baking_while_one_is_pending() -> None:
    passed = checks.check_container_health(four_tasks(), frozenset({"web"}))
    pending = checks.check_alarms(["a"], [AlarmState("a", "OK")], baking=True)
    failed = checks.check_tasks(service(running=3), four_tasks()[:3], None, None)
    assert checks.verdict_of([passed]) is Verdict.PASSED
    assert checks.verdict_of([passed, pending]) is Verdict.BAKING
    assert checks.verdict_of([passed, pending, failed]) is Verdict.FAILED


def test_circuit_breaker_reasons_are_recognised() -> None:
    assert checks.is_circuit_breaker_rollback("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.")
    assert not checks.is_circuit_breaker_rollback("ECS deployment ecs-svc/1 in progress.")
    assert checks.is_rollback_reason("Rolling back to deploymentId ecs-svc/1")
