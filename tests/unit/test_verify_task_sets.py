"""A CODE_DEPLOY or EXTERNAL service is judged by its PRIMARY task set: pure checks on plain observed data."""

from __future__ import annotations

from dataclasses import replace

from fleetops.models.ecs import EcsService, LoadBalancerBinding
from fleetops.models.ecs_deployments import TaskSet
from fleetops.models.verify import CheckStatus
from fleetops.verify.rollback import rollback_owned_by_controller
from fleetops.verify.task_sets import as_primary_task_set, check_task_sets

TD_V1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
TD_V2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
BLUE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/1"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/2"


def task_set(
    id: str = "ecs-svc/2",
    *,
    status: str = "PRIMARY",
    stability: str = "STEADY_STATE",
    td: str = TD_V2,
    running: int = 4,
) -> TaskSet:
    return TaskSet(
        id=id,
        arn=f"arn:aws:ecs:us-east-1:123456789012:task-set/prod/web/{id}",
        status=status,
        stability_status=stability,
        task_definition=td,
        computed_desired_count=running,
        running_count=running,
        pending_count=0,
        external_id="d-ABCDEFGHI",
        load_balancers=(LoadBalancerBinding(GREEN, "web", 80),),
    )


def service(*task_sets: TaskSet, controller: str = "CODE_DEPLOY") -> EcsService:
    return EcsService(
        arn="arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        name="web",
        status="ACTIVE",
        desired_count=4,
        running_count=8,
        pending_count=0,
        task_definition=TD_V1,
        deployments=(),
        target_group_arns=(BLUE,),
        deployment_controller=controller,
        load_balancers=(LoadBalancerBinding(BLUE, "web", 80),),
        task_sets=task_sets,
    )


def test_one_primary_task_set_in_steady_state_passes() -> None:
    result = check_task_sets(service(task_set()), None)
    assert result.status is CheckStatus.PASSED
    assert result.evidence == (
        "task set ecs-svc/2 PRIMARY STEADY_STATE running=4/4 pending=0 (web:2) external=d-ABCDEFGHI",
    )


def test_a_stabilizing_primary_task_set_settles_rather_than_fails_at_once() -> None:
    result = check_task_sets(service(task_set(stability="STABILIZING")), None)
    assert result.status is CheckStatus.FAILED and result.settling
    assert "is STABILIZING, not STEADY_STATE" in result.summary


def test_another_task_set_with_tasks_means_the_deployment_is_not_over() -> None:
    result = check_task_sets(service(task_set(), task_set("ecs-svc/1", status="ACTIVE", td=TD_V1)), None)
    assert result.status is CheckStatus.FAILED and not result.settling


def test_an_emptied_task_set_still_listed_settles() -> None:
    result = check_task_sets(service(task_set(), task_set("ecs-svc/1", status="DRAINING", td=TD_V1, running=0)), None)
    assert result.status is CheckStatus.FAILED and result.settling


def test_no_primary_task_set_fails_for_good() -> None:
    result = check_task_sets(service(task_set(status="ACTIVE")), None)
    assert result.status is CheckStatus.FAILED and not result.settling
    assert "has no PRIMARY task set" in result.summary


def test_a_named_deployment_matches_the_task_set_id_or_its_codedeploy_deployment() -> None:
    assert check_task_sets(service(task_set()), "d-ABCDEFGHI").status is CheckStatus.PASSED
    assert check_task_sets(service(task_set()), "ecs-svc/2").status is CheckStatus.PASSED
    superseded = check_task_sets(service(task_set()), "d-OLDDEPLOY")
    assert superseded.status is CheckStatus.FAILED and "superseded" in superseded.summary


def test_the_service_is_seen_as_its_primary_task_set_with_the_task_set_s_own_target_groups() -> None:
    seen = as_primary_task_set(service(task_set(running=3), task_set("ecs-svc/1", status="ACTIVE", td=TD_V1)))
    assert (seen.desired_count, seen.running_count, seen.task_definition) == (3, 3, TD_V2)
    assert seen.target_group_arns == (GREEN,)
    assert seen.load_balancers == (LoadBalancerBinding(GREEN, "web", 80),)


def test_a_service_on_the_ecs_controller_is_seen_as_it_is() -> None:
    ecs = replace(service(), deployment_controller="ECS")
    assert as_primary_task_set(ecs) is ecs
    assert rollback_owned_by_controller(ecs) is None


def test_rollbacks_of_task_set_services_belong_to_their_controller() -> None:
    code_deploy = rollback_owned_by_controller(service(task_set()))
    assert code_deploy is not None and "CodeDeploy deployment d-ABCDEFGHI" in code_deploy
    external = rollback_owned_by_controller(service(task_set(), controller="EXTERNAL"))
    assert external is not None and "the external controller owns rollbacks" in external
