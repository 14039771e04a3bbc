"""One exception per failure that a handler treats differently."""

from __future__ import annotations


class FleetOpsError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigurationError(FleetOpsError):
    """The deployment is wrong (a missing or invalid environment variable).

    Raised at cold start so that a broken deployment fails loudly before it touches a host.
    """


# A reason is read by a human, in a log line, a notification and a dead letter (an SQS message of at
# most 256 KiB): one that quotes an input quotes at most this much of it. The input itself is kept in
# the dead letter, cut there if it must be (``DeadLetters``), never in the reason.
REASON_LIMIT = 2000


class BadInputError(FleetOpsError):
    """The event cannot be understood. Never retried: it is dead-lettered with its reason."""

    def __init__(self, reason: str) -> None:
        if len(reason) > REASON_LIMIT:
            reason = f"{reason[:REASON_LIMIT]}... ({len(reason) - REASON_LIMIT} more characters of the input)"
        super().__init__(reason)


class RetryLaterError(FleetOpsError):
    """A transient condition: let the trigger's own retry (Lambda async retry, SQS redelivery) run."""


class LifecycleActionGoneError(FleetOpsError):
    """Auto Scaling has no active lifecycle action for this instance and token.

    Someone completed it, it timed out, or the token is stale. For a drain this means "done".
    """
