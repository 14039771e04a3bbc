"""The deadline of an Amazon ECS deployment lifecycle hook, and how long a bake behind it may run.

ECS waits ``timeoutInMinutes`` for a hook (1 to 20160; default 1440), then takes its timeout ``action``:
ROLLBACK (the default) or CONTINUE (DeploymentLifecycleHookTimeoutConfiguration, ECS API Reference).
A bake that answers IN_PROGRESS past that moment would have a good release rolled back (or, with
CONTINUE, let a release go on that nobody judged). So the bake ends early enough for its last answer to
reach ECS in time, and the report says it was cut.

Where the deadline comes from: ``expiresAt`` of the hook's entry in the service deployment's
``lifecycleHookDetails`` (DescribeServiceDeployments; DeploymentLifecycleHookDetail). Not the service's
``deploymentConfiguration.lifecycleHooks[].timeoutConfiguration`` (DescribeServices): that is the
service's configuration now, which an UpdateService may have changed since the deployment began, and it
gives a duration counted from a start the function never sees (ECS's first invocation may come after the
hook began). ``expiresAt`` is the very moment ECS acts on, for this deployment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fleetops.models.ecs import LifecycleHookExecution

# The bake's last look happens at most one callBackDelay after the cap (the service returns 30 to 60 s);
# that invocation runs at most the verify function's Timeout (120 s, template.yaml) before its answer
# reaches ECS; and one more callBackDelay covers ECS invoking later than asked (no document bounds it).
LONGEST_CALL_BACK_DELAY_SECONDS = 60
VERIFY_FUNCTION_TIMEOUT_SECONDS = 120
ANSWER_MARGIN_SECONDS = 2 * LONGEST_CALL_BACK_DELAY_SECONDS + VERIFY_FUNCTION_TIMEOUT_SECONDS

IN_PROGRESS = "IN_PROGRESS"
# DeploymentLifecycleHookDetail's status: "AWAITING_ACTION | IN_PROGRESS | SUCCEEDED | FAILED |
# TIMED_OUT". No document says which of the first two a Lambda hook shows while ECS invokes it and
# waits for its answer: both are pending, and both run against expiresAt.
PENDING_STATUSES = frozenset({"AWAITING_ACTION", IN_PROGRESS})
LAMBDA_TARGET = "AWS_LAMBDA"


@dataclass(frozen=True, slots=True)
class HookDeadline:
    expires_at: float  # epoch seconds
    timeout_action: str  # ROLLBACK | CONTINUE ("" when ECS did not say: ROLLBACK is the default)
    identified: bool  # False: this function's execution was not told apart; the earliest in progress

    @property
    def answer_by(self) -> float:
        """The moment the bake's last look must be taken for its answer to reach ECS in time."""
        return self.expires_at - ANSWER_MARGIN_SECONDS

    @property
    def action(self) -> str:
        return self.timeout_action or "ROLLBACK"


def hook_deadline(executions: Iterable[LifecycleHookExecution], function_arn: str | None) -> HookDeadline | None:
    """This function's hook execution's deadline, from a service deployment's ``lifecycleHookDetails``.

    The execution is the pending Lambda hook (IN_PROGRESS or AWAITING_ACTION) whose target is this
    function: the hook may name it by its unqualified ARN, a version or an alias, and Lambda's context
    gives the ARN it was invoked by, so
    the two are compared without their qualifier. Several match (the function hooked twice at this
    stage), or none can be told apart (no ARN to compare): the earliest deadline of those in progress,
    which is safe whichever is ours. None when no Lambda hook is in progress with a deadline.
    """
    running = [
        e
        for e in executions
        if e.status in PENDING_STATUSES and e.target_type in (LAMBDA_TARGET, "") and e.expires_at is not None
    ]
    mine = [e for e in running if function_arn and _unqualified(e.target_arn) == _unqualified(function_arn)]
    chosen = mine or running
    if not chosen:
        return None
    earliest = min(chosen, key=lambda e: e.expires_at or 0.0)
    assert earliest.expires_at is not None
    return HookDeadline(earliest.expires_at, earliest.timeout_action, identified=len(mine) == 1)


def _unqualified(function_arn: str) -> str:
    """arn:aws:lambda:REGION:ACCOUNT:function:NAME[:VERSION|ALIAS] -> the ARN without its qualifier."""
    return ":".join(function_arn.split(":")[:7])
