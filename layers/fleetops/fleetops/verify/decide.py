"""Pure decisions of the verify job, taken once the checks have looked: no AWS, no clock, no I/O.

What follows a verdict (pass, settle, bake, roll back, or leave it to the deployment's own controller),
how long a bake behind a CodeDeploy hook may run, and when the next re-check comes. The service acts on
them (``service.py`` and ``triggers/``).
"""

from __future__ import annotations

from enum import Enum

from fleetops.models.verify import RollbackAction, RollbackOutcome, Verdict, VerificationReport, VerifyTrigger

# CodeDeploy fails a lifecycle hook left unanswered for an hour: a bake behind one ends in 50 minutes.
CODEDEPLOY_HOOK_MAX_BAKE_SECONDS = 50 * 60
# callBackDelay: ECS waits 30 s by default and its document's example returns 60; no bound is documented.
# An answer ECS refused would roll the deployment back, so the delay stays between those two values.
ECS_HOOK_MIN_CALLBACK_DELAY = 30
ECS_HOOK_MAX_CALLBACK_DELAY = 60
# The triggers after which a failed release is this function's to roll back: an ECS event, a CI call and
# the re-check of a bake they started. Behind a hook, the hook's answer hands the rollback to its owner.
_ROLLED_BACK_HERE = (VerifyTrigger.ECS_EVENT, VerifyTrigger.DIRECT, VerifyTrigger.RECHECK)


class NextStep(Enum):
    """What the service does once a look is finished."""

    CALLER_RECHECKS = "a CI call found the release settling: the caller calls again, nothing is scheduled"
    SETTLE = "settling: the whole verification runs again through the re-check queue"
    BAKE = "baking: the alarms are watched again through the re-check queue"
    PASS = "passed: remembered as known-good, and a CodeDeploy hook answered Succeeded"
    ANSWER_HOOK_FAILED = "failed behind a CodeDeploy hook: answered Failed, CodeDeploy rolls back"
    ROLL_BACK = "failed: this function rolls the service back"
    NOTHING = "failed where no rollback is this function's (an ECS lifecycle hook, or no service found)"


def next_step(report: VerificationReport, *, behind_codedeploy_hook: bool, service_found: bool) -> NextStep:
    """The step that follows ``report``'s verdict, for the trigger that asked for it."""
    if report.verdict is Verdict.SETTLING and report.trigger is VerifyTrigger.DIRECT:
        return NextStep.CALLER_RECHECKS
    if report.verdict is Verdict.SETTLING:
        return NextStep.SETTLE
    if report.verdict is Verdict.BAKING:
        return NextStep.BAKE
    if report.verdict is Verdict.PASSED:
        return NextStep.PASS
    if behind_codedeploy_hook:
        return NextStep.ANSWER_HOOK_FAILED
    if service_found and report.trigger in _ROLLED_BACK_HERE:
        return NextStep.ROLL_BACK
    return NextStep.NOTHING


def bake_end(bake_until: float, started_at: float, *, behind_codedeploy_hook: bool) -> float:
    """When a bake ends: as configured, but within 50 minutes of its start behind a CodeDeploy hook."""
    if behind_codedeploy_hook and bake_until > started_at + CODEDEPLOY_HOOK_MAX_BAKE_SECONDS:
        return started_at + CODEDEPLOY_HOOK_MAX_BAKE_SECONDS
    return bake_until


def recheck_delay(until: float, now: float, interval_seconds: int) -> int:
    """Seconds to the next re-check: every ``interval_seconds``, the last one just after ``until``."""
    remaining = int(until - now) + 1
    return max(1, min(interval_seconds, remaining))


def ecs_hook_callback_delay(recheck_delay_seconds: int) -> int:
    """The ``callBackDelay`` an IN_PROGRESS ECS lifecycle hook answer asks for (30 to 60 s, see above)."""
    return min(ECS_HOOK_MAX_CALLBACK_DELAY, max(ECS_HOOK_MIN_CALLBACK_DELAY, recheck_delay_seconds))


def delegated(who: str) -> RollbackOutcome:
    """A failed release behind a hook answered FAILED: its rollback is the deployment controller's."""
    return RollbackOutcome(
        RollbackAction.DELEGATED, f"the hook was answered FAILED: {who} stops the deployment and rolls it back"
    )
