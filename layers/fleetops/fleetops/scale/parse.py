"""Turn every trigger shape of the scale job into one typed alarm transition.

Shapes (all untrusted; anything unexpected raises BadInputError with a reason a human can act on):
- EventBridge ``CloudWatch Alarm State Change`` (source ``aws.cloudwatch``): dimensions are a dict
  under ``detail.configuration.metrics[].metricStat.metric``; a metric-math alarm has an entry with
  an ``expression`` and its inputs as further entries;
- the alarm's SNS notification (JSON in ``Records[].Sns.Message``): ``Trigger.Dimensions`` is a list
  of ``{"name", "value"}``; a metric-math alarm has ``Trigger.Metrics`` instead of ``MetricName``;
- EventBridge ``ECS Service Action`` (source ``aws.ecs``) ``SERVICE_TASK_PLACEMENT_FAILURE``: the service's
  ARN in ``resources``, ``detail.clusterArn``, ``detail.reason`` ("Amazon ECS service action events").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

from fleetops.errors import BadInputError
from fleetops.intake import parse_envelope
from fleetops.models.ecs import cluster_name
from fleetops.models.scale import AlarmSource, AlarmState, AlarmTransition, PlacementFailure

ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"
SERVICE_ACTION = "ECS Service Action"
TASK_PLACEMENT_FAILURE = "SERVICE_TASK_PLACEMENT_FAILURE"
# arn:aws:ecs:<region>:<account>:service/<cluster>/<service> (the long ARN format; the old one,
# service/<service>, does not name the cluster, which the event's clusterArn then gives).
_SERVICE_ARN = re.compile(r"^arn:[^:]+:ecs:[^:]*:\d*:service/(?:[^/]+/)?([^/]+)$")

type ScaleTrigger = AlarmTransition | PlacementFailure
# "... datapoints [83.2 (02/10/19 16:59:00)] was greater than ...": the first datapoint in the reason.
_REASON_DATAPOINT = re.compile(r"\[\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")


def parse_trigger(event: Any) -> list[ScaleTrigger]:
    """Parse an EventBridge event or an SNS delivery into transitions (one per SNS record), or a placement
    failure."""
    return parse_envelope(event, eventbridge=_from_eventbridge, sns_message=_from_sns_message)


def _from_eventbridge(raw: Mapping[str, Any]) -> ScaleTrigger:
    event = EventBridgeEvent(dict(raw))
    if event.source == "aws.ecs" and event.detail_type == SERVICE_ACTION:
        return _placement_failure(event)
    if event.source != "aws.cloudwatch" or event.detail_type != ALARM_STATE_CHANGE:
        raise BadInputError(f"unknown EventBridge event: source {event.source!r}, detail-type {event.detail_type!r}")
    detail = _object(event.detail, "detail")
    state = _object(detail.get("state"), "detail.state")
    previous = detail.get("previousState")
    configuration = detail.get("configuration")
    metrics = configuration.get("metrics") if isinstance(configuration, Mapping) else None
    stats = [
        m["metricStat"]["metric"]
        for m in (metrics if isinstance(metrics, list) else [])
        if isinstance(m, Mapping) and isinstance(m.get("metricStat"), Mapping)
        if isinstance(m["metricStat"].get("metric"), Mapping)
    ]
    math = any(isinstance(m, Mapping) and "expression" in m for m in (metrics if isinstance(metrics, list) else []))
    dimension_sets = [
        {str(k): str(v) for k, v in metric.get("dimensions", {}).items()}
        for metric in stats
        if isinstance(metric.get("dimensions", {}), Mapping)
    ]
    reason_data = _reason_data(state.get("reasonData"))
    latest = _latest(reason_data.get("recentDatapoints"))  # 0.0 is a value (a scale-in's), not a missing one
    return AlarmTransition(
        alarm_name=_text(detail, "alarmName"),
        new_state=_state(state.get("value"), "detail.state.value"),
        old_state=_state(previous.get("value"), "detail.previousState.value")
        if isinstance(previous, Mapping)
        else None,
        changed_at=_timestamp(state.get("timestamp") or event.get("time"), "detail.state.timestamp"),
        reason=str(state.get("reason", "")),
        source=AlarmSource.EVENTBRIDGE,
        dimensions=_common_dimensions(dimension_sets),
        metric_name=None if math or len(stats) != 1 else _optional_text(stats[0].get("name")),
        namespace=_optional_text(stats[0].get("namespace")) if stats else None,
        metric_math=math,
        threshold=_number(reason_data.get("threshold")),
        latest_value=latest if latest is not None else _from_reason(str(state.get("reason", ""))),
    )


def _placement_failure(event: EventBridgeEvent) -> PlacementFailure:
    detail = _object(event.detail, "detail")
    name = detail.get("eventName")
    if name != TASK_PLACEMENT_FAILURE:
        raise BadInputError(f"ECS Service Action {name!r} is not one the scale job acts on ({TASK_PLACEMENT_FAILURE})")
    cluster_arn = _text(detail, "clusterArn")
    services = [arn for arn in event.resources if isinstance(arn, str) and _SERVICE_ARN.match(arn)]
    if len(services) != 1:
        raise BadInputError(f"the placement failure names no single service in resources: {event.resources!r}")
    match = _SERVICE_ARN.match(services[0])
    assert match is not None
    return PlacementFailure(
        cluster=cluster_name(cluster_arn),
        service=match.group(1),
        reason=str(detail.get("reason", "")),
        event_id=_text(event.raw_event, "id"),
        created_at=_timestamp(detail.get("createdAt") or event.get("time"), "detail.createdAt"),
    )


def _from_sns_message(message: str) -> AlarmTransition:
    try:
        body = json.loads(message)
    except (TypeError, ValueError) as error:
        raise BadInputError(f"the SNS message is not JSON: {error}") from error
    if not isinstance(body, Mapping):
        raise BadInputError("the SNS message is not a JSON object")
    if "AlarmName" not in body:
        raise BadInputError("the SNS message is not a CloudWatch alarm notification (no AlarmName)")
    # A composite alarm's notification has no Trigger (it watches alarms, not metrics): only a
    # declared rule can say what it scales.
    trigger = _object(body.get("Trigger", {}), "Trigger")
    math = isinstance(trigger.get("Metrics"), list)
    if math:
        dimension_sets = [
            _dimension_list(metric["MetricStat"]["Metric"].get("Dimensions"))
            for metric in trigger["Metrics"]
            if isinstance(metric, Mapping)
            and isinstance(metric.get("MetricStat"), Mapping)
            and isinstance(metric["MetricStat"].get("Metric"), Mapping)
        ]
        namespaces = [
            m["MetricStat"]["Metric"].get("Namespace")
            for m in trigger["Metrics"]
            if isinstance(m, Mapping) and isinstance(m.get("MetricStat"), Mapping)
            if isinstance(m["MetricStat"].get("Metric"), Mapping)
        ]
    else:
        dimension_sets = [_dimension_list(trigger.get("Dimensions"))]
        namespaces = [trigger.get("Namespace")]
    reason = str(body.get("NewStateReason", ""))
    return AlarmTransition(
        alarm_name=_text(body, "AlarmName"),
        new_state=_state(body.get("NewStateValue"), "NewStateValue"),
        old_state=_state(body["OldStateValue"], "OldStateValue") if body.get("OldStateValue") else None,
        changed_at=_timestamp(body.get("StateChangeTime"), "StateChangeTime"),
        reason=reason,
        source=AlarmSource.SNS,
        dimensions=_common_dimensions(dimension_sets),
        metric_name=None if math else _optional_text(trigger.get("MetricName")),
        namespace=_optional_text(namespaces[0]) if namespaces else None,
        metric_math=math,
        threshold=_number(trigger.get("Threshold")),
        comparison=_optional_text(trigger.get("ComparisonOperator")),
        latest_value=_from_reason(reason),
    )


def _common_dimensions(dimension_sets: list[dict[str, str]]) -> tuple[tuple[str, str], ...]:
    """The dimensions every metric of the alarm agrees on (one metric: all of its dimensions).

    A metric-math alarm over ``CPUReservation`` and ``MemoryReservation`` of one cluster shares
    ``ClusterName``; a dimension with different values in different inputs names no single target.
    """
    common: dict[str, str] = {}
    for key in {key for dimensions in dimension_sets for key in dimensions}:
        values = {dimensions[key] for dimensions in dimension_sets if key in dimensions}
        if len(values) == 1:
            common[key] = values.pop()
    return tuple(sorted(common.items()))


def _dimension_list(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise BadInputError(f"Trigger dimensions are not a list: {raw!r}")
    dimensions: dict[str, str] = {}
    for item in raw:
        # The alarm notification spells the keys in lower case: {"value": "prod", "name": "ClusterName"}.
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or "value" not in item:
            raise BadInputError(f"a Trigger dimension is not a {{name, value}} object: {item!r}")
        dimensions[item["name"]] = str(item["value"])
    return dimensions


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadInputError(f"{where} is missing or not an object")
    return value


def _text(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadInputError(f"required field {key!r} is missing or empty")
    return value


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _state(value: Any, where: str) -> AlarmState:
    try:
        return AlarmState(value)
    except ValueError:
        raise BadInputError(f"{where} is not an alarm state (OK, ALARM, INSUFFICIENT_DATA): {value!r}") from None


def _timestamp(value: Any, where: str) -> float:
    # CloudWatch writes "2019-10-02T17:04:40.989+0000"; EventBridge's envelope "2019-10-02T17:04:40Z".
    if not isinstance(value, str):
        raise BadInputError(f"{where} is missing")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadInputError(f"{where} is not an ISO 8601 timestamp: {value!r}") from None
    if moment.tzinfo is None:
        raise BadInputError(f"{where} has no time zone: {value!r}")
    return moment.timestamp()


def _reason_data(raw: Any) -> Mapping[str, Any]:
    if not isinstance(raw, str):
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _latest(datapoints: Any) -> float | None:
    # reasonData lists the datapoints oldest first (the reason text, newest first).
    if isinstance(datapoints, list) and datapoints:
        return _number(datapoints[-1])
    return None


def _from_reason(reason: str) -> float | None:
    match = _REASON_DATAPOINT.search(reason)
    return float(match.group(1)) if match else None
