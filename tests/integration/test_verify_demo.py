"""The demo's verify story, as the issue's "Done when" describes it, keeps working."""

from __future__ import annotations

import json

import pytest

from demo.verify_story import run_verify_story


def test_the_demo_verifies_a_good_release_then_rolls_back_a_bad_image_and_prints_the_notification(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_verify_story(as_json=True) == 0
    story = json.loads(capsys.readouterr().out)
    good, bad, rollback = story["steps"]
    assert (good["verdict"], bad["verdict"], rollback["verdict"]) == ("PASSED", "FAILED", "PASSED")
    assert bad["checks"]["smoke"] == "FAILED"
    assert bad["rollback"]["action"] == "update-service"
    [note] = bad["notifications"]
    assert note["subject"] == "ATTENTION release of prod/shop FAILED verification - rolled back"
    assert "expected status 200, got 500 (3 attempt(s))" in note["message"]
    assert story["summary"]["running"] == story["summary"]["known_good"] == "shop:2"
