"""The example ECS-on-EC2 stack (examples/ecs-on-ec2/template.yaml) is deployable as written, wired to
the suite's own exports and alarm prefix, and read into the definition the simulated cluster is built
from."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from cfnlint.api import lint_file
from cfnlint.config import ManualArgs
from cfnlint.decode import decode_str

from simulator.cloudformation.template import TEMPLATE
from simulator.fleet.cluster_definition import (
    EXAMPLE_TEMPLATE,
    ClusterDefinition,
    UnknownInstanceTypeError,
    host_capacity,
)


def document(path: Any) -> dict[str, Any]:
    parsed, errors = decode_str(path.read_text())
    assert not errors, errors
    return dict(parsed)


def suite_default(parameter: str) -> str:
    return str(document(TEMPLATE)["Parameters"][parameter]["Default"])


@pytest.fixture(scope="module")
def definition() -> ClusterDefinition:
    return ClusterDefinition.from_template()


def test_the_example_passes_cfn_lint_with_no_finding() -> None:
    # The same check as `make template` (the CLI's defaults: us-east-1, errors and warnings).
    findings = lint_file(EXAMPLE_TEMPLATE, config=ManualArgs(regions=["us-east-1"]))
    assert [str(f) for f in findings] == []


def test_the_hosts_are_spread_over_two_different_zones(definition: ClusterDefinition) -> None:
    assert definition.zones == ("us-east-1a", "us-east-1b")
    assert len(set(definition.zones)) == 2


def test_the_group_holds_each_terminating_host_for_the_drain(definition: ClusterDefinition) -> None:
    assert definition.group_name == f"{definition.cluster_name}-hosts"
    assert definition.hook_transition == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert definition.hook_default_result == "CONTINUE"
    # The drain re-checks every 60 s by default and heartbeats at least every half timeout.
    assert definition.hook_heartbeat_timeout >= 2 * int(suite_default("RecheckIntervalSeconds"))


def test_the_hook_tells_the_drain_its_cluster_and_notifies_the_suites_topic() -> None:
    group = document(EXAMPLE_TEMPLATE)["Resources"]["AutoScalingGroup"]["Properties"]
    (hook,) = group["LifecycleHookSpecificationList"]
    assert hook["NotificationMetadata"] == {"Fn::Sub": '{"cluster": "${Cluster}"}'}
    assert hook["NotificationTargetARN"] == {
        "Fn::ImportValue": {"Fn::Sub": "${FleetOpsStackName}-LifecycleHookTopicArn"}
    }
    assert hook["RoleARN"] == {"Fn::ImportValue": {"Fn::Sub": "${FleetOpsStackName}-LifecycleHookPublishRoleArn"}}


def test_every_alarm_is_named_for_the_suites_eventbridge_rule(definition: ClusterDefinition) -> None:
    prefix = suite_default("ScalingAlarmPrefix")
    assert len(definition.alarms) == 4
    for alarm in definition.alarms:
        assert alarm.name.startswith(prefix), alarm.name


def test_no_alarm_also_notifies_the_suite_through_sns() -> None:
    # EventBridge already delivers them by prefix: an SNS action would deliver each transition twice.
    resources = document(EXAMPLE_TEMPLATE)["Resources"].values()
    alarms = [r["Properties"] for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms
    assert all("AlarmActions" not in alarm for alarm in alarms)


def test_service_alarms_name_the_cluster_and_the_service(definition: ClusterDefinition) -> None:
    service_alarms = [a for a in definition.alarms if a.metric == "CPUUtilization"]
    assert {a.comparison for a in service_alarms} == {"GreaterThanThreshold", "LessThanThreshold"}
    for alarm in service_alarms:
        assert alarm.namespace == "AWS/ECS"
        assert alarm.dimensions == {"ClusterName": definition.cluster_name, "ServiceName": definition.service_name}


def test_cluster_alarms_name_the_cluster_alone(definition: ClusterDefinition) -> None:
    cluster_alarms = [a for a in definition.alarms if a.metric == "CPUReservation"]
    assert {a.comparison for a in cluster_alarms} == {"GreaterThanThreshold", "LessThanThreshold"}
    for alarm in cluster_alarms:
        assert alarm.namespace == "AWS/ECS"
        assert alarm.dimensions == {"ClusterName": definition.cluster_name}


def test_the_definition_reads_the_defaults_of_the_example(definition: ClusterDefinition) -> None:
    assert (definition.cluster_name, definition.service_name, definition.task_family) == ("demo", "web", "web")
    assert (definition.instance_type, definition.host_cpu, definition.host_memory) == ("m5.large", 2048, 7680)
    assert (definition.min_size, definition.max_size, definition.desired_capacity) == (2, 4, 2)
    assert (definition.task_cpu, definition.task_memory, definition.service_desired_count) == (256, 512, 2)
    assert (definition.container_name, definition.container_port, definition.health_check_path) == ("web", 80, "/")
    assert definition.deregistration_delay == 30
    assert (definition.minimum_healthy_percent, definition.maximum_percent) == (100, 200)
    assert definition.circuit_breaker_rollback is True
    high = definition.alarm("ecs-scale-demo-cpu-reservation-high")
    assert (high.statistic, high.period, high.evaluation_periods, high.threshold) == ("Maximum", 60, 3, 75.0)


def test_a_rolling_deployment_fits_on_the_hosts_the_stack_starts_with(definition: ClusterDefinition) -> None:
    # MaximumPercent 200 starts every new task before an old one stops: twice the tasks, for a moment.
    per_host = min(definition.host_cpu // definition.task_cpu, definition.host_memory // definition.task_memory)
    peak = math.ceil(definition.service_desired_count * definition.maximum_percent / 100)
    assert definition.min_size <= definition.desired_capacity <= definition.max_size
    assert per_host * definition.desired_capacity >= peak


def test_parameters_override_the_defaults_everywhere_they_are_used() -> None:
    definition = ClusterDefinition.from_template(
        parameters={
            "ClusterName": "sandbox",
            "ServiceName": "api",
            "InstanceType": "m5.xlarge",
            "ScalingAlarmPrefix": "team-a-scale-",
            "MaxSize": "6",
            "TaskCpu": "512",
        }
    )
    assert (definition.cluster_name, definition.group_name) == ("sandbox", "sandbox-hosts")
    assert (definition.service_name, definition.task_family) == ("api", "api")
    assert (definition.host_cpu, definition.host_memory) == (4096, 15360)
    assert (definition.max_size, definition.task_cpu) == (6, 512)
    assert definition.alarm("team-a-scale-sandbox-api-cpu-high").dimensions == {
        "ClusterName": "sandbox",
        "ServiceName": "api",
    }
    assert all(a.name.startswith("team-a-scale-sandbox-") for a in definition.alarms)


def test_an_instance_type_without_known_capacity_is_refused_by_name() -> None:
    with pytest.raises(UnknownInstanceTypeError, match=r"instance type 'x9\.huge'.*HOST_CAPACITY"):
        ClusterDefinition.from_template(parameters={"InstanceType": "x9.huge"})
    assert host_capacity("m5.large") == (2048, 7680)


def test_a_parameter_the_example_does_not_declare_is_refused() -> None:
    with pytest.raises(ValueError, match="declares no parameter Cluster"):
        ClusterDefinition.from_template(parameters={"Cluster": "prod"})


def test_the_example_imports_only_what_the_suite_exports() -> None:
    suite = document(TEMPLATE)
    exported = {
        output["Export"]["Name"]["Fn::Sub"].removeprefix("${AWS::StackName}-")
        for output in suite["Outputs"].values()
        if "Export" in output
    }
    imports: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            if "Fn::ImportValue" in value:
                imports.append(value["Fn::ImportValue"]["Fn::Sub"])
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(document(EXAMPLE_TEMPLATE)["Resources"])
    imported = set()
    for name in imports:
        match = re.fullmatch(r"\$\{FleetOpsStackName\}-(\w+)", name)
        assert match, f"import {name!r} is not <FleetOpsStackName>-<export>"
        imported.add(match.group(1))
    assert imported == {"LifecycleHookTopicArn", "LifecycleHookPublishRoleArn"}
    assert imported <= exported, imported - exported
    assert "ScalingAlarmTopicArn" in exported  # there for alarms that notify by SNS; the example's do not


def test_the_example_and_the_suite_default_to_the_same_alarm_prefix() -> None:
    example = document(EXAMPLE_TEMPLATE)["Parameters"]["ScalingAlarmPrefix"]["Default"]
    assert example == suite_default("ScalingAlarmPrefix")
