#!/usr/bin/env python3
"""checkov on both templates, every finding held against the suppressions in the resources' Metadata.

    .venv/bin/python scripts/scan_templates.py --checkov .venv-scan/bin/checkov

A platform team runs checkov on the templates as they are, and it honours each resource's
``Metadata: checkov: skip: [{id, comment}]``. That alone cannot tell a suppression that no longer hides
anything (the check passes now, or no longer exists) from one that does: checkov marks both SKIPPED.
So this runs checkov once on copies of the templates with the checkov skips taken out, and then:

- a finding that no suppression names fails the scan (as it would fail the platform team's);
- a suppression that names no finding fails too: it is stale, and would hide a future finding.

Exit 0 when both lists are empty, 1 otherwise, with one line per finding. checkov never calls out:
``--skip-download``, BC_SKIP_MAPPING (no guidelines from Prisma Cloud), CKV_SKIP_PACKAGE_UPDATE_CHECK
(no version check on PyPI), and no BC_API_KEY (nothing uploaded).

The suppressions are read by :func:`suppressions`, which tests/unit/test_scan_suppressions.py uses to
hold every one to a check id and a reason, and cfn-lint's to rules that still match.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = (Path("template.yaml"), Path("examples/ecs-on-ec2/template.yaml"))
CHECKOV_OFFLINE = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
CHECKOV_ACCOUNT = ("BC_API_KEY", "PRISMA_API_URL")

Tool = Literal["checkov", "cfn-lint"]
Finding = tuple[Path, str, str]  # template, resource, check id


@dataclass(frozen=True)
class Suppression:
    """One check switched off on one resource, with the reason written beside it."""

    template: Path  # relative to the repository
    resource: str
    tool: Tool
    check: str
    reason: str


def read_template(template: Path) -> dict[str, Any]:
    document, errors = decode(str(ROOT / template))
    if errors or not isinstance(document, dict):
        raise ValueError(f"{template} could not be read: {errors}")
    return document


def suppressions(template: Path) -> list[Suppression]:
    """checkov's skips (reason: their ``comment``) and cfn-lint's ignore_checks (reason: the YAML comment
    lines right above the entry, which cfn-lint's configuration has no field for)."""
    lines = (ROOT / template).read_text().splitlines()
    found: list[Suppression] = []
    for resource, body in read_template(template).get("Resources", {}).items():
        metadata = body.get("Metadata") or {}
        for skip in (metadata.get("checkov") or {}).get("skip") or []:
            found.append(
                Suppression(template, resource, "checkov", str(skip.get("id", "")), str(skip.get("comment", "")))
            )
        for check in ((metadata.get("cfn-lint") or {}).get("config") or {}).get("ignore_checks") or []:
            found.append(Suppression(template, resource, "cfn-lint", str(check), _comment_above(lines, check)))
    return found


def _comment_above(lines: Sequence[str], entry: Any) -> str:
    """The comment lines directly above a YAML list entry (cfn-lint's decoder keeps its line)."""
    row = entry.start_mark.line - 1
    comment: list[str] = []
    while row >= 0 and lines[row].strip().startswith("#"):
        comment.insert(0, lines[row].strip().lstrip("#").strip())
        row -= 1
    return " ".join(comment)


def _without_checkov_skips(document: Mapping[str, Any]) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(document))
    for body in copy.get("Resources", {}).values():
        metadata = body.get("Metadata")
        if isinstance(metadata, dict):
            metadata.pop("checkov", None)
            if not metadata:
                del body["Metadata"]
    return copy


def findings(checkov: Path, templates: Sequence[Path]) -> set[Finding]:
    """(template, resource, check id) of every failed check on the templates without their skips."""
    with tempfile.TemporaryDirectory(prefix="scan-") as scratch:
        copies: dict[str, Path] = {}
        for template in templates:
            copy = Path(scratch) / template.with_suffix(".json")
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(json.dumps(_without_checkov_skips(read_template(template))))
            copies[str(template.with_suffix(".json"))] = template
        env = {k: v for k, v in os.environ.items() if k not in CHECKOV_ACCOUNT} | CHECKOV_OFFLINE
        command = [str(checkov), "--framework", "cloudformation", "--skip-download", "--quiet", "-o", "json"]
        for name in copies:
            command += ["-f", name]
        run = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True, check=False)
    if run.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed ({run.returncode}): {run.stderr.strip()[-2000:]}")
    reports = json.loads(run.stdout)
    failed: set[Finding] = set()
    for report in reports if isinstance(reports, list) else [reports]:
        for check in report.get("results", {}).get("failed_checks", []):
            template = copies[check["file_path"].lstrip("/")]
            failed.add((template, check["resource"].split(".", 1)[1], check["check_id"]))
    return failed


def verdict(failed: set[Finding], suppressed: set[Finding]) -> tuple[list[Finding], list[Finding]]:
    """The findings no suppression names, and the suppressions that name no finding (stale)."""
    return sorted(failed - suppressed), sorted(suppressed - failed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--checkov", type=Path, required=True, help="the checkov executable (.venv-scan/bin/checkov)")
    args = parser.parse_args(argv)

    suppressed = {(s.template, s.resource, s.check) for t in TEMPLATES for s in suppressions(t) if s.tool == "checkov"}
    failed = findings(args.checkov.absolute(), TEMPLATES)
    unsuppressed, stale = verdict(failed, suppressed)
    for template, resource, check in unsuppressed:
        print(f"{template}: {resource}: {check} fails (fix it, or suppress it in the resource's Metadata with why)")
    for template, resource, check in stale:
        print(f"{template}: {resource}: {check} is suppressed but no longer fails (remove the suppression)")
    checked = f"checkov on {len(TEMPLATES)} templates: {len(failed)} findings, {len(suppressed)} suppressed"
    print(f"{checked}, {len(unsuppressed)} unsuppressed, {len(stale)} stale")
    return 1 if unsuppressed or stale else 0


if __name__ == "__main__":
    sys.exit(main())
