"""A direct invocation (the CI job, ``fleetops_cli/verify.py``): always answered with a report, never a
Lambda error. CI calls are not deduplicated; a SETTLING answer is called again, and the settling's bound
is kept in the state table between the calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from fleetops.errors import BadInputError
from fleetops.models.verify import Verdict, VerificationReport, VerifyRequest
from fleetops.observability import logger
from fleetops.verify.config import ServiceChecks, parse_service_checks
from fleetops.verify.runner import Verification, acting_error_report, aws_error_report
from fleetops.verify.state import CiSettling

if TYPE_CHECKING:
    from fleetops.verify.service import VerifyService


class DirectTrigger:
    def __init__(self, service: VerifyService) -> None:
        self._service = service

    def answer(self, request: VerifyRequest, event: Any) -> dict[str, Any]:
        service = self._service
        assert request.service is not None
        checks = service.settings.checks_for(request.service.cluster, request.service.service)
        if request.checks_override is not None:
            errors: list[str] = []
            checks = parse_service_checks(
                request.checks_override, service.settings.smoke_allowed_hosts, "checks", errors
            )
            service.settings.refuse_rollback_it_may_not_make(checks, "checks", errors)
            if errors:
                error = BadInputError("invalid checks: " + "; ".join(errors))
                return service.reject(event, error)
        # The CI job is answered with a report, never a Lambda error: what AWS refused, and when.
        try:
            verification = self._verify(request, checks)
        except BadInputError as error:
            return service.reject(event, error)
        except (ClientError, BotoCoreError) as error:
            logger.exception("direct verification stopped by an AWS error")
            report = aws_error_report(request.service, error, trigger=request.trigger, at=service.now())
        else:
            try:
                report, _ = service.conclude(verification, checks_overridden=request.checks_override is not None)
            except (ClientError, BotoCoreError) as error:
                # The checks ran; what was to follow them (a bake's first message, a rollback whose call
                # got no answer) did not, or may not have: said with the checks, not as "could not run".
                logger.exception("direct verification: acting on the verdict stopped by an AWS error")
                report = acting_error_report(verification.report, error)
        service.report(report)
        return report.to_dict()

    def _verify(self, request: VerifyRequest, checks: ServiceChecks) -> Verification:
        # A CI call answered SETTLING is called again: the bound runs from its first look, kept in the
        # state table, or each call would start a bound of its own and a stuck release never fail.
        service = self._service
        key = ci_settling_key(request)
        found = service.store.ci_settling(key)
        settling = found if found is not None and found.goes_on(service.now()) else None
        verification = service.verify_request(request, checks, settling=settling)
        self._keep_ci_settling(key, verification.report, settling, open_before=found is not None)
        return verification

    def _keep_ci_settling(
        self, key: str, report: VerificationReport, settling: CiSettling | None, *, open_before: bool
    ) -> None:
        store = self._service.store
        now = self._service.now()
        if report.verdict is Verdict.SETTLING and report.settle_until is not None:
            store.remember_ci_settling(
                key,
                CiSettling(
                    since=settling.since if settling else report.started_at,
                    until=report.settle_until,
                    first_look=settling.first_look if settling else report.checks,
                    last_seen=now,
                ),
            )
        elif open_before:
            store.close_ci_settling(key, now)


def ci_settling_key(request: VerifyRequest) -> str:
    """One settling episode per service and release a CI job names (a new release starts its own)."""
    assert request.service is not None
    return "#".join(
        (
            request.service.cluster or "-",
            request.service.service,
            request.expected_task_definition or "-",
            request.expected_image or "-",
        )
    )
