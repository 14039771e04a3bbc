"""`make demo` (or `python -m demo [--story NAME] [--json]`): the suite's jobs on a simulated AWS.

Three stories, each through the real handlers on moto with a simulated clock:
drain (a busy host drained before Auto Scaling terminates it), scale (a CPU spike scales a service
out and the cluster first; a quiet night scales in the emptiest host through the drain), and verify
(a good release verified; a bad image caught by its smoke check and rolled back).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "fleetops"), str(ROOT)]

# The demo never talks to AWS: moto intercepts every call, and these credentials are fake.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    }
)
for profile_variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(profile_variable, None)

STORIES = ("drain", "scale", "verify")


def _story(name: str) -> Callable[..., int]:
    if name == "drain":
        from demo.drain_story import run_drain_story

        return run_drain_story
    if name == "scale":
        from demo.scale_story import run_scale_story

        return run_scale_story
    from demo.verify_story import run_verify_story

    return run_verify_story


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--story", choices=(*STORIES, "all"), default="all", help="which story to run")
    parser.add_argument("--json", action="store_true", help="write the timelines as one JSON document")
    args = parser.parse_args()
    names = STORIES if args.story == "all" else (args.story,)

    failures = 0
    documents: dict[str, object] = {}
    for number, name in enumerate(names):
        if args.json:
            captured = io.StringIO()
            with contextlib.redirect_stdout(captured):
                failures += _story(name)(as_json=True) != 0
            documents[name] = json.loads(captured.getvalue())
        else:
            if number:
                print("\n" + "=" * 100 + "\n")
            failures += _story(name)(as_json=False) != 0
    if args.json:
        print(json.dumps(documents, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
