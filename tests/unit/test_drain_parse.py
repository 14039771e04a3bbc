"""Every trigger shape of the drain job becomes one typed command; anything else is rejected with a
reason a human can act on."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fleetops.drain.parse import DrainTrigger, cluster_from_metadata, parse_trigger
from fleetops.errors import BadInputError
from fleetops.intake import is_sqs_batch
from fleetops.models.drain import ContainerInstanceEmptied, DrainRequest, DrainState, IgnoredEvent, TriggerSource
from fleetops.models.lifecycle import Destination
from fleetops.settings import DEFAULT_DRAIN_HOOK_NAME_PREFIX, Scope

EVENTS = Path(__file__).resolve().parents[2] / "events" / "drain"


EVERY_GROUP = Scope.every()


def parse(event: Any, groups: Scope = EVERY_GROUP) -> list[DrainTrigger]:
    return parse_trigger(event, hook_name_prefix=DEFAULT_DRAIN_HOOK_NAME_PREFIX, auto_scaling_groups=groups)


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def sns_with(message: Any) -> dict[str, Any]:
    event = sample("sns-terminate-lifecycle-notification.json")
    event["Records"][0]["Sns"]["Message"] = message if isinstance(message, str) else json.dumps(message)
    return event


def test_the_eventbridge_and_sns_shapes_become_the_same_command() -> None:
    [from_eventbridge] = parse(sample("eventbridge-terminate-lifecycle-action.json"))
    [from_sns] = parse(sample("sns-terminate-lifecycle-notification.json"))
    assert isinstance(from_eventbridge, DrainRequest) and isinstance(from_sns, DrainRequest)
    assert from_eventbridge.source is TriggerSource.EVENTBRIDGE and from_sns.source is TriggerSource.SNS
    assert from_eventbridge.lifecycle_action == from_sns.lifecycle_action
    assert from_eventbridge.lifecycle_action is not None
    assert from_eventbridge.lifecycle_action.token == "87654321-4321-4321-4321-210987654321"
    assert from_eventbridge.cluster_hint == from_sns.cluster_hint == "prod"
    assert from_eventbridge.idempotency_key == from_sns.idempotency_key


def test_test_notifications_and_other_transitions_are_ignored() -> None:
    launching = sns_with(
        {
            **json.loads(sample("sns-terminate-lifecycle-notification.json")["Records"][0]["Sns"]["Message"]),
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
        }
    )
    launch_event = sample("eventbridge-terminate-lifecycle-action.json")
    launch_event["detail-type"] = "EC2 Instance-launch Lifecycle Action"
    for event in (sample("sns-test-notification.json"), launching, launch_event):
        [trigger] = parse(event)
        assert isinstance(trigger, IgnoredEvent), event
        assert trigger.metric == "EventsIgnored"


def test_a_return_to_the_warm_pool_is_drained_like_a_termination_from_both_shapes() -> None:
    # The host is stopped with its tasks on it: ignoring it (as the job once did) lost them.
    for name in ("eventbridge-terminate-to-warm-pool.json", "sns-terminate-to-warm-pool.json"):
        [trigger] = parse(sample(name))
        assert isinstance(trigger, DrainRequest) and trigger.lifecycle_action is not None, name
        assert trigger.lifecycle_action.destination is Destination.WARM_POOL
        assert trigger.lifecycle_action.wait_state == "Warmed:Pending:Wait"


def test_a_lifecycle_action_of_another_handlers_hook_is_ignored_and_counted_as_foreign() -> None:
    foreign = sample("eventbridge-terminate-foreign-hook.json")
    by_sns = json.loads(sample("sns-terminate-lifecycle-notification.json")["Records"][0]["Sns"]["Message"])
    for event in (foreign, sns_with({**by_sns, "LifecycleHookName": "ship-logs"})):
        [trigger] = parse(event)
        assert isinstance(trigger, IgnoredEvent)
        assert trigger.metric == "ForeignHookEventsIgnored" and "'ship-logs' is not the suite's" in trigger.reason
    # The prefix is the start of the name, nothing looser.
    for hook in ("ecs-managed-draining-termination-hook", "team-ecs-fleet-ops-drain", "ECS-FLEET-OPS-DRAIN-x"):
        foreign["detail"]["LifecycleHookName"] = hook
        [trigger] = parse(foreign)
        assert isinstance(trigger, IgnoredEvent), hook
    [custom] = parse_trigger(foreign, hook_name_prefix="ECS-FLEET-OPS-DRAIN", auto_scaling_groups=Scope.every())
    assert isinstance(custom, DrainRequest)


def test_a_termination_of_a_group_outside_auto_scaling_group_names_is_ignored_and_counted_by_both_shapes() -> None:
    by_eventbridge = sample("eventbridge-terminate-lifecycle-action.json")  # group prod-hosts
    by_sns = sample("sns-terminate-lifecycle-notification.json")
    for event in (by_eventbridge, by_sns):
        for groups in (Scope.of("staging-hosts"), Scope()):
            [trigger] = parse(event, groups)
            assert isinstance(trigger, IgnoredEvent)
            assert trigger.metric == "OutOfScopeGroupEventsIgnored"
            assert "'prod-hosts' is not in AutoScalingGroupNames" in trigger.reason
            assert trigger.ec2_instance_id is not None
        # Named, or every group with *: drained.
        for groups in (Scope.of("staging-hosts", "prod-hosts"), Scope.every()):
            [trigger] = parse(event, groups)
            assert isinstance(trigger, DrainRequest)
            assert trigger.lifecycle_action is not None and trigger.lifecycle_action.auto_scaling_group == "prod-hosts"


def test_the_time_auto_scaling_announced_the_action_is_read_from_both_shapes() -> None:
    [from_eventbridge] = parse(sample("eventbridge-terminate-lifecycle-action.json"))
    [from_sns] = parse(sample("sns-terminate-lifecycle-notification.json"))
    assert isinstance(from_eventbridge, DrainRequest) and isinstance(from_sns, DrainRequest)
    assert from_eventbridge.announced_at == 1796004000.0  # 2026-11-30T02:00:00Z
    assert from_sns.announced_at is not None and abs(from_sns.announced_at - 1796004000.0) < 1
    # An unreadable time is no reason to refuse a drain: it counts from its own start.
    [undated] = parse(_with_time("yesterday"))
    assert isinstance(undated, DrainRequest) and undated.announced_at is None


def test_a_spot_interruption_warning_drains_without_a_lifecycle_action() -> None:
    [trigger] = parse(sample("eventbridge-spot-interruption-warning.json"))
    assert isinstance(trigger, DrainRequest)
    assert trigger.lifecycle_action is None and trigger.source is TriggerSource.SPOT_INTERRUPTION
    assert trigger.idempotency_key == "spot:i-0123456789abcdef0"


def test_ecss_event_of_an_emptied_draining_host_of_the_stacks_clusters_may_end_its_drain() -> None:
    event = sample("eventbridge-ecs-container-instance-emptied.json")
    prod = Scope.of("prod")
    [emptied] = parse_trigger(
        event, hook_name_prefix=DEFAULT_DRAIN_HOOK_NAME_PREFIX, auto_scaling_groups=EVERY_GROUP, clusters=prod
    )
    assert emptied == ContainerInstanceEmptied(
        "i-0123456789abcdef0", event["detail"]["clusterArn"], event["detail"]["containerInstanceArn"], event["id"]
    )
    # The rule lets through nothing else; should someone widen it, the parse is the last line.
    for change, why in (
        ({"status": "ACTIVE"}, "only a DRAINING host"),
        ({"runningTasksCount": 1}, "1 running"),
        ({"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/staging"}, "not in ClusterNames"),
    ):
        other = copy.deepcopy(event)
        other["detail"].update(change)
        [ignored] = parse_trigger(
            other, hook_name_prefix=DEFAULT_DRAIN_HOOK_NAME_PREFIX, auto_scaling_groups=EVERY_GROUP, clusters=prod
        )
        assert isinstance(ignored, IgnoredEvent) and why in ignored.reason
    # Without the counts (the ECS guide's own example leaves them out) nothing is ended on the event.
    del event["detail"]["runningTasksCount"]
    [ignored] = parse_trigger(
        event, hook_name_prefix=DEFAULT_DRAIN_HOOK_NAME_PREFIX, auto_scaling_groups=EVERY_GROUP, clusters=prod
    )
    assert isinstance(ignored, IgnoredEvent)


def test_the_cluster_comes_only_from_a_json_object_with_a_cluster_name() -> None:
    assert cluster_from_metadata('{"cluster": "prod"}') == "prod"
    for metadata in (None, "", "prod", '["prod"]', '{"cluster": 3}', '{"other": "x"}', "{not json"):
        assert cluster_from_metadata(metadata) is None


def _without(field: str) -> dict[str, Any]:
    event = sample("eventbridge-terminate-lifecycle-action.json")
    del event["detail"][field]
    return event


def _with_detail(**changes: Any) -> dict[str, Any]:
    event = sample("eventbridge-terminate-lifecycle-action.json")
    event["detail"].update(changes)
    return event


def _with_time(time: str) -> dict[str, Any]:
    event = sample("eventbridge-terminate-lifecycle-action.json")
    event["time"] = time
    return event


def _unknown_source() -> dict[str, Any]:
    event = sample("eventbridge-terminate-lifecycle-action.json")
    event["source"] = "aws.health"
    return event


def _detail_not_object() -> dict[str, Any]:
    event = sample("eventbridge-terminate-lifecycle-action.json")
    event["detail"] = "terminate please"
    return event


def _records_not_sns() -> dict[str, Any]:
    event = copy.deepcopy(sample("sns-terminate-lifecycle-notification.json"))
    event["Records"][0]["EventSource"] = "aws:kinesis"
    return event


BAD_INPUTS = {
    "not a JSON object": (["a", "list"], "not a JSON object"),
    "malformed JSON in the SNS message": (sns_with("{'LifecycleTransition': "), "not JSON"),
    "SNS message that is not an object": (sns_with([1, 2]), "not a JSON object"),
    "missing lifecycle action token": (_without("LifecycleActionToken"), "LifecycleActionToken"),
    "missing group name": (_without("AutoScalingGroupName"), "AutoScalingGroupName"),
    "missing transition": (_without("LifecycleTransition"), "LifecycleTransition"),
    "instance id that is not an instance id": (_with_detail(EC2InstanceId="i-; rm -rf /"), "EC2InstanceId"),
    "unknown EventBridge source": (_unknown_source(), "aws.health"),
    "EventBridge detail that is not an object": (_detail_not_object(), "detail"),
    "empty object": ({}, "unknown event shape"),
    "records that are not SNS": (_records_not_sns(), "not all SNS"),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_rejected_with_a_reason(name: str) -> None:
    event, reason = BAD_INPUTS[name]
    with pytest.raises(BadInputError, match=reason):
        parse(event)


def test_an_sqs_batch_is_told_apart_from_an_sns_delivery() -> None:
    assert is_sqs_batch(sample("sqs-recheck.json"))
    assert not is_sqs_batch(sample("sns-terminate-lifecycle-notification.json"))
    assert not is_sqs_batch({"Records": []})


def test_the_drain_state_survives_the_round_trip_through_the_recheck_message() -> None:
    body = sample("sqs-recheck.json")["Records"][0]["body"]
    state = DrainState.from_json(body)
    assert state.attempt == 3 and state.tasks_at_start == 12
    assert DrainState.from_json(state.to_json()) == state
    assert state.next_attempt(leftovers_stopped=True).attempt == 4


@pytest.mark.parametrize(
    "body",
    ["", "not json", "[]", '{"version": 2}', '{"version": 1}', json.dumps({"version": 1, "cluster_arn": ""})],
)
def test_a_damaged_recheck_message_is_bad_input(body: str) -> None:
    with pytest.raises(BadInputError):
        DrainState.from_json(body)
