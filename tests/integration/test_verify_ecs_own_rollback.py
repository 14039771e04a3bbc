"""ECS's own rollback, through the template's wiring: the example's circuit breaker (rollback on) returns
the service to a revision that was never verified good, and that revision then fails its smoke check. The
verify function, reached by the template's EventBridge rule under its own role, reports it and leaves it:
a rollback of ECS's rollback, back to an older known-good, is not its call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from demo.stories import GOOD_IMAGE, simulated_day
from fleetops.verify.state import VerifyStateStore
from simulator.fleet.fleet import SimulatedFleet
from simulator.http_server import Route
from simulator.moto_patches import simulated_aws

BROKEN_IMAGE = "registry.example.com/web:broken"


@pytest.fixture
def fleet() -> Iterator[SimulatedFleet]:
    with simulated_aws(), simulated_day() as fleet:
        yield fleet


def _verify_results(fleet: SimulatedFleet) -> list[dict[str, Any]]:
    return [e.result for e in fleet.account.timeline if e.function == "verify" and isinstance(e.result, dict)]


def test_a_revision_ecs_s_circuit_breaker_rolled_back_to_that_fails_its_smoke_check_is_reported_not_rolled_back(
    fleet: SimulatedFleet,
) -> None:
    # web:1.4.2 passed its verification once (the known-good); the service has since been moved to the
    # image it runs now, which no verification ever passed.
    known_good = fleet.register_image(GOOD_IMAGE)
    table = fleet.account.stack.physical["VerifyStateTable"]
    store = VerifyStateStore(fleet.session.client("dynamodb"), table)
    store.remember_known_good(fleet.service_arn, known_good, "ecs-svc/1000000000000000001", fleet.clock())
    running = fleet.task_definition
    fleet.image_behaviour[fleet._image(running)] = Route(500, '{"status": "error"}')
    fleet.crash_looping_images.add(BROKEN_IMAGE)

    fleet.release(BROKEN_IMAGE)
    fleet.run_for(20 * 60)
    fleet.run_until_quiet()

    results = _verify_results(fleet)
    [judged] = [r for r in results if r.get("verdict") == "FAILED"]
    assert judged["rollback"]["action"] == "none"
    assert " is ECS's rollback to " in judged["rollback"]["reason"]
    assert "a person must look" in judged["rollback"]["reason"]
    assert not [r for r in results if r.get("rollback", {}).get("action") not in (None, "none")]
    assert {t.task_definition_arn for t in fleet.tasks()} == {running}
    notices = [n for n in fleet.account.notifications() if "FAILED" in n["subject"]]
    assert any("a person must look" in n["message"] for n in notices)
