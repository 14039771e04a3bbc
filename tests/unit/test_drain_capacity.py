"""When the draining hosts' tasks have nowhere to go, the drain grows the group to what they all need,
once for a batch, within its maximum (issue 11, item 3). Pure decisions on plain data."""

from __future__ import annotations

from dataclasses import replace

from fleetops.drain.capacity import StrandedView, decide_growth, hosts_coming
from fleetops.models.scale import GroupStatus, Host, PlacedTask, Resources

HOST = Resources(2048, 7680)
BIG_TASK = Resources(1536, 1024)  # one per host: 512 CPU left free on each, room for none


def _host(index: int, *, tasks: int, leaving: bool = False, lifecycle: str = "InService") -> Host:
    return Host(
        ec2_instance_id=f"i-{index:08x}",
        container_instance_arn=f"ci-{index}",
        ecs_status="DRAINING" if leaving else "ACTIVE",
        registered=HOST,
        remaining=HOST - BIG_TASK.times(tasks),
        tasks=tasks,
        lifecycle_state="Terminating:Wait" if leaving else lifecycle,
    )


def _view(
    staying: int,
    leaving: int,
    *,
    desired: int | None = None,
    maximum: int = 20,
    booting: int = 0,
    daemons: frozenset[str] = frozenset(),
) -> StrandedView:
    hosts = [_host(i, tasks=1) for i in range(staying)]
    hosts += [_host(100 + i, tasks=1, leaving=True) for i in range(leaving)]
    tasks = {
        host.container_instance_arn: (PlacedTask(f"t-{host.container_instance_arn}", "service:web", BIG_TASK),)
        for host in hosts
        if host.ecs_status == "DRAINING"
    }
    states = {host.ec2_instance_id: host.lifecycle_state or "" for host in hosts}
    states.update({f"i-new{i}": "InService" for i in range(booting)})  # launched, not registered yet
    group = GroupStatus(
        name="prod-hosts", minimum=0, maximum=maximum, desired=staying + booting if desired is None else desired
    )
    return StrandedView(group, tuple(hosts), tasks, daemons, states)


def test_tasks_that_fit_on_the_hosts_that_stay_need_no_growth() -> None:
    view = _view(3, 1)
    roomy = tuple(host if host.ecs_status == "DRAINING" else replace(host, remaining=HOST) for host in view.hosts)
    assert decide_growth(replace(view, hosts=roomy), group_in_scope=True) is None


def test_a_batch_of_leaving_hosts_on_a_fragmented_cluster_grows_the_group_once_to_what_they_all_need() -> None:
    growth = decide_growth(_view(8, 2), group_in_scope=True)
    assert growth is not None and growth.grows
    assert (growth.tasks_without_place, growth.hosts_needed, growth.capacity) == (2, 2, (8, 10))
    assert "grown from 8 to 10" in growth.reason and not growth.attention


def test_hosts_already_coming_are_counted_so_a_second_drain_of_the_batch_asks_for_nothing() -> None:
    # The first drain raised the desired capacity to 10: the group launched two hosts, still booting.
    growth = decide_growth(_view(8, 2, booting=2), group_in_scope=True)
    assert growth is not None and not growth.grows and growth.capacity is None
    assert "2 already coming" in growth.reason
    # Or not launched yet: the desired capacity is above the instances the group counts.
    assert hosts_coming(_view(8, 2, desired=10)) == 2


def test_the_growth_stops_at_the_groups_maximum_and_says_how_far_short_it_is() -> None:
    growth = decide_growth(_view(8, 3, maximum=9), group_in_scope=True)
    assert growth is not None and growth.capacity == (8, 9) and growth.attention
    assert "2 host(s) short" in growth.reason
    at_max = decide_growth(_view(8, 2, maximum=8), group_in_scope=True)
    assert at_max is not None and at_max.capacity is None and at_max.attention


def test_a_group_outside_the_stacks_scope_is_never_grown_and_the_stranded_tasks_are_announced() -> None:
    growth = decide_growth(_view(8, 2), group_in_scope=False)
    assert growth is not None and growth.capacity is None and growth.attention
    assert "not in AutoScalingGroupNames" in growth.reason


def test_each_new_host_keeps_room_for_one_task_of_every_daemon_service() -> None:
    view = _view(2, 2)
    half = PlacedTask("half", "service:web", Resources(1024, 512))  # two share an empty host
    halves = {arn: (replace(half, arn=f"half-{arn}"),) for arn in view.tasks_by_leaving_host}
    alone = decide_growth(replace(view, tasks_by_leaving_host=halves), group_in_scope=True)
    assert alone is not None and alone.hosts_needed == 1
    daemon = PlacedTask("d", "service:agent", Resources(256, 256))  # needs no place itself: every host runs one
    with_daemon = {arn: (*tasks, replace(daemon, arn=f"d-{arn}")) for arn, tasks in halves.items()}
    growth = decide_growth(
        replace(view, tasks_by_leaving_host=with_daemon, daemon_services=frozenset({"agent"})), group_in_scope=True
    )
    assert growth is not None and (growth.tasks_without_place, growth.hosts_needed) == (2, 2)


def test_a_group_that_a_capacity_provider_scales_is_left_to_its_managed_scaling() -> None:
    # Review of issue 11, finding 2: the drain set a managed group to (8, 10), which managed scaling undoes.
    view = _view(8, 2)
    view = replace(view, group=replace(view.group, managed_by="capacity provider prod-cp (managed scaling)"))

    growth = decide_growth(view, group_in_scope=True)

    assert growth is not None and growth.capacity is None and not growth.grows
    assert growth.left_to == "capacity provider prod-cp (managed scaling)"
    assert growth.tasks_without_place == 2 and not growth.attention
    assert "scaled by capacity provider prod-cp (managed scaling)" in growth.reason
    assert "the drain leaves its capacity alone" in growth.reason
