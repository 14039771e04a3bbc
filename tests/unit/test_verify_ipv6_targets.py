"""awsvpc tasks reached by IPv6: the ECS adapter over a stubbed DescribeTasks, and the targets check (the
third adversarial review, issue 14)."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from fleetops.aws.ecs import EcsAdapter
from fleetops.models.ecs import LoadBalancerBinding, ServiceTask, TaskContainer
from fleetops.models.verify import CheckStatus, TargetHealth
from fleetops.verify import checks

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-6/2b3f28daf7467c80"
HOST = "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/a"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/t0"
IPV6 = "2600:1f18:4c2:a100::1f"


def _ipv6_only_awsvpc_task() -> dict[str, object]:
    """An awsvpc task in an IPv6-only subnet on an EC2 host, as DescribeTasks reports it: its network
    interface has an IPv6 address and no private IPv4 (NetworkInterface: ``ipv6Address``)."""
    return {
        "taskArn": TASK,
        "clusterArn": CLUSTER,
        "taskDefinitionArn": TD,
        "containerInstanceArn": HOST,
        "group": "service:web",
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "healthStatus": "HEALTHY",
        "launchType": "EC2",
        "attachments": [
            {
                "id": "att-1",
                "type": "ElasticNetworkInterface",
                "status": "ATTACHED",
                "details": [
                    {"name": "subnetId", "value": "subnet-0123456789abcdef0"},
                    {"name": "networkInterfaceId", "value": "eni-0123456789abcdef0"},
                ],
            }
        ],
        "containers": [
            {
                "name": "web",
                "image": "registry.example.com/web:2",
                "lastStatus": "RUNNING",
                "healthStatus": "HEALTHY",
                "networkInterfaces": [{"attachmentId": "att-1", "ipv6Address": IPV6}],
            }
        ],
    }


def test_an_ipv6_only_awsvpc_task_registered_by_its_ipv6_address_has_its_target() -> None:
    # "awsvpc: The task is allocated its own elastic network interface (ENI) and a primary private IPv4
    # or IPv6 address" (Amazon ECS task networking options for EC2); "IPv6-only Amazon ECS services must
    # use dualstack load balancers with IPv6 target groups" (task networking, IPv6-only VPC). ECS registers
    # such a task by its IPv6 address. (Read as IPv4 only, the task was taken for a bridge/host one, its
    # host's instance id and the container port, and the good release failed at the settle bound.)
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("list_tasks", {"taskArns": [TASK]})
        stub.add_response("describe_tasks", {"tasks": [_ipv6_only_awsvpc_task()], "failures": []})
        tasks = EcsAdapter(client).service_tasks(CLUSTER, "web")

    result = checks.check_targets(
        [LoadBalancerBinding(TG, "web", 80)],
        {TG: [TargetHealth(TG, IPV6, 80, "healthy")]},
        tasks,
        {HOST: "i-0aaaaaaaaaaaaaaaa"},
    )

    assert result.status is CheckStatus.PASSED, result.summary


def test_a_dual_stack_task_in_an_ipv6_target_group_is_matched_by_its_ipv6_address() -> None:
    task = ServiceTask(TASK, TD, "RUNNING", "RUNNING", "HEALTHY", (), HOST, (), "10.0.8.7", IPV6)
    result = checks.check_targets(
        [LoadBalancerBinding(TG, "web", 80)], {TG: [TargetHealth(TG, IPV6, 80, "healthy")]}, [task], {}
    )
    assert result.status is CheckStatus.PASSED, result.summary


def test_an_essential_container_still_unknown_is_settling_and_an_unhealthy_one_is_not() -> None:
    def one(health: str) -> ServiceTask:
        web = TaskContainer("web", "registry.example.com/web:2", "", health, "RUNNING")
        return ServiceTask(TASK, TD, "RUNNING", "RUNNING", health, (web,))

    unknown = checks.check_container_health([one("UNKNOWN")], frozenset({"web"}))
    unhealthy = checks.check_container_health([one("UNHEALTHY")], frozenset({"web"}))
    assert (unknown.status, unknown.settling) == (CheckStatus.FAILED, True)
    assert (unhealthy.status, unhealthy.settling) == (CheckStatus.FAILED, False)
