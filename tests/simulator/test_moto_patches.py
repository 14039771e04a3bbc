"""The simulator changes moto only inside ``simulated_aws()``: every patch declared by a service module is
installed on the way in, in the registry's order, and moto is exactly itself again on the way out."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import boto3
from moto import mock_aws
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api import state_manager

import simulator
from simulator import moto_patches
from simulator.ecs import service_deployment_gaps, task_set_gaps
from simulator.moto_patches import EVERY_PATCH, simulated_aws
from simulator.patching import Replace, StateTransition, Wrap

_MISSING = object()


def attribute_patches() -> list[Replace | Wrap]:
    return [patch for patch in EVERY_PATCH if isinstance(patch, Replace | Wrap)]


def own_attributes() -> list[Any]:
    """What each patched owner holds itself (not inherited) under each patched name."""
    return [vars(patch.owner).get(patch.name, _MISSING) for patch in attribute_patches()]


def test_every_module_that_declares_patches_is_in_the_registry() -> None:
    declared = []
    for module_info in pkgutil.walk_packages(simulator.__path__, prefix="simulator."):
        module = importlib.import_module(module_info.name)
        declared.extend(getattr(module, "PATCHES", ()))
    assert declared and set(map(id, declared)) <= set(map(id, EVERY_PATCH))


def test_outside_the_simulation_moto_is_moto() -> None:
    before = own_attributes()
    with simulated_aws():
        # The last patch of each attribute is what answers inside (a Replace: its replacement itself).
        last = {(id(patch.owner), patch.name): patch for patch in attribute_patches()}
        for patch in last.values():
            installed = getattr(patch.owner, patch.name)
            if isinstance(patch, Replace):
                assert installed is patch.replacement, f"{patch.name} is not the simulator's"
    assert own_attributes() == before


def test_a_wrap_receives_what_the_patches_before_it_installed() -> None:
    with simulated_aws():
        # Task sets' DescribeServices counts their tasks, then answers with the service deployments' own.
        describe = EC2ContainerServiceResponse.describe_services
        assert describe is not service_deployment_gaps._describe_services
        assert inspect.getclosurevars(describe).nonlocals["original"] is service_deployment_gaps._describe_services
    assert task_set_gaps.PATCHES  # declared, not installed at import


def test_ecs_tasks_advance_only_when_the_simulated_scheduler_moves_them() -> None:
    """moto's default moves a task one status at every DescribeTasks; inside, a million describes."""
    transitions = [patch for patch in EVERY_PATCH if isinstance(patch, StateTransition)]
    assert [t.model_name for t in transitions] == ["ecs::task"]
    moto_default = state_manager.get_transition("ecs::task")
    with simulated_aws():
        assert state_manager.get_transition("ecs::task") == {"progression": "manual", "times": 1_000_000}
    assert state_manager.get_transition("ecs::task") == moto_default


def test_a_nested_simulation_installs_nothing_twice_and_the_outer_one_removes_the_patches() -> None:
    before = own_attributes()
    with simulated_aws():
        inside = own_attributes()
        with simulated_aws():  # a test's own account inside the suite's
            assert own_attributes() == inside
        assert own_attributes() == inside, "the inner block removed nothing"
    assert own_attributes() == before
    assert moto_patches._depth == 0


def test_a_simulated_list_call_pages_as_ecs_does_and_plain_moto_does_not() -> None:
    """One gap, seen from a client: ListServices pages at 10 by default in ECS (moto: never)."""

    def first_page() -> int:
        ecs = boto3.client("ecs", region_name="us-east-1")
        ecs.create_cluster(clusterName="prod")
        definition = ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}]
        )["taskDefinition"]["taskDefinitionArn"]
        for index in range(12):
            ecs.create_service(cluster="prod", serviceName=f"web-{index}", taskDefinition=definition, desiredCount=0)
        return len(ecs.list_services(cluster="prod")["serviceArns"])

    with simulated_aws():
        assert first_page() == 10
    with mock_aws():
        assert first_page() == 12


def test_blocks_that_end_out_of_order_leave_moto_itself_and_the_next_simulation_patched() -> None:
    before = own_attributes()
    outer, inner = simulated_aws(), simulated_aws()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    assert moto_patches._depth == 0
    assert own_attributes() == before
    with simulated_aws():
        assert own_attributes() != before, "the next simulation installs its patches again"
