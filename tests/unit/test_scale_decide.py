"""Pure scaling decisions: bounds, cooldowns, deferral, capacity by bin-packing, and safe scale-in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetops.errors import BadInputError
from fleetops.models.scale import (
    AlarmDetails,
    AlarmSource,
    AlarmState,
    AlarmTransition,
    ClusterView,
    Direction,
    GroupStatus,
    Host,
    PlacedTask,
    Resources,
    ScaleOutcome,
    ScalingDecision,
    ScalingRule,
    ServiceStatus,
    Step,
    TargetKind,
    Tracking,
)
from fleetops.packing import plan_scale_in, usable
from fleetops.scale.decide import (
    MAX_LOOKS_PER_TRANSITION,
    decide_cluster_in,
    decide_cluster_out,
    decide_follow_up,
    decide_service,
    judging_the_last_change,
    waiting_without_a_record,
)

HOST = Resources(4096, 8192)
TASK = Resources(1024, 2048)
NOW = 1_000_000.0
IN_ALARM = AlarmDetails("alarm", AlarmState.ALARM, "GreaterThanThreshold", 75.0, "CPUUtilization", 60, 3)


def service_rule(step: str = "+2", *, minimum: int = 1, maximum: int = 10, cooldown: int = 60) -> ScalingRule:
    direction = Direction.OUT if step[0] == "+" else Direction.IN
    return ScalingRule(
        alarm_name="alarm",
        kind=TargetKind.SERVICE,
        cluster="prod",
        service="web",
        step=Step(int(step.strip("+-%")), step.endswith("%"), direction),
        minimum=minimum,
        maximum=maximum,
        cooldown_seconds=cooldown,
    )


def cluster_rule(amount: int, **bounds: int) -> ScalingRule:
    return ScalingRule(
        alarm_name="alarm",
        kind=TargetKind.CLUSTER,
        cluster="prod",
        step=Step(abs(amount), False, Direction.OUT if amount > 0 else Direction.IN),
        cooldown_seconds=300,
        minimum=bounds.get("minimum"),
        maximum=bounds.get("maximum"),
    )


def host(
    name: str, tasks: list[Resources], *, protected: bool = False, status: str = "ACTIVE", zone: str | None = None
) -> Host:
    used = Resources(sum(t.cpu for t in tasks), sum(t.memory for t in tasks))
    return Host(
        name, f"arn:ci/{name}", status, HOST, HOST - used, len(tasks), protected_from_scale_in=protected, zone=zone
    )


def web(
    desired: int, *, running: int | None = None, deploying: bool = False, managed_by: str | None = None
) -> ServiceStatus:
    running = desired if running is None else running
    return ServiceStatus("web", desired, running, 0, TASK, deploying, managed_by)


def view(hosts: list[Host], tasks: dict[str, list[PlacedTask]], **extra: object) -> ClusterView:
    return ClusterView(
        "prod",
        tuple(hosts),
        {f"arn:ci/{name}": tuple(ts) for name, ts in tasks.items()},
        **extra,  # type: ignore[arg-type]
    )


def placed(name: str, count: int, size: Resources = TASK, group: str = "service:web") -> list[PlacedTask]:
    return [PlacedTask(f"{name}-task-{i}", group, size) for i in range(count)]


GROUP = GroupStatus("prod-hosts", minimum=1, maximum=4, desired=2)


def in_service(group: GroupStatus, *, registered: int | None = None) -> tuple[Host, ...]:
    """The group's hosts registered with the cluster: all it wants, unless some are still launching."""
    return tuple(host(f"i-{index}", []) for index in range(group.desired if registered is None else registered))


# -- service ----------------------------------------------------------------------------------------


def test_a_service_scales_out_when_the_new_tasks_fit_and_says_how_much_room_is_left() -> None:
    hosts = (host("a", [TASK] * 2), host("b", [TASK] * 2))  # four places each (memory), two free each

    decision = decide_service(service_rule("+2"), IN_ALARM, web(4), hosts, GROUP, last_scaled_at=None, now=NOW)

    assert decision.outcome is ScaleOutcome.SERVICE_SCALED_OUT
    assert decision.service_count == (4, 6)
    assert decision.group_capacity is None
    assert "room for 2 more task(s)" in decision.capacity_note


def test_room_is_counted_per_host_not_as_an_average() -> None:
    # Each host has 1.5 tasks' worth of free CPU and memory: 3 tasks' worth in total, but 2 places.
    hosts = tuple(Host(name, f"arn:ci/{name}", "ACTIVE", HOST, Resources(1536, 3072), 3) for name in "ab")

    decision = decide_service(service_rule("+3"), IN_ALARM, web(6), hosts, GROUP, last_scaled_at=None, now=NOW)

    assert decision.group_capacity == (2, 3)  # the third task needs a new host
    assert "room for 2 of 3 task(s)" in decision.capacity_note


def test_a_static_host_port_allows_one_task_per_host_however_much_room_is_left() -> None:
    # Room for two more tasks on each host by CPU and memory, but port 80 is taken on host a.
    hosts = (
        Host("a", "arn:ci/a", "ACTIVE", HOST, HOST - TASK.times(2), 2, used_ports=frozenset({22, 80})),
        Host("b", "arn:ci/b", "ACTIVE", HOST, HOST - TASK.times(2), 2, used_ports=frozenset({22})),
    )
    web_on_80 = ServiceStatus("web", 2, 2, 0, TASK, host_ports=frozenset({80}))

    decision = decide_service(service_rule("+3"), IN_ALARM, web_on_80, hosts, GROUP, last_scaled_at=None, now=NOW)

    assert decision.group_capacity == (2, 4)  # one place on b, then one host per task
    assert decision.service_count == (2, 5)


def test_when_the_new_tasks_do_not_fit_the_group_grows_first_by_the_hosts_they_need() -> None:
    hosts = (host("a", [TASK] * 4), host("b", [TASK] * 4))  # full

    decision = decide_service(
        service_rule("+5", maximum=20), IN_ALARM, web(8), hosts, GROUP, last_scaled_at=None, now=NOW
    )

    assert decision.outcome is ScaleOutcome.SERVICE_SCALED_OUT
    assert decision.group_capacity == (2, 4)  # 5 tasks, 4 per host
    assert decision.service_count == (8, 13)
    assert "did not fit" in decision.capacity_note


def test_hosts_the_group_is_still_launching_count_as_room_so_two_alarms_do_not_add_two_hosts() -> None:
    hosts = (host("a", [TASK] * 4), host("b", [TASK] * 4))  # full; the group already wants a third
    launching = GroupStatus("prod-hosts", minimum=1, maximum=6, desired=3)

    decision = decide_service(
        service_rule("+3", maximum=20), IN_ALARM, web(8), hosts, launching, last_scaled_at=None, now=NOW
    )
    more = decide_service(
        service_rule("+6", maximum=20), IN_ALARM, web(8), hosts, launching, last_scaled_at=None, now=NOW
    )

    assert (decision.service_count, decision.group_capacity) == ((8, 11), None)
    assert "launching" in decision.capacity_note
    assert more.group_capacity == (3, 4)  # 6 tasks: 4 on the launching host, 2 on one more


def test_a_group_at_its_maximum_limits_the_service_to_what_the_cluster_holds() -> None:
    hosts = (host("a", [TASK] * 3), host("b", [TASK] * 4))
    full_group = GroupStatus("prod-hosts", minimum=1, maximum=2, desired=2)

    decision = decide_service(service_rule("+3"), IN_ALARM, web(7), hosts, full_group, last_scaled_at=None, now=NOW)

    assert decision.outcome is ScaleOutcome.SERVICE_SCALED_OUT
    assert decision.service_count == (7, 8)
    assert decision.group_capacity is None


def test_no_room_and_no_way_to_grow_is_no_capacity_not_a_desired_count_ecs_cannot_place() -> None:
    hosts = (host("a", [TASK] * 4),)
    full_group = GroupStatus("prod-hosts", minimum=1, maximum=1, desired=1)

    decision = decide_service(service_rule("+1"), IN_ALARM, web(4), hosts, full_group, last_scaled_at=None, now=NOW)

    assert decision.outcome is ScaleOutcome.NO_CAPACITY
    assert decision.service_count == (4, 4)


def test_tasks_the_service_could_not_place_before_count_as_needing_room() -> None:
    hosts = (host("a", [TASK] * 3),)  # one place

    decision = decide_service(
        service_rule("+1"), IN_ALARM, web(5, running=3), hosts, GroupStatus("g", 1, 5, 1), last_scaled_at=None, now=NOW
    )

    assert decision.group_capacity == (1, 2)  # 2 unplaced + 1 new = 3 tasks, 1 place


def test_the_service_count_stays_within_the_rule_bounds() -> None:
    decision = decide_service(
        service_rule("+50%", maximum=10),
        IN_ALARM,
        web(8),
        (host("a", []), host("b", [])),
        GROUP,
        last_scaled_at=None,
        now=NOW,
    )
    assert decision.service_count == (8, 10)

    at_max = decide_service(service_rule("+1", maximum=10), IN_ALARM, web(10), (), GROUP, last_scaled_at=None, now=NOW)
    assert at_max.outcome is ScaleOutcome.AT_BOUND

    at_min = decide_service(service_rule("-1", minimum=2), IN_ALARM, web(2), (), None, last_scaled_at=None, now=NOW)
    assert at_min.outcome is ScaleOutcome.AT_BOUND and "minimum" in at_min.reason


def test_a_scale_out_alarm_never_cuts_a_service_already_above_the_rules_maximum() -> None:
    # Set to 30 by hand; a derived rule's default maximum is 20. Clamping 32 to 20 would be a cut.
    hosts = (host("a", []), host("b", []))

    decision = decide_service(
        service_rule("+2", maximum=20), IN_ALARM, web(30), hosts, GROUP, last_scaled_at=None, now=NOW
    )

    assert decision.outcome is ScaleOutcome.AT_BOUND
    assert decision.service_count == (30, 30)
    assert "beyond its maximum" in decision.reason


def test_a_scale_in_alarm_never_raises_a_service_below_the_rules_minimum() -> None:
    decision = decide_service(service_rule("-1", minimum=2), IN_ALARM, web(0), (), None, last_scaled_at=None, now=NOW)

    assert decision.outcome is ScaleOutcome.AT_BOUND
    assert decision.service_count == (0, 0)
    assert "beyond its minimum" in decision.reason


def test_a_group_outside_the_rules_bounds_is_never_moved_against_the_alarm() -> None:
    above = GroupStatus("g", minimum=1, maximum=10, desired=6)
    below = GroupStatus("g", minimum=1, maximum=10, desired=2)

    out = decide_cluster_out(
        cluster_rule(+2, maximum=4), IN_ALARM, above, in_service(above), last_scaled_at=None, now=NOW
    )
    scale_in_ = scale_in([host("a", []), host("b", [])], {"a": [], "b": []}, below, rule=cluster_rule(-1, minimum=3))

    assert (out.outcome, out.group_capacity) == (ScaleOutcome.AT_BOUND, (6, 6))
    assert "above its maximum of 4" in out.reason
    assert (scale_in_.outcome, scale_in_.hosts_to_terminate) == (ScaleOutcome.AT_BOUND, ())
    assert "below its minimum of 3" in scale_in_.reason


def test_a_service_never_scales_in_during_a_deployment() -> None:
    decision = decide_service(
        service_rule("-1"), IN_ALARM, web(4, deploying=True), (), None, last_scaled_at=None, now=NOW
    )

    assert decision.outcome is ScaleOutcome.DEPLOYMENT_IN_PROGRESS


def test_a_service_scales_in_within_its_minimum() -> None:
    decision = decide_service(service_rule("-3", minimum=2), IN_ALARM, web(4), (), None, last_scaled_at=None, now=NOW)

    assert (decision.outcome, decision.service_count) == (ScaleOutcome.SERVICE_SCALED_IN, (4, 2))


def test_a_service_owned_by_application_auto_scaling_is_left_to_it() -> None:
    decision = decide_service(
        service_rule(),
        IN_ALARM,
        web(4, managed_by="Application Auto Scaling target service/prod/web"),
        (),
        None,
        last_scaled_at=None,
        now=NOW,
    )

    assert decision.outcome is ScaleOutcome.DEFERRED
    assert "Application Auto Scaling" in decision.reason


def test_an_alarm_no_longer_in_alarm_when_checked_changes_nothing() -> None:
    recovered = AlarmDetails("alarm", AlarmState.OK, "GreaterThanThreshold", 75.0, "CPUUtilization", 60, 3)

    decision = decide_service(service_rule(), recovered, web(4), (), GROUP, last_scaled_at=None, now=NOW)

    assert decision.outcome is ScaleOutcome.ALARM_RECOVERED


def test_a_target_scaled_within_the_cooldown_is_left_alone_until_it_ends() -> None:
    rule = service_rule(cooldown=60)
    hosts = (host("a", []),)

    during = decide_service(rule, IN_ALARM, web(2), hosts, GROUP, last_scaled_at=NOW - 59, now=NOW)
    after = decide_service(rule, IN_ALARM, web(2), hosts, GROUP, last_scaled_at=NOW - 60, now=NOW)

    assert during.outcome is ScaleOutcome.COOLDOWN and "1 s left" in during.reason
    assert after.outcome is ScaleOutcome.SERVICE_SCALED_OUT


# -- cluster ----------------------------------------------------------------------------------------


def test_a_cluster_scale_out_is_clamped_to_the_groups_maximum() -> None:
    decision = decide_cluster_out(cluster_rule(+5), IN_ALARM, GROUP, in_service(GROUP), last_scaled_at=None, now=NOW)
    assert decision.group_capacity == (2, 4)

    at_max = decide_cluster_out(
        cluster_rule(+1),
        IN_ALARM,
        GroupStatus("g", 1, 4, 4),
        in_service(GroupStatus("g", 1, 4, 4)),
        last_scaled_at=None,
        now=NOW,
    )
    assert at_max.outcome is ScaleOutcome.AT_BOUND


def test_a_rule_may_narrow_the_groups_bounds_but_never_widen_them() -> None:
    narrowed = decide_cluster_out(
        cluster_rule(+5, maximum=3), IN_ALARM, GROUP, in_service(GROUP), last_scaled_at=None, now=NOW
    )
    widened = decide_cluster_out(
        cluster_rule(+5, maximum=99), IN_ALARM, GROUP, in_service(GROUP), last_scaled_at=None, now=NOW
    )

    assert narrowed.group_capacity == (2, 3)
    assert widened.group_capacity == (2, 4)


def test_hosts_the_group_is_still_launching_are_part_of_the_next_cluster_step_not_added_again() -> None:
    # The last scale-out asked for 3 -> 4; the fourth host has not joined, the alarm is still in ALARM.
    group = GroupStatus("prod-hosts", minimum=1, maximum=10, desired=4)
    joined = in_service(group, registered=3)

    same_step = decide_cluster_out(cluster_rule(+1), IN_ALARM, group, joined, last_scaled_at=None, now=NOW)
    bigger_step = decide_cluster_out(cluster_rule(+3), IN_ALARM, group, joined, last_scaled_at=None, now=NOW)

    assert (same_step.outcome, same_step.group_capacity) == (ScaleOutcome.COOLDOWN, (4, 4))
    assert "still launching 1 host(s)" in same_step.reason
    assert same_step.retry_after_seconds == 300
    assert (bigger_step.outcome, bigger_step.group_capacity) == (ScaleOutcome.CLUSTER_SCALED_OUT, (4, 6))


def test_a_capacity_provider_with_managed_scaling_owns_the_group() -> None:
    managed = GroupStatus("prod-hosts", 1, 4, 2, managed_by="capacity provider cp (managed scaling)")

    assert (
        decide_cluster_out(
            cluster_rule(+1), IN_ALARM, managed, in_service(managed), last_scaled_at=None, now=NOW
        ).outcome
        is ScaleOutcome.DEFERRED
    )


def scale_in(
    hosts: list[Host],
    tasks: dict[str, list[PlacedTask]],
    group: GroupStatus = GROUP,
    amount: int = -1,
    *,
    rule: ScalingRule | None = None,
    hooks: tuple[str, ...] = ("ecs-fleet-ops-drain-before-terminate",),
    drain_hook_name_prefix: str | None = "ecs-fleet-ops-drain",
    **extra: object,
) -> ScalingDecision:
    return decide_cluster_in(
        rule or cluster_rule(amount),
        IN_ALARM,
        group,
        view(hosts, tasks, **extra),
        headroom_percent=0,
        termination_hooks=hooks,
        drain_hook_name_prefix=drain_hook_name_prefix,
        last_scaled_at=None,
        now=NOW,
    )


def test_scale_in_terminates_the_host_with_fewest_tasks_when_they_fit_elsewhere() -> None:
    hosts = [host("a", [TASK] * 2), host("b", [TASK]), host("c", [TASK] * 2)]

    decision = scale_in(
        hosts, {"a": placed("a", 2), "b": placed("b", 1), "c": placed("c", 2)}, GroupStatus("g", 1, 4, 3)
    )

    assert decision.outcome is ScaleOutcome.CLUSTER_SCALED_IN
    assert decision.hosts_to_terminate == ("b",)
    assert decision.group_capacity == (3, 2)
    assert set(decision.placements) == {"b-task-0"}


def test_scale_in_is_refused_when_the_emptiest_hosts_tasks_fit_nowhere_even_at_low_average_reservation() -> None:
    # Reservation is 50 % on average, but the big task of the emptiest host fits in no other's gaps.
    big = Resources(2048, 4096)
    hosts = [
        Host("a", "arn:ci/a", "ACTIVE", HOST, Resources(1024, 3072), 2),
        Host("b", "arn:ci/b", "ACTIVE", HOST, Resources(1024, 3072), 2),
        Host("c", "arn:ci/c", "ACTIVE", HOST, HOST - big, 1),
    ]

    decision = scale_in(hosts, {"c": placed("c", 1, big)}, GroupStatus("g", 1, 4, 3))

    assert decision.outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert "would not all fit" in decision.reason
    assert decision.hosts_to_terminate == ()


def test_scale_in_never_goes_below_the_groups_minimum() -> None:
    hosts = [host("a", []), host("b", [])]

    decision = scale_in(hosts, {"a": [], "b": []}, GroupStatus("g", 2, 4, 2))

    assert decision.outcome is ScaleOutcome.AT_BOUND
    assert decision.hosts_to_terminate == ()


def test_scale_in_by_several_hosts_stops_at_the_minimum() -> None:
    hosts = [host(n, []) for n in "abcd"]

    decision = scale_in(hosts, {n: [] for n in "abcd"}, GroupStatus("g", 2, 4, 4), amount=-3)

    assert len(decision.hosts_to_terminate) == 2


def test_scale_in_respects_scale_in_protection() -> None:
    hosts = [host("a", [], protected=True), host("b", [TASK] * 2)]

    decision = scale_in(hosts, {"a": [], "b": placed("b", 2)})

    assert decision.hosts_to_terminate == ("b",)


def test_scale_in_passes_over_hosts_with_standalone_tasks_ecs_would_not_move() -> None:
    hosts = [host("a", [TASK]), host("b", [TASK] * 2), host("c", [])]

    decision = scale_in(
        hosts, {"a": placed("a", 1, group="family:batch"), "b": placed("b", 2)}, GroupStatus("g", 1, 4, 3)
    )

    assert decision.hosts_to_terminate == ("b",)
    assert "standalone" in decision.capacity_note


def test_daemon_tasks_need_no_place_of_their_own() -> None:
    hosts = [host("a", [TASK] * 4), host("b", [TASK] * 4)]  # both full

    decision = scale_in(hosts, {"a": placed("a", 4, group="service:agent")}, daemon_services=frozenset({"agent"}))

    assert decision.hosts_to_terminate == ("a",)


def test_no_host_is_removed_while_another_is_still_draining_or_a_deployment_runs() -> None:
    draining = scale_in(
        [host("a", [], status="DRAINING"), host("b", []), host("c", [])], {"b": [], "c": []}, GroupStatus("g", 1, 4, 3)
    )
    deploying = scale_in([host("a", []), host("b", [])], {"a": [], "b": []}, deployments_in_progress=("web",))

    assert draining.outcome is ScaleOutcome.UNSAFE_SCALE_IN and "DRAINING" in draining.reason
    assert deploying.outcome is ScaleOutcome.DEPLOYMENT_IN_PROGRESS


def test_no_host_is_removed_from_a_group_without_a_termination_hook_to_hold_it_for_the_drain() -> None:
    hosts = [host("a", [TASK]), host("b", [TASK] * 2)]

    decision = scale_in(hosts, {"a": placed("a", 1), "b": placed("b", 2)}, hooks=())

    assert decision.outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert decision.hosts_to_terminate == ()
    assert "no termination lifecycle hook" in decision.reason
    assert "HookAutoScalingGroupName" in decision.reason


def test_no_host_is_removed_from_a_group_whose_only_termination_hooks_are_someone_elses() -> None:
    hosts = [host("a", [TASK]), host("b", [TASK] * 2)]

    decision = scale_in(hosts, {"a": placed("a", 1), "b": placed("b", 2)}, hooks=("ship-logs",))

    # A log shipper's handler completes its action when its logs are out, whatever still runs on the host.
    assert decision.outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert decision.hosts_to_terminate == ()
    assert "ship-logs are not the drain's (named ecs-fleet-ops-drain..." in decision.reason


def test_a_stack_without_the_drain_job_does_not_count_on_the_suite_s_hooks_which_nobody_there_answers() -> None:
    # EnableDrain=false: a hook named with the prefix (left from an earlier deploy) would hold the host for
    # its heartbeat timeout, then let it go with its tasks. Only ECS managed draining is trusted then.
    hosts = [host("a", [TASK]), host("b", [TASK] * 2)]
    tasks = {"a": placed("a", 1), "b": placed("b", 2)}

    decision = scale_in(hosts, tasks, drain_hook_name_prefix=None)

    assert decision.outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert decision.hosts_to_terminate == ()
    assert "this stack has no drain job (EnableDrain is false)" in decision.reason
    managed = ("ecs-managed-draining-termination-hook",)
    assert scale_in(hosts, tasks, hooks=managed, drain_hook_name_prefix=None).outcome is ScaleOutcome.CLUSTER_SCALED_IN


def test_ecs_managed_draining_s_hook_holds_a_host_for_its_tasks_as_the_drain_s_does() -> None:
    hosts = [host("a", [TASK]), host("b", [TASK] * 2)]

    decision = scale_in(
        hosts, {"a": placed("a", 1), "b": placed("b", 2)}, hooks=("ecs-managed-draining-termination-hook", "ship-logs")
    )

    assert decision.outcome is ScaleOutcome.CLUSTER_SCALED_IN
    assert decision.hosts_to_terminate == ("a",)


def test_no_host_is_removed_while_a_service_has_tasks_ecs_could_not_place() -> None:
    hosts = [host("a", [TASK]), host("b", [TASK] * 2)]

    decision = scale_in(hosts, {"a": placed("a", 1), "b": placed("b", 2)}, unplaced_tasks=(("api", 3),))

    assert decision.outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert decision.hosts_to_terminate == ()
    assert "could not place: api (3)" in decision.reason


def test_scale_in_takes_the_emptiest_host_of_the_zone_with_the_most_instances_not_an_emptier_one_elsewhere() -> None:
    # Zone a has two hosts, zone b one: removing b's host would leave a 2 / b 0, and Auto Scaling's
    # rebalancing would then launch in b and terminate one of a's hosts, which nothing approved.
    hosts = [host("a1", [TASK] * 2, zone="a"), host("b1", [TASK], zone="b"), host("a2", [TASK] * 3, zone="a")]
    group = GroupStatus("g", 1, 4, 3, instances_by_zone=(("a", 2), ("b", 1)))

    decision = scale_in(hosts, {"a1": placed("a1", 2), "b1": placed("b1", 1), "a2": placed("a2", 3)}, group)

    assert decision.hosts_to_terminate == ("a1",)
    assert "zone with the most instances (a 2, b 1)" in decision.capacity_note


def test_scale_in_is_refused_when_no_host_of_the_largest_zone_can_go() -> None:
    hosts = [host("a1", [TASK] * 4, zone="a"), host("b1", [TASK], zone="b"), host("a2", [TASK] * 4, zone="a")]
    group = GroupStatus("g", 1, 4, 3, instances_by_zone=(("a", 2), ("b", 1)))

    decision = scale_in(hosts, {"a1": placed("a1", 4), "b1": placed("b1", 1), "a2": placed("a2", 4)}, group)

    assert decision.outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert "b1 is in b (1 instance(s)) and a has more: removing it would unbalance the group's zones" in decision.reason


def test_scale_in_by_two_hosts_takes_one_from_each_zone_when_they_are_even() -> None:
    hosts = [host(n, [], zone=n[0]) for n in ("a1", "a2", "b1", "b2")]
    group = GroupStatus("g", 1, 4, 4, instances_by_zone=(("a", 2), ("b", 2)))

    decision = scale_in(hosts, {n: [] for n in ("a1", "a2", "b1", "b2")}, group, amount=-2)

    assert sorted(decision.hosts_to_terminate) == ["a1", "b1"]


# -- the property: an approved scale-in never leaves a task without a place ------------------------

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
SIZES = st.sampled_from([Resources(256, 512), Resources(512, 1024), Resources(1024, 2048), Resources(2048, 4096)])


@st.composite
def clusters(draw: st.DrawFn) -> tuple[list[Host], dict[str, tuple[PlacedTask, ...]], frozenset[str], int]:
    count = draw(st.integers(min_value=2, max_value=8))
    hosts: list[Host] = []
    tasks: dict[str, tuple[PlacedTask, ...]] = {}
    for index in range(count):
        name = f"i-{index:04d}"
        free = HOST
        used_ports: frozenset[int] = frozenset()
        on_host: list[PlacedTask] = []
        for task_index, size in enumerate(draw(st.lists(SIZES, min_size=1, max_size=10))):
            if size.fits_in(free):
                group = draw(st.sampled_from(["service:web", "service:api", "service:agent", "family:batch"]))
                # Some api tasks bind host port 8080: at most one of them per host.
                ports = frozenset({8080}) if group == "service:api" and draw(st.booleans()) else frozenset()
                if ports & used_ports:
                    continue
                on_host.append(PlacedTask(f"{name}/{task_index}", group, size, ports))
                used_ports |= ports
                free = free - size
        protected = draw(st.booleans()) and draw(st.booleans())
        hosts.append(
            Host(
                name,
                f"arn:ci/{name}",
                "ACTIVE",
                HOST,
                free,
                len(on_host),
                protected_from_scale_in=protected,
                used_ports=used_ports,
                zone=draw(st.sampled_from(ZONES)),
            )
        )
        tasks[f"arn:ci/{name}"] = tuple(on_host)
    daemons = draw(st.sampled_from([frozenset(), frozenset({"agent"})]))
    headroom = draw(st.sampled_from([0, 10, 25]))
    return hosts, tasks, daemons, headroom


@given(clusters(), st.integers(min_value=1, max_value=4))
def test_an_approved_scale_in_never_leaves_a_task_without_a_place(
    cluster: tuple[list[Host], dict[str, tuple[PlacedTask, ...]], frozenset[str], int], count: int
) -> None:
    hosts, tasks, daemons, headroom = cluster
    zones = {zone: sum(1 for h in hosts if h.zone == zone) for zone in ZONES}
    plan = plan_scale_in(ClusterView("prod", tuple(hosts), tasks, daemons), count, headroom, tuple(zones.items()))

    removed = {h.container_instance_arn for h in plan.chosen}
    assert len(plan.chosen) <= count
    assert not any(h.protected_from_scale_in for h in plan.chosen)
    # Each host comes from a zone with the most instances at its turn: the zones never drift apart
    # more than they were, and Auto Scaling has nothing to rebalance.
    for chosen in plan.chosen:
        assert zones[chosen.zone or ""] == max(zones.values())
        zones[chosen.zone or ""] -= 1
    # Every replica-service task on a removed host has a place on a host that stays...
    for arn in removed:
        for task in tasks[arn]:
            assert task.service_name is not None, "a standalone task would be lost"
            if task.service_name in daemons:
                continue
            assert plan.placements.get(task.arn) not in (None, *removed)
    # ...and no host that stays is given more than it can take while keeping its headroom, nor a
    # host port it already uses or gives twice.
    by_arn = {h.container_instance_arn: h for h in hosts}
    for arn in {a for a in plan.placements.values()}:
        given_to = [t for ts in tasks.values() for t in ts if plan.placements.get(t.arn) == arn]
        load = Resources(sum(t.size.cpu for t in given_to), sum(t.size.memory for t in given_to))
        assert load.fits_in(usable(by_arn[arn], headroom))
        ports = [port for t in given_to for port in t.host_ports]
        assert len(ports) == len(set(ports))
        assert not set(ports) & by_arn[arn].used_ports


# -- follow-ups: an alarm that stays in ALARM is looked at again ------------------------------------


def _transition(follow_up: int = 0, idle_looks: int = 0) -> AlarmTransition:
    return AlarmTransition(
        "alarm", AlarmState.ALARM, AlarmState.OK, NOW, "", AlarmSource.SNS, follow_up=follow_up, idle_looks=idle_looks
    )


def test_after_a_change_the_alarm_is_looked_at_again_when_the_cooldown_ends() -> None:
    changed = ScalingDecision(ScaleOutcome.SERVICE_SCALED_OUT, "scaled")

    assert decide_follow_up(_transition(), service_rule(cooldown=120), changed, dry_run=False, max_follow_ups=10) == 120
    # Metrics need a minute to show a change; SQS delays at most 900 s (a longer wait takes several).
    assert decide_follow_up(_transition(), service_rule(cooldown=0), changed, dry_run=False, max_follow_ups=10) == 60
    assert (
        decide_follow_up(_transition(), service_rule(cooldown=3600), changed, dry_run=False, max_follow_ups=10) == 900
    )


def test_after_a_change_the_follow_up_waits_for_the_alarm_to_judge_a_whole_window_of_new_data() -> None:
    changed = ScalingDecision(ScaleOutcome.CLUSTER_SCALED_OUT, "scaled")

    # Cooldown 300 s, then 3 periods of 60 s: an ALARM seen sooner still reflects the time before.
    delay = decide_follow_up(
        _transition(), service_rule(cooldown=300), changed, dry_run=False, max_follow_ups=10, alarm_window_seconds=180
    )

    assert delay == 480


def test_a_follow_up_that_comes_before_the_alarm_has_judged_the_change_waits_for_it() -> None:
    # 5 periods of 300 s after a 300 s cooldown: 1,800 s, longer than SQS delays a follow-up (900 s).
    alarm = replace(IN_ALARM, period_seconds=300, evaluation_periods=5)
    rule = service_rule(cooldown=300)

    early = judging_the_last_change(rule, alarm, NOW - 900, NOW)
    late = judging_the_last_change(rule, alarm, NOW - 1800, NOW)

    assert early is not None and early.outcome is ScaleOutcome.COOLDOWN
    assert early.retry_after_seconds == 900
    assert "judges 1500 s of data (5 x 300 s)" in early.reason
    assert late is None


def test_a_cooldown_is_waited_out_and_a_bound_or_a_recovery_ends_the_follow_ups() -> None:
    cooling = ScalingDecision(ScaleOutcome.COOLDOWN, "cooling", retry_after_seconds=42)

    assert decide_follow_up(_transition(), service_rule(), cooling, dry_run=False, max_follow_ups=10) == 42
    for outcome in (ScaleOutcome.AT_BOUND, ScaleOutcome.ALARM_RECOVERED, ScaleOutcome.UNSAFE_SCALE_IN):
        ended = ScalingDecision(outcome, "done")
        assert decide_follow_up(_transition(), service_rule(), ended, dry_run=False, max_follow_ups=10) is None


def test_follow_ups_that_change_nothing_are_bounded_and_none_is_made_in_a_dry_run() -> None:
    changed = ScalingDecision(ScaleOutcome.SERVICE_SCALED_OUT, "scaled")
    cooling = ScalingDecision(ScaleOutcome.COOLDOWN, "cooling", retry_after_seconds=42)

    assert (
        decide_follow_up(_transition(12, idle_looks=10), service_rule(), cooling, dry_run=False, max_follow_ups=10)
        is None
    )
    assert (
        decide_follow_up(_transition(12, idle_looks=9), service_rule(), cooling, dry_run=False, max_follow_ups=10) == 42
    )
    assert decide_follow_up(_transition(), service_rule(), changed, dry_run=True, max_follow_ups=10) is None


def test_a_sustained_alarm_keeps_scaling_past_max_follow_ups_while_each_look_changes_something() -> None:
    # Found by the end-to-end spike: after ten steps the service stopped growing while its alarm
    # stayed in ALARM (CloudWatch says nothing more). Each acting look moves one step towards a bound,
    # where the chain ends; a hard cap holds whatever the bounds.
    changed = ScalingDecision(ScaleOutcome.SERVICE_SCALED_OUT, "scaled")

    assert (
        decide_follow_up(
            _transition(15, idle_looks=0), service_rule(cooldown=120), changed, dry_run=False, max_follow_ups=10
        )
        == 120
    )
    assert (
        decide_follow_up(
            _transition(MAX_LOOKS_PER_TRANSITION), service_rule(), changed, dry_run=False, max_follow_ups=10
        )
        is None
    )


def test_a_follow_up_carries_the_whole_transition_and_is_a_decision_of_its_own() -> None:
    original = AlarmTransition(
        "ecs-scale-web-cpu-high",
        AlarmState.ALARM,
        AlarmState.OK,
        NOW,
        "Threshold Crossed",
        AlarmSource.EVENTBRIDGE,
        dimensions=(("ClusterName", "prod"), ("ServiceName", "web")),
        metric_name="CPUUtilization",
        threshold=75.0,
        latest_value=83.2,
    )
    follow_up = replace(original, follow_up=1, idle_looks=1)

    assert AlarmTransition.from_json(follow_up.to_json()) == follow_up
    assert follow_up.idempotency_key != original.idempotency_key
    with pytest.raises(BadInputError, match="malformed"):
        AlarmTransition.from_json('{"version": 1, "alarm_name": "x"}')


# -- a tracking rule's follow-up with no record of the last change (review of issue 11, finding 3) -----


def test_a_tracking_follow_up_without_a_record_of_the_change_waits_for_the_alarm_to_judge_it() -> None:
    tracking = replace(service_rule("+1", cooldown=0), derived=True, tracking=Tracking())
    follow_up = _transition(follow_up=1)  # the alarm went to ALARM at NOW, on a 90 % datapoint

    # A minute later the transition's own datapoint is the newest: it may predate a change whose record
    # was lost, so it sizes nothing; the follow-up waits for the alarm's three minutes after the transition.
    waiting = waiting_without_a_record(tracking, IN_ALARM, follow_up, NOW + 60)
    assert waiting is not None and waiting.outcome is ScaleOutcome.COOLDOWN and not waiting.outcome.acted
    assert waiting.retry_after_seconds == 120
    assert "no record of a change to service web" in waiting.reason
    assert "not sized from the metric" in waiting.reason

    # Once the alarm has judged three minutes after the transition and still says ALARM, the rule's step applies.
    assert waiting_without_a_record(tracking, IN_ALARM, follow_up, NOW + 180) is None
