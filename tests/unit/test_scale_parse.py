"""Every trigger shape of the scale job becomes one typed alarm transition; anything else is refused
with a reason."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fleetops.errors import BadInputError
from fleetops.models.scale import AlarmSource, AlarmState
from fleetops.scale.parse import parse_trigger

EVENTS = Path(__file__).resolve().parents[2] / "events" / "scale"


def load(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def test_an_eventbridge_alarm_names_its_service_by_dimensions_and_says_how_far_past_the_threshold() -> None:
    [transition] = parse_trigger(load("eventbridge-service-cpu-high.json"))

    assert transition.alarm_name == "ecs-scale-web-cpu-high"
    assert transition.source is AlarmSource.EVENTBRIDGE
    assert (transition.old_state, transition.new_state) == (AlarmState.OK, AlarmState.ALARM)
    assert dict(transition.dimensions) == {"ClusterName": "prod", "ServiceName": "web"}
    assert transition.metric_name == "CPUUtilization"
    assert not transition.metric_math
    assert transition.threshold == 75.0
    assert transition.latest_value == 83.2  # the newest: reasonData lists the oldest datapoint first
    assert transition.comparison is None  # EventBridge does not carry it; DescribeAlarms does


def test_the_same_transition_by_sns_has_the_same_idempotency_key_as_by_eventbridge() -> None:
    [by_eventbridge] = parse_trigger(load("eventbridge-service-cpu-high.json"))
    [by_sns] = parse_trigger(load("sns-service-cpu-high.json"))

    assert by_sns.source is AlarmSource.SNS
    assert by_sns.idempotency_key == by_eventbridge.idempotency_key
    assert dict(by_sns.dimensions) == {"ClusterName": "prod", "ServiceName": "web"}
    assert by_sns.comparison == "GreaterThanThreshold"
    assert by_sns.latest_value == by_eventbridge.latest_value == 83.2  # the reason text lists the newest first


def _sns_with_state_change_time(stamp: str) -> dict[str, Any]:
    event = load("sns-service-cpu-high.json")
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    message["StateChangeTime"] = stamp
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return event


@pytest.mark.parametrize(
    ("eventbridge_stamp", "sns_stamp"),
    [
        # CloudWatch's documents show both in milliseconds, but promise neither precision nor rounding.
        ("2026-01-01T00:03:00.1246+0000", "2026-01-01T00:03:00.124+0000"),  # one more precise, rounded up
        ("2026-01-01T00:03:00.999+0000", "2026-01-01T00:03:00.9996+00:00"),  # rounding would carry a second
        (None, "2026-01-01T00:03:00.124+0000"),  # no state.timestamp: the envelope's whole-second time
    ],
)
def test_one_transition_keys_alike_by_eventbridge_and_sns_whatever_precision_its_timestamps_have(
    eventbridge_stamp: str | None, sns_stamp: str
) -> None:
    by_eventbridge_event = load("eventbridge-service-cpu-high.json")
    if eventbridge_stamp is None:
        del by_eventbridge_event["detail"]["state"]["timestamp"]
    else:
        by_eventbridge_event["detail"]["state"]["timestamp"] = eventbridge_stamp
    [by_eventbridge] = parse_trigger(by_eventbridge_event)
    [by_sns] = parse_trigger(_sns_with_state_change_time(sns_stamp))

    assert by_sns.idempotency_key == by_eventbridge.idempotency_key


def test_two_transitions_of_one_alarm_a_period_apart_key_differently() -> None:
    [first] = parse_trigger(_sns_with_state_change_time("2026-01-01T00:03:00.124+0000"))
    [next_one] = parse_trigger(_sns_with_state_change_time("2026-01-01T00:04:00.124+0000"))

    assert first.idempotency_key != next_one.idempotency_key


@pytest.mark.parametrize(
    "name", ["eventbridge-cluster-reservation-metric-math.json", "sns-cluster-reservation-metric-math.json"]
)
def test_a_metric_math_alarm_has_no_metric_name_and_keeps_the_dimension_its_inputs_share(name: str) -> None:
    [transition] = parse_trigger(load(name))

    assert transition.metric_math
    assert transition.metric_name is None
    assert dict(transition.dimensions) == {"ClusterName": "prod"}
    assert transition.threshold == 30.0
    assert transition.new_state is AlarmState.ALARM


def test_inputs_that_disagree_on_a_dimension_name_no_target_by_it() -> None:
    event = load("eventbridge-cluster-reservation-metric-math.json")
    event["detail"]["configuration"]["metrics"][2]["metricStat"]["metric"]["dimensions"] = {"ClusterName": "staging"}

    [transition] = parse_trigger(event)

    assert transition.dimension("ClusterName") is None


def test_an_sns_delivery_with_several_records_gives_one_transition_each() -> None:
    event = load("sns-service-cpu-high.json")
    second = copy.deepcopy(event["Records"][0])
    message = json.loads(second["Sns"]["Message"])
    message["NewStateValue"], message["OldStateValue"] = "OK", "ALARM"
    second["Sns"]["Message"] = json.dumps(message)
    event["Records"].append(second)

    transitions = parse_trigger(event)

    assert [t.new_state for t in transitions] == [AlarmState.ALARM, AlarmState.OK]


def test_a_composite_alarm_by_sns_has_no_trigger_and_names_no_target_by_itself() -> None:
    event = load("sns-service-cpu-high.json")
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    del message["Trigger"]
    message["AlarmRule"] = 'ALARM("ecs-scale-web-cpu-high") AND ALARM("web-latency-high")'
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)

    [transition] = parse_trigger(event)

    assert (transition.dimensions, transition.metric_name) == ((), None)


def _broken_state(event: dict[str, Any]) -> None:
    event["detail"]["state"]["value"] = "ON_FIRE"


def _no_timestamp(event: dict[str, Any]) -> None:
    del event["detail"]["state"]["timestamp"]
    del event["time"]


def _other_detail_type(event: dict[str, Any]) -> None:
    event["detail-type"] = "CloudWatch Alarm Configuration Change"


@pytest.mark.parametrize(
    ("mutate", "says"),
    [
        (_broken_state, "not an alarm state"),
        (_no_timestamp, "timestamp"),
        (_other_detail_type, "unknown EventBridge event"),
    ],
)
def test_a_malformed_eventbridge_alarm_is_refused_with_a_reason(mutate: Any, says: str) -> None:
    event = load("eventbridge-service-cpu-high.json")
    mutate(event)

    with pytest.raises(BadInputError, match=says):
        parse_trigger(event)


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ("not json", "not JSON"),
        (json.dumps({"Event": "autoscaling:TEST_NOTIFICATION"}), "not a CloudWatch alarm notification"),
        (
            json.dumps(
                {
                    "AlarmName": "x",
                    "NewStateValue": "ALARM",
                    "StateChangeTime": "2026-01-01T00:00:00.000+0000",
                    "Trigger": [],
                }
            ),
            "Trigger is missing or not an object",
        ),
        (
            json.dumps(
                {
                    "AlarmName": "x",
                    "NewStateValue": "ALARM",
                    "StateChangeTime": "2026-01-01T00:00:00.000+0000",
                    "Trigger": {"Dimensions": [{"Name": "ClusterName"}]},
                }
            ),
            "name, value",
        ),
    ],
)
def test_a_malformed_sns_alarm_notification_is_refused_with_a_reason(message: str, says: str) -> None:
    event = load("sns-service-cpu-high.json")
    event["Records"][0]["Sns"]["Message"] = message

    with pytest.raises(BadInputError, match=says):
        parse_trigger(event)


@pytest.mark.parametrize("event", [[], "ALARM", {"Records": [{"eventSource": "aws:sqs"}]}, {"hello": "world"}])
def test_an_event_of_no_known_shape_is_refused(event: Any) -> None:
    with pytest.raises(BadInputError):
        parse_trigger(event)
