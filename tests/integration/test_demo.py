"""The README's first command stays true: the demo drains its busy host and loses no task."""

from __future__ import annotations

import json

import pytest

from demo.drain_story import run_drain_story


def test_the_demo_drains_the_busy_host_with_no_task_lost(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # as `python -m demo` does: stdout is the report
    assert run_drain_story(as_json=True) == 0
    report = json.loads(capsys.readouterr().out)
    summary = report["summary"]
    assert summary["tasks_lost"] == 0
    assert summary["lifecycle_results"] == ["CONTINUE"]
    assert summary["handler_invocations"] <= 12
    decisions = [entry["decision"] for entry in report["timeline"] if entry["decision"]]
    assert decisions[0].startswith("wait") and decisions[-1].startswith("complete")
    assert any(d.startswith("stop-leftovers") for d in decisions)
