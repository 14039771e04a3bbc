"""CloudWatch dashboards as CloudWatch accepts them: the simulated deploy refuses the name and the body
CloudWatch (PutDashboard) would refuse, before moto stores them (moto keeps any text).

What is checked, and where AWS says so:

- ``DashboardName``: "The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_""
  (PutDashboard, CloudWatch API Reference); "between 1 and 255 characters" (AWS::CloudWatch::Dashboard).
- ``DashboardBody``: "a string in JSON format. It can include an array of between 0 and 500 widget
  objects [...] The dashboard must include a ``widgets`` array, but that array can be empty" (Dashboard
  Body Structure and Syntax, "Overall Structure").
- Each widget ("Widgets Array Structure"): ``type`` and ``properties`` required; ``x`` 0-23, ``width``
  1-24 (a 24-column grid), ``height`` 1-1000. A ``metric`` widget's ``region`` is required ("Properties of
  a Metric Widget Object"), and here its ``metrics`` array too (stricter: AWS also takes a widget that
  draws alarm annotations only); each entry of it is a metric (namespace, name, dimension pairs, an
  optional object of rendering properties) or one object with an ``expression``; an ``alarm`` widget
  lists its ``alarms``, a ``text`` widget has its ``markdown``.
- A metric widget's ``period`` and a metric's own: 1, 5, 10, 20, 30 or a multiple of 60 seconds ("period",
  Properties of a Metric Widget Object).

Where the documents say nothing the check is the stricter reading: an ``id`` used by an expression must
be declared in the same widget, and every id is unique in it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

DASHBOARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
MAX_WIDGETS = 500
GRID_COLUMNS = 24
MAX_HEIGHT = 1000
WIDGET_TYPES = frozenset({"metric", "text", "log", "alarm", "explorer", "custom"})
SHORT_PERIODS = frozenset({1, 5, 10, 20, 30})
_EXPRESSION_ID = re.compile(r"\b[a-z][A-Za-z0-9_]*\b")


class DashboardRefused(ValueError):
    """PutDashboard's InvalidParameterInput: the dashboard is not created."""


def check_dashboard(name: str, body: str) -> dict[str, Any]:
    """The body, parsed, when CloudWatch would accept the dashboard; raises DashboardRefused otherwise."""
    if not DASHBOARD_NAME.fullmatch(name):
        raise DashboardRefused(f"DashboardName {name!r}: 1 to 255 of A-Z, a-z, 0-9, '-' and '_'")
    try:
        document = json.loads(body)
    except json.JSONDecodeError as error:
        raise DashboardRefused(f"DashboardBody is not JSON: {error}") from error
    problems = list(_body(document))
    if problems:
        raise DashboardRefused("DashboardBody: " + "; ".join(problems))
    return dict(document)


def _body(document: Any) -> Iterator[str]:
    if not isinstance(document, dict) or not isinstance(document.get("widgets"), list):
        yield "the body must be an object with a widgets array"
        return
    widgets = document["widgets"]
    if len(widgets) > MAX_WIDGETS:
        yield f"{len(widgets)} widgets, over {MAX_WIDGETS}"
    for index, widget in enumerate(widgets):
        for problem in _widget(widget):
            yield f"widget {index}: {problem}"


def _widget(widget: Any) -> Iterator[str]:
    if not isinstance(widget, dict):
        yield "not an object"
        return
    kind = widget.get("type")
    if kind not in WIDGET_TYPES:
        yield f"type {kind!r} is not one of {sorted(WIDGET_TYPES)}"
    yield from _grid(widget)
    properties = widget.get("properties")
    if not isinstance(properties, dict):
        yield "properties is required"
        return
    if kind == "text" and not isinstance(properties.get("markdown"), str):
        yield "a text widget needs its markdown"
    if kind == "alarm" and not (isinstance(properties.get("alarms"), list) and properties["alarms"]):
        yield "an alarm widget lists its alarms"
    if kind == "metric":
        yield from _metric_widget(properties)


def _grid(widget: Mapping[str, Any]) -> Iterator[str]:
    bounds = {"x": (0, GRID_COLUMNS - 1), "y": (0, None), "width": (1, GRID_COLUMNS), "height": (1, MAX_HEIGHT)}
    for key, (low, high) in bounds.items():
        if key not in widget:
            continue
        value = widget[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
            yield f"{key} {value!r} is outside {low}-{high if high is not None else 'any'}"


def _metric_widget(properties: Mapping[str, Any]) -> Iterator[str]:
    if not isinstance(properties.get("region"), str):
        yield "a metric widget names its region"
    yield from _period(properties.get("period"), "period")
    metrics = properties.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        yield "a metric widget needs its metrics array"
        return
    declared: list[str] = []
    expressions: list[str] = []
    for entry in metrics:
        problem = _metric_entry(entry, declared, expressions)
        if problem:
            yield f"metric {entry!r}: {problem}"
    if len(declared) != len(set(declared)):
        yield f"ids declared twice: {sorted({i for i in declared if declared.count(i) > 1})}"
    for expression in expressions:
        unknown = set(_EXPRESSION_ID.findall(expression)) - set(declared)  # functions are upper case
        if unknown:
            yield f"expression {expression!r} uses undeclared ids {sorted(unknown)}"


def _metric_entry(entry: Any, declared: list[str], expressions: list[str]) -> str | None:
    if not isinstance(entry, list) or not entry:
        return "each metric is an array"
    *names, last = entry
    options = last if isinstance(last, dict) else {}
    if not isinstance(last, dict):
        names.append(last)
    if "id" in options:
        declared.append(str(options["id"]))
    if "expression" in options:
        if names:
            return "an expression stands alone in its array"
        expressions.append(str(options["expression"]))
        return None
    if not all(isinstance(n, str) and n for n in names):
        return "namespace, metric name and dimensions are non-empty strings"
    if len(names) < 2 or len(names) % 2:
        return "a namespace, a metric name, then dimension name-value pairs"
    return next(_period(options.get("period"), "period"), None)


def _period(value: Any, key: str) -> Iterator[str]:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not (value in SHORT_PERIODS or value % 60 == 0):
        yield f"{key} {value!r} is not 1, 5, 10, 20, 30 or a multiple of 60"
