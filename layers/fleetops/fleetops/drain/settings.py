"""The drain job's configuration, read once from the environment at cold start (every error at once)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from fleetops.models.lifecycle import LifecycleResult
from fleetops.settings import (
    DEFAULT_DRAIN_HOOK_NAME_PREFIX,
    NOTHING_NAMED,
    SQS_MAX_DELAY_SECONDS,
    EnvironmentReader,
    Scope,
)

# Auto Scaling's global timeout for a lifecycle action is 48 hours (or 100 x the heartbeat timeout,
# whichever is smaller). A drain budget must stay below it, or the hook times out first; a shorter
# global timeout (a short heartbeat) clamps each drain's deadline (``decide.drain_deadline``).
LIFECYCLE_GLOBAL_TIMEOUT_SECONDS = 48 * 3600


@dataclass(frozen=True, slots=True)
class DrainSettings:
    """How the drain job behaves. Every field has a safe default except the resources it needs."""

    recheck_queue_url: str
    """SQS queue that carries delayed re-checks (the durable wait between invocations)."""
    dead_letter_queue_url: str
    """SQS queue where events that cannot be understood are kept, with their reason; never retried."""
    idempotency_table: str
    """DynamoDB table for Powertools Idempotency (duplicate deliveries start no second drain)."""
    clusters: Scope = NOTHING_NAMED
    """Clusters the drain may act on (``CLUSTER_NAMES``, required): the host is looked for in the hook's
    cluster if it is one of them, then in these (every cluster with ``*``). Never "all" by omission."""
    auto_scaling_groups: Scope = NOTHING_NAMED
    """Groups whose termination lifecycle actions the drain handles (``AUTO_SCALING_GROUP_NAMES``): any
    other group's action is ignored and counted, never drained nor completed. Empty = no group."""
    notification_topic_arn: str = ""
    """SNS topic for messages a human reads; empty = no messages."""
    recheck_interval_seconds: int = 60
    """Delay between two re-checks (10 to 900: SQS's maximum delay). 60 s keeps a 10-minute drain
    within a dozen invocations."""
    drain_budget_seconds: int = 3600
    """How long a drain may last before it is ended with ``budget_exceeded_result`` and an alert."""
    budget_exceeded_result: LifecycleResult = LifecycleResult.CONTINUE
    """Result sent to Auto Scaling when the budget runs out."""
    stop_leftover_tasks: bool = True
    """Once no replica-service task is left, stop standalone (RunTask) and daemon tasks, which ECS
    never moves off a DRAINING host. They would otherwise be killed by the termination anyway,
    after holding the host for the whole budget; StopTask at least gives them SIGTERM and their
    stopTimeout."""
    notify_every_drain: bool = False
    """Announce every drain on the topic, not only those that end badly."""
    recheck_visibility_timeout_seconds: int = 360
    """The re-check queue's visibility timeout: a failed re-check comes back after it, unless the drain
    shortens it to return before the hook's heartbeat timeout (``failed_recheck_retry_seconds``)."""
    drain_hook_name_prefix: str = DEFAULT_DRAIN_HOOK_NAME_PREFIX
    """The drain acts only on termination hooks whose name starts with this: the hook the stack creates
    and the hooks users declare for the suite. Any other hook's event (a log shipper's, a Kubernetes
    node handler's, ECS managed draining's) is ignored and counted, never completed."""

    def effective_recheck_interval(self, heartbeat_timeout: int | None) -> int:
        """The longest wait between two re-checks: the interval, shortened to half the hook's heartbeat
        timeout (each re-check heartbeats; a longer wait would let the action expire in between)."""
        interval = self.recheck_interval_seconds
        if heartbeat_timeout:
            interval = min(interval, heartbeat_timeout // 2)
        return max(1, interval)

    def max_rechecks(self, heartbeat_timeout: int | None = None) -> int:
        """A hard cap on the wait loop, independent of the clock: twice what the budget needs at the
        effective interval. (From the configured interval alone, a 300 s heartbeat with a 900 s interval
        ended a 3600 s drain at 2700 s.)"""
        return 2 * math.ceil(self.drain_budget_seconds / self.effective_recheck_interval(heartbeat_timeout)) + 10

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> DrainSettings:
        env = EnvironmentReader(environ)
        settings = cls(
            recheck_queue_url=env.text("RECHECK_QUEUE_URL"),
            dead_letter_queue_url=env.text("DEAD_LETTER_QUEUE_URL"),
            idempotency_table=env.text("IDEMPOTENCY_TABLE"),
            clusters=env.cluster_scope(),
            auto_scaling_groups=env.group_scope(),
            notification_topic_arn=env.text("NOTIFICATION_TOPIC_ARN", required=False),
            recheck_interval_seconds=env.integer(
                "RECHECK_INTERVAL_SECONDS", 60, minimum=10, maximum=SQS_MAX_DELAY_SECONDS
            ),
            drain_budget_seconds=env.integer(
                "DRAIN_BUDGET_SECONDS", 3600, minimum=60, maximum=LIFECYCLE_GLOBAL_TIMEOUT_SECONDS - 3600
            ),
            budget_exceeded_result=env.choice("BUDGET_EXCEEDED_RESULT", LifecycleResult, LifecycleResult.CONTINUE),
            stop_leftover_tasks=env.flag("STOP_LEFTOVER_TASKS", True),
            notify_every_drain=env.flag("NOTIFY_EVERY_DRAIN", False),
            drain_hook_name_prefix=env.hook_name_prefix("DRAIN_HOOK_NAME_PREFIX", DEFAULT_DRAIN_HOOK_NAME_PREFIX),
            # SQS allows 0 to 43,200 s (12 hours) for a queue's VisibilityTimeout.
            recheck_visibility_timeout_seconds=env.integer(
                "RECHECK_VISIBILITY_TIMEOUT_SECONDS", 360, minimum=0, maximum=43_200
            ),
        )
        env.raise_if_invalid("drain")
        return settings
