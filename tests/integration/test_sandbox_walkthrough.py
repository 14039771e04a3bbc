"""The sandbox walk-through (docs/deploy.md), kept true: its ``sam deploy`` commands are read from that page,
split as a shell splits them and parsed as ``sam deploy --parameter-overrides`` parses them
(``simulator.cloudformation.sam_cli``); the simulated account is deployed with exactly the last command's
parameters (every other parameter at the template's default, not at the demo's values) and the demo's
three stories run against it. A parameter the walk-through forgets, or a JSON value the shell or SAM
CLI would cut, fails here. samconfig.toml's commented examples are held to the same parsing.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from demo.stories import IMAGES, Day, problems, run_day
from simulator.cloudformation.sam_cli import overrides_of_command, parse_parameter_overrides
from simulator.cloudformation.stack import deploy_stack
from simulator.cloudformation.transform import REGION, read_template
from simulator.fleet.fleet import SimulatedFleet
from simulator.http_server import local_http_server
from simulator.moto_patches import simulated_aws
from simulator.paths import PROJECT_ROOT as ROOT
from simulator.paths import TEMPLATE

WALKTHROUGH_PAGE = ROOT / "docs" / "deploy.md"
MARKER = "<!-- sandbox walk-through:"
JSON_PARAMETERS = ("VerifyServices", "ScalingRules")
# What the demo's stories need the suite to be told, and the walk-through must name (issue 15, item 1).
STORY_PARAMETERS = {
    "ClusterNames",
    "AutoScalingGroupNames",
    "VerifyServices",
    "SmokeAllowedHosts",
    "VerifyRollbackEnabled",
    "ScaleDryRun",
    "Announce",
}
PLACEHOLDER = re.compile(r"<[A-Za-z-]+>")


def walkthrough_deploys() -> list[str]:
    """The ``sam deploy`` command lines of the walk-through's block, continuation lines joined."""
    text = WALKTHROUGH_PAGE.read_text()
    block = text[text.index(MARKER) :]
    block = block[block.index("```sh\n") + 6 :]
    block = block[: block.index("```")]
    lines = block.replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip().startswith("sam deploy")]


def template_defaults() -> dict[str, str]:
    parameters = read_template(TEMPLATE)["Parameters"]
    return {name: str(spec.get("Default", "")) for name, spec in parameters.items()}


def filled_in(parameters: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """The walk-through's parameters with each ``<placeholder>`` replaced as its reader would."""
    filled = {}
    for name, value in parameters.items():
        for placeholder, replacement in values.items():
            value = value.replace(placeholder, replacement)
        assert not PLACEHOLDER.search(value), f"{name}: a placeholder the test does not know: {value}"
        assert "$" not in value, f"{name}: a shell variable the test does not know: {value}"
        filled[name] = value
    return filled


def test_the_walkthrough_deploys_the_suite_before_and_after_the_example_and_names_every_story_parameter() -> None:
    first, last = (overrides_of_command(command) for command in walkthrough_deploys())
    assert set(last) >= STORY_PARAMETERS, f"not named: {sorted(STORY_PARAMETERS - set(last))}"
    # The second deploy repeats the first one's values instead of relying on the stack's previous ones.
    assert first.items() <= last.items()
    assert set(last) <= set(template_defaults()), "every name is a parameter of template.yaml"


def test_every_json_value_of_the_walkthrough_survives_the_shell_and_sam_deploy() -> None:
    for command in walkthrough_deploys():
        parameters = overrides_of_command(command)
        for name in JSON_PARAMETERS:
            if name in parameters:
                assert isinstance(json.loads(parameters[name]), dict | list), name


def test_a_json_value_written_bare_is_cut_by_sam_deploy_which_is_why_the_walkthrough_quotes_it() -> None:
    # SAM CLI 1.170.0 gives {'VerifyServices': '{'} for this string (checked against samcli itself).
    assert parse_parameter_overrides(['VerifyServices={"demo/web": {"rollback": true}}']) == {"VerifyServices": "{"}


@pytest.fixture(scope="module")
def sandbox_day() -> Iterator[Day]:
    """The demo's day on a suite deployed with the walk-through's last command, placeholders filled in
    with the simulated example's values (its load balancer is the local HTTP server)."""
    parameters = overrides_of_command(walkthrough_deploys()[-1])
    with simulated_aws(), local_http_server({"/": IMAGES[next(iter(IMAGES))]}) as app:
        given = filled_in(
            parameters,
            {
                # What step 2's shell variables hold; the one placeholder a reader types.
                "$LB_URL": app.url("/"),
                "$LB_HOST": "127.0.0.1",
                "<your-email>": "sandbox-owner@example.com",
            },
        )
        # Every parameter the walk-through leaves out is at the template's default, so a forgotten
        # one is missed here as it would be in the sandbox (the fleet's own scope does not apply).
        fleet = SimulatedFleet(parameters=template_defaults() | given, app=app, image_behaviour=IMAGES)
        try:
            assert {k: fleet.account.stack.parameters[k] for k in given} == given
            yield run_day(fleet)
        finally:
            fleet.close()


def story(day: Day, name: str) -> dict[str, Any]:
    return next(s.facts for s in day.stories if s.name == name)


def test_the_walkthrough_s_suite_drains_scales_and_verifies_the_example_as_the_demo_does(sandbox_day: Day) -> None:
    assert problems(sandbox_day) == []
    summary = sandbox_day.summary()
    assert summary["drains"] > 0 and summary["scalings"] > 0 and summary["rollbacks"] == 1
    assert summary["tasks lost"] == 0 and summary["dead letters"] == 0
    assert story(sandbox_day, "spike")["hosts"][1] > story(sandbox_day, "spike")["hosts"][0]
    assert story(sandbox_day, "night")["hooks timed out"] == []
    release = story(sandbox_day, "release")
    assert release["running"] == [release["released"][0]] and release["smoke requests"] > 0


def test_the_walkthrough_s_suite_announces_every_drain_and_every_passing_release(sandbox_day: Day) -> None:
    subjects = [n["subject"] for n in sandbox_day.fleet.account.notifications()]
    drains = sandbox_day.summary()["drains"]
    assert sum(1 for s in subjects if "drain" in s.lower()) >= drains  # Announce=everything: every drain
    assert any("PASSED" in s for s in subjects)  # Announce=everything: passing releases


def samconfig_examples() -> dict[str, Any]:
    """samconfig.toml's commented example environments, as a reader uncomments them."""
    text = (ROOT / "samconfig.toml").read_text()
    examples = text[text.index("# [sandbox.") :]
    return tomllib.loads("\n".join(line.removeprefix("#").removeprefix(" ") for line in examples.splitlines()))


def test_samconfig_deploys_no_placeholder_and_its_examples_are_accepted_once_filled_in() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    assert set(config) == {"version", "default"}, "only the default environment is live"
    assert "parameter_overrides" not in config["default"]["deploy"]["parameters"]
    examples = samconfig_examples()
    assert set(examples) == {"sandbox", "prod"}
    for env, sections in examples.items():
        parameters = parse_parameter_overrides(sections["deploy"]["parameters"]["parameter_overrides"])
        assert all(PLACEHOLDER.search(parameters[name]) for name in ("ClusterNames", "AutoScalingGroupNames")), env
        filled = {
            name: PLACEHOLDER.sub(lambda m: "owner@example.com" if "email" in m.group() else "team", value)
            for name, value in parameters.items()
        }
        for name in JSON_PARAMETERS:
            if name in filled:
                json.loads(filled[name])
        if "<LoadBalancerUrl>" in parameters.get("VerifyServices", ""):
            filled["VerifyServices"] = parameters["VerifyServices"].replace("<LoadBalancerUrl>", "https://team/")
            filled["VerifyServices"] = PLACEHOLDER.sub("team", filled["VerifyServices"])
        with simulated_aws():  # under its own name: the day's stack may still hold the default's exports
            stack = deploy_stack(boto3.Session(region_name=REGION), name=f"samconfig-{env}", parameters=filled)
        assert stack.parameters == filled, env
