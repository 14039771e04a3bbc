"""One exception per failure that a handler treats differently."""

from __future__ import annotations


class FleetOpsError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigurationError(FleetOpsError):
    """The deployment is wrong (a missing or invalid environment variable).

    Raised at cold start so that a broken deployment fails loudly before it touches a host.
    """


class BadInputError(FleetOpsError):
    """The event cannot be understood. Never retried: it is dead-lettered with its reason."""


class RetryLaterError(FleetOpsError):
    """A transient condition: let the trigger's own retry (Lambda async retry, SQS redelivery) run."""


class LifecycleActionGoneError(FleetOpsError):
    """Auto Scaling has no active lifecycle action for this instance and token.

    Someone completed it, it timed out, or the token is stale. For a drain this means "done".
    """
