"""`make benchmark`: every figure of ``benchmarks.suite``, printed as the README's Benchmark section
quotes them.

A benchmark, not a test: it reports each target as met or MISSED and exits 0; it exits 1 only if a
section could not be measured at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.build import DEFAULT_BUILD, SamBuild
from benchmarks.cold_import import DEFAULT_RUNS
from benchmarks.environment import use_fake_aws
from benchmarks.report import build_report, failed_sections, render_table
from benchmarks.suite import Options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="The figures `make benchmark` prints.")
    parser.add_argument("--json", action="store_true", help="write the figures as JSON to stdout")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="cold imports measured per handler")
    parser.add_argument(
        "--build-dir", type=Path, default=DEFAULT_BUILD, help="output of `sam build` (default: .aws-sam/build)"
    )
    args = parser.parse_args(argv)

    use_fake_aws()
    report = build_report(Options(SamBuild(args.build_dir.resolve()), max(1, args.runs)))
    print(json.dumps(report, indent=2, default=str) if args.json else render_table(report))
    return 1 if failed_sections(report) else 0


if __name__ == "__main__":
    sys.exit(main())
