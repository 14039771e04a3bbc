"""The drain job's decisions, as pure functions: no AWS, no clock."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fleetops.drain.decide import (
    GLOBAL_TIMEOUT_MARGIN_SECONDS,
    decide_next_step,
    decide_start,
    drain_deadline,
    failed_recheck_retry_seconds,
    refuse_stale_action,
    refuse_unless_waiting,
)
from fleetops.drain.settings import DrainSettings
from fleetops.models.drain import DrainAction, DrainOutcome, DrainState, HostObservation
from fleetops.models.ecs import ContainerInstance, TaskOnHost
from fleetops.models.lifecycle import Destination, InstanceLifecycle, LifecycleAction, LifecycleResult

NOW = 1_000_000.0
SETTINGS = DrainSettings(recheck_queue_url="q", dead_letter_queue_url="d", idempotency_table="t")
ACTION = LifecycleAction("prod-hosts", "drain", "token-1", "i-0123456789abcdef0")


def state(**changes: object) -> DrainState:
    base: dict[str, object] = {
        "cluster_arn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        "container_instance_arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/abc",
        "ec2_instance_id": ACTION.ec2_instance_id,
        "lifecycle_action": ACTION,
        "started_at": NOW - 120,
        "deadline": NOW - 120 + 3600,
        "tasks_at_start": 4,
    }
    base.update(changes)
    return DrainState(**base)  # type: ignore[arg-type]


def task(last: str = "RUNNING", desired: str = "RUNNING", group: str = "service:web", n: int = 0) -> TaskOnHost:
    return TaskOnHost(arn=f"arn:task/{group}/{last}/{n}", last_status=last, desired_status=desired, group=group)


def seen(
    *tasks: TaskOnHost, lifecycle: str | None = "Terminating:Wait", daemons: tuple[str, ...] = ()
) -> HostObservation:
    return HostObservation(lifecycle, tasks, frozenset(daemons))


def instance(status: str = "ACTIVE", agent: bool = True) -> ContainerInstance:
    return ContainerInstance("arn:cluster/prod", "arn:ci/prod/abc", "i-0123456789abcdef0", status, agent, 3, 0)


# -- before the first look --------------------------------------------------------------------------
def test_an_instance_unknown_to_ecs_is_completed_at_once_with_continue() -> None:
    start = decide_start(None)
    assert start.complete_now is not None
    assert start.complete_now.outcome is DrainOutcome.NOT_IN_ECS
    assert start.complete_now.result is LifecycleResult.CONTINUE
    assert not start.set_draining


def test_an_inactive_or_deregistering_instance_is_completed_at_once() -> None:
    for status in ("INACTIVE", "DEREGISTERING", "REGISTRATION_FAILED"):
        start = decide_start(instance(status))
        assert start.complete_now is not None and start.complete_now.outcome is DrainOutcome.NOT_IN_ECS


def test_a_host_whose_agent_is_disconnected_is_completed_at_once() -> None:
    start = decide_start(instance(agent=False))
    assert start.complete_now is not None
    assert start.complete_now.outcome is DrainOutcome.AGENT_DISCONNECTED


def test_only_an_active_host_is_set_draining_and_a_draining_one_is_just_watched() -> None:
    assert decide_start(instance("ACTIVE")).set_draining
    draining = decide_start(instance("DRAINING"))
    assert not draining.set_draining and draining.complete_now is None


# -- each re-check ----------------------------------------------------------------------------------
def test_an_empty_host_is_completed_with_continue() -> None:
    decision = decide_next_step(state(), seen(), SETTINGS, NOW)
    assert decision.action is DrainAction.COMPLETE
    assert decision.outcome is DrainOutcome.DRAINED and decision.result is LifecycleResult.CONTINUE


def test_tasks_still_deregistering_from_the_load_balancer_keep_the_host_waiting() -> None:
    for status in ("DEACTIVATING", "STOPPING", "DEPROVISIONING", "PENDING", "PROVISIONING"):
        decision = decide_next_step(state(), seen(task(status, "STOPPED")), SETTINGS, NOW)
        assert decision.action is DrainAction.WAIT, status
        assert decision.wait_seconds == SETTINGS.recheck_interval_seconds


def test_stopped_tasks_do_not_hold_the_host() -> None:
    decision = decide_next_step(state(), seen(task("STOPPED", "STOPPED")), SETTINGS, NOW)
    assert decision.outcome is DrainOutcome.DRAINED


def test_a_drain_that_outlives_its_budget_completes_with_the_configured_result() -> None:
    settings = DrainSettings("q", "d", "t", budget_exceeded_result=LifecycleResult.ABANDON)
    decision = decide_next_step(state(deadline=NOW), seen(task()), settings, NOW)
    assert decision.action is DrainAction.COMPLETE
    assert decision.outcome is DrainOutcome.BUDGET_EXCEEDED
    assert decision.result is LifecycleResult.ABANDON
    assert "1 RUNNING" in decision.reason


def test_the_recheck_cap_ends_the_loop_even_if_the_clock_never_moves() -> None:
    decision = decide_next_step(state(attempt=SETTINGS.max_rechecks()), seen(task()), SETTINGS, NOW)
    assert decision.outcome is DrainOutcome.BUDGET_EXCEEDED


def test_an_empty_host_is_drained_even_past_its_budget() -> None:
    assert decide_next_step(state(deadline=NOW - 1), seen(), SETTINGS, NOW).outcome is DrainOutcome.DRAINED


def test_the_last_wait_ends_exactly_at_the_deadline() -> None:
    decision = decide_next_step(state(deadline=NOW + 7.2), seen(task()), SETTINGS, NOW)
    assert decision.wait_seconds == 8


def test_an_action_completed_elsewhere_stops_the_watch_without_completing() -> None:
    for lifecycle in ("Terminating:Proceed", "Terminated", None):
        decision = decide_next_step(state(), seen(task(), lifecycle=lifecycle), SETTINGS, NOW)
        assert decision.action is DrainAction.STOP_WATCHING
        assert decision.outcome is DrainOutcome.COMPLETED_ELSEWHERE
        assert decision.result is None


def test_an_action_gone_after_its_heartbeat_timeout_since_the_drain_last_kept_it_alive_is_reported_as_expired() -> None:
    # Found by the end-to-end faults: re-checks that died until the hook timed out were reported as
    # "completed elsewhere", pointing the reader at another hook handler that did not exist.
    late = state(heartbeat_timeout=900, kept_alive_at=NOW - 900)
    decision = decide_next_step(late, seen(task(), lifecycle="Terminated"), SETTINGS, NOW)
    assert (decision.action, decision.outcome) == (DrainAction.STOP_WATCHING, DrainOutcome.ACTION_EXPIRED)
    assert "timed out, 900 s after the drain last kept it alive" in decision.reason

    in_time = state(heartbeat_timeout=900, kept_alive_at=NOW - 899)
    decision = decide_next_step(in_time, seen(task(), lifecycle="Terminated"), SETTINGS, NOW)
    assert decision.outcome is DrainOutcome.COMPLETED_ELSEWHERE


def test_standalone_and_daemon_tasks_are_stopped_once_no_service_task_is_left() -> None:
    observation = seen(task(group="family:batch", n=1), task(group="service:agent", n=2), daemons=("agent",))
    decision = decide_next_step(state(), observation, SETTINGS, NOW)
    assert decision.action is DrainAction.STOP_LEFTOVERS
    assert set(decision.tasks_to_stop) == {t.arn for t in observation.tasks}


def test_leftovers_wait_while_replica_service_tasks_are_still_moving() -> None:
    observation = seen(task(group="family:batch", n=1), task("DEACTIVATING", "STOPPED", n=2))
    assert decide_next_step(state(), observation, SETTINGS, NOW).action is DrainAction.WAIT


def test_leftovers_are_stopped_only_once_and_only_when_enabled() -> None:
    observation = seen(task(group="family:batch"))
    assert decide_next_step(state(leftovers_stopped=True), observation, SETTINGS, NOW).action is DrainAction.WAIT
    keep = DrainSettings("q", "d", "t", stop_leftover_tasks=False)
    assert decide_next_step(state(), observation, keep, NOW).action is DrainAction.WAIT


def test_a_spot_drain_without_lifecycle_action_ignores_the_lifecycle_state() -> None:
    decision = decide_next_step(state(lifecycle_action=None), seen(lifecycle=None), SETTINGS, NOW)
    assert decision.outcome is DrainOutcome.DRAINED


_statuses = st.sampled_from(["PROVISIONING", "PENDING", "RUNNING", "DEACTIVATING", "STOPPING", "STOPPED"])
_tasks = st.lists(
    st.builds(
        task,
        last=_statuses,
        desired=st.sampled_from(["RUNNING", "STOPPED"]),
        group=st.sampled_from(["service:web", "service:agent", "family:batch"]),
        n=st.integers(0, 10_000),
    ),
    max_size=30,
)


@given(tasks=_tasks, elapsed=st.floats(0, 8000), attempt=st.integers(0, 200), stopped=st.booleans())
def test_no_decision_completes_a_host_that_still_has_a_live_task_unless_the_budget_is_spent(
    tasks: list[TaskOnHost], elapsed: float, attempt: int, stopped: bool
) -> None:
    current = state(started_at=NOW, deadline=NOW + 3600, attempt=attempt, leftovers_stopped=stopped)
    decision = decide_next_step(current, seen(*tasks, daemons=("agent",)), SETTINGS, NOW + elapsed)
    live = [t for t in tasks if t.last_status != "STOPPED"]
    if decision.action is DrainAction.COMPLETE:
        assert not live or decision.outcome is DrainOutcome.BUDGET_EXCEEDED
        assert live or decision.outcome is DrainOutcome.DRAINED
    else:
        assert live
        assert 1 <= decision.wait_seconds <= SETTINGS.recheck_interval_seconds
        assert NOW + elapsed + decision.wait_seconds <= current.deadline + 1
        assert set(decision.tasks_to_stop) <= {t.arn for t in live if t.desired_status != "STOPPED"}


def test_rechecks_come_within_half_the_hooks_heartbeat_timeout() -> None:
    decision = decide_next_step(state(heartbeat_timeout=50), seen(task()), SETTINGS, NOW)
    assert decision.action is DrainAction.WAIT and decision.wait_seconds == 25
    assert decide_next_step(state(heartbeat_timeout=3600), seen(task()), SETTINGS, NOW).wait_seconds == 60


# -- a live action, or nothing is changed --------------------------------------------------------------
def test_an_event_whose_instance_is_not_waiting_on_a_termination_in_its_group_is_refused() -> None:
    for seen_as in (
        InstanceLifecycle("prod-hosts", "InService"),  # a replay naming a healthy host
        InstanceLifecycle("prod-hosts", "Terminating:Proceed"),
        InstanceLifecycle("batch-hosts", "Terminating:Wait"),  # another group's wait: not the event's
        None,  # gone from every group
    ):
        refusal = refuse_unless_waiting(ACTION, seen_as)
        assert refusal is not None, seen_as
        assert (refusal.action, refusal.outcome, refusal.result) == (
            DrainAction.REFUSE,
            DrainOutcome.NOT_TERMINATING,
            None,
        )
        assert "nothing was changed" in refusal.reason
    assert refuse_unless_waiting(ACTION, InstanceLifecycle("prod-hosts", "Terminating:Wait")) is None


def test_a_warm_pool_return_waits_in_warmed_pending_wait_and_only_there() -> None:
    to_pool = LifecycleAction("prod-hosts", "drain", "token-1", ACTION.ec2_instance_id, Destination.WARM_POOL)
    assert refuse_unless_waiting(to_pool, InstanceLifecycle("prod-hosts", "Warmed:Pending:Wait")) is None
    assert refuse_unless_waiting(to_pool, InstanceLifecycle("prod-hosts", "Terminating:Wait")) is not None
    assert refuse_unless_waiting(ACTION, InstanceLifecycle("prod-hosts", "Warmed:Pending:Wait")) is not None


def test_a_token_auto_scaling_no_longer_knows_is_a_stale_action() -> None:
    refusal = refuse_stale_action(ACTION)
    assert (refusal.action, refusal.outcome, refusal.result) == (DrainAction.REFUSE, DrainOutcome.STALE_ACTION, None)


def test_a_host_back_in_service_is_restored_only_if_the_drain_drained_it() -> None:
    for lifecycle in ("InService", "Pending", "Standby"):
        decision = decide_next_step(state(set_draining=True), seen(task(), lifecycle=lifecycle), SETTINGS, NOW)
        assert (decision.action, decision.outcome) == (DrainAction.RESTORE, DrainOutcome.RETURNED_TO_SERVICE)
        assert decision.result is None and "set ACTIVE again" in decision.reason
    decision = decide_next_step(state(set_draining=False), seen(task(), lifecycle="InService"), SETTINGS, NOW)
    assert decision.action is DrainAction.RESTORE and "did not drain it" in decision.reason


def test_a_host_whose_cluster_was_deleted_is_released_with_continue_and_says_why() -> None:
    deleted = HostObservation("Terminating:Wait", (), frozenset(), cluster_deleted=True)
    decision = decide_next_step(state(), deleted, SETTINGS, NOW)
    assert (decision.action, decision.outcome, decision.result) == (
        DrainAction.COMPLETE,
        DrainOutcome.CLUSTER_DELETED,
        LifecycleResult.CONTINUE,
    )
    assert "cluster prod no longer exists" in decision.reason
    # Completed by someone else in the meantime: not the drain's to complete.
    gone = HostObservation(None, (), frozenset(), cluster_deleted=True)
    assert decide_next_step(state(), gone, SETTINGS, NOW).outcome is DrainOutcome.COMPLETED_ELSEWHERE


# -- the effective wait and the global timeout ------------------------------------------------------------
def run_to_the_end(current: DrainState, settings: DrainSettings, now: float) -> tuple[float, DrainOutcome | None]:
    """Re-check after re-check, nothing ever leaving the host, until a decision ends the drain."""
    for _ in range(10_000):
        decision = decide_next_step(current, seen(task(group="family:batch")), settings, now)
        if decision.action is DrainAction.COMPLETE:
            return now, decision.outcome
        now += decision.wait_seconds
        current = current.next_attempt(leftovers_stopped=True)
    raise AssertionError("the wait never ended")


def test_a_short_heartbeat_never_ends_a_drain_before_its_budget() -> None:
    # Found by the issue: a 900 s interval shortened to 150 s by a 300 s heartbeat hit a cap made for
    # 900 s waits, and ended a 3600 s drain at 2700 s with tasks on the host.
    settings = DrainSettings("q", "d", "t", recheck_interval_seconds=900, drain_budget_seconds=3600)
    ended_at, outcome = run_to_the_end(state(started_at=NOW, deadline=NOW + 3600, heartbeat_timeout=300), settings, NOW)
    assert (ended_at - NOW, outcome) == (3600, DrainOutcome.BUDGET_EXCEEDED)
    assert settings.max_rechecks(300) >= 3600 // 150


def test_the_deadline_is_clamped_to_the_hooks_global_timeout_from_when_the_action_began() -> None:
    # Heartbeat 30 s: Auto Scaling ends the wait 3000 s after it began, whatever the heartbeats.
    assert drain_deadline(NOW, NOW, 3600, 3000) == (NOW + 3000 - GLOBAL_TIMEOUT_MARGIN_SECONDS, True)
    # A retried event: the action began 100 s before the drain did.
    assert drain_deadline(NOW, NOW - 100, 3600, 3000) == (NOW - 100 + 3000 - GLOBAL_TIMEOUT_MARGIN_SECONDS, True)
    assert drain_deadline(NOW, NOW, 3600, 90_000) == (NOW + 3600, False)
    assert drain_deadline(NOW, NOW, 3600, None) == (NOW + 3600, False)


def test_a_drain_ended_by_its_clamped_deadline_says_so() -> None:
    clamped = state(deadline=NOW, heartbeat_timeout=30, global_timeout=3000, deadline_clamped=True)
    decision = decide_next_step(clamped, seen(task()), SETTINGS, NOW)
    assert decision.outcome is DrainOutcome.BUDGET_EXCEEDED and decision.result is SETTINGS.budget_exceeded_result
    assert "global timeout of 3000 s" in decision.reason and "clamped from the budget of 3600 s" in decision.reason


# -- a re-check that failed -----------------------------------------------------------------------------
def test_a_failed_recheck_of_a_short_heartbeat_comes_back_within_the_time_left() -> None:
    kept_alive = state(heartbeat_timeout=30, kept_alive_at=NOW - 17)  # 13 s left
    assert failed_recheck_retry_seconds(kept_alive, NOW, visibility_timeout=360) == 5  # a third, at least 5 s
    roomy = state(heartbeat_timeout=300, kept_alive_at=NOW - 60)  # 240 s left
    assert failed_recheck_retry_seconds(roomy, NOW, visibility_timeout=360) == 80


def test_a_failed_recheck_is_left_to_the_queue_when_its_visibility_timeout_returns_it_in_time() -> None:
    # 900 s heartbeat, 60 s in: 840 s left; the queue returns the message in 360 s. Coming back sooner
    # would only spend the queue's five receives faster in a long outage.
    long = state(heartbeat_timeout=900, kept_alive_at=NOW - 60)
    assert failed_recheck_retry_seconds(long, NOW, visibility_timeout=360) is None


def test_a_failed_recheck_after_the_heartbeat_timeout_or_without_one_is_left_to_the_queue() -> None:
    assert failed_recheck_retry_seconds(state(heartbeat_timeout=30, kept_alive_at=NOW - 31), NOW, 360) is None
    assert failed_recheck_retry_seconds(state(), NOW, 360) is None
