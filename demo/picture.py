"""The demo's day as a picture: one self-contained HTML page of inline SVG, one panel per story.

Each panel puts on one time axis (the simulated clock, hh:mm since the day began, as the text
timeline prints it) what the cluster did and what the suite decided:
- tasks: the service's running and desired count (step lines);
- hosts, stacked: in service (ACTIVE), draining (DRAINING), launching (in the group, not yet registered);
- the example's alarms, as bands coloured by state (OK, ALARM, INSUFFICIENT_DATA);
- every invocation of the suite's functions, a mark in its function's lane at its time, its decision
  (and what it announced) in the mark's tooltip (``<title>``).

The page needs nothing but a browser: no script, no stylesheet or font fetched, so it opens offline
from a laptop or as a CI artifact. ``render_page`` is a pure function from data (``StoryPanel``: the
fleet's samples and the story's timeline) to the page; every text from the simulation is escaped.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.fleet.samples import ALARM_STATES, FleetSample

if TYPE_CHECKING:
    from demo.stories import Day

SVG_NAMESPACE = "http://www.w3.org/2000/svg"

# -- geometry (pixels) --------------------------------------------------------------------------------------
WIDTH = 1100
LEFT = 220  # room for the alarms' names and the axes' labels
RIGHT = 30
PLOT_WIDTH = WIDTH - LEFT - RIGHT
TASKS_TOP, TASKS_HEIGHT = 16, 150
HOSTS_TOP, HOSTS_HEIGHT = TASKS_TOP + TASKS_HEIGHT + 22, 80
BANDS_GAP = 22  # between the hosts' plot and the alarm bands
BAND_HEIGHT, BAND_PITCH = 14, 18
LANE_ROWS, ROW_PITCH = 3, 8  # marks closer than MARK_SPACING in one lane go on the next row, up to three
LANE_PITCH = LANE_ROWS * ROW_PITCH + 6
MARK_SPACING = 7
AXIS_LABELS = 18  # below the last lane: the clock's labels

FUNCTIONS = ("scale", "drain", "verify")  # the lanes, in this order; another function gets a lane after them
FUNCTION_COLOURS = {"scale": "#e8710a", "drain": "#1a73e8", "verify": "#9334e6"}
OTHER_COLOUR = "#5f6368"
ALARM_COLOURS = {"OK": "#c8e6c9", "ALARM": "#e53935", "INSUFFICIENT_DATA": "#bdbdbd"}
FAILED_STROKE = "#b00020"
# Clock steps for the time axis, the first that gives at most MAX_TICKS labels.
CLOCK_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600)
MAX_TICKS = 10
VALUE_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500)


@dataclass(frozen=True)
class Series:
    key: str  # the polyline's class, what a test looks it up by
    label: str
    colour: str
    dashed: bool
    value: Callable[[FleetSample], int]


TASK_SERIES = (
    Series("tasks-running", "tasks running", "#1a73e8", False, lambda s: s.running),
    Series("tasks-desired", "tasks desired", "#174ea6", True, lambda s: s.desired),
)
HOST_SERIES = (
    Series("hosts-in-service", "hosts in service", "#188038", False, lambda s: s.hosts_in_service),
    Series("hosts-draining", "hosts draining", "#d93025", False, lambda s: s.hosts_draining),
    Series("hosts-launching", "hosts launching", "#9334e6", False, lambda s: s.hosts_launching),
)


@dataclass(frozen=True)
class StoryPanel:
    """One story, as the picture draws it. Times are seconds since the day began (the timeline's ``t``)."""

    name: str
    title: str
    start: float
    end: float
    samples: Sequence[FleetSample]  # ``at`` in seconds since the day began; the first one at ``start``
    timeline: Sequence[dict[str, Any]]  # the story's entries as Day.document() gives them


@dataclass(frozen=True)
class TimeAxis:
    start: float
    end: float

    def x(self, t: float) -> float:
        span = max(self.end - self.start, 1.0)
        return round(LEFT + (min(max(t, self.start), self.end) - self.start) / span * PLOT_WIDTH, 1)


@dataclass(frozen=True)
class ValueAxis:
    top: float
    height: float
    maximum: int  # the value at the plot's top: a multiple of ``step``
    step: int

    @classmethod
    def fitting(cls, top: float, height: float, largest: int) -> ValueAxis:
        step = next((s for s in VALUE_STEPS if largest <= 5 * s), VALUE_STEPS[-1])
        return cls(top, height, max(step, -(-largest // step) * step), step)

    def y(self, value: float) -> float:
        return round(self.top + self.height - value / self.maximum * self.height, 1)


# -- the page -----------------------------------------------------------------------------------------------
def render_page(header: str, panels: Sequence[StoryPanel], summary: Mapping[str, Any] | None = None) -> str:
    """The whole page: a header, the day's summary, the legend, a panel per story. Well-formed XML as
    well as HTML, so that a test can read it with xml.etree."""
    counted = ", ".join(f"{name}: {value}" for name, value in (summary or {}).items())
    sections = "\n".join(_section(number, panel) for number, panel in enumerate(panels, 1))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>ecs-fleet-ops: the demo's day</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #202124; max-width: {WIDTH}px; }}
h2 {{ font-size: 1.05em; margin: 1.6em 0 0.3em; }}
p {{ line-height: 1.4; }}
svg text {{ font-size: 11px; fill: #3c4043; }}
.decision {{ cursor: help; }}
</style>
</head>
<body>
<h1>The demo's day</h1>
<p>{_text(header)}</p>
{f"<p>The day in numbers: {_text(counted)}.</p>" if counted else ""}
<p>One panel per story, each on its own time axis (the simulated clock, hh:mm since the day began).
Hover a mark to read the decision of that invocation, a band to read the alarm's state.</p>
{_legend()}
{sections}
</body>
</html>
"""


def write_page(path: Path, day: Day) -> Path:
    """Render the day and write it to ``path`` (its folder made if missing); returns the absolute path."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(day.header(), story_panels(day), day.summary()), encoding="utf-8")
    return path


def story_panels(day: Day) -> list[StoryPanel]:
    """Each story of the day with the fleet's samples over its span, in seconds since the day began."""
    start, samples = day.fleet.account.start, day.fleet.record.samples
    panels = []
    for story in day.stories:
        ended = story.ended_at if story.ended_at is not None else day.fleet.clock()
        before = [s for s in samples if s.at <= story.started_at][-1:]  # the cluster as the story began
        during = [s for s in samples if story.started_at < s.at <= ended]
        panels.append(
            StoryPanel(
                name=story.name,
                title=story.title,
                start=round(story.started_at - start, 1),
                end=round(ended - start, 1),
                samples=[replace(s, at=round(max(s.at, story.started_at) - start, 1)) for s in before + during],
                timeline=[entry.as_dict(start) for entry in story.entries],
            )
        )
    return panels


def _section(number: int, panel: StoryPanel) -> str:
    title = f"{number}. {panel.title}"
    return f'<section id="story-{_attr(panel.name)}">\n<h2>{_text(title)}</h2>\n{_panel_svg(panel, title)}\n</section>'


# -- one panel ----------------------------------------------------------------------------------------------
def _panel_svg(panel: StoryPanel, title: str) -> str:
    time = TimeAxis(panel.start, panel.end)
    tasks = ValueAxis.fitting(TASKS_TOP, TASKS_HEIGHT, _largest(panel.samples, TASK_SERIES))
    hosts = ValueAxis.fitting(HOSTS_TOP, HOSTS_HEIGHT, max((_hosts(s) for s in panel.samples), default=1))
    alarms = _alarm_names(panel.samples)
    bands_top = HOSTS_TOP + HOSTS_HEIGHT + BANDS_GAP
    lanes_top = bands_top + len(alarms) * BAND_PITCH + 8
    functions = _lanes(panel.timeline)
    height = lanes_top + len(functions) * LANE_PITCH + AXIS_LABELS
    parts = [
        # No role="img": it would hide the marks' own titles from a screen reader; <title> names the panel.
        f'<svg xmlns="{SVG_NAMESPACE}" class="story" data-story="{_attr(panel.name)}" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
        f"<title>{_text(title)}</title>",
        f"<desc>{_text(describe(panel))}</desc>",
        *_clock_grid(time, top=TASKS_TOP, bottom=height - AXIS_LABELS),
        *_value_axis(tasks, "tasks"),
        *(_step_line(panel.samples, series, time, tasks) for series in TASK_SERIES),
        *_value_axis(hosts, "hosts"),
        *_stacked_areas(panel.samples, time, hosts),
    ]
    for row, name in enumerate(alarms):
        parts += _alarm_row(panel, name, time, bands_top + row * BAND_PITCH)
    for lane, function in enumerate(functions):
        parts += _decision_lane(panel.timeline, function, time, lanes_top + lane * LANE_PITCH)
    parts.append("</svg>")
    return "\n".join(parts)


def describe(panel: StoryPanel) -> str:
    """The panel in sentences (its ``<desc>``), for a reader who cannot see it."""
    span = f"From {clock(panel.start)} to {clock(panel.end)}."
    if not panel.samples:
        return f"{span} No sample of the cluster in this span."
    first, last = panel.samples[0], panel.samples[-1]
    peak = max(panel.samples, key=lambda s: s.running)
    sentences = [
        span,
        f"Tasks running {first.running} to {last.running} (at most {peak.running}, first at {clock(peak.at)}); "
        f"desired {first.desired} to {last.desired}.",
        f"Hosts in service {first.hosts_in_service} to {last.hosts_in_service}; at most "
        f"{max(s.hosts_draining for s in panel.samples)} draining and "
        f"{max(s.hosts_launching for s in panel.samples)} launching at once.",
    ]
    alarmed = [
        f"{name} {clock(begin)} to {clock(end)}"
        for name in _alarm_names(panel.samples)
        for state, begin, end in alarm_spans(panel, name)
        if state == "ALARM"
    ]
    sentences.append(f"In ALARM: {'; '.join(alarmed)}." if alarmed else "No alarm in ALARM.")
    invocations = Counter(e["function"] for e in panel.timeline if e["function"])
    counted = ", ".join(f"{function} {n}" for function, n in invocations.items())
    sentences.append(f"{sum(invocations.values())} invocations ({counted or 'none'}).")
    return " ".join(sentences)


def _clock_grid(time: TimeAxis, *, top: float, bottom: float) -> list[str]:
    step = next((s for s in CLOCK_STEPS if (time.end - time.start) / s <= MAX_TICKS), CLOCK_STEPS[-1])
    first = -(-time.start // step) * step
    ticks = [first + i * step for i in range(int((time.end - first) // step) + 1)]
    parts = ['<g class="clock-axis">']
    for t in ticks:
        x = time.x(t)
        parts.append(f'<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#e8eaed"/>')
        parts.append(f'<text x="{x}" y="{bottom + 13}" text-anchor="middle">{clock(t, seconds_shown=False)}</text>')
    parts.append("</g>")
    return parts


def _value_axis(axis: ValueAxis, label: str) -> list[str]:
    parts = [f'<g class="value-axis" data-axis="{label}">']
    parts.append(f'<text x="{LEFT - 44}" y="{axis.top + axis.height / 2 + 4}" text-anchor="end">{label}</text>')
    for value in range(0, axis.maximum + 1, axis.step):
        y = axis.y(value)
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + PLOT_WIDTH}" y2="{y}" stroke="#f1f3f4"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end">{value}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{axis.top}" x2="{LEFT}" y2="{axis.top + axis.height}" stroke="#9aa0a6"/>')
    parts.append("</g>")
    return parts


def step_points(
    samples: Sequence[FleetSample], series: Series, time: TimeAxis, axis: ValueAxis
) -> list[tuple[float, float]]:
    """A step line: each value holds until the next sample changes it, the last until the panel's end."""
    points: list[tuple[float, float]] = []
    for sample in samples:
        x, y = time.x(sample.at), axis.y(series.value(sample))
        if points and points[-1][1] == y:
            continue
        if points:
            points.append((x, points[-1][1]))
        points.append((x, y))
    if points:
        points.append((time.x(time.end), points[-1][1]))
    return points


def _step_line(samples: Sequence[FleetSample], series: Series, time: TimeAxis, axis: ValueAxis) -> str:
    points = " ".join(f"{x},{y}" for x, y in step_points(samples, series, time, axis))
    dash = ' stroke-dasharray="5 3"' if series.dashed else ""
    return (
        f'<polyline class="series {series.key}" points="{points}" fill="none" stroke="{series.colour}" '
        f'stroke-width="2"{dash}><title>{_text(series.label)}</title></polyline>'
    )


def stacked_layers(
    samples: Sequence[FleetSample], time: TimeAxis, axis: ValueAxis
) -> list[tuple[Series, list[tuple[float, float]]]]:
    """The hosts, stacked: in service at the bottom, draining on them, launching on top (the top edge is
    every host the group has). Each layer is a polygon: its top edge left to right, then the edge below
    it right to left; a layer with no host has no height, so it hides nothing."""
    layers = []
    below = Series("", "", "", False, lambda s: 0)
    for series in HOST_SERIES:
        top = Series(series.key, series.label, series.colour, False, _plus(below.value, series.value))
        upper, lower = step_points(samples, top, time, axis), step_points(samples, below, time, axis)
        layers.append((series, upper + lower[::-1]))
        below = top
    return layers


def _stacked_areas(samples: Sequence[FleetSample], time: TimeAxis, axis: ValueAxis) -> list[str]:
    return [
        f'<polygon class="area {series.key}" points="{" ".join(f"{x},{y}" for x, y in outline)}" '
        f'fill="{series.colour}" fill-opacity="0.55"><title>{_text(series.label)}</title></polygon>'
        for series, outline in stacked_layers(samples, time, axis)
    ]


def _plus(first: Callable[[FleetSample], int], second: Callable[[FleetSample], int]) -> Callable[[FleetSample], int]:
    return lambda sample: first(sample) + second(sample)


def alarm_spans(panel: StoryPanel, name: str) -> list[tuple[str, float, float]]:
    """(state, from, to) for one alarm over the panel: a span per stretch in one state."""
    spans: list[tuple[str, float, float]] = []
    for sample in panel.samples:
        state = sample.alarm_state(name)
        if state is None or (spans and spans[-1][0] == state):
            continue
        if spans:
            spans[-1] = (spans[-1][0], spans[-1][1], sample.at)
        spans.append((state, sample.at, panel.end))
    return spans


def _alarm_row(panel: StoryPanel, name: str, time: TimeAxis, top: float) -> list[str]:
    parts = [
        f'<g class="alarm" data-alarm="{_attr(name)}">',
        f'<text x="{LEFT - 6}" y="{top + BAND_HEIGHT - 3}" text-anchor="end">{_text(name)}</text>',
    ]
    for state, begin, end in alarm_spans(panel, name):
        x = time.x(begin)
        parts.append(
            f'<rect class="alarm-band alarm-{_attr(state)}" x="{x}" y="{top}" width="{round(time.x(end) - x, 1)}" '
            f'height="{BAND_HEIGHT}" fill="{ALARM_COLOURS.get(state, OTHER_COLOUR)}">'
            f"<title>{_text(f'{name}: {state} from {clock(begin)} to {clock(end)}')}</title></rect>"
        )
    parts.append("</g>")
    return parts


def _decision_lane(timeline: Sequence[dict[str, Any]], function: str, time: TimeAxis, top: float) -> list[str]:
    colour = FUNCTION_COLOURS.get(function, OTHER_COLOUR)
    parts = [
        f'<g class="lane" data-function="{_attr(function)}">',
        f'<text x="{LEFT - 6}" y="{top + LANE_ROWS * ROW_PITCH / 2 + 4}" text-anchor="end">{_text(function)}</text>',
        f'<line x1="{LEFT}" y1="{top + LANE_ROWS * ROW_PITCH / 2}" x2="{LEFT + PLOT_WIDTH}" '
        f'y2="{top + LANE_ROWS * ROW_PITCH / 2}" stroke="#e8eaed"/>',
    ]
    last_x: list[float | None] = [None] * LANE_ROWS
    for entry in timeline:
        if entry["function"] != function:
            continue
        x = time.x(entry["t"])
        # The first row whose last mark is far enough; a burst (four drains in one second) fills the rows,
        # then overlaps on the first: every mark keeps its own tooltip.
        row = next((r for r, seen in enumerate(last_x) if seen is None or x - seen >= MARK_SPACING), 0)
        last_x[row] = x
        y = top + row * ROW_PITCH + ROW_PITCH / 2
        failed = bool(entry.get("error"))
        stroke = f' stroke="{FAILED_STROKE}" stroke-width="2"' if failed else ' stroke="#ffffff" stroke-width="0.5"'
        parts.append(
            f'<g class="decision decision-{_attr(function)}{" failed" if failed else ""}" '
            f'transform="translate({x},{y})"><title>{_text(decision_text(entry))}</title>'
            f'<path d="{_mark_shape(function)}" fill="{colour}"{stroke}/></g>'
        )
    parts.append("</g>")
    return parts


def decision_text(entry: dict[str, Any]) -> str:
    """A mark's tooltip: when, which function, what woke it, what it decided, what it announced."""
    decision = f"FAILED: {entry['error']}" if entry.get("error") else entry["decision"]
    lines = [f"{clock(entry['t'])} {entry['function']} ({entry['via']}: {entry['event']})", decision]
    lines += [f"SNS: {subject}" for subject in entry.get("notifications", [])]
    return "\n".join(lines)


def _mark_shape(function: str) -> str:
    """A shape per function as well as a colour, for a reader who does not tell the colours apart."""
    return {
        "scale": "M0,-4.5 L4.5,3.5 L-4.5,3.5 Z",  # a triangle
        "drain": "M-3.5,-3.5 H3.5 V3.5 H-3.5 Z",  # a square
        "verify": "M0,-4.5 L4.5,0 L0,4.5 L-4.5,0 Z",  # a diamond
    }.get(function, "M-3,0 A3,3 0 1,0 3,0 A3,3 0 1,0 -3,0 Z")  # a circle


def _legend() -> str:
    items: list[str] = []
    x = 0
    for series in TASK_SERIES:
        dash = ' stroke-dasharray="5 3"' if series.dashed else ""
        items.append(
            f'<line x1="{x}" y1="10" x2="{x + 22}" y2="10" stroke="{series.colour}" stroke-width="2"{dash}/>'
            f'<text x="{x + 26}" y="14">{_text(series.label)}</text>'
        )
        x += 30 + 6 * len(series.label)
    for series in HOST_SERIES:
        items.append(
            f'<rect x="{x}" y="4" width="22" height="12" fill="{series.colour}" fill-opacity="0.55"/>'
            f'<text x="{x + 26}" y="14">{_text(series.label)}</text>'
        )
        x += 30 + 6 * len(series.label)
    row2, x = [], 0
    for state in ALARM_STATES:
        row2.append(
            f'<rect x="{x}" y="26" width="22" height="12" fill="{ALARM_COLOURS[state]}"/>'
            f'<text x="{x + 26}" y="36">alarm {state}</text>'
        )
        x += 36 + 6 * len(f"alarm {state}")
    for function in FUNCTIONS:
        row2.append(
            f'<g transform="translate({x + 6},32)"><path d="{_mark_shape(function)}" '
            f'fill="{FUNCTION_COLOURS[function]}"/></g><text x="{x + 16}" y="36">{function} invocation</text>'
        )
        x += 26 + 6 * len(f"{function} invocation")
    return (
        f'<svg xmlns="{SVG_NAMESPACE}" class="legend" role="img" width="{WIDTH}" height="44" viewBox="0 0 {WIDTH} 44">'
        "<title>Legend</title><desc>The lines, bands and marks of every panel below.</desc>"
        + "".join(items + row2)
        + "</svg>"
    )


# -- small things -------------------------------------------------------------------------------------------
def clock(seconds: float, *, seconds_shown: bool = True) -> str:
    """The simulated clock as the text timeline prints it: time since the day began."""
    whole = int(seconds)
    hours, minutes = whole // 3600, whole % 3600 // 60
    return f"{hours:02d}:{minutes:02d}:{whole % 60:02d}" if seconds_shown else f"{hours:02d}:{minutes:02d}"


def _largest(samples: Iterable[FleetSample], series: Sequence[Series]) -> int:
    return max((s.value(sample) for sample in samples for s in series), default=1)


def _hosts(sample: FleetSample) -> int:
    return sample.hosts_in_service + sample.hosts_draining + sample.hosts_launching


def _alarm_names(samples: Sequence[FleetSample]) -> list[str]:
    return [name for name, _ in samples[0].alarms] if samples else []


def _lanes(timeline: Sequence[dict[str, Any]]) -> list[str]:
    seen = {e["function"] for e in timeline if e["function"]}
    return [*FUNCTIONS, *sorted(seen - set(FUNCTIONS))]


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)
