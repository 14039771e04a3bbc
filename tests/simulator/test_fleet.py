"""The simulated cluster behaves like ECS on EC2 where the suite depends on it: if it did not, "it works
in the simulation" would say nothing about AWS. Each test builds the example cluster (about 4 s) and
checks one behaviour, with the suite's functions present but, where possible, not involved."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.exceptions import ClientError

from simulator.fleet.fleet import BOOT_SECONDS, SimulatedFleet


def test_the_example_cluster_runs_its_service_on_two_hosts_in_two_zones_behind_its_target_group(
    fleet: SimulatedFleet,
) -> None:
    d = fleet.definition
    hosts = fleet.hosts()
    assert sorted(h["zone"] for h in hosts.values()) == sorted(d.zones)
    assert len(fleet.tasks()) == d.service_desired_count
    health = fleet.clients("elbv2").describe_target_health(TargetGroupArn=fleet.target_group)
    targets = {(t["Target"]["Id"], t["Target"]["Port"]) for t in health["TargetHealthDescriptions"]}
    assert len(targets) == d.service_desired_count  # one per task, told apart by host port
    registered = fleet.cluster.container_instance(next(iter(hosts)))
    assert {r["name"]: r["integerValue"] for r in registered.registered_resources}["CPU"] == d.host_cpu


def test_tasks_are_placed_only_where_cpu_and_memory_fit_and_the_rest_is_reported_as_resource_cpu(
    fleet: SimulatedFleet,
) -> None:
    d = fleet.definition
    room = len(fleet.hosts()) * (d.host_cpu // d.task_cpu)
    fleet.clients("ecs").update_service(cluster=d.cluster_name, service=d.service_name, desiredCount=room + 3)
    fleet.run_for(10)

    assert len(fleet.tasks()) == room
    per_host = Counter(t.container_instance_arn for t in fleet.tasks())
    assert set(per_host.values()) == {d.host_cpu // d.task_cpu}
    events = fleet.clients("ecs").describe_services(cluster=d.cluster_name, services=[d.service_name])
    assert "RESOURCE:CPU" in events["services"][0]["events"][0]["message"]


def test_the_group_refuses_a_capacity_outside_its_bounds_and_registers_the_hosts_it_launches(
    fleet: SimulatedFleet,
) -> None:
    d = fleet.definition
    autoscaling = fleet.clients("autoscaling")
    with pytest.raises(ClientError, match="above max value"):
        autoscaling.set_desired_capacity(AutoScalingGroupName=d.group_name, DesiredCapacity=d.max_size + 1)

    autoscaling.set_desired_capacity(AutoScalingGroupName=d.group_name, DesiredCapacity=d.desired_capacity + 1)
    fleet.run_for(BOOT_SECONDS - 10)
    assert len(fleet.hosts()) == d.desired_capacity  # still booting
    fleet.run_for(20)
    assert len(fleet.hosts()) == d.desired_capacity + 1


def test_a_termination_waits_for_its_hook_and_proceeds_only_at_completion_or_timeout(fleet: SimulatedFleet) -> None:
    d = fleet.definition
    # Without the drain: the hook's notifications go nowhere, so only its timeout can end the wait.
    fleet.account.delivery_fault = lambda via, event: 0
    instance = next(iter(fleet.hosts()))
    fleet.clients("autoscaling").terminate_instance_in_auto_scaling_group(
        InstanceId=instance,
        ShouldDecrementDesiredCapacity=False,  # at its minimum: replaced
    )
    fleet.run_for(d.hook_heartbeat_timeout - 10)
    assert fleet.hooks.action_for(instance).active
    assert fleet.cluster.container_instance(instance).status == "ACTIVE"

    fleet.run_for(20)
    action = fleet.hooks.action_for(instance)
    assert (action.ended_by, action.result) == ("timeout", d.hook_default_result)
    assert fleet.cluster.container_instance(instance).status == "INACTIVE"
    # Undrained, its task went down with it: the simulation counts it, so the stories can prove zero.
    assert fleet.tasks_lost() >= 1


def test_a_new_task_definition_rolls_out_and_is_announced_in_progress_then_completed(fleet: SimulatedFleet) -> None:
    released = fleet.release("registry.example.com/web:2.0.0")
    fleet.run_for(30)

    assert {t.task_definition_arn for t in fleet.tasks()} == {released}
    states = [state for _, definition, state in fleet.record.deployments if definition == released]
    assert states == ["SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED"]
    delivered = [e for e in fleet.account.timeline if e.function == "verify"]
    assert len(delivered) == 2, "both deployment events reach the verify job through its rule"


def test_a_release_whose_tasks_never_start_fails_and_the_circuit_breaker_rolls_it_back(fleet: SimulatedFleet) -> None:
    d = fleet.definition
    assert d.circuit_breaker_rollback, "the example turns the circuit breaker's rollback on"
    before = {t.task_definition_arn for t in fleet.tasks()}
    fleet.crash_looping_images.add("registry.example.com/web:broken")
    released = fleet.release("registry.example.com/web:broken")
    fleet.run_for(120)

    assert {t.task_definition_arn for t in fleet.tasks()} == before
    states = [state for _, _, state in fleet.record.deployments]
    assert states[:3] == [
        "SERVICE_DEPLOYMENT_IN_PROGRESS",  # the release
        "SERVICE_DEPLOYMENT_IN_PROGRESS",  # the circuit breaker: rolling back
        "SERVICE_DEPLOYMENT_FAILED",
    ]
    assert states[-1] == "SERVICE_DEPLOYMENT_COMPLETED"  # the rollback deployment
    service = fleet.clients("ecs").describe_services(cluster=d.cluster_name, services=[d.service_name])["services"][0]
    assert all(deployment["taskDefinition"] != released for deployment in service["deployments"])
    # The verify job heard it through its rule and announced the failed release.
    subjects = [n["subject"] for n in fleet.account.notifications()]
    assert any("FAILED" in subject for subject in subjects), subjects


def test_a_drained_hosts_tasks_with_nowhere_to_go_keep_running_until_the_group_adds_a_host(
    fleet: SimulatedFleet,
) -> None:
    d = fleet.definition
    room = len(fleet.hosts()) * (d.host_cpu // d.task_cpu)
    fleet.clients("ecs").update_service(cluster=d.cluster_name, service=d.service_name, desiredCount=room)
    fleet.run_for(10)
    assert len(fleet.tasks()) == room  # every place taken
    instance = next(iter(fleet.hosts()))
    on_it = fleet.hosts()[instance]["tasks"]

    fleet.clients("autoscaling").terminate_instance_in_auto_scaling_group(
        InstanceId=instance, ShouldDecrementDesiredCapacity=False
    )
    fleet.run_for(10 * d.deregistration_delay)

    # The drain set the host DRAINING; with minimum healthy 100 % and no place for a replacement, ECS
    # stops none of its tasks: they keep running (and serving) while the drain waits.
    assert fleet.hosts()[instance] == {"status": "DRAINING", "zone": fleet.hosts()[instance]["zone"], "tasks": on_it}
    assert fleet.hooks.action_for(instance).active and fleet.tasks_lost() == 0
    assert len(fleet.tasks()) == room

    fleet.clients("autoscaling").set_desired_capacity(AutoScalingGroupName=d.group_name, DesiredCapacity=d.max_size)
    fleet.run_until_quiet()

    action = fleet.hooks.action_for(instance)
    assert (action.ended_by, action.result) == ("completion", "CONTINUE")
    assert fleet.tasks_lost() == 0 and len(fleet.tasks()) == room


def test_a_batch_terminated_at_once_lowers_the_group_by_its_size_and_every_host_waits_at_the_hook(
    fleet: SimulatedFleet,
) -> None:
    d = fleet.definition
    fleet.clients("autoscaling").set_desired_capacity(AutoScalingGroupName=d.group_name, DesiredCapacity=d.max_size)
    fleet.run_for(BOOT_SECONDS + 10)
    room = sum(fleet.room_for_service_tasks(instance) for instance in fleet.hosts()) + len(fleet.tasks())
    fleet.clients("ecs").update_service(cluster=d.cluster_name, service=d.service_name, desiredCount=room)
    fleet.run_for(10)
    assert all(fleet.room_for_service_tasks(instance) == 0 for instance in fleet.hosts())  # every place taken
    batch = list(fleet.hosts())[:2]

    fleet.terminate_batch(batch, cause="an instance refresh's batch")
    fleet.run_for(30)

    # Terminate first: the group's desired capacity went down by the batch, so nothing launches for it;
    # both hosts wait at the hook together, their tasks kept on them (no room elsewhere).
    assert fleet.desired_capacity() == d.max_size - len(batch)
    assert all(fleet.hooks.action_for(instance).active for instance in batch)
    assert all(fleet.hosts()[instance]["status"] == "DRAINING" for instance in batch)
    assert len(fleet.tasks()) == room and fleet.tasks_lost() == 0
