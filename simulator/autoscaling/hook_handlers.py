"""Handlers of other people's termination hooks, on the same group as the suite's: the neighbours a
drain must leave alone. Each completes only its own hook's actions, through the lifecycle API, as
itself (``acting_as``), so the record says who ended every action.

- ``LogShipper``: a hook (``ship-logs``) whose handler ships the host's logs, then completes its action.
- ``EcsManagedDraining``: ECS managed instance draining (a capacity provider with ``managedDraining``
  ENABLED). ECS adds the hook ``ecs-managed-draining-termination-hook`` to the group ("Configuring
  Amazon ECS capacity providers to safely shut down instances"); on a termination it sets the host
  DRAINING and completes its action once no task is left on it ("Amazon ECS managed instance
  draining"). Its heartbeat timeout is 3600 s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from simulator.autoscaling.lifecycle import LifecycleActionRecord, SimulatedLifecycleHooks, acting_as
from simulator.fleet.cluster import SimulatedCluster

LOG_SHIPPER_HOOK = "ship-logs"
ECS_MANAGED_DRAINING_HOOK = "ecs-managed-draining-termination-hook"
ECS_MANAGED_DRAINING_HEARTBEAT_TIMEOUT = 3600


class HookHandler(Protocol):
    hook_name: str

    def tick(self) -> None: ...


@dataclass
class LogShipper:
    """Completes its own action (CONTINUE) ``seconds`` after the action began."""

    hooks: SimulatedLifecycleHooks
    seconds: float = 300
    hook_name: str = LOG_SHIPPER_HOOK
    completed: list[str] = field(default_factory=list)  # tokens it completed

    def tick(self) -> None:
        for action in self.hooks.active_actions(self.hook_name):
            if self.hooks.clock() >= action.started_at + self.seconds:
                _complete(self.hooks, action, self.hook_name)
                self.completed.append(action.token)


@dataclass
class EcsManagedDraining:
    """Sets the host DRAINING, and completes its action (CONTINUE) when no task is left on it."""

    hooks: SimulatedLifecycleHooks
    cluster: SimulatedCluster
    hook_name: str = ECS_MANAGED_DRAINING_HOOK
    actor: str = "ECS managed instance draining"
    completed: list[str] = field(default_factory=list)

    def tick(self) -> None:
        for action in self.hooks.active_actions(self.hook_name):
            arn = self.cluster.container_instances.get(action.instance_id)
            if arn is not None:
                if self.cluster.container_instance(action.instance_id).status == "ACTIVE":
                    self.cluster.ecs_backend.update_container_instances_state(self.cluster.name, [arn], "DRAINING")
                if self.cluster.tasks_on(action.instance_id):
                    continue
            _complete(self.hooks, action, self.actor)
            self.completed.append(action.token)


def put_termination_hook(
    autoscaling: Any, group: str, handler: HookHandler, *, heartbeat_timeout: int, default_result: str
) -> None:
    """Another team's termination hook on ``group`` (EventBridge only: no notification target), as its
    own stack would declare it; ``handler`` answers it."""
    autoscaling.put_lifecycle_hook(
        AutoScalingGroupName=group,
        LifecycleHookName=handler.hook_name,
        LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
        HeartbeatTimeout=heartbeat_timeout,
        DefaultResult=default_result,
    )


def _complete(hooks: SimulatedLifecycleHooks, action: LifecycleActionRecord, actor: str) -> None:
    with acting_as(actor):
        hooks.complete(
            group=action.group, hook=action.hook, token=action.token, instance_id=action.instance_id, result="CONTINUE"
        )
