"""The rollback guards, in the order a runbook would check them."""

from __future__ import annotations

from fleetops.models.ecs import EcsService, ServiceDeployment
from fleetops.models.ecs_deployments import EcsRollbackEvidence, EcsServiceDeployment
from fleetops.verify.rollback import decide_rollback, rollbacks_in_window
from fleetops.verify.state import KnownGood

TD_V1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
TD_V2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
TD_V3 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"
GOOD = KnownGood(TD_V1, "ecs-svc/1", 0.0)
ROLLED_BACK = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/rolledBack3"


def service(*deployments: ServiceDeployment, circuit_breaker_rollback: bool = False) -> EcsService:
    return EcsService(
        arn="arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        name="web",
        status="ACTIVE",
        desired_count=4,
        running_count=4,
        pending_count=0,
        task_definition=TD_V2,
        deployments=deployments,
        target_group_arns=(),
        circuit_breaker_rollback=circuit_breaker_rollback,
    )


def primary(reason: str = "ECS deployment ecs-svc/2 completed.", rollout: str = "COMPLETED") -> ServiceDeployment:
    return ServiceDeployment("ecs-svc/2", "PRIMARY", TD_V2, rollout, reason, 4, 4, 0, 0)


def decide(svc: EcsService, **overrides: object):  # type: ignore[no-untyped-def]
    arguments: dict[str, object] = {
        "wanted": True,
        "service": svc,
        "deployment_id": "ecs-svc/2",
        "deployment_is_our_rollback": False,
        "known_good": GOOD,
        "recent_rollbacks": 0,
        "max_per_window": 1,
        "window_seconds": 3600,
    }
    arguments.update(overrides)
    return decide_rollback(**arguments)  # type: ignore[arg-type]


def test_a_failed_release_with_a_known_good_revision_is_rolled_back_to_it() -> None:
    decision = decide(service(primary()))
    assert decision.roll_back is True
    assert decision.target_task_definition == TD_V1


def test_rollback_happens_only_when_configured() -> None:
    decision = decide(service(primary()), wanted=False)
    assert decision.roll_back is False
    assert "not configured" in decision.reason


def test_never_roll_back_a_rollback_ours_or_ecs_s() -> None:
    assert "itself a rollback" in decide(service(primary()), deployment_is_our_rollback=True).reason
    ecs_rollback = primary(
        "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.", rollout="COMPLETED"
    )
    assert decide(service(ecs_rollback)).roll_back is False


def test_never_fight_a_circuit_breaker_rollback_under_way() -> None:
    rolling_back = ServiceDeployment(
        "ecs-svc/3",
        "PRIMARY",
        TD_V1,
        "IN_PROGRESS",
        "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.",
        4,
        1,
        3,
        0,
    )
    failed = ServiceDeployment("ecs-svc/2", "ACTIVE", TD_V2, "FAILED", "failed", 4, 3, 0, 3)
    decision = decide(service(rolling_back, failed))
    assert decision.roll_back is False
    assert "circuit breaker is already rolling back" in decision.reason


def test_an_ecs_failed_deployment_on_a_service_whose_circuit_breaker_rolls_back_is_left_to_ecs() -> None:
    decision = decide(service(primary(rollout="FAILED"), circuit_breaker_rollback=True), failed_by_ecs=True)
    assert decision.roll_back is False
    assert "circuit breaker rolls this failed deployment back itself" in decision.reason


def test_no_known_good_revision_means_no_rollback() -> None:
    assert "no known-good" in decide(service(primary()), known_good=None).reason
    same = KnownGood(TD_V2, "ecs-svc/2", 0.0)
    assert "already" in decide(service(primary()), known_good=same).reason


def test_rollbacks_are_capped_per_service_per_window() -> None:
    assert rollbacks_in_window([0.0, 1000.0, 3000.0], now=3700.0, window_seconds=3600) == 2
    decision = decide(service(primary()), recent_rollbacks=2, max_per_window=2)
    assert decision.roll_back is False
    assert "cap reached" in decision.reason


def test_a_deployment_superseded_by_a_newer_one_is_not_rolled_back_the_newer_one_is_not_ours_to_judge() -> None:
    decision = decide(service(primary()), deployment_id="ecs-svc/1")
    assert decision.roll_back is False
    assert "superseded by ecs-svc/2" in decision.reason


def rolled_back_by_ecs(to: str, status: str = "ROLLBACK_SUCCESSFUL") -> EcsRollbackEvidence:
    """The service's newest service deployment is one ECS rolled back, to ``to``."""
    return EcsRollbackEvidence(latest_rollback=EcsServiceDeployment(ROLLED_BACK, status, 0.0, rolled_back_to=to))


def test_a_release_ecs_rolled_back_to_is_never_rolled_back_though_it_is_not_the_known_good() -> None:
    # web:3 failed, ECS returned the service to web:2 (never verified good); web:2 now fails verification.
    decision = decide(service(primary()), ecs=rolled_back_by_ecs(TD_V2))
    assert decision.roll_back is False
    assert decision.reason == (
        f"ECS rolled back service deployment {ROLLED_BACK} to web:2; that revision fails verification: "
        "a person must look (never roll back a rollback)"
    )


def test_a_rollback_ecs_could_not_finish_is_left_to_a_person() -> None:
    decision = decide(service(primary()), ecs=rolled_back_by_ecs("", status="ROLLBACK_FAILED"))
    assert decision.roll_back is False
    assert "ROLLBACK_FAILED" in decision.reason and "a person must look" in decision.reason


def test_an_ecs_rollback_to_another_revision_than_the_one_failing_does_not_stop_the_rollback() -> None:
    decision = decide(service(primary()), ecs=rolled_back_by_ecs(TD_V3))
    assert decision.roll_back is True
    assert decision.target_task_definition == TD_V1


def test_a_deployment_remembered_as_ecs_s_rollback_is_never_rolled_back() -> None:
    decision = decide(service(primary()), deployment_is_ecs_rollback=True)
    assert decision.roll_back is False
    assert decision.reason.startswith(
        "deployment ecs-svc/2 is ECS's rollback to web:2; that revision fails verification"
    )


def _in_progress(**monitors: object) -> EcsRollbackEvidence:
    deployment = EcsServiceDeployment(ROLLED_BACK, "IN_PROGRESS", 0.0, **monitors)  # type: ignore[arg-type]
    return EcsRollbackEvidence(in_progress=(deployment,))


def test_a_deployment_whose_alarms_triggered_with_ecs_rollback_on_is_left_to_ecs() -> None:
    triggered = _in_progress(triggered_alarms=("web-5xx",), alarms_rollback=True)
    decision = decide(service(primary(rollout="IN_PROGRESS")), ecs=triggered)
    assert decision.roll_back is False
    assert decision.reason == (
        f"deployment alarm(s) web-5xx in ALARM in service deployment {ROLLED_BACK}: ECS rolls it back itself; "
        "not fighting it"
    )


def test_a_deployment_whose_circuit_breaker_triggered_with_ecs_rollback_on_is_left_to_ecs() -> None:
    triggered = _in_progress(circuit_breaker_triggered=True)
    svc = service(primary(rollout="IN_PROGRESS"), circuit_breaker_rollback=True)
    assert decide(svc, ecs=triggered).roll_back is False


def test_triggered_alarms_that_only_fail_the_deployment_do_not_stop_our_rollback() -> None:
    # alarms.rollback false: ECS marks the deployment failed and goes no further (DeploymentAlarms).
    triggered = _in_progress(triggered_alarms=("web-5xx",), alarms_rollback=False)
    assert decide(service(primary(rollout="IN_PROGRESS")), ecs=triggered).roll_back is True
