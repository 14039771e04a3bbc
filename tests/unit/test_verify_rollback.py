"""The rollback guards, in the order a runbook would check them."""

from __future__ import annotations

from fleetops.models.ecs import EcsService, ServiceDeployment
from fleetops.verify.rollback import decide_rollback, rollbacks_in_window
from fleetops.verify.state import KnownGood

TD_V1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
TD_V2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
GOOD = KnownGood(TD_V1, "ecs-svc/1", 0.0)


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
