"""The targets check judges the service's own tasks' targets: a target group may be shared with another
service's tasks or hold targets registered by hand, and those are reported, never judged."""

from __future__ import annotations

from fleetops.models.ecs import LoadBalancerBinding, PortBinding, ServiceTask, TaskContainer
from fleetops.models.verify import CheckStatus, TargetHealth
from fleetops.verify import checks

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-0/2b3f28daf7467c80"
WEB = LoadBalancerBinding(TG, "web", 80)
HOSTS = {
    "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/a": "i-0aaaaaaaaaaaaaaaa",
    "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/b": "i-0bbbbbbbbbbbbbbbb",
}
HOST_A, HOST_B = HOSTS


def bridge_task(n: int, host: str, port: int, *, status: str = "RUNNING") -> ServiceTask:
    """A bridge mode task whose container port 80 is published on ``port`` of ``host``."""
    return ServiceTask(
        f"arn:aws:ecs:us-east-1:123456789012:task/prod/t{n}",
        TD,
        status,
        "RUNNING",
        "HEALTHY",
        (TaskContainer("web", "registry.example.com/web:2", "", "HEALTHY", status),),
        container_instance_arn=host,
        port_bindings=(PortBinding("web", 80, port),),
    )


def awsvpc_task(n: int, address: str) -> ServiceTask:
    return ServiceTask(
        f"arn:aws:ecs:us-east-1:123456789012:task/prod/t{n}",
        TD,
        "RUNNING",
        "RUNNING",
        "HEALTHY",
        (TaskContainer("web", "registry.example.com/web:2", "", "HEALTHY", "RUNNING"),),
        container_instance_arn=HOST_A,
        private_ipv4=address,
    )


# Four tasks of the service, two on each host, on dynamic host ports.
FOUR = [
    bridge_task(0, HOST_A, 32768),
    bridge_task(1, HOST_A, 32769),
    bridge_task(2, HOST_B, 32768),
    bridge_task(3, HOST_B, 32769),
]


def own(*states: str) -> list[TargetHealth]:
    """The four tasks' targets (instance id and host port), in these states."""
    return [
        TargetHealth(TG, HOSTS[task.container_instance_arn], task.port_bindings[0].host_port, state)
        for task, state in zip(FOUR, states, strict=True)
    ]


def test_every_task_with_a_healthy_target_passes_draining_ones_ignored() -> None:
    old = TargetHealth(TG, "i-0aaaaaaaaaaaaaaaa", 32760, "draining")
    result = checks.check_targets([WEB], {TG: [*own("healthy", "healthy", "healthy", "healthy"), old]}, FOUR, HOSTS)
    assert result.status is CheckStatus.PASSED
    assert result.summary == "1 target group(s), 4 healthy target(s) each"


def test_a_shared_group_with_another_service_s_unhealthy_targets_and_a_hand_registered_one_passes() -> None:
    others = [
        TargetHealth(TG, "i-0aaaaaaaaaaaaaaaa", 32770, "unhealthy", "Target.ResponseCodeMismatch"),  # api, host a
        TargetHealth(TG, "i-0bbbbbbbbbbbbbbbb", 32770, "healthy"),  # api, host b
        TargetHealth(TG, "i-0ccccccccccccccc", 8080, "unhealthy", "Target.Timeout"),  # no ECS task's at all
    ]
    result = checks.check_targets([WEB], {TG: [*own("healthy", "healthy", "healthy", "healthy"), *others]}, FOUR, HOSTS)
    assert result.status is CheckStatus.PASSED
    assert (
        result.summary == "1 target group(s), 4 healthy target(s) each (3 other target(s) in shared groups not judged)"
    )
    assert result.evidence == (
        "web-0/2b3f28daf7467c80: 4 target(s) of 4 running task(s) (4 healthy); "
        "3 other target(s), not judged (1 healthy, 2 unhealthy)",
    )


def test_another_service_s_healthy_targets_do_not_stand_in_for_the_service_s_missing_ones() -> None:
    # The group counts 4 healthy targets for 4 running tasks, but two are another service's.
    others = [TargetHealth(TG, "i-0aaaaaaaaaaaaaaaa", 32770, "healthy"), TargetHealth(TG, "10.0.9.9", 80, "healthy")]
    result = checks.check_targets(
        [WEB], {TG: [*own("healthy", "healthy", "healthy", "healthy")[:2], *others]}, FOUR, HOSTS
    )
    assert result.status is CheckStatus.FAILED
    assert result.settling  # ECS may not have registered them yet
    assert result.summary == "2 running task(s) have no live target in web-0/2b3f28daf7467c80"
    assert "  t2: no live target i-0bbbbbbbbbbbbbbbb:32768" in result.evidence


def test_the_service_s_own_unhealthy_target_fails_at_once_with_its_address() -> None:
    result = checks.check_targets([WEB], {TG: own("healthy", "healthy", "healthy", "unhealthy")}, FOUR, HOSTS)
    assert result.status is CheckStatus.FAILED
    assert not result.settling
    assert "1 target(s) of web-0/2b3f28daf7467c80 are not healthy" in result.summary
    assert any("i-0bbbbbbbbbbbbbbbb:32769 unhealthy" in line for line in result.evidence)


def test_the_same_host_on_another_port_is_not_the_task_s_target() -> None:
    # Bridge mode: one instance carries many targets, told apart by host port.
    wrong_port = [TargetHealth(TG, HOSTS[t.container_instance_arn], 40000 + n, "healthy") for n, t in enumerate(FOUR)]
    result = checks.check_targets([WEB], {TG: wrong_port}, FOUR, HOSTS)
    assert result.status is CheckStatus.FAILED
    assert result.summary == "4 running task(s) have no live target in web-0/2b3f28daf7467c80"


def test_own_targets_still_initial_settle() -> None:
    result = checks.check_targets([WEB], {TG: own("healthy", "initial", "initial", "healthy")}, FOUR, HOSTS)
    assert result.status is CheckStatus.FAILED
    assert result.settling


def test_awsvpc_tasks_are_matched_by_their_own_address_on_the_container_port() -> None:
    tasks = [awsvpc_task(n, f"10.0.0.{10 + n}") for n in range(2)]
    mine = [TargetHealth(TG, f"10.0.0.{10 + n}", 80, "healthy") for n in range(2)]
    neighbour = TargetHealth(TG, "10.0.1.50", 80, "unhealthy", "Target.FailedHealthChecks")
    result = checks.check_targets([WEB], {TG: [*mine, neighbour]}, tasks, {})
    assert result.status is CheckStatus.PASSED
    unhealthy_mine = [mine[0], TargetHealth(TG, "10.0.0.11", 80, "unhealthy", "Target.FailedHealthChecks")]
    assert checks.check_targets([WEB], {TG: unhealthy_mine}, tasks, {}).status is CheckStatus.FAILED


def test_a_host_mode_task_without_bindings_is_its_host_on_the_container_port() -> None:
    # host mode cannot remap a container port: the host port is the container port.
    task = bridge_task(0, HOST_A, 0)
    host_mode = ServiceTask(
        task.arn, TD, "RUNNING", "RUNNING", "HEALTHY", task.containers, container_instance_arn=HOST_A
    )
    result = checks.check_targets(
        [WEB], {TG: [TargetHealth(TG, "i-0aaaaaaaaaaaaaaaa", 80, "healthy")]}, [host_mode], HOSTS
    )
    assert result.status is CheckStatus.PASSED


def test_a_task_whose_host_is_unknown_cannot_be_matched_and_is_waited_for() -> None:
    result = checks.check_targets([WEB], {TG: own("healthy", "healthy", "healthy", "healthy")}, FOUR, {})
    assert result.status is CheckStatus.FAILED
    assert result.settling
    assert result.summary == "4 running task(s) cannot be matched to a target of web-0/2b3f28daf7467c80"


def test_each_load_balancer_is_judged_on_its_own_container_port() -> None:
    admin_group = TG.replace("web-0", "web-admin")
    task = ServiceTask(
        "arn:aws:ecs:us-east-1:123456789012:task/prod/t0",
        TD,
        "RUNNING",
        "RUNNING",
        "HEALTHY",
        FOUR[0].containers,
        container_instance_arn=HOST_A,
        port_bindings=(PortBinding("web", 80, 32768), PortBinding("web", 9090, 32769)),
    )
    observed = {
        TG: [TargetHealth(TG, "i-0aaaaaaaaaaaaaaaa", 32768, "healthy")],
        admin_group: [TargetHealth(admin_group, "i-0aaaaaaaaaaaaaaaa", 32769, "unhealthy")],
    }
    result = checks.check_targets([WEB, LoadBalancerBinding(admin_group, "web", 9090)], observed, [task], HOSTS)
    assert result.status is CheckStatus.FAILED
    assert result.summary == "1 target(s) of web-admin/2b3f28daf7467c80 are not healthy"


def test_a_service_without_a_load_balancer_skips_the_target_check() -> None:
    assert checks.check_targets([], {}, FOUR, HOSTS).status is CheckStatus.SKIPPED


def test_a_blue_green_pair_counts_the_task_s_target_wherever_it_is_registered() -> None:
    green = TG.replace("web-0", "web-0-green")
    targets = {TG: [], green: [TargetHealth(green, t.target_id, t.port, "healthy") for t in own(*["healthy"] * 4)]}
    assert checks.check_targets([WEB], targets, FOUR, HOSTS).status is CheckStatus.FAILED  # the blue group is empty
    result = checks.check_targets([WEB], targets, FOUR, HOSTS, {TG: green})
    assert result.status is CheckStatus.PASSED
    assert result.evidence == (
        "web-0/2b3f28daf7467c80 + web-0-green/2b3f28daf7467c80: 4 target(s) of 4 running task(s) (4 healthy)",
    )
