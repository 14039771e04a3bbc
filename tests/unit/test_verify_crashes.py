"""A crashed task's replacement is not a scale-out: the tasks check fails a release whose tasks crashed
during the verification, whatever starts or runs now; what the service scheduler stopped on purpose (a
scale-in, a rollout, a draining host) and what a person stopped are no crash."""

from __future__ import annotations

from fleetops.models.ecs_deployments import ContainerExit, StoppedTask
from fleetops.models.verify import CheckStatus
from fleetops.verify import checks
from fleetops.verify.crashes import crashes_of, describe_crash, is_crash
from tests.unit.test_verify_desired_count import TD_V1, TD_V2, running, service, task

STARTED = 1_767_225_600.0


def stopped(
    n: int, stop_code: str, reason: str, *, at: float | None = STARTED + 5, td: str = TD_V2, exit_code: int | None = 1
) -> StoppedTask:
    return StoppedTask(
        f"arn:aws:ecs:us-east-1:123456789012:task/prod/s{n}",
        td,
        stop_code,
        reason,
        at,
        (ContainerExit("web", exit_code, ""),),
    )


CRASHED = stopped(1, "EssentialContainerExited", "Essential container in task exited")
SCALED_IN = stopped(2, "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/1)", exit_code=0)


def test_a_crashed_task_s_replacement_starting_is_no_scale_out_and_fails_at_once() -> None:
    tasks = [*running(3), task(3, status="PENDING")]

    waiting = checks.check_tasks(service(desired=4, running=3, pending=1), tasks, None, None)
    crashed = checks.check_tasks(service(desired=4, running=3, pending=1), tasks, None, None, [CRASHED])

    assert waiting.status is CheckStatus.FAILED and waiting.settling  # without the evidence: a scale-out
    assert crashed.status is CheckStatus.FAILED and not crashed.settling
    assert "scale-out under way" not in crashed.summary
    assert "1 task(s) of web:2 crashed during the verification (1 EssentialContainerExited)" in crashed.summary
    assert "crashed: s1 EssentialContainerExited: Essential container in task exited (web exit 1)" in crashed.evidence


def test_a_crash_fails_the_release_even_when_every_task_runs_at_the_look() -> None:
    # A settle re-check between two crashes of a crash loop: the replacement already runs.
    result = checks.check_tasks(service(desired=4, running=4), running(4), None, None, [CRASHED])

    assert result.status is CheckStatus.FAILED and not result.settling


def test_the_stopped_tasks_are_read_only_for_a_task_missing_or_starting() -> None:
    assert not checks.wants_stopped_tasks(service(desired=4, running=4), running(4))
    assert checks.wants_stopped_tasks(service(desired=4, running=3), running(3))
    assert checks.wants_stopped_tasks(service(desired=4, running=4), [*running(4), task(4, status="PENDING")])
    # A task being scaled in (desired STOPPED, still RUNNING) beyond the desired count asks for nothing.
    assert not checks.wants_stopped_tasks(
        service(desired=3, running=4), [*running(3), task(3, desired_status="STOPPED")]
    )


def test_what_the_scheduler_or_a_person_stopped_on_purpose_is_no_crash() -> None:
    assert not is_crash(SCALED_IN)
    assert not is_crash(
        stopped(3, "ServiceSchedulerInitiated", "Task stopped because the container instance is draining")
    )
    assert not is_crash(stopped(4, "UserInitiated", "Task stopped by user"))
    assert not is_crash(stopped(5, "SpotInterruption", "Your Spot Task was interrupted."))
    assert not is_crash(stopped(6, "TerminationNotice", "Host EC2 (instance i-0abc) terminated."))


def test_a_task_that_failed_to_start_or_failed_its_health_checks_is_a_crash() -> None:
    assert is_crash(CRASHED)
    assert is_crash(stopped(7, "TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried"))
    assert is_crash(
        stopped(8, "ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group arn:aws:...:web-0/1)")
    )
    assert is_crash(stopped(9, "ServiceSchedulerInitiated", "Task failed container health checks"))
    assert is_crash(stopped(10, "", "Essential container in task exited"))  # no stop code: the reason says it


def test_only_the_release_s_crashes_since_the_verification_began_count() -> None:
    before = stopped(11, "EssentialContainerExited", "Essential container in task exited", at=STARTED - 1)
    old_revision = stopped(12, "EssentialContainerExited", "Essential container in task exited", td=TD_V1)
    stopping = stopped(13, "EssentialContainerExited", "Essential container in task exited", at=None)

    found = crashes_of([before, old_revision, SCALED_IN, CRASHED, stopping], TD_V2, STARTED)

    assert found == [stopping, CRASHED]  # still stopping (no stoppedAt yet) first, then newest first
    assert describe_crash(SCALED_IN).startswith("s2 ServiceSchedulerInitiated: Scaling activity")
