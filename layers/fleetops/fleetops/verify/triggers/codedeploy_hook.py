"""A CodeDeploy ECS lifecycle hook (blue/green): verified mid-deployment and always answered, Failed when
the verification crashes or the event is bad (the service took it in once per hook execution)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from fleetops.aws.codedeploy import CodeDeployAdapter, HookAnswer
from fleetops.errors import BadInputError
from fleetops.idempotency import Handled
from fleetops.models.verify import CodeDeployHook, VerifyTrigger
from fleetops.observability import logger, metrics
from fleetops.verify.parse import codedeploy_hook_of, parse_trigger

if TYPE_CHECKING:
    from fleetops.verify.service import VerifyService


class CodeDeployHookTrigger:
    def __init__(self, service: VerifyService) -> None:
        self._service = service

    def verify(self, event: dict[str, Any]) -> Handled:
        service = self._service
        hook = codedeploy_hook_of(event)
        assert hook is not None
        try:
            parse_trigger(event)  # validates the ids
            ref = service.codedeploy.service_of(hook.deployment_id)
            if ref is None:
                raise BadInputError(f"CodeDeploy deployment {hook.deployment_id} names no ECS service")
            checks = service.settings.checks_for(ref.cluster, ref.service)
            # Mid-deployment: two task sets are live by design, so the deployment/task/target checks
            # that expect one would fail; smoke checks (against the test listener) and alarms decide.
            verification = service.runner.verify(
                ref,
                checks,
                trigger=VerifyTrigger.CODEDEPLOY_HOOK,
                deployment_id=hook.deployment_id,
                deployment_checks=False,
            )
            return service.handled(*service.conclude(verification, codedeploy_hook=hook))
        except Exception as error:  # the hook must be answered whatever went wrong
            logger.exception("CodeDeploy hook verification crashed; answering Failed", extra={"error": str(error)})
            metrics.add_metric(name="VerificationErrors", unit=MetricUnit.Count, value=1)
            answered = answer_codedeploy_hook(service.codedeploy, hook, "Failed")
            if isinstance(error, BadInputError):
                service.keep_bad_input(event, error)
            if not answered:
                return Handled({"status": "already-answered", "reason": f"verification could not run: {error}"})
            crash = repr(error)  # the name ``error`` is unbound once the except block ends
            return Handled(
                {"status": "failed", "hook": "Failed", "reason": f"verification could not run: {error}"},
                report=lambda: service.notifier.publish(
                    f"ATTENTION CodeDeploy deployment {hook.deployment_id} failed: verification could not run",
                    f"CodeDeploy deployment {hook.deployment_id}: the verification could not run ({crash}).\n"
                    "What was done: the lifecycle hook was answered Failed, so CodeDeploy stops the deployment "
                    "(and rolls it back if the deployment group says so).",
                ),
            )


def answer_codedeploy_hook(codedeploy: CodeDeployAdapter, hook: CodeDeployHook, status: HookAnswer) -> bool:
    """Answer the hook; False if it was answered already (a retried invocation), which is logged and
    counted: that first answer stands, and this attempt neither answers nor announces again."""
    if not codedeploy.answer(hook, status):
        logger.warning(
            f"CodeDeploy hook already answered; {status} not sent (a retried invocation)",
            extra={"deployment_id": hook.deployment_id},
        )
        metrics.add_metric(name="HookAlreadyAnswered", unit=MetricUnit.Count, value=1)
        return False
    logger.info(f"CodeDeploy hook answered {status}", extra={"deployment_id": hook.deployment_id})
    return True
