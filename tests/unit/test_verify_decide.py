"""What the verify job does once the checks have looked (verify/decide.py): pure decisions, no AWS."""

from __future__ import annotations

import pytest

from fleetops.models.verify import ServiceRef, Verdict, VerificationReport, VerifyTrigger
from fleetops.verify.decide import (
    CODEDEPLOY_HOOK_MAX_BAKE_SECONDS,
    NextStep,
    bake_end,
    ecs_hook_callback_delay,
    next_step,
    recheck_delay,
)
from fleetops.verify.service import VerifyService


def report(verdict: Verdict, trigger: VerifyTrigger) -> VerificationReport:
    return VerificationReport(
        service=ServiceRef("web", "prod"),
        service_arn="arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        deployment_id="ecs-svc/1",
        task_definition="web:2",
        trigger=trigger,
        verdict=verdict,
        checks=(),
        started_at=0.0,
        finished_at=0.0,
    )


@pytest.mark.parametrize(
    ("verdict", "trigger", "step"),
    [
        (Verdict.SETTLING, VerifyTrigger.DIRECT, NextStep.CALLER_RECHECKS),
        (Verdict.SETTLING, VerifyTrigger.ECS_EVENT, NextStep.SETTLE),
        (Verdict.BAKING, VerifyTrigger.DIRECT, NextStep.BAKE),
        (Verdict.PASSED, VerifyTrigger.RECHECK, NextStep.PASS),
        (Verdict.FAILED, VerifyTrigger.ECS_EVENT, NextStep.ROLL_BACK),
        (Verdict.FAILED, VerifyTrigger.DIRECT, NextStep.ROLL_BACK),
        (Verdict.FAILED, VerifyTrigger.RECHECK, NextStep.ROLL_BACK),
        (Verdict.FAILED, VerifyTrigger.ECS_LIFECYCLE_HOOK, NextStep.NOTHING),
    ],
)
def test_a_verdict_is_followed_by_the_step_its_trigger_calls_for(
    verdict: Verdict, trigger: VerifyTrigger, step: NextStep
) -> None:
    assert next_step(report(verdict, trigger), behind_codedeploy_hook=False, service_found=True) is step


def test_a_failure_behind_a_codedeploy_hook_is_answered_failed_and_left_to_codedeploy_to_roll_back() -> None:
    failed = report(Verdict.FAILED, VerifyTrigger.RECHECK)
    assert next_step(failed, behind_codedeploy_hook=True, service_found=True) is NextStep.ANSWER_HOOK_FAILED


def test_a_failure_whose_service_was_not_found_rolls_nothing_back() -> None:
    failed = report(Verdict.FAILED, VerifyTrigger.ECS_EVENT)
    assert next_step(failed, behind_codedeploy_hook=False, service_found=False) is NextStep.NOTHING


def test_a_bake_behind_a_codedeploy_hook_ends_within_fifty_minutes_of_its_start() -> None:
    two_hours = 2 * 3600.0
    assert bake_end(two_hours, 100.0, behind_codedeploy_hook=True) == 100.0 + CODEDEPLOY_HOOK_MAX_BAKE_SECONDS
    assert bake_end(two_hours, 100.0, behind_codedeploy_hook=False) == two_hours
    assert bake_end(600.0, 100.0, behind_codedeploy_hook=True) == 600.0


def test_re_checks_come_every_interval_and_the_last_one_just_after_the_bake_ends() -> None:
    assert recheck_delay(1000.0, 0.0, 60) == 60
    assert recheck_delay(1000.0, 980.0, 60) == 21
    assert recheck_delay(1000.0, 2000.0, 60) == 1  # overdue: at once, never a delay of zero or less


def test_an_ecs_hook_asks_to_be_called_back_between_30_and_60_seconds() -> None:
    assert [ecs_hook_callback_delay(d) for d in (1, 45, 300)] == [30, 45, 60]


@pytest.mark.parametrize("action", ["_on_event", "_on_codedeploy_hook", "_on_bake"])
def test_the_actions_run_once_per_key_keep_the_names_their_idempotency_records_are_keyed_by(action: str) -> None:
    # Powertools keys a record by the action's module and qualified name: a record written by the
    # deployed release must still be found by the next one, or a duplicate delivery verifies again.
    method = getattr(VerifyService, action)
    assert f"{method.__module__}.{method.__qualname__}" == f"fleetops.verify.service.VerifyService.{action}"
