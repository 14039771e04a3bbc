"""A function's role, enforced: what its policy names is allowed on the resources it names, and
nothing else is (moto's IAM enforcement with ``iam_gaps`` closing what moto lacks).

One simulated account for the module: clusters "prod" and "other", each with a host and a task, two
topics, two tables. Roles are made per test, outside enforcement, as the stack would make them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from simulator.autoscaling.gaps import route_lifecycle_actions_to
from simulator.ecs.service_deployment_gaps import current as deployments_record
from simulator.iam.enforcement import (
    ACCESS_DENIED_CODES,
    add_aws_managed_policies,
    assume_role_session,
    enforced_iam,
)
from simulator.moto_patches import simulated_aws

ACCOUNT = "123456789012"
REGION = "us-east-1"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


# The drain function's policy as template.yaml gives it with ClusterNames=prod and
# AutoScalingGroupNames=prod-hosts (SQS left out: moto scopes it already).
DRAIN_STATEMENTS: list[dict[str, Any]] = [
    {"Effect": "Allow", "Action": ["ecs:ListContainerInstances"], "Resource": [arn("ecs", "cluster/prod")]},
    {
        "Effect": "Allow",
        "Action": ["ecs:DescribeContainerInstances", "ecs:UpdateContainerInstancesState", "ecs:ListTasks"],
        "Resource": [arn("ecs", "container-instance/prod/*")],
    },
    {"Effect": "Allow", "Action": ["ecs:DescribeTasks", "ecs:StopTask"], "Resource": [arn("ecs", "task/prod/*")]},
    {"Effect": "Allow", "Action": ["ecs:DescribeServices"], "Resource": [arn("ecs", "service/prod/*")]},
    {
        "Effect": "Allow",
        "Action": ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
        "Resource": [arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/prod-hosts")],
    },
    {
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        "Resource": arn("dynamodb", "table/idempotency"),
    },
    {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": arn("sns", "notifications")},
]


@dataclass
class CompletedActions:
    """Stands in for SimulatedLifecycleHooks: records what reached Auto Scaling."""

    completed: list[tuple[str, str]] = field(default_factory=list)  # (group, result)

    def complete(self, *, group: str, hook: str, token: str | None, instance_id: str | None, result: str) -> None:
        self.completed.append((group, result))

    def heartbeat(self, *, group: str, hook: str, token: str | None, instance_id: str | None) -> None:
        pass


@dataclass
class Account:
    admin: boto3.Session  # the tests' own credentials: setup and inspection, outside enforcement
    hosts: dict[str, str]  # cluster -> container instance ARN
    tasks: dict[str, str]  # cluster -> task ARN
    lifecycle: CompletedActions
    roles: int = 0

    def role(self, statements: list[dict[str, Any]], managed: tuple[str, ...] = ()) -> boto3.Session:
        """A role with one inline policy (and managed ones), assumed the way Lambda assumes a function's role."""
        self.roles += 1
        name = f"fn-{self.roles}"
        iam = self.admin.client("iam")
        role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
        if statements:
            iam.put_role_policy(
                RoleName=name,
                PolicyName="function",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
            )
        for policy_arn in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        return assume_role_session(role_arn, name, REGION)

    def task_status(self, cluster: str) -> str:
        described = self.admin.client("ecs").describe_tasks(cluster=cluster, tasks=[self.tasks[cluster]])
        return str(described["tasks"][0]["desiredStatus"])

    def host_status(self, cluster: str) -> str:
        ecs = self.admin.client("ecs")
        described = ecs.describe_container_instances(cluster=cluster, containerInstances=[self.hosts[cluster]])
        return str(described["containerInstances"][0]["status"])


@pytest.fixture(scope="module")
def account() -> Iterator[Account]:
    with simulated_aws():
        admin = boto3.Session(region_name=REGION)
        ecs = admin.client("ecs")
        definition = ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "web", "image": "nginx", "cpu": 256, "memory": 512}]
        )["taskDefinition"]["taskDefinitionArn"]
        # ECS reads a registering host's EC2 instance: the one use of EC2 here (about a second).
        instances = admin.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2)["Instances"]
        hosts, tasks = {}, {}
        for instance, cluster in zip(instances, ("prod", "other"), strict=True):
            ecs.create_cluster(clusterName=cluster)
            ecs.create_service(cluster=cluster, serviceName="web", taskDefinition=definition, desiredCount=0)
            document = json.dumps({"instanceId": instance["InstanceId"]})
            hosts[cluster] = ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=document)[
                "containerInstance"
            ]["containerInstanceArn"]
            tasks[cluster] = ecs.start_task(
                cluster=cluster, taskDefinition=definition, containerInstances=[hosts[cluster]]
            )["tasks"][0]["taskArn"]
        for topic in ("notifications", "someone-elses-topic"):
            admin.client("sns").create_topic(Name=topic)
        for table in ("idempotency", "someone-elses-table"):
            admin.client("dynamodb").create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        lifecycle = CompletedActions()
        route_lifecycle_actions_to(lifecycle)
        try:
            yield Account(admin=admin, hosts=hosts, tasks=tasks, lifecycle=lifecycle)
        finally:
            route_lifecycle_actions_to(None)


def denied(call: Callable[[], object]) -> ClientError:
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] in ACCESS_DENIED_CODES, raised.value.response["Error"]
    return raised.value


def complete(session: boto3.Session, group: str) -> object:
    return session.client("autoscaling").complete_lifecycle_action(
        AutoScalingGroupName=group,
        LifecycleHookName="drain-before-terminate",
        LifecycleActionToken="00000000-0000-0000-0000-000000000001",
        InstanceId="i-00000000000000000",
        LifecycleActionResult="CONTINUE",
    )


def test_the_drain_role_does_everything_its_policy_names_on_its_own_cluster(account: Account) -> None:
    drain = account.role(DRAIN_STATEMENTS)
    ecs = drain.client("ecs")
    with enforced_iam():
        listed = ecs.list_container_instances(cluster="prod")["containerInstanceArns"]
        described = ecs.describe_container_instances(cluster="prod", containerInstances=listed)
        ecs.update_container_instances_state(cluster="prod", containerInstances=listed, status="ACTIVE")
        on_host = ecs.list_tasks(cluster="prod", containerInstance=listed[0])["taskArns"]
        ecs.describe_tasks(cluster="prod", tasks=on_host)
        ecs.describe_services(cluster="prod", services=["web"])
        drain.client("dynamodb").get_item(TableName="idempotency", Key={"id": {"S": "token"}})
        drain.client("sns").publish(TopicArn=arn("sns", "notifications"), Message="drained")
        complete(drain, "prod-hosts")
    assert described["containerInstances"][0]["containerInstanceArn"] == account.hosts["prod"]
    assert on_host == [account.tasks["prod"]]
    assert ("prod-hosts", "CONTINUE") in account.lifecycle.completed


# The same calls on what belongs to someone else; each service answers with its own error.
ELSEWHERE: dict[str, tuple[Callable[[boto3.Session, Account], object], str]] = {
    "ListContainerInstances": (
        lambda s, a: s.client("ecs").list_container_instances(cluster="other"),
        "AccessDeniedException",
    ),
    "DescribeContainerInstances": (
        lambda s, a: s.client("ecs").describe_container_instances(
            cluster="other", containerInstances=[a.hosts["other"]]
        ),
        "AccessDeniedException",
    ),
    "ListTasks": (
        lambda s, a: s.client("ecs").list_tasks(cluster="other", containerInstance=a.hosts["other"]),
        "AccessDeniedException",
    ),
    "DescribeTasks": (
        lambda s, a: s.client("ecs").describe_tasks(cluster="other", tasks=[a.tasks["other"]]),
        "AccessDeniedException",
    ),
    "StopTask": (
        lambda s, a: s.client("ecs").stop_task(cluster="other", task=a.tasks["other"]),
        "AccessDeniedException",
    ),
    "DescribeServices": (
        lambda s, a: s.client("ecs").describe_services(cluster="other", services=["web"]),
        "AccessDeniedException",
    ),
    "GetItem": (
        lambda s, a: s.client("dynamodb").get_item(TableName="someone-elses-table", Key={"id": {"S": "x"}}),
        "AccessDeniedException",
    ),
    "Publish": (
        lambda s, a: s.client("sns").publish(TopicArn=arn("sns", "someone-elses-topic"), Message="m"),
        "AuthorizationError",
    ),
    "CompleteLifecycleAction": (lambda s, a: complete(s, "someone-elses-hosts"), "AccessDenied"),
}


@pytest.mark.parametrize("action", sorted(ELSEWHERE))
def test_the_same_call_on_another_cluster_topic_table_or_group_is_denied(account: Account, action: str) -> None:
    drain = account.role(DRAIN_STATEMENTS)
    call, code = ELSEWHERE[action]
    with enforced_iam():
        error = denied(lambda: call(drain, account))
    assert error.response["Error"]["Code"] == code
    assert f":{action} on resource: " in error.response["Error"]["Message"]
    assert account.task_status("other") == "RUNNING"
    assert all(group != "someone-elses-hosts" for group, _ in account.lifecycle.completed)


def test_an_action_the_policy_does_not_name_is_denied_even_on_its_own_cluster(account: Account) -> None:
    drain = account.role(DRAIN_STATEMENTS)
    with enforced_iam():
        error = denied(lambda: drain.client("ecs").describe_clusters(clusters=["prod"]))
        denied(lambda: drain.client("dynamodb").scan(TableName="idempotency"))
        denied(lambda: drain.client("ecs").list_clusters())
    assert "ecs:DescribeClusters on resource: " + arn("ecs", "cluster/prod") in error.response["Error"]["Message"]


def test_a_request_naming_several_resources_is_denied_when_any_one_is_out_of_scope(account: Account) -> None:
    drain = account.role(DRAIN_STATEMENTS)
    ecs = drain.client("ecs")
    with enforced_iam():
        error = denied(
            lambda: ecs.describe_tasks(cluster="prod", tasks=[account.tasks["prod"], account.tasks["other"]])
        )
        denied(
            lambda: ecs.update_container_instances_state(
                cluster="prod", containerInstances=[account.hosts["prod"], account.hosts["other"]], status="DRAINING"
            )
        )
    assert f"on resource: {account.tasks['other']}" in error.response["Error"]["Message"]
    assert account.host_status("prod") == "ACTIVE"  # refused as a whole: not even the allowed host drained


def test_an_explicit_deny_wins_over_any_allow(account: Account) -> None:
    role = account.role(
        [
            {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ecs:StopTask", "Resource": arn("ecs", "task/prod/*")},
        ]
    )
    with enforced_iam():
        role.client("ecs").describe_tasks(cluster="prod", tasks=[account.tasks["prod"]])
        error = denied(lambda: role.client("ecs").stop_task(cluster="prod", task=account.tasks["prod"]))
    assert "explicit deny" in error.response["Error"]["Message"]
    assert account.task_status("prod") == "RUNNING"


def test_cloudwatch_actions_are_checked_under_their_iam_prefix_not_the_signing_name(account: Account) -> None:
    # CloudWatch signs as "monitoring"; IAM knows its actions as cloudwatch:*.
    role = account.role(
        [{"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": arn("cloudwatch", "alarm:ecs-scale-*")}]
    )
    cloudwatch = role.client("cloudwatch")
    with enforced_iam():
        cloudwatch.describe_alarms(AlarmNames=["ecs-scale-web-cpu-high"])
        denied(lambda: cloudwatch.describe_alarms(AlarmNames=["ecs-scale-web-cpu-high", "web-5xx-page-the-oncall"]))
        denied(lambda: cloudwatch.describe_alarms())  # every alarm: needs alarm:*


def test_listing_a_services_tasks_is_scoped_by_the_cluster_condition_key(account: Account) -> None:
    # template.yaml's ListServiceTasks: ListTasks by service names no container instance.
    role = account.role(
        [
            {
                "Effect": "Allow",
                "Action": ["ecs:ListTasks", "ecs:ListContainerInstances"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"ecs:cluster": [arn("ecs", "cluster/prod")]}},
            }
        ]
    )
    ecs = role.client("ecs")
    with enforced_iam():
        ecs.list_tasks(cluster="prod", serviceName="web")
        denied(lambda: ecs.list_tasks(cluster="other", serviceName="web"))
        # ListContainerInstances has no ecs:cluster key: a condition on a key the request lacks fails.
        denied(lambda: ecs.list_container_instances(cluster="prod"))


def test_stopping_a_service_deployment_needs_its_service_as_well_as_the_deployment(account: Account) -> None:
    deployment = arn("ecs", "service-deployment/prod/web/abc123")
    only_deployments = {
        "Effect": "Allow",
        "Action": "ecs:StopServiceDeployment",
        "Resource": arn("ecs", "service-deployment/prod/*"),
    }
    only_deployments_role = account.role([only_deployments])
    both_role = account.role(
        [{**only_deployments, "Resource": [arn("ecs", "service-deployment/prod/*"), arn("ecs", "service/prod/*")]}]
    )
    with enforced_iam():
        error = denied(
            lambda: only_deployments_role.client("ecs").stop_service_deployment(serviceDeploymentArn=deployment)
        )
        with pytest.raises(ClientError) as authorized:
            both_role.client("ecs").stop_service_deployment(serviceDeploymentArn=deployment, stopType="ROLLBACK")
    assert f"on resource: {arn('ecs', 'service/prod/web')}" in error.response["Error"]["Message"]
    # Authorized: ECS itself answers (there is no such deployment in progress).
    assert authorized.value.response["Error"]["Code"] == "InvalidParameterException"


def test_an_action_without_resource_level_permissions_is_granted_only_on_every_resource(account: Account) -> None:
    gaps = deployments_record()  # moto has no PutLifecycleEventHookExecutionStatus: the simulation records it
    statement = {"Effect": "Allow", "Action": "codedeploy:PutLifecycleEventHookExecutionStatus"}
    # As template.yaml's AnswerCodeDeployHooks scopes it: that grants nothing for this action.
    scoped = account.role([{**statement, "Resource": arn("codedeploy", "deploymentgroup:*")}])
    unscoped = account.role([{**statement, "Resource": "*"}])

    def answer(session: boto3.Session, execution: str) -> object:
        return session.client("codedeploy").put_lifecycle_event_hook_execution_status(
            deploymentId="d-ABCDEF123", lifecycleEventHookExecutionId=execution, status="Succeeded"
        )

    with enforced_iam():
        denied(lambda: answer(scoped, "hook-1"))
        answer(unscoped, "hook-2")
    assert gaps.hook_answers == {"hook-2": "Succeeded"}


def test_aws_managed_policies_can_be_attached_and_grant_what_they_say(account: Account) -> None:
    # SAM attaches AWSLambdaBasicExecutionRole to every function's role: logs, on every resource.
    role = account.role([], managed=tuple(add_aws_managed_policies("AWSLambdaBasicExecutionRole").values()))
    with enforced_iam():
        role.client("logs").create_log_group(logGroupName="/aws/lambda/drain")
        denied(lambda: role.client("logs").delete_log_group(logGroupName="/aws/lambda/drain"))


def test_a_condition_on_a_key_the_reference_does_not_document_for_the_action_refuses_it(account: Account) -> None:
    # The Service Authorization Reference documents ecs:cluster for DescribeServices, not for UpdateService
    # or ListServiceDeployments: AWS's request context for those has no such key, so the condition fails.
    role = account.role(
        [
            {
                "Effect": "Allow",
                "Action": ["ecs:DescribeServices", "ecs:UpdateService", "ecs:ListServiceDeployments"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"ecs:cluster": arn("ecs", "cluster/prod")}},
            }
        ]
    )
    ecs = role.client("ecs")
    with enforced_iam():
        ecs.describe_services(cluster="prod", services=["web"])
        denied(lambda: ecs.update_service(cluster="prod", service="web", desiredCount=1))
        denied(lambda: ecs.list_service_deployments(cluster="prod", service="web"))
    described = account.admin.client("ecs").describe_services(cluster="prod", services=["web"])
    assert described["services"][0]["desiredCount"] == 0  # refused: the service was not scaled


def test_reading_a_hook_s_deadline_needs_both_the_service_and_its_service_deployment(account: Account) -> None:
    # DescribeServiceDeployments' resource types are service and service-deployment (Service
    # Authorization Reference); the verify function's template grants both, in its clusters only.
    deployment = arn("ecs", "service-deployment/prod/web/JKJbJ9qNWOMWd5PhM2vr9")
    elsewhere = arn("ecs", "service-deployment/other/web/JKJbJ9qNWOMWd5PhM2vr9")
    only_the_deployment = account.role(
        [{"Effect": "Allow", "Action": ["ecs:DescribeServiceDeployments"], "Resource": [deployment]}]
    )
    as_the_template_grants = account.role(
        [
            {
                "Effect": "Allow",
                "Action": ["ecs:DescribeServiceDeployments"],
                "Resource": [arn("ecs", "service/prod/*"), arn("ecs", "service-deployment/prod/*")],
            }
        ]
    )

    def describe(session: boto3.Session, service_deployment: str) -> object:
        return session.client("ecs").describe_service_deployments(serviceDeploymentArns=[service_deployment])

    with enforced_iam():
        denied(lambda: describe(only_the_deployment, deployment))
        assert describe(as_the_template_grants, deployment)["failures"] == [{"arn": deployment, "reason": "MISSING"}]
        denied(lambda: describe(as_the_template_grants, elsewhere))
