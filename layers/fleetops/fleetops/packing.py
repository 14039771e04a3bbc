"""Bin-packing over the hosts' free CPU and memory: what fits where, host by host.

Reservation is an average; fragmentation is not. A cluster at 50 % CPU reservation may have no host
with room for one more task, and the tasks of the emptiest host may still not fit on the others.
Every question here is answered per host, with the exact numbers ECS reserves (CPU units, MiB), and
static host ports (a task with one runs at most once per host). Placement constraints and strategies
are not modelled. Pure functions over plain data: no AWS, no clock.

A host is removed only from the Availability Zone with the most instances of its group. Terminating
one elsewhere (TerminateInstanceInAutoScalingGroup does as it is told) can leave the zones unbalanced,
and Auto Scaling then rebalances: it launches in the smaller zone and terminates an instance of the
larger one, which no packing check approved (TerminateInstanceInAutoScalingGroup, API Reference;
"Rebalancing activities", Auto Scaling User Guide). The group's own termination policy starts from the
same zone ("Configure termination policies").

A host in Standby (EnterStandby) is set aside by an operator: it is never removed here (Auto Scaling's own
scale-ins never take one either), its room is not counted, and its replica-service tasks keep a place on
the hosts that take tasks, because the operator may drain, stop or reboot it at any time and ECS then
starts them elsewhere ("Temporarily remove instances from your Auto Scaling group", Auto Scaling User
Guide; "Draining Amazon ECS container instances", ECS Developer Guide).

A host already leaving (DRAINING, or terminating in its group) under a consolidation's disruption budget is
treated the same way: ECS starts its replica-service tasks elsewhere, so they keep a place on the hosts that
stay before any other host may go. Their replacements may already be running on those hosts (ECS starts
them before it stops the old ones at a minimum healthy percent of 100), so their room may be counted
twice: the plan errs towards keeping a host, never towards stranding a task.

The plan's placements are its own (first-fit decreasing); ECS never sees them. ECS places each task by the
service's placement strategy ("Amazon ECS task placement strategies", ECS Developer Guide; PlacementStrategy,
ECS API Reference): ``spread`` (evenly over the instances, or the zones, the services' default), ``binpack``
("the least available amount of the resource ... but still enough to run the task") or ``random``, and the
hosts of one consolidation go DRAINING one at a time, so the tasks arrive in any order. A plan that removes
one host is checked by its own placement, as before. A plan that removes several keeps them only if their
tasks (and those of hosts in Standby or leaving) hold whatever host ECS picks: either there are enough places
for the largest task that any order and any host will do (each host with room for ``n`` of the largest tasks
takes ``n`` tasks before it may refuse one), or every one of ECS's strategies, played out task by task (spread:
fewest tasks then most room; most room; binpack: least CPU that still fits), places them all, whether the tasks
arrive largest first, smallest first or host by host. Otherwise the last hosts chosen stay (by bisection, a
prefix of the plan that holds while one host more does not; one host alone always holds), and the decision
says why.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from fleetops.models.scale import NOTHING, ClusterView, Host, PlacedTask, Resources


def usable(host: Host, headroom_percent: int = 0) -> Resources:
    """What a host can still take while keeping ``headroom_percent`` of its registered capacity free."""
    reserve = Resources(
        host.registered.cpu * headroom_percent // 100,
        host.registered.memory * headroom_percent // 100,
    )
    return host.remaining - reserve


def room_for(size: Resources, hosts: Iterable[Host], host_ports: frozenset[int] = frozenset()) -> int:
    """How many more tasks of one shape the hosts that take tasks can place, counted host by host."""
    return sum(_places_on(host, size, host_ports) for host in hosts if host.takes_tasks)


def _places_on(host: Host, size: Resources, host_ports: frozenset[int]) -> int:
    places = size.count_that_fit(host.remaining)
    if host_ports:
        # A static host port is taken by the first task: one more at most, none if it is in use.
        return 0 if host_ports & host.used_ports else min(places, 1)
    return places


def tasks_per_new_host(
    size: Resources,
    hosts: Sequence[Host],
    daemon_overhead: Resources = NOTHING,
    host_ports: frozenset[int] = frozenset(),
) -> int:
    """How many tasks of ``size`` one more host of the group holds.

    A new host is assumed to be the smallest registered one seen (a mixed group may launch it), less
    one task of each daemon service: the estimate errs towards one host too many, never one too few.
    """
    smallest = new_host_shape(hosts)
    if smallest is None:
        return 1
    places = max(1, size.count_that_fit(smallest - daemon_overhead))
    return 1 if host_ports else places


def new_host_shape(hosts: Iterable[Host]) -> Resources | None:
    """What one more host of the group registers: the smallest registered one seen (a mixed group may
    launch it), so that an estimate errs towards one host too many, never one too few. None: no host seen."""
    shapes = [host.registered for host in hosts if host.registered.cpu > 0 and host.registered.memory > 0]
    return min(shapes, key=lambda shape: (shape.cpu, shape.memory)) if shapes else None


def hosts_needed_for(
    tasks: Sequence[PlacedTask], new_host: Resources, daemon_overhead: Resources = NOTHING
) -> int | None:
    """How many new hosts of ``new_host``'s shape the ``tasks`` need, placed largest first on the first new
    host with room and their static host ports free (first-fit decreasing over empty hosts, each less one
    task of every daemon service). Not a count of averages: 3 tasks of 1,536 CPU need 3 hosts of 2,048, not
    3 x 1,536 / 2,048 = 2.25 rounded up. None when one task fits on no new host at all (no number helps).
    The answer is a real placement, so it is never fewer hosts than needed; it may be one more than the best
    packing (first-fit decreasing is a heuristic), which errs on the safe side."""
    room = new_host - daemon_overhead
    free: list[Resources] = []
    ports: list[frozenset[int]] = []
    for task in sorted(tasks, key=lambda t: (t.size.cpu, t.size.memory, t.arn), reverse=True):
        if not task.size.fits_in(room):
            return None
        for index, left in enumerate(free):
            if task.size.fits_in(left) and not (task.host_ports & ports[index]):
                free[index] = left - task.size
                ports[index] = ports[index] | task.host_ports
                break
        else:
            free.append(room - task.size)
            ports.append(task.host_ports)
    return len(free)


def scale_in_candidates(hosts: Iterable[Host], instances_by_zone: ZoneCounts = ()) -> list[Host]:
    """Hosts that may be removed, best first: those of the zone(s) with the most instances before the
    others, then fewest tasks, then least reserved, then by id.

    A host protected from scale-in, not ACTIVE, or not InService in the group is never a candidate.
    """
    largest = largest_zones(dict(instances_by_zone))
    eligible = [
        host
        for host in hosts
        if host.takes_tasks and host.lifecycle_state == "InService" and not host.protected_from_scale_in
    ]
    return sorted(
        eligible,
        key=lambda host: (
            not _in_zones(host, largest),
            host.tasks,
            host.reserved.cpu + host.reserved.memory,
            host.ec2_instance_id,
        ),
    )


type ZoneCounts = tuple[tuple[str, int], ...]


def largest_zones(instances_by_zone: dict[str, int]) -> frozenset[str] | None:
    """The zones with the most instances; None when the zones are not known (every host may go)."""
    if not instances_by_zone:
        return None
    most = max(instances_by_zone.values())
    return frozenset(zone for zone, count in instances_by_zone.items() if count == most)


def _in_zones(host: Host, zones: frozenset[str] | None) -> bool:
    return zones is None or host.zone in zones


def first_fit_decreasing(
    tasks: Sequence[PlacedTask], free: dict[str, Resources], ports: dict[str, frozenset[int]] | None = None
) -> dict[str, str] | None:
    """Place every task (largest first) on the first host with room and its host ports unused;
    ``free`` and ``ports`` (host -> ports in use) are updated in place.

    Returns task ARN -> host (container instance ARN), or None if one task fits nowhere (then
    ``free`` and ``ports`` are partly used: pass copies).
    """
    used = ports if ports is not None else {}
    placements: dict[str, str] = {}
    hosts = list(free)
    for task in sorted(tasks, key=lambda t: (t.size.cpu, t.size.memory, t.arn), reverse=True):
        for host in hosts:
            if task.size.fits_in(free[host]) and not (
                task.host_ports and task.host_ports & used.get(host, frozenset())
            ):
                free[host] = free[host] - task.size
                if task.host_ports:
                    used[host] = used.get(host, frozenset()) | task.host_ports
                placements[task.arn] = host
                break
        else:
            return None
    return placements


@dataclass(frozen=True, slots=True)
class ScaleInPlan:
    chosen: tuple[Host, ...]
    placements: dict[str, str] = field(default_factory=dict)  # task ARN -> container instance ARN
    refusals: tuple[str, ...] = ()  # why candidates were passed over, best candidate first
    # Places held on the hosts that remain for the tasks of hosts in Standby or already leaving.
    kept: dict[str, str] = field(default_factory=dict)


def plan_scale_in(
    view: ClusterView,
    count: int,
    headroom_percent: int,
    instances_by_zone: ZoneCounts = (),
    *,
    unit_budget: int | None = None,
) -> ScaleInPlan:
    """Choose up to ``count`` hosts whose tasks all fit on the hosts that remain, each from the zone with
    the most instances at that point (``instances_by_zone``, the group's; empty: zones not considered).

    ``unit_budget`` (a group with weights): the capacity units the group may lose before its minimum; a
    host whose weight is more than what is left of it is passed over (None: hosts are the units, and
    ``count`` already keeps to the minimum).

    Replica-service tasks are moved by ECS when the drain sets the host DRAINING, so each must find a
    place on another host that keeps its headroom. Daemon tasks need no place (every host runs its
    own). A host with standalone tasks (RunTask) is passed over: ECS never moves those.
    """
    free = {host.container_instance_arn: usable(host, headroom_percent) for host in view.hosts if host.takes_tasks}
    ports = {host.container_instance_arn: host.used_ports for host in view.hosts if host.takes_tasks}
    # kept: task ARN -> host holding a place for it (tasks of hosts in Standby or leaving); re-placed whenever
    # that host is removed in a trial.
    standby, kept, unplaceable = _place_kept_tasks(view, free, ports, headroom_percent)
    if unplaceable is not None:
        return ScaleInPlan((), refusals=(unplaceable,))
    zones = dict(instances_by_zone)
    # Sorted once (emptiest first); each turn only moves the largest zone's hosts to the front, a stable
    # partition: a consolidation of hundreds of hosts does not sort the cluster hundreds of times.
    emptiest_first = scale_in_candidates(view.hosts)
    chosen: list[Host] = []
    chosen_arns: set[str] = set()
    placements: dict[str, str] = {}
    taking: set[str] = set()  # hosts given tasks of a host chosen before them (``placements``' values)
    refused: dict[str, str] = {}  # host -> why it can never go (removing others only takes room away)
    elsewhere: dict[str, str] = {}  # host -> why it may not go now (its zone is not the largest)
    while len(chosen) < count:
        largest = largest_zones(zones)
        picked = None
        for host in _largest_zones_first(emptiest_first, largest):
            arn = host.container_instance_arn
            if arn in chosen_arns or arn in refused or arn not in view.tasks_by_host:
                continue  # chosen, hopeless, or not looked at: never chosen blind
            if arn in taking:
                continue  # it takes tasks of a host chosen before it: removing it too would strand them
            if not _in_zones(host, largest):
                elsewhere[arn] = _unbalancing(host, zones, largest)
                continue
            left = None if unit_budget is None else unit_budget - sum(h.weight for h in chosen)
            if left is not None and host.weight > left:
                refused[arn] = (
                    f"{host.ec2_instance_id} counts for {host.weight} capacity unit(s), more than the {left} the "
                    "group's minimum leaves"
                )
                continue
            held = [task for task in standby if kept[task.arn] == arn]
            why, placed, trial, trial_ports = _try_removing(host, view, free, ports, headroom_percent, held)
            if why is not None:
                refused[arn] = why
                continue
            free, ports = trial, trial_ports
            taking.update(place for task_arn, place in placed.items() if task_arn not in kept)
            _record_places(placed, kept, placements)
            picked = host
            break
        if picked is None:
            break
        chosen.append(picked)
        chosen_arns.add(picked.container_instance_arn)
        if picked.zone is not None and picked.zone in zones:
            zones[picked.zone] -= 1
    holding, unheld = _held_whatever_ecs_picks(view, chosen, standby, headroom_percent)
    if unheld is not None:
        dropped = {
            task.arn for host in chosen[len(holding) :] for task in view.tasks_by_host[host.container_instance_arn]
        }
        placements = {arn: place for arn, place in placements.items() if arn not in dropped}
        return ScaleInPlan(holding, placements, (*_refusals(chosen, refused, elsewhere), unheld), kept)
    return ScaleInPlan(tuple(chosen), placements, _refusals(chosen, refused, elsewhere), kept)


def _held_whatever_ecs_picks(
    view: ClusterView, chosen: Sequence[Host], standby: Sequence[PlacedTask], headroom_percent: int
) -> tuple[tuple[Host, ...], str | None]:
    """A prefix of ``chosen`` whose tasks hold under ECS's own placements (module docstring) while one host
    more does not, found by bisection, and why the hosts after it stay (None: all of them go). One host alone
    is the plan's own check: it always holds."""
    if len(chosen) <= 1 or _holds(view, chosen, standby, headroom_percent) is None:
        return tuple(chosen), None
    holds, fails = 1, len(chosen)  # a prefix known to hold, one known not to
    while fails - holds > 1:
        middle = (holds + fails) // 2
        if _holds(view, chosen[:middle], standby, headroom_percent) is None:
            holds = middle
        else:
            fails = middle
    how = _holds(view, chosen[:fails], standby, headroom_percent)
    staying = ", ".join(host.ec2_instance_id for host in chosen[holds:])
    return tuple(chosen[:holds]), (
        f"{staying} stay: with {chosen[fails - 1].ec2_instance_id} gone too, ECS placing the tasks {how} could "
        f"leave one without a place with {headroom_percent}% headroom (ECS places each task by the service's "
        "strategy as each host drains, not where this plan puts it)"
    )


# ECS's placement strategies, as the adversary: rank of a host among those with room (lowest first), from
# the tasks it runs and its room left, and whether the rank starts with the room's CPU (binpack: a bisection
# finds the first host with CPU enough).
type _Rank = Callable[[int, Resources], tuple[int, ...]]
_STRATEGIES: tuple[tuple[str, _Rank, bool], ...] = (
    ("by spread (fewest tasks first)", lambda tasks, room: (tasks, -room.cpu, -room.memory), False),
    ("on the host with most room", lambda tasks, room: (-room.cpu, -room.memory), False),
    ("by binpack (least CPU left first)", lambda tasks, room: (room.cpu, room.memory), True),
)


def _holds(
    view: ClusterView, chosen: Sequence[Host], standby: Sequence[PlacedTask], headroom_percent: int
) -> str | None:
    """None if every task to move has a place whatever host ECS picks for it; else how ECS could strand one."""
    going = {host.container_instance_arn for host in chosen}
    stays = [host for host in view.hosts if host.takes_tasks and host.container_instance_arn not in going]
    # In drain order: the tasks already moving, then each chosen host's, as it goes DRAINING.
    moving = [
        *standby,
        *(
            task
            for host in chosen
            for task in view.tasks_by_host[host.container_instance_arn]
            if task.service_name not in (None, *view.daemon_services)
        ),
    ]
    rooms = [usable(host, headroom_percent) for host in stays]
    if _any_order_fits(moving, rooms):
        return None
    largest_first = sorted(moving, key=lambda t: (t.size.cpu, t.size.memory), reverse=True)
    orders = (("largest first", largest_first), ("smallest first", largest_first[::-1]), ("host by host", moving))
    for strategy, rank, by_cpu in _STRATEGIES:
        for order, tasks in orders:
            if not _ecs_places_all(tasks, stays, rooms, rank, by_cpu):
                return f"{order}, {strategy},"
    return None


def _any_order_fits(tasks: Sequence[PlacedTask], rooms: Sequence[Resources]) -> bool:
    """A host with room for ``n`` of the largest task (the largest CPU and memory of any) refuses no task
    before it took ``n``: with as many such places as tasks, no order or choice of host strands one."""
    if not tasks or any(task.host_ports for task in tasks):
        return not tasks
    largest = Resources(max(t.size.cpu for t in tasks), max(t.size.memory for t in tasks))
    return len(tasks) <= sum(min(largest.count_that_fit(room), len(tasks)) for room in rooms)


def _ecs_places_all(
    tasks: Sequence[PlacedTask], hosts: Sequence[Host], rooms: Sequence[Resources], rank: _Rank, by_cpu: bool
) -> bool:
    """Whether ECS, placing ``tasks`` in this order each on the best-ranked host with room and its host ports
    free, places them all."""
    free = list(rooms)
    count = [host.tasks for host in hosts]
    used = [host.used_ports for host in hosts]
    ranked = sorted((rank(count[i], free[i]), i) for i in range(len(hosts)))
    for task in tasks:
        start = bisect_left(ranked, ((task.size.cpu,), -1)) if by_cpu else 0
        for position in range(start, len(ranked)):
            i = ranked[position][1]
            if task.size.fits_in(free[i]) and not (task.host_ports & used[i]):
                break
        else:
            return False
        del ranked[position]
        free[i] = free[i] - task.size
        count[i] += 1
        used[i] = used[i] | task.host_ports
        insort(ranked, (rank(count[i], free[i]), i))
    return True


def _largest_zones_first(hosts: Sequence[Host], largest: frozenset[str] | None) -> list[Host]:
    """``hosts`` in their order, those of the ``largest`` zones first (all of them when zones are unknown)."""
    if largest is None:
        return list(hosts)
    return [host for host in hosts if host.zone in largest] + [host for host in hosts if host.zone not in largest]


def _place_kept_tasks(
    view: ClusterView, free: dict[str, Resources], ports: dict[str, frozenset[int]], headroom_percent: int
) -> tuple[list[PlacedTask], dict[str, str], str | None]:
    """The replica-service tasks of hosts in Standby or leaving, and a place for each on the hosts that take
    tasks (task ARN -> host; ``free`` and ``ports`` updated in place); or why they have none."""
    standby, unknown = standby_tasks(view)
    if unknown is not None:
        return [], {}, unknown
    kept = first_fit_decreasing(standby, free, ports)
    if kept is None:
        whose = " and ".join(
            text
            for text, present in (
                ("in Standby (should the operator drain or stop them)", any(h.in_standby for h in view.hosts)),
                ("already leaving", any(h.departing and h.tasks for h in view.hosts)),
            )
            if present
        )
        return (
            standby,
            {},
            f"the {len(standby)} service task(s) on host(s) {whose} would not all have a place on the "
            f"hosts that take tasks with {headroom_percent}% headroom",
        )
    return standby, kept, None


def _record_places(placed: dict[str, str], kept: dict[str, str], placements: dict[str, str]) -> None:
    """Where a removed host's tasks go: a Standby task's place moves with it (``kept``), the host's own
    tasks are the plan's ``placements``."""
    for task_arn, place in placed.items():
        if task_arn in kept:
            kept[task_arn] = place
        else:
            placements[task_arn] = place


def _refusals(chosen: Sequence[Host], refused: dict[str, str], elsewhere: dict[str, str]) -> tuple[str, ...]:
    """Why candidates were passed over: those that can never go, then those whose zone was not the
    largest (unless chosen later, when removals elsewhere made it the largest)."""
    chosen_arns = {host.container_instance_arn for host in chosen}
    return (
        *refused.values(),
        *(why for arn, why in elsewhere.items() if arn not in refused and arn not in chosen_arns),
    )


def standby_tasks(view: ClusterView) -> tuple[list[PlacedTask], str | None]:
    """The replica-service tasks on hosts in Standby or leaving (DRAINING, terminating), which need a place
    on the hosts that take tasks; or why they cannot be known (such a host with tasks whose tasks were not
    looked at).

    Daemon tasks need no place (every host runs its own) and standalone tasks are never moved by ECS."""
    tasks: list[PlacedTask] = []
    for host in view.hosts:
        if not (host.in_standby or host.departing) or host.tasks == 0:
            continue
        found = view.tasks_by_host.get(host.container_instance_arn)
        if found is None:
            state = "in Standby" if host.in_standby else "leaving"
            return [], f"the {host.tasks} task(s) of {host.ec2_instance_id}, {state}, were not looked at"
        tasks.extend(task for task in found if task.service_name not in (None, *view.daemon_services))
    return tasks, None


def _try_removing(
    host: Host,
    view: ClusterView,
    free: dict[str, Resources],
    ports: dict[str, frozenset[int]],
    headroom_percent: int,
    held: Sequence[PlacedTask] = (),
) -> tuple[str | None, dict[str, str], dict[str, Resources], dict[str, frozenset[int]]]:
    """Whether the host's tasks, and the Standby hosts' tasks it ``held`` a place for, fit on the others:
    (why not, or None; placements; free; ports after)."""
    tasks = view.tasks_by_host[host.container_instance_arn]
    standalone = [task for task in tasks if task.service_name is None]
    if standalone:
        return (
            f"{host.ec2_instance_id} runs {len(standalone)} standalone task(s), which ECS never moves",
            {},
            free,
            ports,
        )
    own = [task for task in tasks if task.service_name not in view.daemon_services]
    movable = [*own, *held]
    trial = {arn: room for arn, room in free.items() if arn != host.container_instance_arn}
    trial_ports = {arn: used for arn, used in ports.items() if arn != host.container_instance_arn}
    placed = first_fit_decreasing(movable, trial, trial_ports) if _may_fit(movable, trial) else None
    if placed is None:
        why = (
            f"the {len(own)} task(s) of {host.ec2_instance_id}"
            + (f" and the {len(held)} of host(s) {_held_from(view, held)} it keeps a place for" if held else "")
            + f" would not all fit on the other hosts with {headroom_percent}% headroom"
        )
        return why, {}, free, ports
    return None, placed, trial, trial_ports


def _held_from(view: ClusterView, held: Sequence[PlacedTask]) -> str:
    """Where the tasks a host keeps a place for come from: hosts in Standby, hosts leaving, or both."""
    arns = {task.arn for task in held}
    kinds = [
        kind
        for kind, hosts in (
            ("in Standby", [h for h in view.hosts if h.in_standby]),
            ("already leaving", [h for h in view.hosts if h.departing]),
        )
        if any(t.arn in arns for h in hosts for t in view.tasks_by_host.get(h.container_instance_arn, ()))
    ]
    return " or ".join(kinds) or "in Standby"


def _unbalancing(host: Host, zones: dict[str, int], largest: frozenset[str] | None) -> str:
    return (
        f"{host.ec2_instance_id} is in {host.zone or 'no known zone'} ({zones.get(host.zone or '', 0)} instance(s)) "
        f"and {', '.join(sorted(largest or ()))} has more: removing it would unbalance the group's zones, and "
        "Auto Scaling's rebalancing would then terminate a host there that this check never approved"
    )


def _may_fit(tasks: Sequence[PlacedTask], free: dict[str, Resources]) -> bool:
    """Necessary conditions, checked in one pass before the placement: the tasks' total fits the
    total free space, and the largest task fits the roomiest host. On a full cluster of 1,000 hosts
    this refuses each candidate without trying every task on every host."""
    if not tasks:
        return True
    need_cpu = sum(task.size.cpu for task in tasks)
    need_memory = sum(task.size.memory for task in tasks)
    if need_cpu > sum(max(0, room.cpu) for room in free.values()):
        return False
    if need_memory > sum(max(0, room.memory) for room in free.values()):
        return False
    largest = max(tasks, key=lambda task: (task.size.cpu, task.size.memory)).size
    return any(largest.fits_in(room) for room in free.values())
