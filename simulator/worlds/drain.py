"""The drain job's world: the suite deployed from ``template.yaml`` with only the drain switched on
(``JobWorld``), beside a cluster whose group has the suite's termination hook.

The drain's durable wait is the template's own: each re-check is a message the function sends to the
stack's ``RecheckQueue``, delivered back to it by the queue's event source mapping when its delay has
passed on the simulated clock. A story looks at, loses or hand-delivers those messages with the helpers
below; everything else (invoking, time, notifications, dead letters) is ``JobWorld``'s.
"""

from __future__ import annotations

from typing import Any, ClassVar

from simulator.worlds.base import JobWorld

RECHECK_QUEUE = "RecheckQueue"  # template.yaml's logical ID of the drain's re-check queue


class DrainWorld(JobWorld):
    """The drain function of a stack deployed with ``EnableDrain`` only; ``parameters`` are the
    template's (``DrainBudgetSeconds``, ``StopLeftoverTasks``, ...), ``environment`` a change an operator
    makes to the function after the deploy, for a value the template would refuse."""

    job: ClassVar[str] = "drain"

    def __init__(
        self,
        *,
        parameters: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
        hosts: int = 2,
        hook_timeout: int = 3600,
    ) -> None:
        super().__init__(parameters=parameters, environment=environment, hosts=hosts, hook_timeout=hook_timeout)
        self._metrics_seen = 0  # how many of the timeline's entries ``emitted_metrics`` has read

    # -- the re-check queue ------------------------------------------------------------------------------
    def pending_rechecks(self) -> list[str]:
        """The re-checks waiting in the queue (their bodies: each the drain's whole state), soonest first."""
        return self.waiting_in(RECHECK_QUEUE)

    def drop_pending_rechecks(self) -> list[str]:
        """Lose every waiting re-check (a fault injection); returns their bodies."""
        return self.drop_waiting_in(RECHECK_QUEUE)

    def recheck_event(self, body: str, message_id: str | None = None) -> dict[str, Any]:
        """The event the queue's event source mapping sends for one re-check (a story delivers it itself)."""
        return self.sqs_event(RECHECK_QUEUE, body, message_id)

    # -- what the function wrote -------------------------------------------------------------------------
    def emitted_metrics(self) -> list[str]:
        """The metric names the function published (Embedded Metric Format) since the last look, failed
        invocations' included."""
        entries = self.account.timeline[self._metrics_seen :]
        self._metrics_seen = len(self.account.timeline)
        return [metric for entry in entries if entry.function == self.job for metric in entry.metrics]
