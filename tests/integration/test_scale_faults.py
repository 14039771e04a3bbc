"""Bad input and faults: each has a clear outcome, nothing is retried forever, nothing is lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fleetops.errors import RetryLaterError
from simulator.worlds.scale import ScaleWorld

RULES = [{"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": "+1", "min": 1, "max": 10}]


@pytest.fixture
def world(aws: None) -> Iterator[ScaleWorld]:
    world = ScaleWorld(hosts=2, rules=RULES)
    world.services.add_service("web")
    world.services.run_on(world.cluster.instance_ids[0], "web", 2)
    world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
    yield world
    world.close()


def test_a_malformed_event_is_dead_lettered_with_its_reason_and_not_retried(world: ScaleWorld) -> None:
    event = world.fire("ecs-scale-web-cpu-high", 90.0)
    event["detail"]["state"]["value"] = "PANIC"

    result = world.invoke(event)

    assert result["status"] == "rejected"
    [kept] = world.dead_letters()
    assert kept["function"] == "scale"
    assert "not an alarm state" in kept["reason"]
    assert kept["event"]["detail"]["alarmName"] == "ecs-scale-web-cpu-high"


def test_an_alarm_no_rule_can_be_found_for_is_dead_lettered_and_announced(world: ScaleWorld) -> None:
    world.alarm(
        "disk-full", metric="DiskUsage", dimensions={"Host": "db-1"}, comparison="GreaterThanThreshold", threshold=90
    )

    # Not named with the scaling prefix, so only an alarm action on the scaling topic can bring it here.
    result = world.decide(world.fire("disk-full", 95.0, via="sns"))

    assert result["status"] == "rejected"
    assert "no ClusterName dimension" in world.dead_letters()[0]["reason"]
    assert any("alarm disk-full not acted on" in n["subject"] for n in world.notifications())


def test_a_rule_for_a_service_that_does_not_exist_is_dead_lettered_and_the_duplicate_is_not(world: ScaleWorld) -> None:
    world.session.client("ecs").delete_service(cluster="prod", service="web", force=True)
    event = world.fire("ecs-scale-web-cpu-high", 90.0)

    first = world.decide(event)
    again = world.decide(event)

    assert first["status"] == again["status"] == "rejected"
    [kept] = world.dead_letters()  # one decision per transition: the duplicate is not kept twice
    assert "service 'web' does not exist in cluster 'prod'" in kept["reason"]


def throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, operation)


def test_throttling_that_outlives_botocores_retries_fails_the_invocation_so_lambda_retries_it(
    world: ScaleWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner: Any = world.handler.service.runner
    ecs = runner._ecs

    def refuse(*_: Any, **__: Any) -> None:
        raise throttled("UpdateService")

    event = world.fire("ecs-scale-web-cpu-high", 90.0)
    monkeypatch.setattr(ecs, "set_desired_count", refuse)
    with pytest.raises(RetryLaterError, match="Throttling"):
        world.invoke(event)
    monkeypatch.undo()

    # No decision was recorded and the cooldown was given back: the retry decides and acts.
    retried = world.decide(event)

    assert (retried["outcome"], retried["acted"]) == ("service-scaled-out", True)
    assert world.desired_count("web") == 3
    assert world.dead_letters() == []


def test_a_change_that_fails_halfway_keeps_its_cooldown_so_the_new_host_is_neither_doubled_nor_taken_away(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = ScaleWorld(hosts=2, rules=RULES)
    try:
        world.services.add_service("web", cpu=1024, memory=2048)  # three per host
        for instance_id in world.cluster.instance_ids:
            world.services.run_on(instance_id, "web", 3)  # full: the next task needs a new host
        world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
        world.cluster_reservation_alarm(
            "ecs-scale-prod-cpu-reservation-low", comparison="LessThanThreshold", threshold=30
        )
        event = world.fire("ecs-scale-web-cpu-high", 90.0)

        def refuse(*_: Any, **__: Any) -> None:
            raise throttled("UpdateService")

        # The group grows 2 -> 3, then UpdateService is throttled past botocore's retries.
        monkeypatch.setattr(world.handler.service.runner._ecs, "set_desired_count", refuse)
        with pytest.raises(RetryLaterError):
            world.invoke(event)
        monkeypatch.undo()
        assert world.group()["desired"] == 3

        retried = world.decide(event)  # Lambda's retry, a moment later
        world.register_new_hosts()  # the new host joins, still empty
        low = world.decide(world.fire("ecs-scale-prod-cpu-reservation-low", 20.0))

        # The change happened, so its cooldown stands: the retry waits it out (a follow-up acts later)...
        assert retried["outcome"] == "cooldown"
        # ...and the cluster's cooldown protects the new, empty host from the low reservation alarm.
        assert low["outcome"] == "cooldown"
        assert world.group()["desired"] == 3
    finally:
        world.close()


def test_an_error_aws_will_repeat_is_dead_lettered_not_retried(
    world: ScaleWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    ecs: Any = world.handler.service.runner._ecs

    def refuse(*_: Any, **__: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "UpdateService")

    monkeypatch.setattr(ecs, "set_desired_count", refuse)

    result = world.decide(world.fire("ecs-scale-web-cpu-high", 90.0))

    assert result["status"] == "rejected"
    assert "AccessDeniedException" in json.dumps(world.dead_letters())


def test_a_follow_up_message_that_cannot_be_read_is_dead_lettered_not_redelivered(world: ScaleWorld) -> None:
    response = world.invoke(world.follow_up_event('{"version": 1, "alarm_name": "ecs-scale-web-cpu-high"}'))

    assert response == {"batchItemFailures": []}  # not failed: SQS must not deliver it again
    [kept] = world.dead_letters()
    assert "follow-up message is malformed" in kept["reason"]
