"""The demo's scale story, as the issue's "Done when" describes it, keeps working."""

from __future__ import annotations

import json

import pytest

from demo.scale_story import run_scale_story


def test_the_demo_scales_a_service_out_grows_the_cluster_first_then_scales_in_the_emptiest_host_through_the_drain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_scale_story(as_json=True) == 0
    # The handler's metrics are printed as embedded-metric-format lines; the story is the rest.
    out = "\n".join(line for line in capsys.readouterr().out.splitlines() if not line.startswith('{"_aws"'))
    story = json.loads(out)
    scale_out, scale_in = [entry for entry in story["timeline"] if "decision" in entry]
    assert scale_out["decision"].startswith(
        "service-scaled-out: scaled group prod-hosts from 2 to 3 host(s) first, then service web from 6 to 9"
    )
    assert scale_in["decision"].startswith("cluster-scaled-in: terminating i-")
    assert "(1 task(s)) through group prod-hosts (3 to 2 host(s))" in scale_in["decision"]
    summary = story["summary"]
    assert (summary["group_desired"], summary["tasks_lost"], summary["tasks_unplaced"]) == (2, 0, 0)
    assert [n["subject"] for n in summary["notifications"]] == [
        "ecs-fleet-ops scale: service web 6 -> 9: service-scaled-out",
        "ecs-fleet-ops scale: cluster prod 3 -> 2 hosts: cluster-scaled-in",
    ]
