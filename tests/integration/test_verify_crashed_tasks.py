"""A task that crashes is replaced by ECS at once, without a change of desired count: its replacement
starting looks like a scale-out. The verification tells the two apart by the service's recently stopped
tasks (ListTasks desiredStatus STOPPED, DescribeTasks stopCode / stoppedReason / stoppedAt), read only when
a task is missing or starting and at every settle re-check: a crash of the release's revision since the
verification began fails it at once; tasks stopped by a scale-in or by the rollout are no crash."""

from __future__ import annotations

import pytest

from simulator.ecs.crash_loops import CrashLoop
from simulator.ecs.desired_count import DesiredCountChanges
from simulator.worlds.verify import VerifyWorld


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld(parameters={"VerifyRollbackEnabled": "true", "Announce": "everything"})


def _stopped_listed(verify: VerifyWorld) -> int:
    """How many ListTasks calls asked for stopped tasks (the look read them)."""
    return int(verify.api.calls["ecs:ListTasks"]) - _running_listed(verify)


def _running_listed(verify: VerifyWorld) -> int:
    return int(verify.api.calls["ecs:DescribeServices"])  # one ListTasks of running tasks a look


def test_a_crashed_task_being_replaced_fails_the_release_at_once_with_the_crash_as_evidence(
    verify: VerifyWorld,
) -> None:
    release = verify.given_a_release()
    loop = CrashLoop(verify.deployments)
    loop.start("web", starting_for=20, runs_for=120)

    report = verify.invoke(verify.completed_event(release))

    assert report["verdict"] == "FAILED", report["reason"]
    [tasks] = [c for c in report["checks"] if c["name"] == "tasks"]
    assert "crashed during the verification (1 EssentialContainerExited)" in tasks["summary"]
    assert "not a scale-out" in tasks["summary"]
    [crash] = [line for line in tasks["evidence"] if line.startswith("crashed: ")]
    assert "EssentialContainerExited: Essential container in task exited (web exit 1)" in crash
    assert report["rollback"]["action"] == "update-service"
    assert verify.service_task_definition("web") == release.known_good


def test_a_real_scale_out_still_settles_and_passes_with_no_crash_among_the_stopped_tasks(
    verify: VerifyWorld,
) -> None:
    release = verify.given_a_release()  # the rollout stopped the old revision's tasks (ServiceSchedulerInitiated)
    DesiredCountChanges(verify.deployments).scale_out("web", 5, starting_for=40)

    first = verify.invoke(verify.completed_event(release))
    verify.run_bake()

    assert first["verdict"] == "SETTLING"
    assert "a scale-out under way" in first["reason"]
    assert _stopped_listed(verify) >= 2  # the first look and the re-check read the stopped tasks
    assert verify.gaps.updates == []
    assert verify.known_good(release.service_arn) == release.task_definition
    [note] = verify.notifications()
    assert note["subject"] == "release of prod/web verified: PASSED"


def test_a_task_stopped_by_a_scale_in_is_not_taken_for_a_crash(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    changes = DesiredCountChanges(verify.deployments)
    # Someone lowers the desired count 4 -> 3 (the leaving task stops after the 300 s deregistration
    # delay, ServiceSchedulerInitiated), then Application Auto Scaling raises it to 5: two tasks start.
    [leaving] = changes.scale_in("web", 3)
    changes.scale_out("web", 5, starting_for=400)

    first = verify.invoke(verify.completed_event(release))
    verify.run_bake()

    assert first["verdict"] == "SETTLING"
    ecs = verify.session.client("ecs")
    [stopped] = ecs.describe_tasks(cluster="prod", tasks=[leaving])["tasks"]
    assert (stopped["lastStatus"], stopped["stopCode"]) == ("STOPPED", "ServiceSchedulerInitiated")
    assert stopped["stoppedAt"].timestamp() > verify.clock.now - 400  # it stopped during the verification
    assert verify.gaps.updates == []
    assert verify.known_good(release.service_arn) == release.task_definition
    [note] = verify.notifications()
    assert note["subject"] == "release of prod/web verified: PASSED"


def test_a_healthy_verification_reads_no_stopped_task(verify: VerifyWorld) -> None:
    release = verify.given_a_release()

    report = verify.invoke(verify.completed_event(release))

    assert report["verdict"] == "PASSED"
    assert _stopped_listed(verify) == 0
