"""EventBridge ``ECS Deployment State Change``: a completed deployment verified (and rolled back when bad),
a deployment ECS failed rolled back at once. The service took the event in once per event (its
idempotency key); an error here is raised, and Lambda's retry verifies again."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from fleetops.errors import BadInputError
from fleetops.models.verify import (
    CheckName,
    CheckResult,
    CheckStatus,
    ReleaseFailure,
    RollbackAction,
    RollbackOutcome,
    Verdict,
    VerificationReport,
    VerifyRequest,
    VerifyTrigger,
)
from fleetops.observability import logger

if TYPE_CHECKING:
    from fleetops.verify.service import VerifyService


class EcsEventTrigger:
    def __init__(self, service: VerifyService) -> None:
        self._service = service

    def verify(self, trigger: VerifyRequest | ReleaseFailure) -> VerificationReport:
        if isinstance(trigger, ReleaseFailure):
            return self._release_failed(trigger)
        service = self._service
        assert trigger.service is not None
        checks = service.settings.checks_for(trigger.service.cluster, trigger.service.service)
        verification = service.verify_request(trigger, checks)
        report, _ = service.conclude(verification)  # no CodeDeploy hook here
        return report

    def _release_failed(self, failure: ReleaseFailure) -> VerificationReport:
        """ECS failed the deployment (or its circuit breaker is rolling it back): loudly a failure."""
        service = self._service
        logger.set_correlation_id(failure.failing)
        now = service.now()
        failing = CheckResult(
            CheckName.DEPLOYMENT, CheckStatus.FAILED, f"ECS reported {failure.event_name}: {failure.reason}"
        )
        report = VerificationReport(
            service=failure.service,
            service_arn="",
            deployment_id=failure.failing,
            task_definition=None,
            trigger=VerifyTrigger.ECS_EVENT,
            verdict=Verdict.RELEASE_FAILED,
            checks=(failing,),
            started_at=now,
            finished_at=now,
            reason=failing.summary,
        )
        try:
            ref, found = service.runner.resolve(failure.service)
        except BadInputError as error:
            report = replace(report, rollback=RollbackOutcome(RollbackAction.NONE, f"service not found: {error}"))
        else:
            primary = found.primary
            settings = service.settings
            report = replace(
                report,
                service=ref,
                service_arn=found.arn,
                task_definition=primary.task_definition if primary else found.task_definition,
                rollback=service.rollbacks.roll_back(
                    found,
                    failure.failing,
                    wanted=settings.rollback_wanted(
                        service.with_service_tags(settings.checks_for(ref.cluster, ref.service), found)
                    ),
                    max_per_window=settings.rollback_max_per_window,
                    window_seconds=settings.rollback_window_seconds,
                    failed_by_ecs=True,
                ),
            )
        return report
