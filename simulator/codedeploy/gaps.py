"""What moto 5.2 lacks of AWS CodeDeploy, closed here and only here.

- CodeDeploy PutLifecycleEventHookExecutionStatus raises NotImplementedError: answers are recorded in the
  simulated deployments' record (``service_deployment_gaps.VerifyGaps.hook_answers``), and a second answer
  to one hook execution is refused, like AWS (LifecycleEventAlreadyCompletedException).
"""

from __future__ import annotations

from moto.codedeploy.exceptions import CodeDeployException
from moto.codedeploy.responses import CodeDeployResponse
from moto.core.responses import ActionResult

from simulator.ecs.service_deployment_gaps import current as deployments_record
from simulator.patching import Patch, Replace


def _put_lifecycle_event_hook_execution_status(self: CodeDeployResponse) -> ActionResult:
    execution = self._get_param("lifecycleEventHookExecutionId")
    status = self._get_param("status")
    if status not in ("Succeeded", "Failed"):
        raise ValueError(f"simulated CodeDeploy accepts Succeeded or Failed, got {status!r}")
    if execution in deployments_record().hook_answers:
        raise CodeDeployException(
            "LifecycleEventAlreadyCompletedException", f"lifecycle event {execution} is already completed"
        )
    deployments_record().hook_answers[execution] = status
    return ActionResult({"lifecycleEventHookExecutionId": execution})


PATCHES: tuple[Patch, ...] = (
    Replace(
        CodeDeployResponse, "put_lifecycle_event_hook_execution_status", _put_lifecycle_event_hook_execution_status
    ),
)
