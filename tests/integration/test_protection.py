"""The suite's own protection, on the deployed stack: its logs kept on purpose, its topics encrypted with a
key whose policy lets in exactly those who publish, and its functions bounded.

- Each function writes JSON logs to a log group of the stack's own (not /aws/lambda/<name>, which Lambda
  creates by itself and a stack then fails to create), kept LogRetentionInDays (30 by default).
- The topics are encrypted with the stack's customer managed key (rotated): every role that publishes
  (the functions', Auto Scaling's hook role) has the key in its IAM policy, and CloudWatch, which has no
  role, is let in by the key policy. A principal the key does not let in is refused (KMSAccessDenied); an
  alarm whose CloudWatch cannot use the key loses its notification, and its history says why.
- Each function has reserved concurrency; an account whose quota is still 10 refuses any reservation, and
  deploys with ReserveConcurrency=false (and without the key, whose topics are then unencrypted).
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from simulator.account import SimulatedAccount
from simulator.awslambda.configuration import account_concurrency
from simulator.cloudformation.stack import deploy_stack
from simulator.cloudformation.transform import ACCOUNT, REGION, TemplateError, sam_transform
from simulator.cloudwatch.alarm_actions import action_history, change_state
from simulator.iam.enforcement import assume_role_session, enforced_iam
from simulator.paths import TEMPLATE

SCOPED = {"ClusterNames": "prod", "AutoScalingGroupNames": "prod-hosts"}
RESERVED = {"drain": 10, "scale": 5, "verify": None}


def publish_as(session: boto3.Session, topic_arn: str) -> None:
    """One message published with ``session``'s credentials, IAM (and the topic's key) enforced."""
    with enforced_iam():
        session.client("sns").publish(TopicArn=topic_arn, Message="probe")


def role_that_may_only_publish(account: SimulatedAccount, topic_arn: str) -> boto3.Session:
    """A role of the account with sns:Publish on the topic and nothing about its key (someone's script)."""
    iam = account.session.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="publisher-without-the-key", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn}],
    }
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="publish", PolicyDocument=json.dumps(policy))
    return assume_role_session(role["Arn"], "script", REGION)


def forgetting_the_key_s_users(directory: Path) -> Path:
    """template.yaml whose key policy forgot CloudWatch and whose key-use policy forgot the drain's role."""
    text = TEMPLATE.read_text()
    start = text.index("          - Sid: CloudWatchAlarmsOfThisAccountPublish\n")
    end = text.index("  # Everyone of the stack who publishes")
    drain_role = "        - !If [DrainOn, !Ref DrainFunctionRole, !Ref AWS::NoValue]\n"
    assert text.count(drain_role) == 1
    edited = text[:start] + "          - !Ref AWS::NoValue\n\n" + text[end:].replace(drain_role, "")
    path = directory / "template.yaml"
    path.write_text(edited)
    return path


def test_a_default_deploy_keeps_its_logs_encrypts_its_topics_and_bounds_its_functions(aws: None) -> None:
    account = SimulatedAccount(parameters=SCOPED)
    stack = account.stack

    # Logs: one group per function, the stack's own, kept 30 days, JSON.
    groups = {g["logGroupName"]: g for g in account.session.client("logs").describe_log_groups()["logGroups"]}
    for job in RESERVED:
        spec = account.function(job).spec
        assert spec.log_group in groups and not spec.log_group.startswith("/aws/lambda/")
        assert groups[spec.log_group]["retentionInDays"] == 30
        assert spec.log_format == "JSON"
        assert spec.application_log_level is None  # LogLevel INFO: no level filter to drop the metrics
        assert spec.reserved_concurrency == RESERVED[job]
        with enforced_iam():  # the role may write there (what Lambda does with the function's logs)
            logs = account.function(job).session.client("logs")
            logs.create_log_stream(logGroupName=spec.log_group, logStreamName="2026/01/01/[$LATEST]probe")
            logs.put_log_events(
                logGroupName=spec.log_group,
                logStreamName="2026/01/01/[$LATEST]probe",
                logEvents=[{"timestamp": 1_767_225_600_000, "message": '{"level": "INFO", "message": "probe"}'}],
            )

    # Encryption: every topic by the stack's key, rotated.
    key_id = stack.physical["TopicKey"]
    assert account.session.client("kms").get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    sns = account.session.client("sns")
    for topic in ("NotificationTopic", "LifecycleHookTopic", "ScalingAlarmTopic"):
        assert sns.get_topic_attributes(TopicArn=stack.physical[topic])["Attributes"]["KmsMasterKeyId"] == key_id

    # Everyone who publishes may: each function under its role, Auto Scaling under the hook role.
    notifications = stack.outputs["NotificationTopicArn"]
    for job in RESERVED:
        publish_as(account.function(job).session, notifications)
    hook_role = assume_role_session(stack.outputs["LifecycleHookPublishRoleArn"], "autoscaling", REGION)
    publish_as(hook_role, stack.outputs["LifecycleHookTopicArn"])

    # A role the key does not know is refused, as SNS refuses it.
    with pytest.raises(ClientError) as refused:
        publish_as(role_that_may_only_publish(account, notifications), notifications)
    assert refused.value.response["Error"]["Code"] == "KMSAccessDenied"
    assert "kms:GenerateDataKey" in refused.value.response["Error"]["Message"]

    # CloudWatch, which has no role, is let in by the key policy: the dead-letter alarm reaches a human.
    alarm = stack.physical["DeadLetterAlarm"]
    assert change_state(account, alarm, "ALARM", value=1.0) == 1
    assert [n for n in account.notifications() if alarm in n["subject"]]
    assert [item.summary for item in action_history(alarm)] == [f"Successfully executed action {notifications}"]


def test_a_key_that_forgot_cloudwatch_and_a_role_left_without_the_key_lose_their_notifications(
    aws: None, tmp_path: Path
) -> None:
    account = SimulatedAccount(parameters=SCOPED, template=forgetting_the_key_s_users(tmp_path))
    notifications = account.stack.outputs["NotificationTopicArn"]

    alarm = account.stack.physical["DeadLetterAlarm"]
    assert change_state(account, alarm, "ALARM", value=1.0) == 0
    assert not [n for n in account.notifications() if alarm in n["subject"]], "the notification is lost"
    [failed] = action_history(alarm)
    assert failed.summary == f"Failed to execute action {notifications}"
    assert failed.error and "KMSAccessDenied" in failed.error and "cloudwatch.amazonaws.com" in failed.error

    with pytest.raises(ClientError) as refused:
        publish_as(account.function("drain").session, notifications)
    assert refused.value.response["Error"]["Code"] == "KMSAccessDenied"
    assert "kms:GenerateDataKey" in refused.value.response["Error"]["Message"]
    publish_as(account.function("scale").session, notifications)  # whose role still has the key


def test_an_account_whose_concurrency_quota_is_10_refuses_the_reservation_and_deploys_without_it(
    aws: None,
) -> None:
    account_concurrency(ACCOUNT).quota = 10  # a new account's quota, before any increase
    with pytest.raises(TemplateError) as refused:
        deploy_stack(boto3.Session(region_name=REGION), name="first-try", parameters=SCOPED)
    assert "decreases account's UnreservedConcurrentExecution below its minimum value of [10]" in str(refused.value)

    account = SimulatedAccount(
        parameters={
            **SCOPED,
            "ReserveConcurrency": "false",
            "EncryptTopicsWithCustomerKey": "false",
            "LogRetentionInDays": "7",
            "LogLevel": "DEBUG",
        }
    )
    assert all(account.function(job).spec.reserved_concurrency is None for job in RESERVED)
    assert {account.function(job).spec.application_log_level for job in RESERVED} == {"DEBUG"}  # else dropped
    assert "TopicKey" not in account.stack.physical
    notifications = account.stack.outputs["NotificationTopicArn"]
    assert (
        "KmsMasterKeyId" not in account.session.client("sns").get_topic_attributes(TopicArn=notifications)["Attributes"]
    )
    groups = account.session.client("logs").describe_log_groups()["logGroups"]
    assert {g["retentionInDays"] for g in groups if g["logGroupName"].startswith("ecs-fleet-ops-")} == {7}
    publish_as(account.function("drain").session, notifications)
    alarm = account.stack.physical["DeadLetterAlarm"]
    assert change_state(account, alarm, "ALARM", value=1.0) == 1


def test_every_queue_is_encrypted_and_polls_with_fewer_batches_than_its_function_may_run() -> None:
    # "Make sure that your function's reserved concurrency is greater than or equal to the total maximum
    # concurrency of all Amazon SQS event sources on the function. Otherwise, Lambda might throttle your
    # messages" (Lambda Developer Guide, "Configuring scaling behavior for SQS event source mappings"): a
    # throttled batch returns to its queue with one more receive, towards its dead-letter queue.
    resources = sam_transform(TEMPLATE)["Resources"]
    queues = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SQS::Queue"]
    assert len(queues) == 4 and all(q["SqsManagedSseEnabled"] is True for q in queues), "every queue encrypted at rest"
    for function, reserved in (("DrainFunction", 10), ("ScaleFunction", 5)):
        assert resources[function]["Properties"]["ReservedConcurrentExecutions"]["Fn::If"][1] == reserved
        pollers = [
            r["Properties"]["ScalingConfig"]["MaximumConcurrency"]
            for r in resources.values()
            if r["Type"] == "AWS::Lambda::EventSourceMapping" and r["Properties"]["FunctionName"] == {"Ref": function}
        ]
        assert pollers and sum(pollers) <= reserved, (function, pollers)
    # The verify function reserves nothing: ECS's deployment hooks wait for its answer and roll back on a failure,
    # and its asynchronous deployment events (uncapped by any event source) could fill a reservation and throttle
    # them. Its loop, the bake, is bounded by its queue's event source instead.
    assert "ReservedConcurrentExecutions" not in resources["VerifyFunction"]["Properties"]
    bake = [
        r["Properties"]["ScalingConfig"]["MaximumConcurrency"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": "VerifyFunction"}
    ]
    assert bake == [5]


def test_only_lasting_throttles_of_the_retried_functions_call_a_human_and_any_throttle_of_verify_does() -> None:
    # The drain's and the scale job's events come asynchronously (EventBridge, SNS, SQS) and a throttled one
    # is retried: a burst is no news, five minutes of it is -- and the drain's alarm must come before a hook's
    # heartbeat (900 s by default) lapses unrenewed. The verify job answers hooks that roll back on a failure:
    # one throttle is news.
    document = sam_transform(TEMPLATE)
    resources = document["Resources"]
    heartbeat = int(document["Parameters"]["HookHeartbeatTimeout"]["Default"])
    for alarm, period, periods in (
        ("DrainThrottlesAlarm", 60, 5),
        ("ScaleThrottlesAlarm", 60, 5),
        ("VerifyThrottlesAlarm", 300, 1),
    ):
        properties = resources[alarm]["Properties"]
        assert (properties["Period"], properties["EvaluationPeriods"]) == (period, periods), alarm
        assert properties.get("DatapointsToAlarm", 1) == periods, alarm
    drain = resources["DrainThrottlesAlarm"]["Properties"]
    alarm_after = drain["Period"] * drain["EvaluationPeriods"]
    assert alarm_after <= heartbeat / 2, "the alarm comes well before a heartbeat lapses"
