"""Findings of the fourth adversarial review of issue 14's change (ws/review4), each a test that fails on
main before its fix; each passes now that its finding is fixed."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from simulator.ecs.crash_loops import CrashLoop
from simulator.ecs.desired_count import DesiredCountChanges
from simulator.worlds.verify import VerifyWorld, revision_of

# moto's target groups have ELB's defaults: a check every 30 s, 5 to be healthy, 300 s deregistration.
BOUND = 30 * 5 + 300


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld(parameters={"VerifyRollbackEnabled": "true", "Announce": "everything"})


def test_a_release_whose_tasks_crash_loop_is_never_passed_as_a_scale_out_under_way(verify: VerifyWorld) -> None:
    # The rollout completed; then one task's essential container exits every two minutes and ECS replaces
    # it at once (PENDING 20 s). The desired count never changed: nothing scaled. A crashed task's
    # replacement is not "a scale-out under way", and a look that happens to see every task RUNNING
    # between two crashes is not a good release.
    release = verify.given_a_release()
    loop = CrashLoop(verify.deployments)
    loop.start("web", starting_for=20, runs_for=120)

    first = verify.invoke(verify.completed_event(release))
    verify.run_bake()

    assert loop.crashes >= 1
    [note] = verify.notifications()
    assert "FAILED" in note["subject"], note["subject"]  # today: "verified: PASSED" at the 60 s re-check
    assert verify.known_good(release.service_arn) != release.task_definition  # today: web:2 is known-good
    assert "scale-out under way" not in first["reason"]  # today: the crash is waited out as a scale-out


def test_a_ci_rollback_that_happened_is_never_reported_as_nothing_rolled_back(verify: VerifyWorld) -> None:
    # The rollback's UpdateService succeeds; writing its marker (rollback-deployment#...) to the state
    # table then fails past botocore's retries (a DynamoDB throttle). The service IS rolled back: the CI
    # report must not say "nothing was rolled back" (service.py's ClientError catch assumes that any
    # ClientError out of the executor means nothing changed; RollbackExecutor.roll_back's marker write
    # comes after the change).
    release = verify.given_a_release()
    bad = verify.deployments.task_definition("registry.example.com/web:3")
    verify.deployments.complete_rollout("web", bad)
    verify.deployments.set_container_health("web", "UNHEALTHY", 1)

    def throttle_the_marker(params: dict[str, object], **_: object) -> None:
        if "rollback-deployment#" in str(params.get("body", "")):
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}, "PutItem"
            )

    # On the function's own session, before its first invocation makes its clients.
    verify.function.session.events.register("before-call.dynamodb.PutItem", throttle_the_marker)
    report = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": bad})

    assert verify.service_task_definition("web") == release.known_good  # it was rolled back
    assert report["verdict"] == "FAILED"
    assert "nothing was rolled back" not in report["rollback"]["reason"], report["rollback"]
    assert report["rollback"]["action"] == "update-service"


def test_a_ci_invocation_s_settle_bound_does_not_move_with_each_retry(verify: VerifyWorld) -> None:
    # A scale-out whose task never starts (no room, an image that cannot be pulled): the README tells a
    # pipeline to invoke again on SETTLING, with `settle_until` in the answer. Each direct invocation takes
    # its bound from its own start (runner.verify: started + bound), so the bound moves with every retry:
    # a pipeline that re-invokes until the verdict is not SETTLING never gets FAILED.
    release = verify.given_a_release()
    DesiredCountChanges(verify.deployments).scale_out("web", 5, starting_for=100 * BOUND)
    request = {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}

    answers = [verify.invoke(request)]
    while answers[-1]["verdict"] == "SETTLING" and verify.clock.elapsed() < 3 * BOUND:
        verify.clock.advance(60)
        answers.append(verify.invoke(request))

    assert answers[-1]["verdict"] == "FAILED", [a["settle_until"] for a in answers]
    assert verify.clock.elapsed() <= BOUND + 60


def test_a_ci_verification_that_ran_and_passed_is_not_reported_as_one_that_could_not_run(verify: VerifyWorld) -> None:
    # Every check passes; only the known-good record's write fails past the retries. service.py's
    # ClientError catch around the whole verify-and-act answers "verification could not run" (ERROR)
    # and drops the checks it ran: the CI job is told nothing is known of a release that was verified.
    release = verify.given_a_release()

    def throttle_the_record(params: dict[str, object], **_: object) -> None:
        if "known-good#" in str(params.get("body", "")):
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}, "PutItem"
            )

    # On the function's own session, before its first invocation makes its clients.
    verify.function.session.events.register("before-call.dynamodb.PutItem", throttle_the_record)
    verify.function.session.events.register("before-call.dynamodb.UpdateItem", throttle_the_record)
    report = verify.invoke({"cluster": "prod", "service": "web", "expected_task_definition": release.task_definition})

    assert report["verdict"] != "ERROR", report["reason"]
    assert report["checks"], "the checks that ran are reported"
