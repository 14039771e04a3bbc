"""The task and target checks judge a release on its own tasks while its desired count changes: a
scale-out's tasks still starting settle, a scale-in is no failure, and what no wait settles (a task on
another revision, a shortfall with nothing starting in its place) fails at once."""

from __future__ import annotations

from dataclasses import replace

from fleetops.models.ecs import (
    EcsService,
    LoadBalancerBinding,
    PortBinding,
    ServiceDeployment,
    ServiceTask,
    TaskContainer,
)
from fleetops.models.verify import CheckStatus, TargetHealth
from fleetops.verify import checks

TD_V1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
TD_V2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-0/2b3f28daf7467c80"
HOST = "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/a"


def service(*, desired: int, running: int, pending: int = 0) -> EcsService:
    """The service and its one PRIMARY deployment (web:2, COMPLETED), with the counts DescribeServices gives."""
    primary = ServiceDeployment("ecs-svc/1", "PRIMARY", TD_V2, "COMPLETED", "", desired, running, pending, 0)
    return EcsService(
        arn="arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        name="web",
        status="ACTIVE",
        desired_count=desired,
        running_count=running,
        pending_count=pending,
        task_definition=TD_V2,
        deployments=(primary,),
        target_group_arns=(TG,),
    )


def task(n: int, *, status: str = "RUNNING", desired_status: str = "RUNNING", td: str = TD_V2) -> ServiceTask:
    container = TaskContainer("web", "registry.example.com/web:2", "", "HEALTHY", status)
    return ServiceTask(
        f"arn:aws:ecs:us-east-1:123456789012:task/prod/t{n}",
        td,
        status,
        desired_status,
        "HEALTHY",
        (container,),
        container_instance_arn=HOST,
        port_bindings=(PortBinding("web", 80, 32768 + n),),
    )


def running(count: int) -> list[ServiceTask]:
    return [task(n) for n in range(count)]


def test_a_scale_out_whose_new_task_is_pending_settles() -> None:
    result = checks.check_tasks(
        service(desired=5, running=4, pending=1), [*running(4), task(4, status="PENDING")], "web:2", None
    )
    assert result.status is CheckStatus.FAILED and result.settling
    assert result.summary == "4 task(s) running, 5 desired: 1 more still starting (1 PENDING), a scale-out under way"


def test_tasks_waiting_for_capacity_in_provisioning_settle_too() -> None:
    starting = [task(4, status="PROVISIONING"), task(5, status="ACTIVATING")]
    result = checks.check_tasks(service(desired=6, running=4, pending=0), [*running(4), *starting], None, None)
    assert result.settling
    assert "2 more still starting (1 ACTIVATING, 1 PROVISIONING)" in result.summary


def test_a_pending_task_the_deployment_counts_but_list_tasks_does_not_show_yet_settles() -> None:
    result = checks.check_tasks(service(desired=5, running=4, pending=1), running(4), None, None)
    assert result.settling
    assert "1 more still starting (1 pending)" in result.summary


def test_a_task_missing_with_nothing_starting_in_its_place_fails_at_once() -> None:
    result = checks.check_tasks(service(desired=5, running=4, pending=0), running(4), None, None)
    assert result.status is CheckStatus.FAILED and not result.settling
    assert result.summary == "4 task(s) running, 5 desired"


def test_a_shortfall_only_partly_covered_by_starting_tasks_fails_at_once() -> None:
    result = checks.check_tasks(
        service(desired=6, running=4, pending=1), [*running(4), task(4, status="PENDING")], None, None
    )
    assert not result.settling
    assert "4 task(s) running, 6 desired (only 1 starting)" in result.summary


def test_a_starting_task_of_another_revision_fails_at_once() -> None:
    old = task(4, status="PENDING", td=TD_V1)
    result = checks.check_tasks(service(desired=5, running=4, pending=1), [*running(4), old], None, None)
    assert not result.settling
    assert "1 starting task(s) are not on the PRIMARY deployment's web:2" in result.summary
    assert "t4 starts web:1" in result.evidence


def test_a_running_task_on_the_wrong_revision_fails_at_once_even_during_a_scale_out() -> None:
    tasks = [*running(3), task(3, td=TD_V1), task(4, status="PENDING")]
    result = checks.check_tasks(service(desired=5, running=4, pending=1), tasks, "web:2", None)
    assert result.status is CheckStatus.FAILED and not result.settling
    assert "1 running task(s) are not on web:2" in result.summary


def test_more_tasks_running_than_desired_pass_when_each_runs_the_release() -> None:
    # A scale-in 5 -> 4 that ECS has not yet marked a task for: every task is still the release's.
    result = checks.check_tasks(service(desired=4, running=5), running(5), "web:2", None)
    assert result.status is CheckStatus.PASSED
    assert result.summary == "5/4 task(s) running web:2 (1 more than desired: a scale-in under way)"


def test_a_task_being_stopped_by_a_scale_in_is_not_judged() -> None:
    # runningCount still counts it (lastStatus RUNNING), its desiredStatus is STOPPED already.
    leaving = task(4, desired_status="STOPPED", td=TD_V1)
    result = checks.check_tasks(service(desired=4, running=5), [*running(4), leaving], "web:2", None)
    assert result.status is CheckStatus.PASSED
    assert "1 task(s) being stopped by ECS, not judged (1 RUNNING)" in result.evidence


def test_a_task_beyond_the_desired_count_still_starting_settles() -> None:
    result = checks.check_tasks(
        service(desired=4, running=4, pending=1), [*running(4), task(4, status="PENDING")], None, None
    )
    assert result.status is CheckStatus.FAILED and result.settling
    assert "1 task(s) not yet running (1 PENDING)" in result.summary


def test_the_targets_check_expects_no_target_of_a_task_being_stopped() -> None:
    tasks = [*running(3), task(3, desired_status="STOPPED")]
    healthy = [TargetHealth(TG, "i-0aaaaaaaaaaaaaaaa", 32768 + n, "healthy", "") for n in range(3)]
    draining = replace(healthy[0], port=32768 + 3, state="draining")
    result = checks.check_targets(
        [LoadBalancerBinding(TG, "web", 80)], {TG: [*healthy, draining]}, tasks, {HOST: "i-0aaaaaaaaaaaaaaaa"}
    )
    assert result.status is CheckStatus.PASSED
    assert result.summary == "1 target group(s), 3 healthy target(s) each"
