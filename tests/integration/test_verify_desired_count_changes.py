"""Application Auto Scaling, a person or the scale job may change a service's desired count while its
release is verified (after SERVICE_DEPLOYMENT_COMPLETED, or during a whole CI pipeline). A release is
judged on its own tasks: a scale-out whose tasks are still starting is waited out (within the bound the
target groups give) and a scale-in is no failure; a good release is never failed nor rolled back for
either, and the report says what the verification waited for. A shortfall that does not settle still
fails at the bound."""

from __future__ import annotations

import io
import re

import pytest

from fleetops_cli.verify import EXIT_PASSED, main
from simulator.ecs.desired_count import DesiredCountChanges
from simulator.worlds.verify import VerifyWorld, revision_of

# moto's target groups have ELB's defaults: a check every 30 s, 5 to be healthy, 300 s deregistration.
BOUND = 30 * 5 + 300
SCALE_OUT_WAITED = "tasks: 4 task(s) running, 5 desired: 1 more still starting (1 PENDING), a scale-out under way"


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld(parameters={"VerifyRollbackEnabled": "true", "Announce": "everything"})


def test_a_scale_out_during_verification_is_waited_out_and_never_rolls_the_release_back(
    verify: VerifyWorld,
) -> None:
    release = verify.given_a_release()
    # Application Auto Scaling raises the desired count 4 -> 5 just as the rollout completes; the new
    # task is PENDING (its image pulling) for 40 s.
    DesiredCountChanges(verify.deployments).scale_out("web", 5, starting_for=40)

    first = verify.invoke(verify.completed_event(release))
    verify.run_bake()

    assert first["verdict"] == "SETTLING"
    assert SCALE_OUT_WAITED in first["reason"]
    assert verify.gaps.updates == []  # not rolled back
    assert verify.service_task_definition("web") == release.task_definition
    assert verify.known_good(release.service_arn) == release.task_definition
    [note] = verify.notifications()
    assert note["subject"] == "release of prod/web verified: PASSED"
    waited = re.search(r"Waited: waited (\d+) s for what settles by itself \((.*)\)", note["message"])
    assert waited is not None and 40 <= int(waited[1]) <= 40 + 60
    assert SCALE_OUT_WAITED in waited[2]


def test_a_scale_in_during_verification_passes_a_good_release_at_once(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    # Someone lowers the desired count 4 -> 3: ECS marks one task to stop; it is still RUNNING (and
    # still counted in runningCount) while its target drains.
    DesiredCountChanges(verify.deployments).scale_in("web", 3)

    report = verify.invoke(verify.completed_event(release))

    assert report["verdict"] == "PASSED"
    assert verify.gaps.updates == []
    assert verify.pending_rechecks() == []
    assert verify.known_good(release.service_arn) == release.task_definition


def test_a_scale_out_whose_task_never_starts_fails_at_the_bound_and_says_what_it_waited_for(
    verify: VerifyWorld,
) -> None:
    release = verify.given_a_release()
    DesiredCountChanges(verify.deployments).scale_out("web", 5, starting_for=10 * BOUND)

    assert verify.invoke(verify.completed_event(release))["verdict"] == "SETTLING"
    verify.run_bake()

    assert BOUND <= verify.clock.elapsed() <= BOUND + 60
    [note] = verify.notifications()
    assert "FAILED verification - rolled back" in note["subject"]
    assert re.search(r"still so after \d+ s, the bound to settle", note["message"])
    assert f"for what settles by itself ({SCALE_OUT_WAITED})" in note["message"]
    assert verify.service_task_definition("web") == release.known_good


def test_a_ci_invocation_during_a_scale_out_answers_settling_and_rolls_nothing_back(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    DesiredCountChanges(verify.deployments).scale_out("web", 5, starting_for=40)
    request = {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}

    first = verify.invoke(request)

    assert first["verdict"] == "SETTLING"
    assert "nothing was rolled back for it; invoke again to re-check" in first["reason"]
    assert first["settle_until"] is not None
    assert verify.gaps.updates == []
    assert verify.pending_rechecks() == []  # the caller re-checks, not a queued message
    verify.clock.advance(60)
    second = verify.invoke(request)
    assert second["verdict"] == "PASSED"
    assert "waited 60 s for what settles by itself (tasks: 4 task(s) running, 5 desired" in second["reason"]
    assert verify.gaps.updates == []


def test_a_later_scale_out_of_the_same_release_from_ci_gets_a_bound_of_its_own(verify: VerifyWorld) -> None:
    # The first episode settled and passed; ten minutes later the service scales out again and CI verifies
    # the same release: the first episode's bound, long past, must not fail it.
    release = verify.given_a_release()
    scaling = DesiredCountChanges(verify.deployments)
    request = {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    scaling.scale_out("web", 5, starting_for=40)
    assert verify.invoke(request)["verdict"] == "SETTLING"
    verify.clock.advance(60)
    assert verify.invoke(request)["verdict"] == "PASSED"

    verify.clock.advance(600)  # past the first bound, within a pipeline's polling gap
    scaling.scale_out("web", 6, starting_for=40)
    again = verify.invoke(request)

    assert again["verdict"] == "SETTLING", again["reason"]
    verify.clock.advance(60)
    assert verify.invoke(request)["verdict"] == "PASSED"
    assert verify.gaps.updates == []


def test_the_console_command_polls_a_scale_out_until_it_settles(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    DesiredCountChanges(verify.deployments).scale_out("web", 5, starting_for=40)
    out = io.StringIO()

    code = main(
        ["--cluster", "prod", "--service", "web", "--expected-task-definition", revision_of(release.task_definition)],
        session=verify.session,
        clock=verify.clock,
        sleep=verify.clock.advance,
        out=out,
    )

    assert code == EXIT_PASSED  # with no --wait-seconds: the bound is the command's own
    assert 40 <= verify.clock.elapsed() <= 40 + 15
    assert SCALE_OUT_WAITED in out.getvalue()
