"""The example cluster (``examples/ecs-on-ec2/template.yaml``) as plain data, so the simulated cluster
is built from the stack a platform engineer deploys and the two cannot drift apart.

Every value is read from the template's resources, following their references (the group's launch
template, subnets and hook; the service's task definition and target group), and resolved against
the parameters' defaults or the values given, in us-east-1, by the same resolver that deploys the
suite's template (``cfn.Intrinsics``). A reference to a resource resolves only to a name the template
sets; anything else raises, so a change to the example that this module cannot follow fails loudly
instead of building a different cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.cloudformation.rules import evaluate_rules
from simulator.cloudformation.transform import Intrinsics, read_template
from simulator.cloudformation.validation import validate_template
from simulator.paths import EXAMPLE_CLUSTER_TEMPLATE

EXAMPLE_TEMPLATE = EXAMPLE_CLUSTER_TEMPLATE
STACK_NAME = "ecs-on-ec2-example"

# What Ref and Fn::GetAtt return for resources whose name the template sets: the property that
# holds it. (Other references name things the definition never needs resolved, such as subnet ids.)
_REF_NAME = {
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::AutoScaling::AutoScalingGroup": "AutoScalingGroupName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::Logs::LogGroup": "LogGroupName",
}
_GETATT_NAME = {("AWS::ECS::Service", "Name"): "ServiceName"}

# CPU units and MiB of memory the ECS agent registers for a host (DescribeContainerInstances,
# registeredResources): 1,024 units per vCPU, and about 15/16 of the installed memory, because the
# kernel and the platform keep the rest (ECS docs, "Reserving Amazon ECS Linux container instance
# memory"). The exact figure moves a little with the AMI; the simulation only needs it close.
HOST_CAPACITY: dict[str, tuple[int, int]] = {
    "t3.medium": (2048, 3840),
    "t3.large": (2048, 7680),
    "c5.large": (2048, 3840),
    "c5.xlarge": (4096, 7680),
    "m5.large": (2048, 7680),
    "m5.xlarge": (4096, 15360),
    "m5.2xlarge": (8192, 30720),
    "r5.large": (2048, 15360),
}

TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"


class UnknownInstanceTypeError(ValueError):
    """The example asks for an instance type whose registered ECS capacity is not in HOST_CAPACITY."""


@dataclass(frozen=True)
class AlarmDefinition:
    name: str
    namespace: str
    metric: str
    dimensions: dict[str, str]  # dimension name -> resolved value
    statistic: str
    period: int
    evaluation_periods: int
    threshold: float
    comparison: str


@dataclass(frozen=True)
class ClusterDefinition:
    cluster_name: str
    group_name: str
    zones: tuple[str, ...]  # one per subnet of the group, in the group's order
    instance_type: str
    host_cpu: int
    host_memory: int
    min_size: int
    max_size: int
    desired_capacity: int
    hook_name: str
    hook_transition: str
    hook_heartbeat_timeout: int
    hook_default_result: str
    service_name: str
    service_desired_count: int
    task_family: str
    task_cpu: int
    task_memory: int
    container_name: str
    container_port: int
    health_check_path: str
    deregistration_delay: int
    minimum_healthy_percent: int
    maximum_percent: int
    circuit_breaker_rollback: bool
    alarms: tuple[AlarmDefinition, ...]

    @classmethod
    def from_template(
        cls, path: Path = EXAMPLE_TEMPLATE, parameters: dict[str, str] | None = None
    ) -> ClusterDefinition:
        document = read_template(path)
        # What CloudFormation refuses, it refuses here: the example is deployed with
        # `aws cloudformation deploy --template-file`, which sends the body inline (51,200 bytes at most).
        validate_template(document, body=path.read_text(), via="inline")
        template = _Template(document, parameters or {}, path)
        template.check_rules(document)

        cluster = template.only("AWS::ECS::Cluster")
        group_id = template.only("AWS::AutoScaling::AutoScalingGroup")
        group = template.properties(group_id)
        launch_data = template.properties(template.target(group["LaunchTemplate"]["LaunchTemplateId"]))[
            "LaunchTemplateData"
        ]
        instance_type = str(template.resolve(launch_data["InstanceType"]))
        host_cpu, host_memory = host_capacity(instance_type)
        hook = _termination_hook(group, group_id)

        service_id = template.only("AWS::ECS::Service")
        service = template.properties(service_id)
        (load_balancer,) = service["LoadBalancers"]
        task = template.properties(template.target(service["TaskDefinition"]))
        container_name = str(template.resolve(load_balancer["ContainerName"]))
        container = next((c for c in task["ContainerDefinitions"] if c["Name"] == container_name), None)
        if container is None:
            raise ValueError(f"{service_id} balances container {container_name!r}, which its task definition lacks")
        container_port = _int(template.resolve(load_balancer["ContainerPort"]))
        if not any(_int(template.resolve(m["ContainerPort"])) == container_port for m in container["PortMappings"]):
            raise ValueError(f"container {container_name!r} maps no port {container_port}")
        target_group = template.properties(template.target(load_balancer["TargetGroupArn"]))
        attributes = {a["Key"]: template.resolve(a["Value"]) for a in target_group.get("TargetGroupAttributes", [])}
        deployment = service["DeploymentConfiguration"]

        return cls(
            cluster_name=str(template.resolve({"Ref": cluster})),
            group_name=str(template.resolve({"Ref": group_id})),
            zones=tuple(
                str(template.resolve(template.properties(template.target(subnet))["AvailabilityZone"]))
                for subnet in group["VPCZoneIdentifier"]
            ),
            instance_type=instance_type,
            host_cpu=host_cpu,
            host_memory=host_memory,
            min_size=_int(template.resolve(group["MinSize"])),
            max_size=_int(template.resolve(group["MaxSize"])),
            desired_capacity=_int(template.resolve(group["DesiredCapacity"])),
            hook_name=str(template.resolve(hook["LifecycleHookName"])),
            hook_transition=str(template.resolve(hook["LifecycleTransition"])),
            # Auto Scaling's defaults when the hook leaves them out.
            hook_heartbeat_timeout=_int(template.resolve(hook.get("HeartbeatTimeout", 3600))),
            hook_default_result=str(template.resolve(hook.get("DefaultResult", "ABANDON"))),
            service_name=str(template.resolve(service["ServiceName"])),
            service_desired_count=_int(template.resolve(service["DesiredCount"])),
            task_family=str(template.resolve(task["Family"])),
            task_cpu=_int(template.resolve(task["Cpu"])),
            task_memory=_int(template.resolve(task["Memory"])),
            container_name=container_name,
            container_port=container_port,
            health_check_path=str(template.resolve(target_group.get("HealthCheckPath", "/"))),
            # Elastic Load Balancing's default when the attribute is left out.
            deregistration_delay=_int(attributes.get("deregistration_delay.timeout_seconds", 300)),
            minimum_healthy_percent=_int(template.resolve(deployment["MinimumHealthyPercent"])),
            maximum_percent=_int(template.resolve(deployment["MaximumPercent"])),
            circuit_breaker_rollback=_bool(
                template.resolve(deployment.get("DeploymentCircuitBreaker", {}).get("Rollback", False))
            ),
            alarms=tuple(_alarm(template, template.properties(a)) for a in template.all("AWS::CloudWatch::Alarm")),
        )

    def alarm(self, name: str) -> AlarmDefinition:
        """The alarm with this name (KeyError names the ones there are)."""
        for alarm in self.alarms:
            if alarm.name == name:
                return alarm
        raise KeyError(f"no alarm {name!r}; the example has {[a.name for a in self.alarms]}")


def host_capacity(instance_type: str) -> tuple[int, int]:
    """(CPU units, MiB) ECS registers for a host of this type."""
    try:
        return HOST_CAPACITY[instance_type]
    except KeyError:
        raise UnknownInstanceTypeError(
            f"instance type {instance_type!r}: no registered ECS capacity is known for it "
            f"(known: {', '.join(sorted(HOST_CAPACITY))}); add the CPU units and MiB that "
            "DescribeContainerInstances reports for it to HOST_CAPACITY in simulator/fleet/cluster_definition.py"
        ) from None


def _termination_hook(group: dict[str, Any], group_id: str) -> dict[str, Any]:
    hooks = [h for h in group.get("LifecycleHookSpecificationList", []) if h.get("LifecycleTransition") == TERMINATING]
    if len(hooks) != 1:
        raise ValueError(f"{group_id} must declare exactly one {TERMINATING} hook, found {len(hooks)}")
    return dict(hooks[0])


def _alarm(template: _Template, properties: dict[str, Any]) -> AlarmDefinition:
    if "Metrics" in properties:
        raise ValueError(f"metric-math alarm {properties.get('AlarmName')}: AlarmDefinition holds one metric")
    return AlarmDefinition(
        name=str(template.resolve(properties["AlarmName"])),
        namespace=str(template.resolve(properties["Namespace"])),
        metric=str(template.resolve(properties["MetricName"])),
        dimensions={
            str(template.resolve(d["Name"])): str(template.resolve(d["Value"]))
            for d in properties.get("Dimensions", [])
        },
        statistic=str(template.resolve(properties["Statistic"])),
        period=_int(template.resolve(properties["Period"])),
        evaluation_periods=_int(template.resolve(properties["EvaluationPeriods"])),
        threshold=float(template.resolve(properties["Threshold"])),
        comparison=str(template.resolve(properties["ComparisonOperator"])),
    )


def _int(value: Any) -> int:
    return int(str(value))


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in {"true", "false"}:
        return str(value).lower() == "true"
    raise ValueError(f"not a boolean: {value!r}")


class _Template:
    """The example's resources, with intrinsic functions resolved against its parameters (``cfn``)."""

    def __init__(self, document: dict[str, Any], parameters: dict[str, str], path: Path) -> None:
        self.path = path
        self.resources: dict[str, Any] = dict(document["Resources"])
        declared = document.get("Parameters", {})
        unknown = sorted(set(parameters) - set(declared))
        if unknown:
            raise ValueError(f"{path.name} declares no parameter {', '.join(unknown)} (it has {', '.join(declared)})")
        self._intrinsics = Intrinsics(
            document, stack_name=STACK_NAME, parameters=parameters, reference=self._ref, attribute=self._get_att
        )

    def check_rules(self, document: dict[str, Any]) -> None:
        evaluate_rules(document, self._intrinsics.parameters, condition=self._intrinsics.condition)

    # -- finding resources ----------------------------------------------------------------------
    def all(self, resource_type: str) -> list[str]:
        return [name for name, resource in self.resources.items() if resource["Type"] == resource_type]

    def only(self, resource_type: str) -> str:
        found = self.all(resource_type)
        if len(found) != 1:
            raise ValueError(f"{self.path.name} must declare exactly one {resource_type}, found {found}")
        return found[0]

    def properties(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resources[logical_id].get("Properties", {}))

    def target(self, reference: Any) -> str:
        """The logical id a ``Ref`` names (a reference the definition follows, not a value)."""
        if isinstance(reference, dict) and set(reference) == {"Ref"} and reference["Ref"] in self.resources:
            return str(reference["Ref"])
        raise ValueError(f"expected a Ref to a resource of {self.path.name}, got {reference!r}")

    # -- resolving values -----------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        return self._intrinsics.resolve(value)

    def _ref(self, name: str) -> str:
        """Ref of a resource: its name, when the template sets it (nothing is deployed here)."""
        if name in self.resources:
            return self._named(name, _REF_NAME.get(self.resources[name]["Type"]), f"Ref {name}")
        raise ValueError(f"Ref {name}: neither a parameter nor a resource of {self.path.name}")

    def _get_att(self, logical_id: str, attribute: str) -> str:
        resource_type = self.resources[logical_id]["Type"]
        return self._named(logical_id, _GETATT_NAME.get((resource_type, attribute)), f"GetAtt {logical_id}.{attribute}")

    def _named(self, logical_id: str, name_property: str | None, what: str) -> str:
        if name_property is None:
            raise ValueError(f"{what}: only the names of named resources are resolved here")
        name = self.properties(logical_id).get(name_property)
        if name is None:
            raise ValueError(f"{what}: {logical_id} sets no {name_property}, so its name is known only once deployed")
        return str(self.resolve(name))
