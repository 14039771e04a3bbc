"""The simulated deploy refuses a dashboard CloudWatch would refuse (PutDashboard's name rules and the
Dashboard Body Structure, cited in ``simulator.cloudwatch.dashboards``), one rule at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simulator.cloudwatch.dashboards import DashboardRefused, check_dashboard

REGION = "us-east-1"


def metric_widget(**properties: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": 0,
        "y": 0,
        "width": 12,
        "height": 6,
        "properties": {"region": REGION, "metrics": [["AWS/SQS", "NumberOfMessagesSent", "QueueName", "q"]]}
        | properties,
    }


def body(*widgets: dict[str, Any]) -> str:
    return json.dumps({"widgets": list(widgets)})


def test_an_empty_widgets_array_is_a_dashboard() -> None:
    assert check_dashboard("ecs-fleet-ops_us-east-1", body()) == {"widgets": []}


@pytest.mark.parametrize(
    "name, text, refusal",
    [
        ("ops.dashboard", body(), "DashboardName"),  # a dot is listed by ListDashboards' prefix, not here
        ("x" * 256, body(), "DashboardName"),
        ("ops", "{widgets: []}", "not JSON"),
        ("ops", json.dumps({"start": "-PT6H"}), "widgets array"),
        ("ops", json.dumps({"widgets": [{"type": "text", "properties": {"markdown": "# a"}}] * 501}), "over 500"),
        ("ops", body({"type": "graph", "properties": {}}), "type 'graph'"),
        ("ops", body({"type": "text", "x": 24, "properties": {"markdown": "a"}}), "x 24"),
        ("ops", body({"type": "text", "width": 25, "properties": {"markdown": "a"}}), "width 25"),
        ("ops", body({"type": "text", "height": 1001, "properties": {"markdown": "a"}}), "height 1001"),
        ("ops", body({"type": "text", "properties": {}}), "markdown"),
        ("ops", body({"type": "alarm", "properties": {"alarms": []}}), "alarms"),
        ("ops", body({"type": "metric"}), "properties is required"),
        ("ops", body(metric_widget(region=None)), "region"),
        ("ops", body(metric_widget(metrics=[])), "metrics array"),
        ("ops", body(metric_widget(period=45)), "period 45"),
        ("ops", body(metric_widget(metrics=[["AWS/SQS", "NumberOfMessagesSent", "QueueName"]])), "pairs"),
        ("ops", body(metric_widget(metrics=[[{"expression": "a + b", "id": "sum"}]])), "undeclared ids ['a', 'b']"),
        (
            "ops",
            body(
                metric_widget(metrics=[["AWS/SQS", "A", "QueueName", "q", {"id": "a"}], ["AWS/SQS", "B", {"id": "a"}]])
            ),
            "ids declared twice",
        ),
    ],
)
def test_a_dashboard_cloudwatch_would_refuse_is_refused(name: str, text: str, refusal: str) -> None:
    with pytest.raises(DashboardRefused, match=refusal.replace("[", r"\[").replace("]", r"\]")):
        check_dashboard(name, text)


def test_an_expression_over_declared_ids_with_functions_in_upper_case_is_accepted() -> None:
    metrics = [
        [{"expression": "FILL(sent, 0) + FILL(received, 0)", "id": "total"}],
        ["AWS/SQS", "NumberOfMessagesSent", "QueueName", "q", {"id": "sent", "visible": False}],
        ["AWS/SQS", "NumberOfMessagesReceived", "QueueName", "q", {"id": "received", "visible": False, "period": 60}],
    ]
    check_dashboard("ops", body(metric_widget(metrics=metrics, period=300)))
