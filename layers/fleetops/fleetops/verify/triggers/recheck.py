"""The alarm bake and the settling verification wait durably: delayed SQS messages to the function's own
re-check queue, each handled when it comes back (the service takes the SQS batch in and deduplicates)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING

from fleetops.aws.messaging import DelayedQueue
from fleetops.idempotency import Handled
from fleetops.models.verify import BakeState, CodeDeployHook, Verdict, VerificationReport
from fleetops.observability import logger
from fleetops.verify.config import ServiceChecks
from fleetops.verify.decide import bake_end, recheck_delay
from fleetops.verify.runner import Verification
from fleetops.verify.triggers.codedeploy_hook import answer_codedeploy_hook

if TYPE_CHECKING:
    from fleetops.verify.service import VerifyService


class Rechecks:
    """Schedules the re-checks of a bake or a settling verification, and runs them when they come back."""

    def __init__(self, service: VerifyService) -> None:
        self._service = service

    @cached_property
    def _queue(self) -> DelayedQueue:
        return DelayedQueue(self._service.clients.sqs, self._service.settings.recheck_queue_url)

    def next_delay(self, until: float) -> int:
        return recheck_delay(until, self._service.now(), self._service.settings.recheck_interval_seconds)

    def schedule_bake(
        self,
        report: VerificationReport,
        checks: ServiceChecks,
        hook: CodeDeployHook | None,
        *,
        checks_overridden: bool = False,
    ) -> None:
        assert report.bake_until is not None
        bake_until = bake_end(report.bake_until, report.started_at, behind_codedeploy_hook=hook is not None)
        if bake_until != report.bake_until:
            logger.warning("bake shortened to 50 minutes: CodeDeploy fails a hook unanswered for an hour")
        state = BakeState.after(
            report,
            alarms=checks.alarms,
            bake_until=bake_until,
            codedeploy_hook=hook,
            rollback=checks.rollback,
            bake_id=uuid.uuid4().hex,
            checks_overridden=checks_overridden,
        )
        self._queue.send(state.to_json(), self.next_delay(bake_until))

    def schedule_settle(self, report: VerificationReport, checks: ServiceChecks) -> None:
        """A SETTLING verification is run again, whole, through the bake's durable re-check queue."""
        assert report.settle_until is not None
        state = replace(
            BakeState.after(
                report,
                alarms=checks.alarms,
                bake_until=report.settle_until,
                rollback=checks.rollback,
                bake_id=uuid.uuid4().hex,
            ),
            settle_until=report.settle_until,
        )
        self._queue.send(state.to_json(), self.next_delay(report.settle_until))

    def on_recheck(self, state: BakeState) -> Handled:
        """One re-check come back: the settling verification run again, or the bake's alarms looked at."""
        if state.settle_until is not None:
            return self._on_settling(state)
        service = self._service
        try:
            verification = service.runner.continue_bake(state)
        except Exception as error:
            if state.codedeploy_hook is None:
                raise  # SQS redelivers the message: the bake resumes
            logger.exception("bake re-check crashed; answering the CodeDeploy hook Failed")
            answer_codedeploy_hook(service.codedeploy, state.codedeploy_hook, "Failed")
            return Handled({"status": "failed", "hook": "Failed", "reason": f"verification could not run: {error}"})
        report = verification.report
        if report.verdict is Verdict.BAKING:
            next_state = replace(state, attempt=state.attempt + 1)
            self._queue.send(next_state.to_json(), self.next_delay(state.bake_until))
            return Handled(report.to_dict())
        # The alarms and the rollback choice are those the bake started with (a CI override included).
        configured = service.settings.checks_for(report.service.cluster, report.service.service)
        rollback = configured.rollback if state.rollback is None else state.rollback
        checks = replace(configured, alarms=state.alarms, rollback=rollback)
        return service.handled(
            *service.conclude(
                Verification(report, verification.service, checks),
                state.codedeploy_hook,
                checks_overridden=state.checks_overridden,
            )
        )

    def _on_settling(self, state: BakeState) -> Handled:
        assert state.settle_until is not None
        service = self._service
        checks = service.settings.checks_for(state.service.cluster, state.service.service)
        verification = service.runner.verify(
            state.service,
            checks,
            trigger=state.trigger,
            deployment_id=state.deployment_id,
            settling_since=state.started_at,
            settle_until=state.settle_until,
            settled_from=state.checks,
        )
        if verification.report.verdict is Verdict.SETTLING:
            next_state = replace(state, attempt=state.attempt + 1)
            self._queue.send(next_state.to_json(), self.next_delay(state.settle_until))
            return service.handled(verification.report)
        return service.handled(*service.conclude(verification))
