"""Pure decision of the drain job: do the draining hosts' tasks have somewhere to go, and if not, to what
desired capacity the group must grow so that they do (issue 11, item 3). No AWS, no clock.

ECS moves a service task off a DRAINING host only once its replacement has a place: with
``minimumHealthyPercent`` at 100 %, "the service scheduler can't remove existing tasks until the
replacement tasks are considered healthy" (UpdateContainerInstancesState, ECS API Reference). Hosts
terminated together (an instance refresh batch, an AZ rebalance, a manual scale-in) on a fragmented
cluster can leave tasks that fit on no host that stays: the reservation alarm cannot see them (each host
has room, none has enough), so nothing grows the group and each drain waits out its budget.

The decision looks at every leaving host of the cluster at once, not only its own: the hosts of one batch
need one growth, to what they all need, and a drain that comes second (or a replayed one) finds the hosts
already coming and asks for nothing. Placement is ``fleetops.packing``'s: first-fit decreasing over
the hosts that take tasks, then ``hosts_needed_for`` for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fleetops.models.drain import GroupGrowth
from fleetops.models.scale import NOTHING, GroupStatus, Host, PlacedTask, Resources
from fleetops.packing import first_fit_decreasing, hosts_needed_for, new_host_shape

# Instances that Auto Scaling counts in the group's desired capacity: in service or on their way in
# (those leaving, Terminating*, and those set aside, Standby, are outside it; "Auto Scaling instance
# lifecycle", Auto Scaling User Guide).
COUNTED_IN_DESIRED = frozenset({"InService", "Pending", "Pending:Wait", "Pending:Proceed"})


@dataclass(frozen=True, slots=True)
class StrandedView:
    """What the decision needs, looked at by the runner.

    ``hosts``: the cluster's hosts, each with its Auto Scaling lifecycle state in the drain's group (None:
    in no group of the group's instances). ``tasks_by_leaving_host``: the tasks ECS wants running on each
    leaving host (DRAINING, or leaving its group), by container instance ARN. ``instance_states``: every
    instance of the group and its lifecycle state, by EC2 instance id."""

    group: GroupStatus
    hosts: tuple[Host, ...]
    tasks_by_leaving_host: Mapping[str, tuple[PlacedTask, ...]]
    daemon_services: frozenset[str]
    instance_states: Mapping[str, str]


def leaving(host: Host) -> bool:
    """A host whose tasks must go: DRAINING in ECS, or terminating (or returning to a warm pool) in its group."""
    return host.ecs_status == "DRAINING" or "Terminating" in (host.lifecycle_state or "")


def decide_growth(view: StrandedView, *, group_in_scope: bool) -> GroupGrowth | None:
    """None when every replica-service task of the leaving hosts has a place on the hosts that stay;
    otherwise how far the group must grow for them."""
    staying = [host for host in view.hosts if host.takes_tasks]
    free = {host.container_instance_arn: host.remaining for host in staying}
    ports = {host.container_instance_arn: host.used_ports for host in staying}
    movable = [task for tasks in view.tasks_by_leaving_host.values() for task in _moved_by_ecs(tasks, view)]
    without_place = [
        task
        for task in sorted(movable, key=lambda t: (t.size.cpu, t.size.memory, t.arn), reverse=True)
        # One task at a time: one that fits nowhere leaves ``free`` as it was, and the next is tried.
        if first_fit_decreasing([task], free, ports) is None
    ]
    if not without_place:
        return None
    count = len(without_place)
    group = view.group
    if not group_in_scope:
        return GroupGrowth(
            reason=(
                f"{count} task(s) of the leaving hosts fit on no host that stays, and group {group.name} is not in "
                "AutoScalingGroupNames: the drain may not grow it"
            ),
            tasks_without_place=count,
            attention=True,
        )
    if group.managed_by:
        # Managed scaling owns the group's desired capacity (ECS's target tracking policy on it: "Amazon ECS
        # manages the scale-in and scale-out actions", ManagedScaling, ECS API Reference): a raise here would be
        # undone by its next scale-in, and it already adds hosts for the tasks ECS cannot place, which wait in
        # PROVISIONING ("Amazon ECS managed scaling behavior", ECS Developer Guide).
        return GroupGrowth(
            reason=(
                f"{count} task(s) of the leaving hosts fit on no host that stays; group {group.name} is scaled by "
                f"{group.managed_by}, which adds hosts for tasks ECS cannot place: the drain leaves its capacity "
                "alone"
            ),
            tasks_without_place=count,
            left_to=group.managed_by,
        )
    if group.weighted:
        return GroupGrowth(
            reason=(
                f"{count} task(s) of the leaving hosts fit on no host that stays; group {group.name} counts its "
                f"capacity in {group.unit_name}, not hosts, and the drain grows only groups counted in instances"
            ),
            tasks_without_place=count,
            attention=True,
        )
    shape = new_host_shape(view.hosts)
    needed = hosts_needed_for(without_place, shape, _daemon_overhead(view)) if shape is not None else None
    if needed is None:
        return GroupGrowth(
            reason=f"{count} task(s) of the leaving hosts fit on no host that stays, nor on a new host of the group",
            tasks_without_place=count,
            attention=True,
        )
    coming = hosts_coming(view)
    extra = max(0, needed - coming)
    where = f"{count} task(s) of the leaving hosts fit on no host that stays: {needed} new host(s) needed"
    if extra == 0:
        return GroupGrowth(
            reason=f"{where}, {coming} already coming: the group is left as it is",
            tasks_without_place=count,
            hosts_needed=needed,
            hosts_coming=coming,
        )
    target = min(group.desired + extra, group.maximum)
    if target <= group.desired:
        return GroupGrowth(
            reason=f"{where}, {coming} coming, and group {group.name} is at its maximum ({group.maximum})",
            tasks_without_place=count,
            hosts_needed=needed,
            hosts_coming=coming,
            attention=True,
        )
    short = group.desired + extra - target
    return GroupGrowth(
        reason=(
            f"{where}, {coming} already coming: group {group.name} grown from {group.desired} to {target}"
            + (f", its maximum ({short} host(s) short of the need)" if short else "")
        ),
        tasks_without_place=count,
        hosts_needed=needed,
        hosts_coming=coming,
        capacity=(group.desired, target),
        attention=short > 0,
    )


def hosts_coming(view: StrandedView) -> int:
    """Hosts the group will add to the cluster without being asked: its instances counted in the desired
    capacity that are not registered with the cluster yet (booting), and those it has yet to launch (the
    desired capacity above the instances it counts). A drain that finds the capacity raised by another
    drain of its batch, or by its own replayed look, counts them and asks for nothing more."""
    registered = {host.ec2_instance_id for host in view.hosts}
    counted = [instance for instance, state in view.instance_states.items() if state in COUNTED_IN_DESIRED]
    booting = sum(1 for instance in counted if instance not in registered)
    return booting + max(0, view.group.desired - len(counted))


def _moved_by_ecs(tasks: Iterable[PlacedTask], view: StrandedView) -> list[PlacedTask]:
    """Replica-service tasks need a place; daemon tasks run on every host and standalone tasks are never
    moved by ECS (the drain stops those once the service tasks are gone)."""
    return [task for task in tasks if task.service_name is not None and task.service_name not in view.daemon_services]


def _daemon_overhead(view: StrandedView) -> Resources:
    """One task of every daemon service seen on the leaving hosts: each new host runs one of each."""
    sizes: dict[str, Resources] = {}
    for tasks in view.tasks_by_leaving_host.values():
        for task in tasks:
            name = task.service_name
            if name is not None and name in view.daemon_services:
                sizes.setdefault(name, task.size)
    total = NOTHING
    for size in sizes.values():
        total = total + size
    return total
