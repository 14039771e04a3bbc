"""The verify job: parse deployment events, check the release (pure checks over observed data), roll
back a bad one, and report.

The public surface is ``__all__``: what the Lambda function (``functions/verify/app.py``), the CI
console command (``fleetops_cli/verify.py``), the status command (``fleetops_cli/status_snapshot.py``: the
state table's layout) and the configuration check (``scripts/check_config.py``) use. Everything else is the
job's own and may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleetops.verify.config import SMOKE_BUDGET_SECONDS, ServiceChecks, parse_service_checks, parse_services_text
from fleetops.verify.parse import expected_image_reference, expected_task_definition
from fleetops.verify.report import verification_message
from fleetops.verify.runner import Verification, VerificationRunner, aws_error_report
from fleetops.verify.service import VerifyService
from fleetops.verify.settings import VerifySettings
from fleetops.verify.state import KNOWN_GOOD_KEY, ROLLBACKS_KEY, known_good_of, rollback_times_of

if TYPE_CHECKING:
    from fleetops.verify.smoke import run_smoke_check

__all__ = [
    "KNOWN_GOOD_KEY",
    "ROLLBACKS_KEY",
    "SMOKE_BUDGET_SECONDS",
    "ServiceChecks",
    "Verification",
    "VerificationRunner",
    "VerifyService",
    "VerifySettings",
    "aws_error_report",
    "expected_image_reference",
    "expected_task_definition",
    "known_good_of",
    "parse_service_checks",
    "parse_services_text",
    "rollback_times_of",
    "run_smoke_check",
    "verification_message",
]


def __getattr__(name: str) -> object:
    # Smoke checks run only for services that declare one: their module is imported on first use, as
    # VerifyService._run_smoke does, so a cold start loads no more than it did before this surface.
    if name == "run_smoke_check":
        from fleetops.verify.smoke import run_smoke_check

        return run_smoke_check
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
