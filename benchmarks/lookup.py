"""Figure 1: the AWS calls the drain job makes to find one host (by its EC2 instance id) in clusters of
10, 100 and 1,000 container instances, against the list-all-and-describe lookup of the public drain
Lambdas."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from benchmarks.environment import progress, silenced
from benchmarks.runner import verdict

if TYPE_CHECKING:
    import boto3

CLUSTER_SIZES = (10, 100, 1_000)
API_PAGE = 100  # ListContainerInstances returns and DescribeContainerInstances takes at most 100


@dataclass(frozen=True)
class LookupCost:
    container_instances: int
    calls: int
    calls_by_operation: dict[str, int]
    found: bool
    naive_calls_measured: int
    naive_calls_formula: int


def naive_calls_formula(container_instances: int) -> int:
    """What the public drain Lambdas do: list every container instance, describe them all."""
    pages = math.ceil(container_instances / API_PAGE)
    return pages + pages


def register_container_instances(session: boto3.Session, cluster: str, count: int) -> list[str]:
    """moto registers a container instance only for an EC2 instance it knows: launch them first."""
    reservation = session.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=count, MaxCount=count)
    ec2_ids = [instance["InstanceId"] for instance in reservation["Instances"]]
    ecs = session.client("ecs")
    for ec2_id in ec2_ids:
        document = json.dumps({"instanceId": ec2_id, "region": "us-east-1", "availabilityZone": "us-east-1a"})
        ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=document)
    return ec2_ids


def naive_find(session: boto3.Session, cluster: str, ec2_id: str) -> bool:
    ecs = session.client("ecs")
    arns = [
        arn
        for page in ecs.get_paginator("list_container_instances").paginate(cluster=cluster)
        for arn in page["containerInstanceArns"]
    ]
    found = False
    for start in range(0, len(arns), API_PAGE):
        described = ecs.describe_container_instances(cluster=cluster, containerInstances=arns[start : start + API_PAGE])
        found = found or any(ci.get("ec2InstanceId") == ec2_id for ci in described["containerInstances"])
    return found


def measure_lookup(container_instances: int) -> LookupCost:
    import boto3

    from fleetops.aws.autoscaling import AutoScalingAdapter
    from fleetops.aws.ecs import EcsAdapter
    from fleetops.aws.messaging import DelayedQueue
    from fleetops.drain.runner import DrainRunner
    from fleetops.drain.settings import DrainSettings
    from fleetops.settings import Scope
    from simulator.api_calls import ApiCallCounter
    from simulator.moto_patches import simulated_aws

    # moto ignores the ec2InstanceId filter and never pages: without the simulator's patches
    # (simulated_aws), every size would look cheap.
    with simulated_aws():
        session = boto3.Session(region_name="us-east-1")
        session.client("ecs").create_cluster(clusterName="prod")
        # The last one registered: the worst case for a search that walks the list.
        target = register_container_instances(session, "prod", container_instances)[-1]

        counter = ApiCallCounter(session)  # before the clients: they copy the session's hooks
        settings = DrainSettings(
            recheck_queue_url="unused",
            dead_letter_queue_url="unused",
            idempotency_table="unused",
            clusters=Scope.of("prod"),
        )
        runner = DrainRunner(
            ecs=EcsAdapter(session.client("ecs")),
            autoscaling=AutoScalingAdapter(session.client("autoscaling")),
            rechecks=DelayedQueue(session.client("sqs"), settings.recheck_queue_url),
            settings=settings,
            clock=time.time,
        )
        found = runner.locate(target, cluster_hint="prod")
        calls = dict(counter.calls)

        counter.reset()
        naive_found = naive_find(session, "prod", target)
        naive_calls = counter.total()
    return LookupCost(
        container_instances=container_instances,
        calls=sum(calls.values()),
        calls_by_operation=calls,
        found=found is not None and found.ec2_instance_id == target and naive_found,
        naive_calls_measured=naive_calls,
        naive_calls_formula=naive_calls_formula(container_instances),
    )


def measure() -> dict[str, Any]:
    costs = []
    for size in CLUSTER_SIZES:
        progress(f"lookup in a cluster of {size} container instances")
        with silenced():
            costs.append(measure_lookup(size))
    return {
        "clusters": [dataclasses.asdict(cost) for cost in costs],
        "target": "as many calls at 1,000 container instances as at 10",
        "target_met": costs[-1].calls == costs[0].calls and all(cost.found for cost in costs),
    }


def report_lines(section: dict[str, Any]) -> list[str]:
    lines = [
        f"  {'container instances':>20}  {'calls (this job)':>16}  {'naive list+describe':>20}",
    ]
    for cost in section["clusters"]:
        naive = cost["naive_calls_measured"]
        formula = cost["naive_calls_formula"]
        naive_text = f"{naive}" if naive == formula else f"{naive} (formula {formula})"
        lines.append(f"  {cost['container_instances']:>20,}  {cost['calls']:>16}  {naive_text:>20}")
    per_lookup = ", ".join(f"{op} x{n}" for op, n in section["clusters"][-1]["calls_by_operation"].items())
    lines += [
        f"  one lookup: {per_lookup} (DrainRunner.locate, cluster named by the hook)",
        f"  naive = ceil(n/{API_PAGE}) ListContainerInstances pages + ceil(n/{API_PAGE}) DescribeContainerInstances",
        f"  {verdict(section)}",
    ]
    return lines
