"""The picture of the demo's day (demo/picture.py), read back from its SVG: the lines are where the samples
put them, the hosts are stacked, the alarm bands cover the ALARM spans, and every invocation has a mark
that says what it decided. Plain data, no simulated AWS."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from demo.picture import HOSTS_HEIGHT, HOSTS_TOP, LEFT, PLOT_WIDTH, TASKS_HEIGHT, TASKS_TOP, StoryPanel, render_page
from simulator.fleet.samples import FleetSample

SVG = "{http://www.w3.org/2000/svg}"


def sample(
    at: float,
    running: int,
    desired: int,
    hosts: tuple[int, int, int] = (2, 0, 0),
    high: str = "OK",
    low: str = "INSUFFICIENT_DATA",
) -> FleetSample:
    in_service, draining, launching = hosts
    return FleetSample(at, running, desired, in_service, draining, launching, (("cpu-high", high), ("cpu-low", low)))


def invocation(t: float, function: str, decision: str, **more: Any) -> dict[str, Any]:
    return {
        "t": t,
        "function": function,
        "via": "EventBridge",
        "event": "CloudWatch Alarm State Change",
        "decision": decision,
        "notifications": [],
        **more,
    }


# An hour of a spike: the alarm fires at 00:10, the service is asked for 8 tasks, a host launches; at 00:20
# 12 tasks run on three hosts; at 00:30 the alarm is OK and one host drains; at 00:50 the low alarm fires.
SPIKE = StoryPanel(
    name="spike",
    title="A traffic spike",
    start=0.0,
    end=3600.0,
    samples=[
        sample(0, 2, 2),
        sample(600, 2, 8, (2, 0, 1), high="ALARM"),
        sample(900, 8, 8, (3, 0, 0), high="ALARM"),
        sample(1200, 12, 12, (3, 0, 0), high="ALARM"),
        sample(1800, 12, 12, (2, 1, 0)),
        sample(3000, 4, 4, (2, 0, 0), low="ALARM"),
    ],
    timeline=[
        {"t": 590.0, "function": None, "source": "CloudWatch", "event": "cpu-high: OK -> ALARM", "decision": ""},
        invocation(
            600,
            "scale",
            'scaled <service> "web" from 2 to 8 & launched a host',
            notifications=["ecs-fleet-ops scale: service web 2 -> 8"],
        ),
        invocation(605, "scale", "nothing-waiting: a host is launching"),
        invocation(1800, "drain", "drain requested; drain wait: 4 task(s) still on the host"),
        invocation(1860, "drain", "", error="ClientError: AccessDenied"),
    ],
)
NIGHT = StoryPanel("night", "A quiet night", 3600.0, 7200.0, [sample(3600, 4, 4, low="ALARM")], [])


@pytest.fixture(scope="module")
def page() -> str:
    return render_page("The day's header <with markup> & more", [SPIKE, NIGHT], {"drains": 1, "tasks lost": 0})


@pytest.fixture(scope="module")
def panels(page: str) -> dict[str, ET.Element]:
    # The page is XML as well as HTML: the test reads it as a browser would draw it, element by element.
    root = ET.fromstring(page)
    return {svg.get("data-story", ""): svg for svg in root.iter(f"{SVG}svg") if svg.get("class") == "story"}


def x_at(t: float, start: float = 0.0, end: float = 3600.0) -> float:
    return round(LEFT + (t - start) / (end - start) * PLOT_WIDTH, 1)


def points(element: ET.Element) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in element.get("points", "").split())]


def one(svg: ET.Element, tag: str, css_class: str) -> ET.Element:
    found = [e for e in svg.iter(f"{SVG}{tag}") if css_class in e.get("class", "").split()]
    assert len(found) == 1, f"{len(found)} {tag} of class {css_class}"
    return found[0]


def test_each_story_has_its_panel_with_its_title_and_a_description_in_sentences(panels: dict[str, ET.Element]) -> None:
    assert list(panels) == ["spike", "night"]
    spike = panels["spike"]
    assert spike.findtext(f"{SVG}title") == "1. A traffic spike"
    assert panels["night"].findtext(f"{SVG}title") == "2. A quiet night"
    description = spike.findtext(f"{SVG}desc") or ""
    assert "Tasks running 2 to 4 (at most 12, first at 00:20:00)" in description
    assert "In ALARM: cpu-high 00:10:00 to 00:30:00; cpu-low 00:50:00 to 01:00:00." in description
    assert "4 invocations (scale 2, drain 2)." in description


def test_the_tasks_line_reaches_the_sampled_maximum_at_its_time_and_holds_each_value_until_the_next(
    panels: dict[str, ET.Element],
) -> None:
    line = points(one(panels["spike"], "polyline", "tasks-running"))
    # 12 tasks at most: the axis goes up to 15 in steps of 5.
    y = {n: round(TASKS_TOP + TASKS_HEIGHT - n / 15 * TASKS_HEIGHT, 1) for n in (2, 4, 8, 12)}
    highest = min(line, key=lambda p: p[1])
    assert highest == (x_at(1200), y[12])
    # A step line: 2 tasks until 00:15, then 8; it ends at the panel's right edge with the last value.
    assert line[:3] == [(x_at(0), y[2]), (x_at(900), y[2]), (x_at(900), y[8])]
    assert line[-1] == (LEFT + PLOT_WIDTH, y[4])
    desired = points(one(panels["spike"], "polyline", "tasks-desired"))
    assert (x_at(600), y[8]) in desired and (x_at(600), y[2]) in desired  # asked for 8 at 00:10


def layer_at(polygon: list[tuple[float, float]], x: float) -> tuple[float, float]:
    """(bottom, top) of a stacked layer at ``x``: its outline is the top edge left to right, then the
    bottom edge right to left; each edge is a step line (the last vertex at or before ``x`` holds)."""
    right = next(i for i, (px, _) in enumerate(polygon) if px == LEFT + PLOT_WIDTH)
    top, bottom = polygon[: right + 1], polygon[right + 1 :][::-1]
    return tuple(next(py for px, py in reversed(edge) if px <= x) for edge in (bottom, top))  # type: ignore[return-value]


def test_the_hosts_are_stacked_in_service_then_draining_then_launching(panels: dict[str, ET.Element]) -> None:
    spike = panels["spike"]
    # Three hosts at most: the axis goes up to 3 in steps of 1.
    labels = [t.text for g in spike.iter(f"{SVG}g") if g.get("data-axis") == "hosts" for t in g.iter(f"{SVG}text")]
    assert labels == ["hosts", "0", "1", "2", "3"]
    y = {n: round(HOSTS_TOP + HOSTS_HEIGHT - n / 3 * HOSTS_HEIGHT, 1) for n in (0, 2, 3)}
    layers = {
        key: points(one(spike, "polygon", key)) for key in ("hosts-in-service", "hosts-draining", "hosts-launching")
    }
    # 00:12: two hosts in service, the third launching on top of them, none draining.
    assert layer_at(layers["hosts-in-service"], x_at(720)) == (y[0], y[2])
    assert layer_at(layers["hosts-launching"], x_at(720)) == (y[2], y[3])
    assert layer_at(layers["hosts-draining"], x_at(720)) == (y[2], y[2])
    # 00:40: one host of three drains, on the two in service; at 00:55 it is gone.
    assert layer_at(layers["hosts-draining"], x_at(2400)) == (y[2], y[3])
    assert layer_at(layers["hosts-draining"], x_at(3300)) == (y[2], y[2])


def test_alarm_bands_cover_the_alarm_spans_in_their_state(panels: dict[str, ET.Element]) -> None:
    rows = {g.get("data-alarm"): g for g in panels["spike"].iter(f"{SVG}g") if g.get("class") == "alarm"}
    assert list(rows) == ["cpu-high", "cpu-low"]
    alarm = one(rows["cpu-high"], "rect", "alarm-ALARM")
    start, width = float(alarm.get("x", "")), float(alarm.get("width", ""))
    assert (start, round(start + width, 1)) == (x_at(600), x_at(1800))
    assert alarm.findtext(f"{SVG}title") == "cpu-high: ALARM from 00:10:00 to 00:30:00"
    ok = [e for e in rows["cpu-high"].iter(f"{SVG}rect") if "alarm-OK" in e.get("class", "")]
    assert len(ok) == 2  # before and after
    unknown = one(rows["cpu-low"], "rect", "alarm-INSUFFICIENT_DATA")
    assert float(unknown.get("x", "")) == x_at(0) and float(unknown.get("width", "")) == x_at(3000) - x_at(0)


def test_every_invocation_has_a_mark_at_its_time_with_its_decision_and_what_it_announced(
    page: str, panels: dict[str, ET.Element]
) -> None:
    marks = [g for g in panels["spike"].iter(f"{SVG}g") if "decision" in g.get("class", "").split()]
    assert len(marks) == sum(1 for e in SPIKE.timeline if e["function"])  # the CloudWatch note is not a decision
    texts = [m.findtext(f"{SVG}title") or "" for m in marks]
    assert texts[0] == (
        "00:10:00 scale (EventBridge: CloudWatch Alarm State Change)\n"
        'scaled <service> "web" from 2 to 8 & launched a host\n'
        "SNS: ecs-fleet-ops scale: service web 2 -> 8"
    )
    assert texts[3].endswith("FAILED: ClientError: AccessDenied") and "failed" in marks[3].get("class", "")
    at = [float(re.fullmatch(r"translate\(([\d.]+),([\d.]+)\)", m.get("transform", "")).group(1)) for m in marks]  # type: ignore[union-attr]
    assert at == [x_at(600), x_at(605), x_at(1800), x_at(1860)]
    # Two marks 5 s apart (a pixel or so) go on two rows of the lane, each with its own tooltip.
    rows = [m.get("transform", "").split(",")[1] for m in marks[:2]]
    assert rows[0] != rows[1]
    # Every text from the simulation is escaped: the page has no element it did not make.
    assert "<service>" not in page and "&lt;service&gt;" in page and "<with markup>" not in page


def test_the_page_opens_offline_it_fetches_nothing_and_runs_no_script(page: str) -> None:
    assert "<script" not in page.lower()
    addresses = set(re.findall(r"https?://[^\"' )]+", page))
    assert addresses == {"http://www.w3.org/2000/svg"}  # the SVG namespace, a name, not a fetch


def test_the_page_opens_with_the_day_s_header_and_its_numbers_before_the_panels(page: str) -> None:
    paragraphs = [p.text for p in ET.fromstring(page).iter("p")]
    assert paragraphs[:2] == ["The day's header <with markup> & more", "The day in numbers: drains: 1, tasks lost: 0."]
