"""`make demo` (or `python -m demo [--story NAME] [--json] [--picture PATH]`): the whole suite on a simulated AWS.

``template.yaml`` is deployed into moto as ``sam deploy`` would create it (the SAM transform, then
every resource), the example cluster of ``examples/ecs-on-ec2`` beside it, and a day of that cluster
runs on a simulated clock: a traffic spike, a quiet night, a bad release (see ``demo.stories``).
Every event reaches the real handlers only through the template's own wiring, under the IAM roles
it gives them. The timeline shows each step: simulated time, who did what, which function ran,
what it decided, how many AWS calls it made, and what it announced. The same day is written as a
picture (``demo.picture``: an HTML page of inline SVG, a panel per story) whose path ends the output.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

from demo.picture import clock

ROOT = Path(__file__).resolve().parents[1]

# The demo never talks to AWS: moto intercepts every call, and these credentials are fake.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # the hosts need none of moto's 2,000 images
    }
)
for profile_variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(profile_variable, None)

STORY_NAMES = ("spike", "refresh", "night", "release")
# The picture of the day goes under the repository, in a folder .gitignore keeps out of git: one known place,
# overwritten by each run, next to the code that made it. --picture writes it elsewhere (a CI artifact).
PICTURE = ROOT / ".demo" / "day.html"
WIDTH = 118


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument(
        "--story",
        choices=(*STORY_NAMES, "all"),
        default="all",
        help="show one story (the ones before it still run: the night needs the spike's hosts)",
    )
    parser.add_argument("--json", action="store_true", help="write the timeline as one JSON document")
    parser.add_argument(
        "--picture",
        type=Path,
        default=PICTURE,
        metavar="PATH",
        help=f"where to write the day's picture, an HTML page (default: {PICTURE.relative_to(ROOT)})",
    )
    args = parser.parse_args()

    from simulator.moto_patches import simulated_aws

    # Powertools warns when an invocation published no metric; the demo reads metrics, not warnings.
    warnings.filterwarnings("ignore", message="No application metrics to publish")

    started = time.monotonic()
    with simulated_aws():
        from demo.picture import write_page
        from demo.stories import problems, run_day, simulated_day

        # Powertools' metrics are printed to stdout by the handlers: they are read into the timeline.
        with contextlib.redirect_stdout(io.StringIO()), simulated_day() as fleet:
            day = run_day(fleet, only=None if args.story == "all" else args.story)
            document = day.document()
            picture = write_page(args.picture, day)
        found = problems(day)
    document["summary"]["wall_clock_seconds"] = round(time.monotonic() - started, 1)
    document["problems"] = found
    document["picture"] = str(picture)
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(render(document))
    return 1 if found else 0


def render(document: dict[str, Any]) -> str:
    lines = [_wrap(document["header"]), ""]
    for number, story in enumerate(document["stories"], 1):
        lines += [f"== {number}. {story['title']} ".ljust(WIDTH, "="), ""]
        for entry in story["timeline"]:
            lines += _entry_lines(entry)
        facts = "; ".join(f"{k}: {_fact(v)}" for k, v in story["facts"].items())
        lines += ["", _wrap(f"Result: {facts}"), ""]
        for note in story["notifications"]:
            lines += _notification_lines(note)
    summary = document["summary"]
    lines += ["== Summary ".ljust(WIDTH, "="), ""]
    lines += _indented(", ".join(f"{k}: {v}" for k, v in summary.items()), 2)
    if document["problems"]:
        lines += ["", "PROBLEMS:"] + [f"  - {p}" for p in document["problems"]]
    lines += [
        "",
        f"The day as a picture (tasks, hosts, alarms and every decision, a panel per story): {document['picture']}",
    ]
    return "\n".join(lines)


def _entry_lines(entry: dict[str, Any]) -> list[str]:
    stamp = clock(entry["t"])
    if not entry["function"]:
        return [f"{stamp}  {entry['source']}: {entry['event']}"[:WIDTH]]
    calls = sum(entry["aws_calls"].values())
    decision = f"FAILED: {entry['error']}" if entry.get("error") else entry["decision"]
    lines = [f"{stamp}  {entry['source']} -> {entry['via']} -> {entry['function']}: {entry['event']}"[:WIDTH]]
    lines += _indented(decision + (f"  [{calls} AWS calls]" if calls else ""), 10)
    lines += [f"{'':8}    SNS: {subject}"[:WIDTH] for subject in entry["notifications"]]
    return lines


def _indented(text: str, indent: int) -> list[str]:
    return [" " * indent + line for line in _wrap(text, WIDTH - indent).splitlines()]


def _notification_lines(note: dict[str, str]) -> list[str]:
    lines = [f"  The notification a human reads: {note['subject']}"]
    lines += [
        f"  | {part}" for line in note["message"].splitlines() for part in _wrap(line, WIDTH - 4).splitlines() or [""]
    ]
    return [*lines, ""]


def _fact(value: Any) -> str:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]} -> {value[1]}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def _wrap(text: str, width: int = WIDTH) -> str:
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


if __name__ == "__main__":
    raise SystemExit(main())
