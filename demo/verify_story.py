"""Verifying releases on a simulated cluster: a good release is verified (and becomes the known-good),
then a bad image whose smoke check fails is rolled back to it, with the notification a human reads;
the rollback is verified in turn, and never rolled back itself.

The real verify handler (functions/verify/app.py) does the work against moto; the smoke check calls a
real HTTP server on 127.0.0.1 that plays the service. Wire it in demo/__main__.py with
``from demo.verify_story import run_verify_story``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from typing import Any
from unittest import mock

from moto import mock_aws

from tests.support.http_server import Route, local_http_server


def run_verify_story(*, as_json: bool) -> int:
    steps: list[dict[str, Any]] = []
    with (
        mock.patch.dict(os.environ, {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}),
        mock_aws(),
        local_http_server({"/health": Route(200, '{"status": "ok", "version": "1.4.1"}')}) as app,
        contextlib.redirect_stdout(io.StringIO()),  # Powertools prints its metrics
    ):
        from tests.support.verify_world import VerifyWorld

        services = {"prod/shop": {"smoke": [{"url": app.url("/health"), "expect_body": '"ok"', "retries": 2}]}}
        world = VerifyWorld(environment={"VERIFY_SERVICES": json.dumps(services), "ROLLBACK_ENABLED": "true"})
        release = world.given_a_release("shop", desired=6, target_groups=2)

        # 1. shop:2 (version 1.4.2) rolls out and answers well: verified, remembered as known-good.
        app.routes["/health"] = Route(200, '{"status": "ok", "version": "1.4.2"}')
        good = world.invoke(world.completed_event(release))
        steps.append(_step("shop:2 (1.4.2) deployed", good, world))

        # 2. shop:3 is a bad image: the deployment completes (ECS is happy) but /health answers 500.
        bad_image = world.deployments.task_definition("registry.example.com/shop:1.4.3", family="shop")
        bad_deployment = world.deployments.complete_rollout("shop", bad_image)
        app.routes["/health"] = Route(500, '{"status": "error", "detail": "database DSN missing"}')
        bad_event = world.completed_event(release).copy()
        bad_event["detail"] = {**bad_event["detail"], "deploymentId": bad_deployment}
        bad = world.invoke(bad_event)
        steps.append(_step("shop:3 (1.4.3, a bad image) deployed", bad, world))

        # 3. ECS rolls the service back to shop:2; the rollback completes and is verified too.
        rollback_deployment = bad["rollback"]["new_deployment_id"]
        world.deployments.complete_rollout("shop", release.task_definition, deployment_id=rollback_deployment)
        app.routes["/health"] = Route(200, '{"status": "ok", "version": "1.4.2"}')
        after = world.invoke({**bad_event, "detail": {**bad_event["detail"], "deploymentId": rollback_deployment}})
        steps.append(_step("rollback to shop:2 completed", after, world))
        running = world.service_task_definition("shop").rsplit("/", 1)[-1]
        known_good = (world.known_good(release.service_arn) or "-").rsplit("/", 1)[-1]
    summary = {"running": running, "known_good": known_good, "smoke_requests": app.hits("/health")}
    if as_json:
        print(json.dumps({"steps": steps, "summary": summary}, indent=2))
    else:
        _print(steps, summary)
    ok = [s["verdict"] for s in steps] == ["PASSED", "FAILED", "PASSED"] and running == known_good
    return 0 if ok else 1


def _step(what: str, report: dict[str, Any], world: Any) -> dict[str, Any]:
    return {
        "what": what,
        "verdict": report["verdict"],
        "deployment": report["deployment_id"],
        "checks": {c["name"]: c["status"] for c in report["checks"]},
        "rollback": report["rollback"],
        "notifications": world.notifications(),
    }


def _print(steps: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    print("Verify: releases of prod/shop, checked after every deployment\n")
    for step in steps:
        checks = ", ".join(f"{name} {status}" for name, status in step["checks"].items())
        print(f"- {step['what']}: {step['verdict']} ({checks})")
        rollback = step["rollback"]
        if rollback and rollback["action"] != "none":
            print(f"  rollback: {rollback['action']} -> {rollback['target_task_definition'].rsplit('/', 1)[-1]}")
        for note in step["notifications"]:
            print(f"\n  SNS notification\n  Subject: {note['subject']}")
            for line in note["message"].splitlines():
                print(f"  | {line}")
        print()
    print(
        f"Now running {summary['running']} (known-good {summary['known_good']}); "
        f"{summary['smoke_requests']} smoke request(s) made, all to 127.0.0.1."
    )


if __name__ == "__main__":
    raise SystemExit(run_verify_story(as_json=False))
