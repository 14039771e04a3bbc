"""Which lifecycle hook execution is this function's, and its deadline (DeploymentLifecycleHookDetail)."""

from __future__ import annotations

from fleetops.models.ecs import LifecycleHookExecution
from fleetops.verify.hook_deadline import ANSWER_MARGIN_SECONDS, hook_deadline

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:ecs-fleet-ops-verify"
OTHER_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:load-test"


def execution(
    target: str, expires_at: float | None, *, status: str = "IN_PROGRESS", kind: str = "AWS_LAMBDA", action: str = ""
) -> LifecycleHookExecution:
    return LifecycleHookExecution(
        hook_id=f"hook-{expires_at}",
        target_type=kind,
        target_arn=target,
        status=status,
        expires_at=expires_at,
        timeout_action=action,
    )


def test_the_hook_naming_this_function_is_chosen_over_an_earlier_hook_of_another_function() -> None:
    deadline = hook_deadline([execution(OTHER_FUNCTION, 100.0), execution(FUNCTION, 900.0)], FUNCTION)
    assert deadline is not None and (deadline.expires_at, deadline.identified) == (900.0, True)


def test_a_hook_naming_an_alias_or_version_is_this_function_invoked_through_it() -> None:
    by_alias = hook_deadline([execution(f"{FUNCTION}:live", 500.0)], f"{FUNCTION}:live")
    alias_hook_unqualified_invocation = hook_deadline([execution(f"{FUNCTION}:live", 500.0)], FUNCTION)
    version_hook = hook_deadline([execution(f"{FUNCTION}:7", 500.0), execution(OTHER_FUNCTION, 10.0)], FUNCTION)
    assert by_alias is not None and by_alias.identified
    assert alias_hook_unqualified_invocation is not None and alias_hook_unqualified_invocation.identified
    assert version_hook is not None and (version_hook.expires_at, version_hook.identified) == (500.0, True)


def test_hooks_that_cannot_be_told_apart_give_the_earliest_deadline_of_those_in_progress() -> None:
    executions = [
        execution(OTHER_FUNCTION, 700.0),
        execution(OTHER_FUNCTION, 300.0),
        execution(OTHER_FUNCTION, 100.0, status="SUCCEEDED"),  # ended: not a deadline any more
        execution("", 50.0, kind="PAUSE", status="AWAITING_ACTION"),  # not a Lambda hook
    ]
    for function_arn in (FUNCTION, None):
        deadline = hook_deadline(executions, function_arn)
        assert deadline is not None and (deadline.expires_at, deadline.identified) == (300.0, False)


def test_this_function_hooked_twice_at_the_stage_keeps_the_earlier_deadline() -> None:
    deadline = hook_deadline([execution(FUNCTION, 900.0), execution(f"{FUNCTION}:live", 600.0)], FUNCTION)
    assert deadline is not None and (deadline.expires_at, deadline.identified) == (600.0, False)


def test_no_lambda_hook_in_progress_with_a_deadline_gives_none() -> None:
    assert hook_deadline([], FUNCTION) is None
    assert hook_deadline([execution(FUNCTION, None)], FUNCTION) is None
    assert hook_deadline([execution(FUNCTION, 900.0, status="TIMED_OUT")], FUNCTION) is None


def test_the_last_look_is_due_a_margin_before_the_deadline_and_rollback_is_the_default_action() -> None:
    deadline = hook_deadline([execution(FUNCTION, 10_000.0)], FUNCTION)
    assert deadline is not None
    assert deadline.answer_by == 10_000.0 - ANSWER_MARGIN_SECONDS
    assert ANSWER_MARGIN_SECONDS >= 60 + 120  # a call-back delay and the function's own Timeout, at least
    assert deadline.action == "ROLLBACK"  # DeploymentLifecycleHookTimeoutConfiguration: "Default: ROLLBACK"


def test_a_hook_awaiting_action_counts_as_pending_since_no_document_says_which_status_an_invoked_hook_shows() -> None:
    deadline = hook_deadline([execution(FUNCTION, 900.0, status="AWAITING_ACTION")], FUNCTION)
    assert deadline is not None and deadline.expires_at == 900.0 and deadline.identified
