"""The benchmark's models of AWS's own capacity tools (``benchmarks.native_models``) give, on tiny traces, the
numbers their documents' rules imply, worked out by hand here: so that the capacity figure cannot drift
silently. (The benchmark is not in the test command; these are pure and take milliseconds.)"""

from __future__ import annotations

from benchmarks.capacity_traces import DrainTrace, SpikeTrace
from benchmarks.native_models import ServicePolicy, managed_draining, spike
from fleetops.models.scale import Resources

M5_LARGE = Resources(2048, 7680)
# One host with room for 8 tasks of 256 CPU, 2 of them running; 1,200 CPU units of load need
# ceil(1,200 / (256 x 75 %)) = 7 tasks, all on that host: the service's scaling alone is measured.
ONE_HOST_SPIKE = SpikeTrace(
    load_cpu=1200,
    task=Resources(256, 512),
    host=M5_LARGE,
    hosts=1,
    tasks=2,
    target_percent=75,
    service_max=20,
    group_max=1,
    window_seconds=15 * 60,
)
LAST_TICK_OF_THE_MINUTE = 60  # the load changes just after a datapoint: the first full one ends 60 s later


def test_the_demo_s_spike_needs_19_tasks_at_the_alarm_s_75_percent() -> None:
    demo = SpikeTrace(3600, Resources(256, 512), M5_LARGE, 2, 2, 75, 20, 4, 7200)

    assert demo.tasks_needed == 19  # 3,600 / 192 = 18.75


def test_target_tracking_steps_once_a_datapoint_in_alarm_each_to_running_times_metric_over_target() -> None:
    run = spike(ONE_HOST_SPIKE, ServicePolicy.TARGET_TRACKING, LAST_TICK_OF_THE_MINUTE)

    # ALARM after 3 breaching datapoints (180 s): 2 -> ceil(2 x 100 / 75) = 3; at 240 s, CPU still capped at
    # 100 %: 3 -> 4; at 300 s: 4 -> 6; at 360 s, 1,200 / 1,536 = 78.1 %: 6 -> ceil(6.25) = 7, which start on
    # the next 5-second tick.
    assert run.minutes_to_capacity == round(365 / 60, 2)
    assert run.tasks_lost == 0


def test_step_scaling_doubles_once_its_60_second_cooldown_has_passed() -> None:
    run = spike(ONE_HOST_SPIKE, ServicePolicy.STEP, LAST_TICK_OF_THE_MINUTE)

    # ALARM at 180 s: 2 -> 4; the alarm still in ALARM at 240 s, the cooldown just over: 4 -> 8.
    assert run.minutes_to_capacity == round(245 / 60, 2)


def test_managed_draining_with_cluster_auto_scaling_grows_the_group_in_one_step_and_loses_nothing() -> None:
    trace = DrainTrace(
        hosts=4,
        tasks_per_host=1,
        task=Resources(1536, 512),  # one per 2,048-CPU host: the replacements fit nowhere
        host=M5_LARGE,
        leaving=2,
        group_max=6,
        deregistration_delay=30,
        window_seconds=10 * 60,
    )

    run = managed_draining(trace, LAST_TICK_OF_THE_MINUTE)

    # CapacityProviderReservation at 60 s: M = 2 hosts holding tasks + 2 for the waiting replacements, N = 2:
    # 200 %, the group to 4 at once; the new hosts register 90 s later (150 s) and take the replacements; the
    # old tasks leave after the 30 s deregistration delay, and managed draining completes both hooks (180 s).
    assert run.minutes_to_capacity == 2.5
    assert run.actions_completed_minutes == 3.0
    assert run.tasks_lost == 0
    # 4 hosts for the 10 minutes, and the 2 new ones 2 minutes before the 2 old ones went: one launch of 2.
    assert run.host_minutes == 44.0
