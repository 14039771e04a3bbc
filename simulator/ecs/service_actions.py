"""ECS's ``ECS Service Action`` events on EventBridge: ``SERVICE_TASK_PLACEMENT_FAILURE`` when the service
scheduler cannot place a task ("Amazon ECS service action events", ECS Developer Guide: "The service
scheduler is unable to place a task. The cause will be described in the reason field", commonly "not
enough CPU or memory capacity on the available container instances"). The event's shape is the document's
example: the service's ARN in ``resources``; ``eventType``, ``eventName``, ``clusterArn``, ``reason`` and
``createdAt`` in ``detail``, which carries no version number.

How often ECS sends it, the document does not say. The scheduler's own service event for the same cause is
written once and "duplicate event messages are omitted until either the cause is resolved or six hours
passes" ("Amazon ECS service event messages"): the simulation sends the EventBridge event on the same
terms (``PlacementFailureNotice``). The scale job is right under a more frequent answer too: it counts the
hosts launching, so a repeated event for the same waiting tasks raises nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.clock import iso_time

# A cause not resolved for this long is announced again ("Amazon ECS service event messages").
REPEAT_AFTER_SECONDS = 6 * 3600


def placement_failure_event(service_arn: str, cluster_arn: str, reason: str, *, at: float) -> dict[str, Any]:
    """The event as ECS puts it on the default bus; the bus adds the envelope's version, id, account and
    Region (``SimulatedAccount.put_event``)."""
    return {
        "detail-type": "ECS Service Action",
        "source": "aws.ecs",
        "time": iso_time(at),
        "resources": [service_arn],
        "detail": {
            "eventType": "ERROR",
            "eventName": "SERVICE_TASK_PLACEMENT_FAILURE",
            "clusterArn": cluster_arn,
            "reason": reason,
            "createdAt": iso_time(at, milliseconds=True),
        },
    }


@dataclass
class PlacementFailureNotice:
    """When a service's placement failure is announced: at the first pass that cannot place a task, and again
    only once the cause has been resolved (a pass that placed everything) or six hours have passed."""

    announced_at: float | None = None

    def due(self, unplaced: bool, now: float) -> bool:
        if not unplaced:
            self.announced_at = None
            return False
        if self.announced_at is not None and now - self.announced_at < REPEAT_AFTER_SECONDS:
            return False
        self.announced_at = now
        return True
