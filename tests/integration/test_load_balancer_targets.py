"""The simulated load balancer's target groups answer as Elastic Load Balancing does (``moto_gaps``)."""

from __future__ import annotations

import boto3

from tests.support.cfn import REGION
from tests.support.moto_gaps import close_moto_gaps


def test_deregistering_a_target_that_is_not_registered_returns_successfully_and_changes_nothing(aws: None) -> None:
    # "If the specified target does not exist, the action returns successfully" (DeregisterTargets).
    close_moto_gaps()
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
