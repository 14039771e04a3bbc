"""Consolidation: a cluster scale-in that removes every host whose tasks fit on the others, several in one
decision, within a disruption budget that counts the hosts already leaving, and never in a quiet window."""

from __future__ import annotations

import calendar
import json
from dataclasses import replace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fleetops.errors import ConfigurationError
from fleetops.models.consolidation import ConsolidationPolicy, DisruptionBudget
from fleetops.models.scale import (
    CONSOLIDATION_STEP,
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
    Step,
    TargetKind,
)
from fleetops.packing import plan_scale_in, usable
from fleetops.scale.consolidation import parse_quiet_windows
from fleetops.scale.decide import MAX_HOSTS_PER_DECISION, decide_cluster_in, decide_follow_up, hosts_to_remove
from fleetops.scale.rules import resolve_rule
from fleetops.scale.settings import ScaleSettings, parse_rules

HOST = Resources(4096, 8192)
TASK = Resources(1024, 2048)  # four per host
LOW = AlarmDetails("low", AlarmState.ALARM, "LessThanThreshold", 30.0, "CPUReservation", 300, 5)
CONSOLIDATE = ScalingRule("low", TargetKind.CLUSTER, "prod", CONSOLIDATION_STEP, 300, derived=True)
MINUS_ONE = ScalingRule("low", TargetKind.CLUSTER, "prod", Step(1, False, Direction.IN), 300)
HOOKS = ("ecs-fleet-ops-drain-before-terminate",)
# Monday 1 December 2025, 12:00 UTC.
MONDAY_NOON = float(calendar.timegm((2025, 12, 1, 12, 0, 0)))
REQUIRED = {"DEAD_LETTER_QUEUE_URL": "q", "IDEMPOTENCY_TABLE": "t", "CLUSTER_NAMES": "prod"}


def declared(rule: dict[str, object]) -> ScalingRule:
    """A rule as SCALING_RULES declares it, parsed as the function parses it at cold start."""
    errors: list[str] = []
    [parsed] = parse_rules(
        json.dumps([{"alarm": "low", "cluster": "prod", **rule}]), errors, out_cooldown=60, in_cooldown=300
    )
    assert not errors
    return parsed


def host(name: str, tasks: int, *, status: str = "ACTIVE", lifecycle: str = "InService") -> Host:
    return Host(name, f"arn:ci/{name}", status, HOST, HOST - TASK.times(tasks), tasks, lifecycle_state=lifecycle)


def placed(name: str, count: int) -> tuple[PlacedTask, ...]:
    return tuple(PlacedTask(f"{name}-task-{i}", "service:web", TASK) for i in range(count))


def consolidate(
    hosts: list[Host],
    *,
    minimum: int = 1,
    budget: str = "10%",
    quiet: str = "",
    rule: ScalingRule = CONSOLIDATE,
    now: float = MONDAY_NOON,
) -> ScalingDecision:
    """Every host's tasks looked at, as the runner does for the candidates and the hosts already leaving."""
    in_group = [h for h in hosts if not h.leaving or h.launching]  # the desired capacity: not those leaving
    group = GroupStatus("prod-hosts", minimum=minimum, maximum=40, desired=len(in_group))
    if rule is CONSOLIDATE:
        rule = declared({"step": "consolidate", "budget": budget, **({"quiet": quiet} if quiet else {})})
    view = ClusterView(
        "prod", tuple(hosts), {h.container_instance_arn: placed(h.ec2_instance_id, h.tasks) for h in hosts}
    )
    return decide_cluster_in(
        rule,
        LOW,
        group,
        view,
        headroom_percent=0,
        termination_hooks=HOOKS,
        drain_hook_name_prefix="ecs-fleet-ops-drain",
        last_scaled_at=None,
        now=now,
    )


# -- several hosts in one decision -------------------------------------------------------------------


def test_consolidation_removes_every_host_whose_tasks_fit_on_the_others_in_one_decision() -> None:
    # Ten hosts with one task each: their tasks fit on three (four per host), so seven go in one decision,
    # not one per alarm as a -1 rule would.
    hosts = [host(f"i-{n}", 1) for n in range(10)]

    decision = consolidate(hosts, budget="100%")

    assert decision.outcome is ScaleOutcome.CLUSTER_SCALED_IN
    assert len(decision.hosts_to_terminate) == 7
    assert decision.group_capacity == (10, 3)
    assert len(decision.placements) == 7
    assert not set(decision.placements.values()) & {f"arn:ci/{h}" for h in decision.hosts_to_terminate}
    assert "disruption budget 100% of 10 host(s): at most 10 leaving at once" in decision.capacity_note
    assert "no other host's tasks fit on the rest (7 of the 9 the budget and minimum allow)" in decision.capacity_note


def test_the_disruption_budget_caps_the_hosts_removed_at_once_a_percentage_rounded_up() -> None:
    hosts = [host(f"i-{n}", 1) for n in range(15)]

    assert len(consolidate(hosts).hosts_to_terminate) == 2  # 10 % of 15 = 1.5: two hosts
    assert len(consolidate(hosts, budget="3").hosts_to_terminate) == 3
    assert len(consolidate(hosts[:4], budget="1%").hosts_to_terminate) == 1  # at least one
    # And never more than 50 in one decision, what one invocation terminates well within its timeout.
    empty = [host(f"i-{n}", 0) for n in range(80)]
    capped = consolidate(empty, budget="100%")
    assert len(capped.hosts_to_terminate) == MAX_HOSTS_PER_DECISION == 50
    assert "at most 50 host(s) go in one decision, the next look takes more" in capped.capacity_note


def test_hosts_go_together_only_if_their_tasks_hold_wherever_ecs_places_them() -> None:
    # C and D run four 512-CPU tasks each; A two of 800, B one of 1,600; 10 % headroom. The plan alone would
    # take B and A (1,600 on C, both 800s on D). But ECS places by its own strategy as each host drains:
    # spreading the 800s first, one on C and one on D, leaves no host with room for the 1,600. So only B goes,
    # and the decision says why A stays.
    def sized(name: str, cpu: int, count: int) -> tuple[Host, tuple[PlacedTask, ...]]:
        tasks = tuple(PlacedTask(f"{name}-task-{i}", f"service:{name}-svc", Resources(cpu, 64)) for i in range(count))
        used = Resources(cpu * count, 64 * count)
        return Host(name, f"arn:ci/{name}", "ACTIVE", HOST, HOST - used, count, lifecycle_state="InService"), tasks

    fleet = [sized("i-c", 512, 4), sized("i-d", 512, 4), sized("i-a", 800, 2), sized("i-b", 1600, 1)]
    view = ClusterView("prod", tuple(h for h, _ in fleet), {h.container_instance_arn: t for h, t in fleet})
    group = GroupStatus("prod-hosts", minimum=2, maximum=40, desired=4)

    decision = decide_cluster_in(
        declared({"step": "consolidate", "budget": "2"}),
        LOW,
        group,
        view,
        headroom_percent=10,
        termination_hooks=HOOKS,
        drain_hook_name_prefix="ecs-fleet-ops-drain",
        last_scaled_at=None,
        now=MONDAY_NOON,
    )

    assert decision.outcome is ScaleOutcome.CLUSTER_SCALED_IN
    assert decision.hosts_to_terminate == ("i-b",)
    assert set(decision.placements) == {"i-b-task-0"}
    assert "i-a stay: with i-a gone too, ECS placing the tasks smallest first, by spread" in decision.capacity_note
    # With room enough for any order (no headroom, and C and D half empty), both go as before.
    roomy = plan_scale_in(replace(view, hosts=tuple(replace(h, remaining=HOST) for h in view.hosts)), 2, 10)
    assert [h.ec2_instance_id for h in roomy.chosen] == ["i-b", "i-a"]


def test_consolidation_never_goes_below_the_groups_minimum() -> None:
    hosts = [host(f"i-{n}", 0) for n in range(6)]

    decision = consolidate(hosts, minimum=4, budget="100%")

    assert decision.group_capacity == (6, 4)
    assert len(decision.hosts_to_terminate) == 2
    assert consolidate(hosts[:4], minimum=4).outcome is ScaleOutcome.AT_BOUND


# -- hosts already leaving: counted against the budget, their tasks kept a place ------------------------


def test_hosts_already_draining_count_against_the_budget_instead_of_holding_up_the_scale_in() -> None:
    # 20 hosts, budget 10 % = 2: one is already draining, so one more may go; with two, none.
    hosts = [host(f"i-{n}", 1) for n in range(19)] + [
        host("leaving", 1, status="DRAINING", lifecycle="Terminating:Wait")
    ]

    one_more = consolidate(hosts)
    spent = consolidate([*hosts[:18], replace(hosts[18], ecs_status="DRAINING"), hosts[19]])

    assert one_more.outcome is ScaleOutcome.CLUSTER_SCALED_IN
    assert len(one_more.hosts_to_terminate) == 1
    assert "1 already leaving (their service tasks keep a place on the remaining hosts)" in one_more.capacity_note
    assert spent.outcome is ScaleOutcome.BUDGET_SPENT
    assert spent.reason == (
        "2 host(s) of group prod-hosts are already draining or terminating, as many as the disruption budget of "
        "10% of 20 host(s) allows at once (2): no more until their drains are done"
    )
    assert spent.hosts_to_terminate == ()


def test_the_tasks_of_a_draining_host_keep_a_place_before_another_host_may_go() -> None:
    # Three full hosts' worth of room: a (1 task) could go if b's three tasks did not need a place too.
    hosts = [
        host("a", 1),
        host("c", 3),
        host("d", 2),
        host("b", 3, status="DRAINING", lifecycle="Terminating:Wait"),
    ]

    decision = consolidate(hosts, budget="100%")

    assert decision.outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert "would not all fit on the other hosts" in decision.reason
    assert "the 1 task(s) of a and the 3 of host(s) already leaving it keeps a place for" in decision.reason
    # Without b's tasks to place, a goes.
    assert consolidate(hosts[:3], budget="100%").hosts_to_terminate == ("a",)


def test_a_host_still_launching_holds_up_consolidation_and_a_minus_one_rule_still_waits_for_a_drain() -> None:
    launching = [host(f"i-{n}", 1) for n in range(5)] + [host("new", 0, lifecycle="Pending:Wait")]
    draining = [host(f"i-{n}", 1) for n in range(5)] + [host("old", 1, status="DRAINING")]

    assert consolidate(launching).outcome is ScaleOutcome.UNSAFE_SCALE_IN
    assert "the cluster is still changing" in consolidate(launching).reason
    assert consolidate(draining, rule=MINUS_ONE).outcome is ScaleOutcome.UNSAFE_SCALE_IN


# -- quiet windows ------------------------------------------------------------------------------------


def test_no_host_is_taken_away_in_a_quiet_window_and_the_alarm_is_looked_at_again_when_it_ends() -> None:
    hosts = [host(f"i-{n}", 1) for n in range(10)]

    quiet = consolidate(hosts, quiet="Mon-Fri 08:00-18:00 UTC", now=MONDAY_NOON + 30)
    saturday = consolidate(hosts, quiet="Mon-Fri 08:00-18:00 UTC", now=MONDAY_NOON + 5 * 86_400)

    assert quiet.outcome is ScaleOutcome.QUIET_WINDOW
    assert (
        quiet.reason
        == "no host is taken away during the quiet window Mon,Tue,Wed,Thu,Fri 08:00-18:00 UTC: 360 min left"
    )
    assert quiet.retry_after_seconds == 6 * 3600 - 30
    assert saturday.outcome is ScaleOutcome.CLUSTER_SCALED_IN
    # A quiet window is waited out in SQS's longest delays, and those looks are not idle ones: the low alarm
    # stays in ALARM through it and CloudWatch does not announce it again.
    transition = AlarmTransition(
        "low", AlarmState.ALARM, AlarmState.OK, MONDAY_NOON, "", AlarmSource.SNS, idle_looks=10
    )
    assert decide_follow_up(transition, CONSOLIDATE, quiet, dry_run=False, max_follow_ups=10) == 900
    assert not ScaleOutcome.QUIET_WINDOW.counts_as_idle


def test_a_minus_n_rule_is_not_held_by_the_quiet_windows_of_consolidation() -> None:
    hosts = [host(f"i-{n}", 1) for n in range(4)]

    decision = consolidate(hosts, quiet="Mon-Sun 00:00-24:00", rule=MINUS_ONE)

    assert decision.outcome is ScaleOutcome.CLUSTER_SCALED_IN


@pytest.mark.parametrize(
    ("text", "quiet_at", "open_at"),
    [
        ("Mon-Fri 08:00-18:00 UTC", (2025, 12, 5, 17, 59), (2025, 12, 5, 18, 0)),  # Friday
        ("Sat,Sun 00:00-24:00", (2025, 12, 7, 23, 59), (2025, 12, 8, 0, 0)),  # Sunday night, then Monday
        ("Fri-Mon 22:00-24:00; Tue 00:00-06:00", (2025, 12, 2, 5, 0), (2025, 12, 2, 6, 0)),  # a range round the week
    ],
)
def test_quiet_windows_are_days_and_a_span_of_the_day_in_utc(
    text: str, quiet_at: tuple[int, ...], open_at: tuple[int, ...]
) -> None:
    errors: list[str] = []
    policy = ConsolidationPolicy(quiet_windows=parse_quiet_windows(text, "w", errors))

    assert not errors
    assert policy.quiet_at(calendar.timegm((*quiet_at, 0))) is not None
    assert policy.quiet_at(calendar.timegm((*open_at, 0))) is None


# -- configuration, strictly at cold start -------------------------------------------------------------


def test_a_rule_s_budget_and_quiet_windows_are_validated_at_cold_start_every_problem_at_once() -> None:
    errors: list[str] = []
    rules = [
        {"alarm": "a", "cluster": "prod", "step": "consolidate", "budget": "0%"},
        {"alarm": "b", "cluster": "prod", "step": "consolidate", "budget": 2, "quiet": "Mon-Fri 08:00-18:00 CET"},
        {"alarm": "c", "cluster": "prod", "step": "consolidate", "quiet": "Sat 22:00-02:00; Mon 09:00-17:00"},
        {"alarm": "d", "cluster": "prod", "step": -1, "budget": "10%"},
    ]

    parse_rules(json.dumps(rules), errors, out_cooldown=60, in_cooldown=300)

    assert errors == [
        "SCALING_RULES[0].budget must be a number of hosts (1 to 10000) or a percentage of the group's hosts "
        "(1% to 100%), like 2 or \"10%\", got '0%'",
        "SCALING_RULES[1].quiet: 'Mon-Fri 08:00-18:00 CET' is not a quiet window like 'Mon-Fri 08:00-18:00 UTC' "
        "(days Mon to Sun as a day, a range or a list; start before end, 00:00 to 24:00, in UTC; a night across "
        "midnight is two windows, 'Fri 22:00-24:00; Sat 00:00-06:00')",
        "SCALING_RULES[2].quiet: 'Sat 22:00-02:00' is not a quiet window like 'Mon-Fri 08:00-18:00 UTC' "
        "(days Mon to Sun as a day, a range or a list; start before end, 00:00 to 24:00, in UTC; a night across "
        "midnight is two windows, 'Fri 22:00-24:00; Sat 00:00-06:00')",
        "SCALING_RULES[3]: budget are for a rule whose step is 'consolidate'",
    ]


def test_by_default_consolidation_may_have_ten_percent_of_the_hosts_leaving_and_no_quiet_window() -> None:
    rule = declared({"step": "consolidate"})

    assert rule.consolidation.budget == DisruptionBudget(10, percent=True)
    assert rule.consolidation.quiet_windows == ()
    assert declared({"step": "consolidate", "budget": 3}).consolidation.budget == DisruptionBudget(3, percent=False)


def test_a_derived_cluster_scale_in_consolidates_and_a_declared_rule_may_say_so_but_a_service_rule_may_not() -> None:
    rules = '[{"alarm": "low", "cluster": "prod", "step": "consolidate", "min": 2, "quiet": "Sat 00:00-24:00"}]'
    settings = ScaleSettings.from_environment({**REQUIRED, "SCALING_RULES": rules})
    transition = AlarmTransition(
        "prod-low",
        AlarmState.ALARM,
        AlarmState.OK,
        0.0,
        "",
        AlarmSource.SNS,
        (("ClusterName", "prod"),),
        comparison="LessThanThreshold",
    )

    assert str(resolve_rule(settings, transition, None).step) == "consolidate"
    assert settings.rule_for("low") is not None and settings.rule_for("low").step.consolidate  # type: ignore[union-attr]
    with pytest.raises(ConfigurationError, match=r"SCALING_RULES\[0\]\.step 'consolidate' is for cluster rules"):
        ScaleSettings.from_environment(
            {
                **REQUIRED,
                "SCALING_RULES": json.dumps(
                    [{"alarm": "a", "cluster": "prod", "service": "web", "step": "consolidate", "max": 4}]
                ),
            }
        )


# -- the property: an approved consolidation never leaves a task without a place ------------------------


SIZES = st.sampled_from([Resources(512, 1024), Resources(1024, 2048), Resources(2048, 4096)])


@st.composite
def fleets(draw: st.DrawFn) -> tuple[list[Host], dict[str, tuple[PlacedTask, ...]], int, str]:
    """2 to 12 hosts with a few service tasks each, some of the hosts draining or terminating already."""
    hosts: list[Host] = []
    tasks: dict[str, tuple[PlacedTask, ...]] = {}
    for index in range(draw(st.integers(min_value=2, max_value=12))):
        name = f"i-{index:02d}"
        free = HOST
        on_host: list[PlacedTask] = []
        for n, size in enumerate(draw(st.lists(SIZES, max_size=6))):
            if size.fits_in(free):
                on_host.append(PlacedTask(f"{name}/{n}", draw(st.sampled_from(["service:web", "service:api"])), size))
                free = free - size
        state = draw(st.sampled_from(["in-service"] * 4 + ["draining", "terminating"]))
        hosts.append(
            Host(
                name,
                f"arn:ci/{name}",
                "DRAINING" if state == "draining" else "ACTIVE",
                HOST,
                free,
                len(on_host),
                lifecycle_state="Terminating:Wait" if state == "terminating" else "InService",
            )
        )
        tasks[f"arn:ci/{name}"] = tuple(on_host)
    return hosts, tasks, draw(st.sampled_from([0, 10, 25])), draw(st.sampled_from(["10%", "50%", "100%", "1", "3"]))


def spread_strands_a_task() -> tuple[list[Host], dict[str, tuple[PlacedTask, ...]], int, str]:
    """The review's fleet: B's 2,048 fits on C and A's two 1,024s on D, but ECS spreading the 1,024s first puts
    one on each, and then the 2,048 has no place."""
    half, big = Resources(1024, 2048), Resources(2048, 4096)
    shapes = {"i-c": [half, half], "i-d": [half, half], "i-a": [half, half], "i-b": [big]}
    hosts, tasks = [], {}
    for name, sizes in shapes.items():
        used = Resources(sum(z.cpu for z in sizes), sum(z.memory for z in sizes))
        hosts.append(Host(name, f"arn:ci/{name}", "ACTIVE", HOST, HOST - used, len(sizes), lifecycle_state="InService"))
        tasks[f"arn:ci/{name}"] = tuple(PlacedTask(f"{name}/{n}", "service:web", z) for n, z in enumerate(sizes))
    return hosts, tasks, 0, "100%"


@given(fleets(), st.integers(min_value=1, max_value=4))
@example(spread_strands_a_task(), 1)
def test_an_approved_consolidation_never_leaves_a_task_without_a_place_and_keeps_to_its_budget(
    fleet: tuple[list[Host], dict[str, tuple[PlacedTask, ...]], int, str], minimum: int
) -> None:
    hosts, tasks, headroom, budget_text = fleet
    in_service = sum(1 for h in hosts if not h.leaving)
    group = GroupStatus("g", minimum=min(minimum, in_service), maximum=40, desired=in_service)
    rule = declared({"step": "consolidate", "budget": budget_text})
    policy = rule.consolidation
    view = ClusterView("prod", tuple(hosts), tasks)
    decision = decide_cluster_in(
        rule,
        LOW,
        group,
        view,
        headroom_percent=headroom,
        termination_hooks=HOOKS,
        drain_hook_name_prefix="ecs-fleet-ops-drain",
        last_scaled_at=None,
        now=MONDAY_NOON,
    )
    leaving = [h for h in hosts if h.leaving]
    count = hosts_to_remove(rule, group, hosts)
    plan = plan_scale_in(view, count, headroom)
    if decision.outcome is not ScaleOutcome.CLUSTER_SCALED_IN:
        assert decision.hosts_to_terminate == ()
        return
    removed = {h.container_instance_arn for h in plan.chosen}
    assert decision.hosts_to_terminate == tuple(h.ec2_instance_id for h in plan.chosen)
    # Within the budget, counting the hosts already leaving, and never below the minimum.
    assert len(removed) + len(leaving) <= policy.budget.hosts(len(hosts))
    assert in_service - len(removed) >= group.minimum
    # Every service task of a removed host, and of a host already leaving, has a place on a host that stays
    # and takes tasks, and no such host is given more than it can take while keeping its headroom.
    stays = {h.container_instance_arn: h for h in hosts if h.takes_tasks and h.container_instance_arn not in removed}
    places = {**plan.kept, **plan.placements}
    load: dict[str, Resources] = dict.fromkeys(stays, Resources(0, 0))
    for h in hosts:
        if h.container_instance_arn in removed or h.leaving:
            for task in tasks[h.container_instance_arn]:
                assert places.get(task.arn) in stays, f"{task.arn} of {h.ec2_instance_id} would have no place"
                load[places[task.arn]] = load[places[task.arn]] + task.size
    for arn, given_to in load.items():
        assert given_to == Resources(0, 0) or given_to.fits_in(usable(stays[arn], headroom))
    # Several hosts go only if ECS's own placements hold too: the tasks arriving in any of these orders, each
    # put by spread, on the roomiest host or by binpack (ECS never sees the plan's placements).
    if len(removed) > 1:
        moving = [
            task
            for h in hosts
            if h.container_instance_arn in removed or h.leaving
            for task in tasks[h.container_instance_arn]
        ]
        for strategy in ("spread", "most room", "binpack"):
            for order in (sorted(moving, key=lambda t: t.size.cpu), sorted(moving, key=lambda t: -t.size.cpu), moving):
                assert ecs_places_all(order, list(stays.values()), headroom, strategy), f"{strategy} strands a task"


def ecs_places_all(tasks: list[PlacedTask], stays: list[Host], headroom: int, strategy: str) -> bool:
    """ECS placing each task in turn on the host its strategy ranks first among those with room."""
    free = {h.container_instance_arn: usable(h, headroom) for h in stays}
    count = {h.container_instance_arn: h.tasks for h in stays}
    for task in tasks:
        fitting = [arn for arn in free if task.size.fits_in(free[arn])]
        if not fitting:
            return False
        rank = {
            "spread": lambda arn: (count[arn], -free[arn].cpu),
            "most room": lambda arn: (-free[arn].cpu, -free[arn].memory),
            "binpack": lambda arn: (free[arn].cpu, free[arn].memory),
        }[strategy]
        best = min(fitting, key=rank)
        free[best] = free[best] - task.size
        count[best] += 1
    return True
