"""The simulated load balancer's target groups answer as Elastic Load Balancing does (``simulator.elbv2.gaps``)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from simulator.cloudformation.transform import REGION


def test_deregistering_a_target_that_is_not_registered_returns_successfully_and_changes_nothing(aws: None) -> None:
    # "If the specified target does not exist, the action returns successfully" (DeregisterTargets).
    ec2, elbv2 = boto3.client("ec2", region_name=REGION), boto3.client("elbv2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    host = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    group = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")
    arn = group["TargetGroups"][0]["TargetGroupArn"]
    moved, staying = {"Id": host, "Port": 32768}, {"Id": host, "Port": 32769}
    elbv2.register_targets(TargetGroupArn=arn, Targets=[moved, staying])

    elbv2.deregister_targets(TargetGroupArn=arn, Targets=[moved])
    elbv2.deregister_targets(TargetGroupArn=arn, Targets=[moved])  # a second time: no longer registered
    elbv2.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": host, "Port": 8080}])  # never registered

    health = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    registered = [(d["Target"]["Port"], d["TargetHealth"]["State"]) for d in health]
    assert (32769, "healthy") in registered
    assert all(port != 8080 for port, _ in registered)


def test_a_target_of_the_wrong_kind_for_its_group_is_refused(aws: None) -> None:
    # TargetDescription: an instance ID in a group of target type instance, an IP address in one of type ip.
    ec2, elbv2 = boto3.client("ec2", region_name=REGION), boto3.client("elbv2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    host = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    by_instance = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")
    by_ip = elbv2.create_target_group(Name="api", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    instance_group, ip_group = (g["TargetGroups"][0]["TargetGroupArn"] for g in (by_instance, by_ip))

    with pytest.raises(ClientError, match="InvalidTarget"):
        elbv2.register_targets(TargetGroupArn=instance_group, Targets=[{"Id": "10.0.0.12", "Port": 80}])
    with pytest.raises(ClientError, match="InvalidTarget"):
        elbv2.register_targets(TargetGroupArn=ip_group, Targets=[{"Id": host, "Port": 80}])
    elbv2.register_targets(TargetGroupArn=instance_group, Targets=[{"Id": host, "Port": 32768}])
    elbv2.register_targets(TargetGroupArn=ip_group, Targets=[{"Id": "10.0.0.12", "Port": 80}])
