"""A world fails the story when an invocation it delivers fails unexpectedly. Lambda retries a failed
delivery and the account plays that, so nothing raises on its own: the world must say so."""

from __future__ import annotations

import pytest

from simulator.account import HandlerCrash
from simulator.worlds.drain import DrainWorld


def a_drain_waiting_on_its_rechecks(world: DrainWorld) -> None:
    host = world.cluster.instance_ids[0]
    world.cluster.add_service("web")
    world.cluster.start_tasks(host, 2, group="service:web")
    action = world.hooks.begin_termination(world.cluster.group, host, metadata='{"cluster": "prod"}')
    world.invoke(world.hooks.eventbridge_event(action))
    assert world.pending_rechecks(), "the drain waits for its tasks through re-checks"


def every_recheck_crashes(operation: str) -> None:
    if operation == "drain:ListTasks":
        raise HandlerCrash("injected: the runtime dies before ListTasks")


def test_a_recheck_that_fails_unexpectedly_fails_the_story(world: DrainWorld) -> None:
    a_drain_waiting_on_its_rechecks(world)
    world.account.faults.append(every_recheck_crashes)
    with pytest.raises(AssertionError, match=r"invocation\(s\) failed and the story expected none"):
        world.run_until_quiet()


def test_a_story_that_injects_the_fault_says_so_and_sees_lambda_retry_then_dead_letter(world: DrainWorld) -> None:
    a_drain_waiting_on_its_rechecks(world)
    world.account.faults.append(every_recheck_crashes)
    with world.failures_expected():
        world.run_until_quiet()
    assert world.dead_letters(), "SQS moved the re-check to the dead-letter queue after its receives"
    world.account.faults.remove(every_recheck_crashes)
    world.run_until_quiet()  # nothing failed since the block: the story goes on
