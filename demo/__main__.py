"""`make demo` (or `python -m demo [--json]`): a busy host drained end to end on a simulated cluster."""

from __future__ import annotations

import argparse
import os
import sys
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
    }
)
for profile_variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(profile_variable, None)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--json", action="store_true", help="write the timeline as JSON instead of text")
    args = parser.parse_args()

    from demo.drain_story import run_drain_story

    return run_drain_story(as_json=args.json)


if __name__ == "__main__":
    raise SystemExit(main())
