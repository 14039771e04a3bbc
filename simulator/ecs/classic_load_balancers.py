"""Services behind a Classic Load Balancer, as ECS describes them (moto describes them like any other).

- "The rolloutState of a service is only returned for services that use the rolling update (ECS)
  deployment type that aren't behind a Classic Load Balancer" (Deployment, ECS API Reference,
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html). moto returns whatever
  the simulated ECS wrote into a deployment; ``without_rollout_state`` drops ``rolloutState`` and
  ``rolloutStateReason`` from the DescribeServices answer for such a service, whatever the rest of the
  simulation keeps internally, so no test can rely on a field AWS never gives.
- A Classic Load Balancer has no target groups: ECS registers the service's container instances with
  it by ``loadBalancerName`` (LoadBalancer, ECS API Reference: "For Classic Load Balancers, this
  object must contain the load balancer name, the container name, and the container port").
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from moto.core.responses import ActionResult

if TYPE_CHECKING:  # deployments.py builds on service_deployment_gaps.py, which uses this module's answer filter
    from simulator.ecs.deployments import SimulatedDeployments

_ROLLOUT_FIELDS = ("rolloutState", "rolloutStateReason")


def behind_a_classic_load_balancer(service: Any) -> bool:
    return any(lb.get("loadBalancerName") and not lb.get("targetGroupArn") for lb in service.load_balancers)


def without_rollout_state(result: ActionResult) -> ActionResult:
    """The DescribeServices answer, with no rollout state on the deployments of services behind a CLB.

    Copies, never the backend's own objects: the simulated ECS goes on keeping its rollout state."""
    answer: dict[str, Any] = result.result  # type: ignore[assignment]
    services = []
    for service in answer.get("services", []):
        if behind_a_classic_load_balancer(service):
            service = copy.copy(service)
            service.deployments = [
                {key: value for key, value in deployment.items() if key not in _ROLLOUT_FIELDS}
                for deployment in service.deployments
            ]
        services.append(service)
    return ActionResult({**answer, "services": services})


def put_behind_a_classic_load_balancer(deployments: SimulatedDeployments, name: str) -> str:
    """Move the simulated service ``name`` from its target groups to a Classic Load Balancer of its own
    (the service's tasks leave its target groups; a CLB registers hosts, which moto does not model).
    Returns the load balancer's name."""
    from simulator.ecs.deployments import CONTAINER_PORT

    service = deployments.services[name]
    session = deployments.cluster.session
    balancer = f"{name}-classic"
    ec2 = session.client("ec2")
    subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"][:1]]
    session.client("elb").create_load_balancer(
        LoadBalancerName=balancer,
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}],
        Subnets=subnets,
    )
    elbv2 = session.client("elbv2")
    for group in service.target_groups:
        elbv2.deregister_targets(TargetGroupArn=group, Targets=list(service.targets.values()))  # type: ignore[arg-type]
    service.target_groups = []
    deployments.backend_service(name).load_balancers = [
        {"loadBalancerName": balancer, "containerName": "web", "containerPort": CONTAINER_PORT}
    ]
    return balancer
