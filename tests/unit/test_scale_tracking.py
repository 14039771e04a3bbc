"""Service steps sized from the alarm's metric (target tracking), looked at every datapoint, with hosts for
the waiting tasks raised in one step: pure decisions on plain data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fleetops.errors import BadInputError
from fleetops.models.scale import (
    AlarmDetails,
    AlarmSource,
    AlarmState,
    AlarmTransition,
    Direction,
    GroupStatus,
    Host,
    PlacementFailure,
    Resources,
    ScaleOutcome,
    ScalingRule,
    ServiceStatus,
    Step,
    TargetKind,
    Tracking,
)
from fleetops.scale.decide import decide_follow_up, decide_service, decide_waiting_tasks
from fleetops.scale.parse import parse_trigger
from fleetops.scale.rules import resolve_rule
from fleetops.scale.settings import ScaleSettings, parse_rules
from fleetops.scale.tracking import tracked_count
from fleetops.settings import Scope

# The demo's spike: m5.large hosts (2,048 CPU units), tasks of 256 CPU, the example's alarm at 75 % over
# three one-minute datapoints.
HOST = Resources(2048, 7680)
TASK = Resources(256, 512)
NOW = 1_000_000.0
CPU_HIGH = AlarmDetails("web-cpu-high", AlarmState.ALARM, "GreaterThanThreshold", 75.0, "CPUUtilization", 60, 3)


def tracking_rule(*, maximum: int = 20, cooldown: int = 60, target: float | None = None) -> ScalingRule:
    return ScalingRule(
        alarm_name="web-cpu-high",
        kind=TargetKind.SERVICE,
        cluster="demo",
        service="web",
        step=Step(1, False, Direction.OUT),
        minimum=1,
        maximum=maximum,
        cooldown_seconds=cooldown,
        tracking=Tracking(target),
    )


def hosts_with(*tasks: int) -> tuple[Host, ...]:
    return tuple(
        Host(f"i-{index}", f"arn:ci/{index}", "ACTIVE", HOST, HOST - TASK.times(count), count)
        for index, count in enumerate(tasks)
    )


def web(desired: int, running: int | None = None) -> ServiceStatus:
    running = desired if running is None else running
    return ServiceStatus("web", desired, running, 0, TASK)


GROUP = GroupStatus("demo-hosts", minimum=1, maximum=6, desired=2)


# -- how far one step goes ---------------------------------------------------------------------------


def test_a_saturated_service_at_least_doubles_and_its_hosts_are_sized_for_the_next_doubling() -> None:
    tracked = tracked_count(
        tracking_rule(), desired=2, running=2, value=100.0, target=75.0, metric_name="CPUUtilization"
    )

    assert tracked is not None
    assert (tracked.count, tracked.anticipated) == (4, 8)  # 2 x 100 / 75 = 2.7 tasks would be a guess
    assert "saturated" in tracked.why


def test_an_unsaturated_metric_asks_for_just_the_tasks_that_bring_it_to_the_target() -> None:
    # 3,600 CPU units of load on 16 tasks of 256: 87.890625 %; 16 x 87.890625 / 75 = 18.75 -> 19, never 20.
    tracked = tracked_count(
        tracking_rule(),
        desired=16,
        running=16,
        value=3600 / (16 * 256) * 100,
        target=75.0,
        metric_name="CPUUtilization",
    )

    assert tracked is not None
    assert (tracked.count, tracked.anticipated, tracked.limited) == (19, 19, False)


def test_a_step_never_goes_past_the_rules_maximum_nor_sizes_hosts_past_it() -> None:
    tracked = tracked_count(
        tracking_rule(maximum=20), desired=16, running=16, value=100.0, target=75.0, metric_name="CPUUtilization"
    )

    assert tracked is not None
    assert (tracked.count, tracked.anticipated, tracked.limited) == (20, 20, True)


def test_a_scale_in_keeps_a_margin_under_the_target_and_removes_at_most_half_at_once() -> None:
    rule = replace(tracking_rule(target=75.0), step=Step(1, False, Direction.IN), minimum=2)

    gentle = tracked_count(rule, desired=19, running=19, value=45.0, target=75.0, metric_name="CPUUtilization")
    lull = tracked_count(rule, desired=19, running=19, value=1.0, target=75.0, metric_name="CPUUtilization")

    assert gentle is not None and gentle.count == 13  # 19 x 45 / 67.5 = 12.7 -> 13: the metric ends near 66 %, not 75
    assert lull is not None and lull.count == 10  # half of 19, not the 1 task the metric alone would leave
    assert "at most half" in lull.why


# -- the decision --------------------------------------------------------------------------------------


def test_a_tracking_rule_without_a_value_falls_back_to_its_step_and_says_so() -> None:
    decision = decide_service(
        tracking_rule(), CPU_HIGH, web(2), hosts_with(1, 1), GROUP, last_scaled_at=None, now=NOW, metric_value=None
    )

    assert decision.service_count == (2, 3)
    assert "the rule's step of +1: the alarm carried no value of its metric" in decision.reason


def test_within_the_cooldown_only_a_step_larger_than_the_last_goes_ahead() -> None:
    rule, hosts = tracking_rule(cooldown=300), hosts_with(4, 4, 0)
    recently = NOW - 60

    larger = decide_service(
        rule, CPU_HIGH, web(8), hosts, GROUP, last_scaled_at=recently, last_target=8, now=NOW, metric_value=100.0
    )
    no_larger = decide_service(
        rule, CPU_HIGH, web(8), hosts, GROUP, last_scaled_at=recently, last_target=16, now=NOW, metric_value=100.0
    )

    assert larger.outcome is ScaleOutcome.SERVICE_SCALED_OUT and larger.service_count == (8, 16)
    assert no_larger.outcome is ScaleOutcome.COOLDOWN
    assert no_larger.retry_after_seconds == 60  # the next datapoint, not the cooldown's 240 s left


def test_a_tracking_scale_in_waits_out_its_whole_cooldown_however_far_it_would_go() -> None:
    rule = replace(tracking_rule(cooldown=300, target=75.0), step=Step(1, False, Direction.IN), minimum=2)
    cpu_low = replace(CPU_HIGH, comparison="LessThanThreshold", threshold=20.0)

    decision = decide_service(
        rule, cpu_low, web(19), (), GROUP, last_scaled_at=NOW - 60, last_target=19, now=NOW, metric_value=5.0
    )

    assert decision.outcome is ScaleOutcome.COOLDOWN  # ScaleInCooldown blocks every scale-in until it expires


def test_tasks_already_asked_for_and_still_starting_are_enough_and_nothing_is_added() -> None:
    # 19 wanted, 16 running at 87.9 %: the three starting tasks bring it to the target.
    decision = decide_service(
        tracking_rule(), CPU_HIGH, web(19, running=16), hosts_with(8, 8, 0), GROUP, last_scaled_at=None, now=NOW,
        metric_value=87.9,
    )  # fmt: skip

    assert decision.outcome is ScaleOutcome.ON_TARGET
    assert decision.service_count == (19, 19)


def test_the_next_host_is_launched_before_the_service_outgrows_the_last_one() -> None:
    # 8 tasks fill one of two hosts; saturated, the service doubles to 16 (the two hosts hold exactly that) and
    # may double again at the next look: the third host is launched now, in the same decision.
    decision = decide_service(
        tracking_rule(), CPU_HIGH, web(8), hosts_with(4, 4), GROUP, last_scaled_at=None, now=NOW, metric_value=100.0
    )

    assert decision.outcome is ScaleOutcome.SERVICE_SCALED_OUT
    assert decision.service_count == (8, 16)
    assert decision.group_capacity == (2, 3)  # 20 tasks (the rule's maximum) need one more host, not two
    assert "sized for 20 task(s)" in decision.capacity_note


def test_the_waiting_tasks_hosts_are_raised_in_one_call_counting_those_launching() -> None:
    rule = replace(tracking_rule(maximum=40), tracking=None, step=Step(24, False, Direction.OUT))
    launching = replace(GROUP, desired=3)  # one host launched, not registered yet

    decision = decide_service(
        rule, CPU_HIGH, web(16), hosts_with(8, 8), launching, last_scaled_at=None, now=NOW, metric_value=None
    )

    # 24 new tasks, 8 per host: three hosts, one of them already launching -> 3 + 2 = 5, in one call.
    assert decision.group_capacity == (3, 5)
    assert decision.service_count == (16, 40)


def test_a_tracking_rule_looks_again_at_the_next_datapoint_not_after_cooldown_and_window() -> None:
    transition = AlarmTransition("web-cpu-high", AlarmState.ALARM, AlarmState.OK, NOW, "", AlarmSource.EVENTBRIDGE)
    acted = decide_service(
        tracking_rule(), CPU_HIGH, web(2), hosts_with(1, 1), GROUP, last_scaled_at=None, now=NOW, metric_value=100.0
    )
    on_target = decide_service(
        tracking_rule(), CPU_HIGH, web(4, running=2), hosts_with(1, 1), GROUP, last_scaled_at=None, now=NOW,
        metric_value=100.0,
    )  # fmt: skip

    def follow_up(rule: ScalingRule, outcome: object) -> int | None:
        return decide_follow_up(
            transition, rule, outcome, dry_run=False, max_follow_ups=10, alarm_window_seconds=180,  # type: ignore[arg-type]
            alarm_period_seconds=60,
        )  # fmt: skip

    assert follow_up(tracking_rule(), acted) == 60
    assert on_target.outcome is ScaleOutcome.ON_TARGET and follow_up(tracking_rule(), on_target) == 60
    assert follow_up(replace(tracking_rule(), tracking=None), acted) == 240  # a +N rule: cooldown + window


# -- rules ---------------------------------------------------------------------------------------------


WEB_DIMENSIONS = (("ClusterName", "demo"), ("ServiceName", "web"))


def derived_rule(
    comparison: str,
    namespace: str = "AWS/ECS",
    metric_name: str = "CPUUtilization",
    dimensions: tuple[tuple[str, str], ...] = WEB_DIMENSIONS,
) -> ScalingRule:
    """The rule derived from an alarm on the demo cluster's service web, with no rule declared."""
    settings = ScaleSettings(dead_letter_queue_url="q", idempotency_table="t", clusters=Scope.of("demo"))
    transition = AlarmTransition(
        "a",
        AlarmState.ALARM,
        None,
        NOW,
        "",
        AlarmSource.EVENTBRIDGE,
        dimensions,
        metric_name=metric_name,
        namespace=namespace,
        comparison=comparison,
    )
    return resolve_rule(settings, transition, None)


def test_a_derived_service_scale_out_rule_tracks_its_alarms_threshold_and_its_scale_in_keeps_one_task() -> None:
    assert derived_rule("GreaterThanThreshold").tracking == Tracking(None)
    assert derived_rule("LessThanThreshold").tracking is None


def test_a_derived_rule_on_a_metric_that_does_not_fall_as_tasks_are_added_keeps_the_step_of_one_task() -> None:
    # Container Insights' CpuUtilized is the CPU units all the service's tasks use: a total, which stays at
    # 3,300 whatever the count. Tracking a 3,000 threshold on it would add a task at every datapoint up to
    # the derived maximum (4 -> 5 -> 6 -> ... -> 20); the step of one task waits for each change to be judged.
    for namespace, metric_name, dimensions in [
        ("ECS/ContainerInsights", "CpuUtilized", WEB_DIMENSIONS),
        ("ECS/ContainerInsights", "NetworkRxBytes", WEB_DIMENSIONS),
        ("ECS/ContainerInsights", "MemoryUtilized", WEB_DIMENSIONS),
    ]:
        rule = derived_rule("GreaterThanThreshold", namespace, metric_name, dimensions)
        assert rule.tracking is None, (namespace, metric_name)
        assert rule.step == Step(1, False, Direction.OUT)

    # The service's own share of what its tasks reserve does fall as tasks are added: it is tracked.
    assert derived_rule("GreaterThanThreshold", "AWS/ECS", "MemoryUtilization").tracking == Tracking(None)


def test_a_declared_rule_may_track_a_value_or_its_alarms_threshold_and_every_misuse_is_named() -> None:
    errors: list[str] = []
    rules = parse_rules(
        '[{"alarm": "a", "cluster": "c", "service": "s", "step": "+1", "track": 60, "max": 20},'
        ' {"alarm": "b", "cluster": "c", "service": "s", "step": "+1", "track": "threshold", "max": 20},'
        ' {"alarm": "x", "cluster": "c", "service": "s", "step": "-1", "track": "threshold", "max": 20},'
        ' {"alarm": "y", "cluster": "c", "step": "+1", "track": 75},'
        ' {"alarm": "z", "cluster": "c", "service": "s", "step": "+1", "track": 0, "max": 20}]',
        errors,
        out_cooldown=60,
        in_cooldown=300,
    )

    assert [rule.tracking for rule in rules] == [Tracking(60.0), Tracking(None)]
    assert len(errors) == 3
    assert "a scale-in rule needs the value to hold" in errors[0]
    assert "track is for service rules" in errors[1]
    assert "must be a number above 0" in errors[2]


# -- ECS's placement failures ----------------------------------------------------------------------------


def test_tasks_ecs_could_not_place_get_the_hosts_they_need_in_one_call_and_a_repeat_adds_none() -> None:
    # 19 wanted, 16 running on two full hosts: 3 wait.
    waiting = ServiceStatus("web", 19, 16, 0, TASK)

    first = decide_waiting_tasks(waiting, hosts_with(8, 8), GROUP)
    repeated = decide_waiting_tasks(waiting, hosts_with(8, 8), replace(GROUP, desired=3))  # the host is launching

    assert first.outcome is ScaleOutcome.CLUSTER_SCALED_OUT and first.group_capacity == (2, 3)
    assert first.service_count is None  # the service already says what it wants
    assert repeated.outcome is ScaleOutcome.NOTHING_WAITING and repeated.group_capacity is None


def test_a_placement_failure_with_every_task_placed_or_a_group_at_its_maximum_changes_nothing() -> None:
    placed = decide_waiting_tasks(ServiceStatus("web", 16, 16, 0, TASK), hosts_with(8, 8), GROUP)
    full = decide_waiting_tasks(ServiceStatus("web", 19, 16, 0, TASK), hosts_with(8, 8), replace(GROUP, maximum=2))

    assert placed.outcome is ScaleOutcome.NOTHING_WAITING
    assert full.outcome is ScaleOutcome.NO_CAPACITY and "maximum of 2" in full.reason


def test_the_ecs_service_action_event_is_parsed_into_the_service_that_waits_and_why() -> None:
    detail: dict[str, str] = {
        "eventType": "ERROR",
        "eventName": "SERVICE_TASK_PLACEMENT_FAILURE",
        "clusterArn": "arn:aws:ecs:us-west-2:111122223333:cluster/default",
        "reason": "RESOURCE:CPU",
        "createdAt": "2019-11-06T19:09:33.087Z",
    }
    # The document's example ("Amazon ECS service action events"), with a reason of the EC2 launch type.
    event: dict[str, object] = {
        "version": "0",
        "id": "ddca6449-b258-46c0-8653-e0e3a6d0468b",
        "detail-type": "ECS Service Action",
        "source": "aws.ecs",
        "account": "111122223333",
        "time": "2019-11-19T19:55:38Z",
        "region": "us-west-2",
        "resources": ["arn:aws:ecs:us-west-2:111122223333:service/default/servicetest"],
        "detail": detail,
    }

    [failure] = parse_trigger(event)

    assert isinstance(failure, PlacementFailure)
    assert (failure.cluster, failure.service, failure.reason, failure.for_room) == (
        "default",
        "servicetest",
        "RESOURCE:CPU",
        True,
    )
    assert failure.idempotency_key.endswith("ddca6449-b258-46c0-8653-e0e3a6d0468b")
    with pytest.raises(BadInputError, match="not one the scale job acts on"):
        parse_trigger({**event, "detail": {**detail, "eventName": "SERVICE_STEADY_STATE"}})
    with pytest.raises(BadInputError, match="no single service"):
        parse_trigger({**event, "resources": []})


def test_a_datapoint_of_zero_in_the_alarms_reason_data_is_the_value_not_a_missing_one() -> None:
    reason_data = '{"version":"1.0","statistic":"Average","period":60,"recentDatapoints":[0.0],"threshold":20.0}'
    event = {
        "version": "0",
        "id": "1",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "time": "2026-12-02T03:00:00Z",
        "resources": [],
        "detail": {
            "alarmName": "web-cpu-low",
            "state": {
                "value": "ALARM",
                # The reason text names another datapoint: only reasonData's own value counts.
                "reason": "Threshold Crossed: 10 out of the last 10 datapoints [5.0 (02/12/26 02:59:00)] ...",
                "reasonData": reason_data,
                "timestamp": "2026-12-02T03:00:00.000+0000",
            },
        },
    }

    [transition] = parse_trigger(event)

    assert isinstance(transition, AlarmTransition) and transition.latest_value == 0.0
