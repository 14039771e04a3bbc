"""A termination lifecycle action of a group without a warm pool carries no ``Origin`` or ``Destination``:
"These fields are only emitted by Auto Scaling groups that have a warm pool" (Warm pool event types
and patterns, Amazon EC2 Auto Scaling User Guide). ECS groups rarely have one, so this is the common
shape; the drain must read it, by EventBridge and by SNS, exactly as it reads the fields' presence.

The simulated Auto Scaling (``lifecycle.py``) and the samples in ``events/drain`` still always carry
both fields; until they follow the document, these tests take them out.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fleetops.drain.parse import parse_trigger
from fleetops.models.drain import DrainRequest
from fleetops.settings import DEFAULT_DRAIN_HOOK_NAME_PREFIX, Scope
from simulator.fleet.fleet import SimulatedFleet

EVENTS = Path(__file__).resolve().parents[2] / "events" / "drain"
WARM_POOL_FIELDS = ("Origin", "Destination")
TASKS = 8  # four per host: the terminated host has tasks to move, and no scaling alarm fires


def without_warm_pool_fields(event: dict[str, Any]) -> dict[str, Any]:
    """The same lifecycle action, as a group without a warm pool sends it (EventBridge or SNS)."""
    stripped = copy.deepcopy(event)
    if "detail" in stripped:
        for field in WARM_POOL_FIELDS:
            stripped["detail"].pop(field, None)
    for record in stripped.get("Records", []):
        message = json.loads(record["Sns"]["Message"])
        record["Sns"]["Message"] = json.dumps({k: v for k, v in message.items() if k not in WARM_POOL_FIELDS})
    return stripped


def is_lifecycle_action(event: dict[str, Any]) -> bool:
    if "detail" in event:
        return event.get("detail-type") == "EC2 Instance-terminate Lifecycle Action"
    return any(
        "LifecycleActionToken" in record.get("Sns", {}).get("Message", "") for record in event.get("Records", [])
    )


def carries_warm_pool_fields(event: dict[str, Any]) -> bool:
    if "detail" in event:
        return any(field in event["detail"] for field in WARM_POOL_FIELDS)
    return any(f'"{field}"' in record["Sns"]["Message"] for record in event["Records"] for field in WARM_POOL_FIELDS)


@pytest.mark.parametrize(
    "sample", ["eventbridge-terminate-lifecycle-action.json", "sns-terminate-lifecycle-notification.json"]
)
def test_a_termination_without_origin_or_destination_reads_as_the_same_drain_request(sample: str) -> None:
    event = json.loads((EVENTS / sample).read_text())
    stripped = without_warm_pool_fields(event)
    assert not carries_warm_pool_fields(stripped)

    [request] = parse_trigger(
        stripped, hook_name_prefix=DEFAULT_DRAIN_HOOK_NAME_PREFIX, auto_scaling_groups=Scope.every()
    )
    assert isinstance(request, DrainRequest)
    assert (
        request
        == parse_trigger(event, hook_name_prefix=DEFAULT_DRAIN_HOOK_NAME_PREFIX, auto_scaling_groups=Scope.every())[0]
    )


def test_a_host_of_a_group_without_a_warm_pool_is_drained_from_either_path(aws: None) -> None:
    fleet = SimulatedFleet(parameters={"Announce": "everything"})
    try:
        d = fleet.definition
        fleet.clients("ecs").update_service(cluster=d.cluster_name, service=d.service_name, desiredCount=TASKS)
        fleet.set_traffic(TASKS * d.task_cpu / 2)
        fleet.run_for(5)
        # Auto Scaling's own copies (both paths) are held back and sent again without the fields;
        # whatever reaches the drain is recorded.
        held: list[tuple[str, dict[str, Any]]] = []
        delivered: list[str] = []

        def hold_warm_pool_shapes(via: str, event: Any) -> int:
            if via not in ("EventBridge", "SNS") or not is_lifecycle_action(event):
                return 1
            if carries_warm_pool_fields(event):
                held.append((via, event))
                return 0
            delivered.append(via)
            return 1

        fleet.account.delivery_fault = hold_warm_pool_shapes
        host = next(iter(fleet.hosts()))
        fleet.clients("autoscaling").terminate_instance_in_auto_scaling_group(
            InstanceId=host, ShouldDecrementDesiredCapacity=False
        )
        action = fleet.hooks.action_for(host)
        for via, event in held:
            stripped = without_warm_pool_fields(event)
            if via == "EventBridge":
                fleet.account.put_event(stripped, source="Auto Scaling")
            else:
                sns = stripped["Records"][0]["Sns"]
                fleet.account.publish(sns["TopicArn"], sns["Message"], subject=sns["Subject"], source="Auto Scaling")
        assert sorted(delivered) == ["EventBridge", "SNS"]  # both paths, neither with the fields
        fleet.run_for(d.hook_heartbeat_timeout + 120)
        fleet.run_until_quiet()

        drains = [e for e in fleet.account.timeline if e.function == "drain"]
        assert [e.via for e in drains if "drain requested" in e.decision] in (["EventBridge"], ["SNS"])
        assert not any(e.error for e in drains)
        assert (action.ended_by, action.result) == ("completion", "CONTINUE")
        assert fleet.tasks_lost() == 0
        assert fleet.account.dead_letters() == []
    finally:
        fleet.close()
