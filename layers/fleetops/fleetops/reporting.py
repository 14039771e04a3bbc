"""Reporting after an action: what every job does once its action is taken and recorded.

A report (the decision's log line and metrics, the SNS message a human reads, the scale job's
follow-up message) comes after the action. If it raised, the invocation would fail, and the trigger's
retry (Lambda's asynchronous retries, SQS's redelivery) would run the decision again: one alarm would
scale a service three times, a drain's re-check would find its own completed action and call it
"completed elsewhere". So a report never raises: a failure is logged and counted as the metric
``ReportingErrors`` (the template's ReportingErrorsAlarm watches it), and the action stands.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.metrics import MetricUnit

from fleetops.observability import logger, metrics

__all__ = ["REPORTING_ERRORS", "Report", "report_safely"]

REPORTING_ERRORS = "ReportingErrors"

Report = Callable[[], None]


def report_safely(report: Report, what: str) -> bool:
    """Run ``report``; True if it ran through. A failure is logged with ``what`` and counted, never raised."""
    try:
        report()
    except Exception as error:  # SNS throttled or down, a topic policy, SQS refusing a follow-up, ...
        logger.exception(f"{what} could not be reported; the action stands", extra={"error": repr(error)})
        metrics.add_metric(name=REPORTING_ERRORS, unit=MetricUnit.Count, value=1)
        return False
    return True
