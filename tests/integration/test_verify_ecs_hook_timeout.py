"""A bake behind an Amazon ECS deployment lifecycle hook ends before the hook times out.

ECS waits ``timeoutInMinutes`` for a hook (default 1440), then takes its timeout action, ROLLBACK by
default (DeploymentLifecycleHookTimeoutConfiguration, ECS API Reference). The deadline is the hook's
``expiresAt`` in DescribeServiceDeployments' ``lifecycleHookDetails``; the simulated ECS
(``deployments.SimulatedLifecycleHook``) invokes the function as ECS does and takes the timeout action
when the hook is left IN_PROGRESS past it.
"""

from __future__ import annotations

import json

import pytest

from fleetops.verify.hook_deadline import ANSWER_MARGIN_SECONDS
from simulator.worlds.verify import Release, VerifyWorld

HALF_AN_HOUR = 1800


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    services = {"web": {"alarms": ["web-5xx"], "bake_seconds": HALF_AN_HOUR}}
    world = VerifyWorld(parameters={"VerifyServices": json.dumps(services)})
    world.deployments.alarm("web-5xx", "OK")
    return world


def still_on_the_release(verify: VerifyWorld, release: Release) -> bool:
    return verify.service_task_definition(release.name) == release.task_definition


def test_a_half_hour_bake_behind_a_hook_that_times_out_in_ten_minutes_succeeds_before_it_expires(
    verify: VerifyWorld,
) -> None:
    release = verify.given_a_release()
    hook = verify.deployments.lifecycle_hook("web", previous_task_definition=release.known_good, timeout_minutes=10)

    status = hook.run(verify.invoke, verify.clock)

    assert status == "SUCCEEDED"
    assert hook.ignored_answers == [] and not hook.rolled_back
    assert still_on_the_release(verify, release)
    assert verify.clock() <= hook.hook.expires_at - ANSWER_MARGIN_SECONDS + 60  # the last look, one delay late
    assert "the bake was cut to the ECS lifecycle hook's timeout" in hook.answers[-1]["reason"]
    assert "(ROLLBACK)" in hook.answers[-1]["reason"]


def test_the_cut_bake_still_fails_the_hook_when_an_alarm_fires_before_the_cut(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    hook = verify.deployments.lifecycle_hook("web", previous_task_definition=release.known_good, timeout_minutes=10)
    verify.deployments.gaps.later(verify.clock() + 120, lambda: verify.deployments.set_alarm("web-5xx", "ALARM"))

    status = hook.run(verify.invoke, verify.clock)

    assert status == "FAILED"
    assert "alarms: 1 alarm(s) in ALARM: web-5xx" in hook.answers[-1]["reason"]
    assert hook.rolled_back and verify.service_task_definition("web") == release.known_good


def test_a_hook_whose_timeout_leaves_no_time_to_bake_is_answered_on_the_first_look(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    # Three minutes: less than the margin the last answer needs (two call-back delays and a run).
    hook = verify.deployments.lifecycle_hook("web", previous_task_definition=release.known_good, timeout_minutes=3)

    status = hook.run(verify.invoke, verify.clock)

    assert status == "SUCCEEDED" and len(hook.answers) == 1
    assert not hook.rolled_back and still_on_the_release(verify, release)
    assert hook.answers[0]["reason"].startswith("every check passed (alarms); the bake was cut")
    assert "alarms watched until 2026-01-01T00:00:00Z instead of 2026-01-01T00:30:00Z" in hook.answers[0]["reason"]


def test_a_bake_that_ends_before_the_hook_s_timeout_runs_whole_and_reads_the_deadline_once(
    verify: VerifyWorld,
) -> None:
    release = verify.given_a_release()
    hook = verify.deployments.lifecycle_hook("web", previous_task_definition=release.known_good, timeout_minutes=60)
    verify.api.reset()

    status = hook.run(verify.invoke, verify.clock)

    assert status == "SUCCEEDED"
    assert verify.clock() - hook.hook.started_at >= HALF_AN_HOUR
    assert "cut" not in hook.answers[-1]["reason"]
    assert verify.api.calls["ecs:DescribeServiceDeployments"] == 1  # then carried in hookDetails


def test_a_continue_timeout_action_also_cuts_the_bake_so_the_verdict_reaches_ecs(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    hook = verify.deployments.lifecycle_hook(
        "web", previous_task_definition=release.known_good, timeout_minutes=10, timeout_action="CONTINUE"
    )

    assert hook.run(verify.invoke, verify.clock) == "SUCCEEDED"
    assert hook.ignored_answers == []
    assert "(CONTINUE)" in hook.answers[-1]["reason"]


def test_a_deadline_that_cannot_be_read_keeps_the_whole_bake_and_says_so(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    hook = verify.deployments.lifecycle_hook("web", previous_task_definition=release.known_good)
    verify.gaps.describe_service_deployments_denied = True  # a role without ecs:DescribeServiceDeployments
    verify.metrics()  # a clean slate

    status = hook.run(verify.invoke, verify.clock)

    assert status == "SUCCEEDED" and not hook.rolled_back
    assert verify.clock() - hook.hook.started_at >= HALF_AN_HOUR  # not cut on a guess
    assert "the ECS lifecycle hook's deadline could not be read" in hook.answers[-1]["reason"]
    unread = [m for m in verify.metrics() if m == "EcsHookDeadlineUnread"]
    assert len(unread) == len(hook.answers) - 1  # asked again, and counted, at each look of the bake
