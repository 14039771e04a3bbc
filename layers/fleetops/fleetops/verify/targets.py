"""Which of a target group's registered targets are this service's own tasks: a target group may be
shared with another service, or hold targets registered by hand (an EC2 instance, an IP address).

A target is what DescribeTargetHealth reports as ``Target``: an ``Id`` and a ``Port``. The Id is an
EC2 instance id in a target group of type ``instance`` and an IP address in one of type ``ip``
(TargetDescription, Elastic Load Balancing API Reference). ECS registers a task as:

- bridge and host network modes: the EC2 instance of its container instance, on the host port its
  load-balanced container port is published on (the container's ``networkBindings`` in
  DescribeTasks, visible once the task is RUNNING; "registered ... as an instance ID and port
  combination"). In host mode a container port cannot be remapped, so the host port is the
  container port;
- awsvpc: the private IPv4 address of the task's own network interface (its IPv6 address in an IPv6
  target group, the only one an IPv6-only task has), on the container port
  (target type ``ip``: "tasks that use the awsvpc network mode are associated with an elastic
  network interface, not an Amazon EC2 instance").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fleetops.models.ecs import LoadBalancerBinding, ServiceTask


@dataclass(frozen=True, slots=True)
class TaskTarget:
    """The target ECS registers for one task in one target group."""

    task_arn: str
    target_id: str  # the EC2 instance id (bridge, host) or the task's address (awsvpc: IPv4, else IPv6)
    port: int
    # A dual-stack awsvpc task's IPv6 address: an IPv6 target group registers it by that one instead.
    other_id: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.target_id, self.port)

    @property
    def keys(self) -> tuple[tuple[str, int], ...]:
        """Every (Id, Port) the task may be registered under."""
        return (self.key, (self.other_id, self.port)) if self.other_id else (self.key,)


def task_target(
    task: ServiceTask, load_balancer: LoadBalancerBinding, ec2_instance_ids: Mapping[str, str]
) -> TaskTarget | str:
    """The task's target in ``load_balancer``'s group, or why it cannot be told (a sentence)."""
    if task.has_own_interface:
        # IPv4 where the task has one (an ip target group of IPv4), else IPv6 (an IPv6 target group).
        if task.private_ipv4:
            return TaskTarget(task.arn, task.private_ipv4, load_balancer.container_port, task.ipv6_address)
        return TaskTarget(task.arn, task.ipv6_address, load_balancer.container_port)
    instance = ec2_instance_ids.get(task.container_instance_arn, "")
    if not instance:
        return "its EC2 instance is not known (no container instance, or not described)"
    bindings = [b for b in task.port_bindings if b.container_name == load_balancer.container_name]
    published = [b.host_port for b in bindings if b.container_port == load_balancer.container_port]
    if published:
        return TaskTarget(task.arn, instance, published[0])
    if not bindings:
        # No binding reported for the container at all: host mode, where the host port is the
        # container port (bridge mode reports its bindings once the task is RUNNING).
        return TaskTarget(task.arn, instance, load_balancer.container_port)
    return f"container {load_balancer.container_name} publishes no host port for {load_balancer.container_port}"
