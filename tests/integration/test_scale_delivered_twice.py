"""One alarm transition delivered twice (EventBridge and the scaling topic's SNS) scales once, whether or
not the two deliveries carry the same timestamp: CloudWatch's documents do not say that
``detail.state.timestamp`` and ``StateChangeTime`` are equal (docs/aws-behaviour.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.worlds.scale import ScaleWorld

# No cooldown: only the transition's own identity can stand a second delivery down.
RULES = [
    {
        "alarm": "ecs-scale-web-cpu-high",
        "cluster": "prod",
        "service": "web",
        "step": 1,
        "min": 2,
        "max": 12,
        "cooldown_seconds": 0,
    },
]


@pytest.fixture
def world(aws: None) -> Iterator[ScaleWorld]:
    world = ScaleWorld(hosts=2, rules=RULES)
    world.services.add_service("web", cpu=1024, memory=2048)
    world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
    world.services.run_on(world.cluster.instance_ids[0], "web", 2)
    yield world
    world.close()


def _sns_stamped(event: dict[str, Any], at: float) -> dict[str, Any]:
    """The SNS delivery of the transition, its ``StateChangeTime`` moved to ``at``."""
    sns = event["Records"][0]["Sns"]
    message = json.loads(sns["Message"])
    moment = datetime.fromtimestamp(at, UTC)
    message["StateChangeTime"] = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    sns["Message"] = json.dumps(message)
    return event


def _scale_notifications(world: ScaleWorld) -> list[dict[str, str]]:
    return [n for n in world.notifications() if "scale" in n["subject"]]


def test_a_transition_delivered_both_ways_with_timestamps_a_second_apart_scales_once(world: ScaleWorld) -> None:
    world.clock.advance(0.9 - world.clock() % 1)  # the transition at .900 s
    changed_at = world.clock()
    by_eventbridge = world.fire("ecs-scale-web-cpu-high", 90.0)
    by_sns = _sns_stamped(world.fire("ecs-scale-web-cpu-high", 90.0, via="sns"), changed_at + 0.2)  # the next second

    first = world.decide(by_eventbridge)
    world.clock.advance(1)
    second = world.decide(by_sns)

    assert first["outcome"] == "service-scaled-out"
    assert not second.get("duplicate"), "the two timestamps key differently: the second is decided"
    assert (second["outcome"], second["acted"]) == ("already-acted", False)
    assert "second delivery" in second["reason"]
    assert world.desired_count("web") == 3  # 2 -> 3, once
    assert len(_scale_notifications(world)) == 1
    # Each delivery's follow-up looks again once the alarm has judged the change; the ledger lets one act.
    assert [round(due - world.clock()) for due, _ in world.pending_follow_ups()] == [179, 179]
    # Both fall due at the same moment: the queue's event source mapping (BatchSize 10) delivers them in one
    # batch. The alarm is still in ALARM after judging the change: one more step.
    world.deliver_follow_up()
    assert world.desired_count("web") == 4  # 3 -> 4 once, not twice


def test_the_next_transition_of_the_same_alarm_is_still_acted_on(world: ScaleWorld) -> None:
    world.decide(world.fire("ecs-scale-web-cpu-high", 90.0))
    world.clock.advance(60)
    world.fire("ecs-scale-web-cpu-high", 50.0, state="OK")
    world.clock.advance(60)

    again = world.decide(world.fire("ecs-scale-web-cpu-high", 95.0))

    assert again["outcome"] == "service-scaled-out"
    assert world.desired_count("web") == 4


def test_a_transition_delivered_both_ways_with_the_same_second_is_one_decision(world: ScaleWorld) -> None:
    by_eventbridge = world.fire("ecs-scale-web-cpu-high", 90.0)
    by_sns = _sns_stamped(world.fire("ecs-scale-web-cpu-high", 90.0, via="sns"), world.clock() + 0.0004)

    first = world.decide(by_eventbridge)
    second = world.decide(by_sns)

    assert second["duplicate"] is True
    assert second["service_count"] == first["service_count"] == [2, 3]
    assert world.desired_count("web") == 3


def test_two_deliveries_deciding_at_the_same_moment_scale_once_through_the_ledgers_conditional_write(
    world: ScaleWorld,
) -> None:
    changed_at = world.clock()
    by_eventbridge = world.fire("ecs-scale-web-cpu-high", 90.0)
    by_sns = _sns_stamped(world.fire("ecs-scale-web-cpu-high", 90.0, via="sns"), changed_at + 1.5)
    interleaved: list[dict[str, Any]] = []
    started: list[bool] = []

    def second_delivery_decides_first(params: dict[str, Any], **_: Any) -> None:
        # Both invocations have read the ledger (no change yet); the SNS one records and acts first.
        if params.get("Item", {}).get("id", {}).get("S", "").startswith("cooldown:") and not started:
            started.append(True)
            interleaved.append(world.decide(by_sns))

    # On the function's own session, before its first invocation makes the ledger's client.
    world.function.session.events.register("before-parameter-build.dynamodb.PutItem", second_delivery_decides_first)
    first = world.decide(by_eventbridge)

    [second] = interleaved
    assert second["outcome"] == "service-scaled-out"
    assert (first["outcome"], first["acted"]) == ("cooldown", False)
    assert "this one stands down" in first["reason"]
    assert world.desired_count("web") == 3  # 2 -> 3, once
