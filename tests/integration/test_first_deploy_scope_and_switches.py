"""A first deploy creates only the jobs it switches on, acts only where it names, and says what it does.

Runbook of issue 15: a team that wants only the drainer gets only the drainer's resources (and a
termination is drained by it alone); a verifier deployed for named clusters hears only their services'
deployments; a verifier that may not roll back holds no write permission and refuses a configuration
that asks it to; scaling starts as a dry run; an empty NotificationEmail is said in capitals.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto.events.models import EventPattern

from demo.stories import simulated_day
from fleetops.errors import ConfigurationError
from fleetops.verify.settings import VerifySettings
from simulator.cloudformation.stack import DeployedStack, deploy_stack
from simulator.cloudformation.transform import ACCOUNT, REGION, TemplateError
from simulator.fleet.fleet import SimulatedFleet
from tests.integration.test_end_to_end_iam import release_a_bad_image, terminate_a_host

EVENTS = Path(__file__).resolve().parents[2] / "events"
# What each job alone brings (the layer, the notification topic, the idempotency table and the
# dead-letter queue with its alarms and policy are every stack's).
OWN_RESOURCES = {
    "drain": {"DrainFunction", "RecheckQueue", "LifecycleHookTopic", "LifecycleHookPublishRole"},
    "scale": {"ScaleFunction", "ScaleFollowUpQueue", "ScalingAlarmTopic", "ScalingAlarmTopicPolicy"},
    "verify": {"VerifyFunction", "VerifyRecheckQueue", "VerifyStateTable", "VerifyHookInvokeRole"},
}
SHARED = {"NotificationTopic", "IdempotencyTable", "DeadLetterQueue", "DeadLetterQueuePolicy"}


def only(job: str) -> dict[str, str]:
    return {f"Enable{other.title()}": str(other == job).lower() for other in OWN_RESOURCES}


def deployed(parameters: dict[str, str], name: str = "ecs-fleet-ops") -> DeployedStack:
    return deploy_stack(boto3.Session(region_name=REGION), name=name, parameters=parameters)


@pytest.mark.parametrize("job", sorted(OWN_RESOURCES))
def test_a_stack_of_one_job_creates_that_job_s_resources_and_none_of_the_others(aws: None, job: str) -> None:
    stack = deployed({"ClusterNames": "prod", "AutoScalingGroupNames": "prod-hosts", **only(job)})
    created = set(stack.resources)
    assert OWN_RESOURCES[job] | SHARED <= created
    for other, resources in OWN_RESOURCES.items():
        if other != job:
            assert not resources & created, f"a {job}-only stack created {sorted(resources & created)}"
    assert {spec.code.name for spec in stack.functions.values()} == {job}
    # The outputs of the jobs left out are not there to be imported by mistake.
    assert not {"DrainFunctionArn", "ScaleFunctionArn", "VerifyFunctionArn"} - {f"{job.title()}FunctionArn"} & set(
        stack.outputs
    )
    # The dashboard (docs/operating.md) has this job's rows and the shared ones, and every alarm it shows is one
    # the stack created. Dashboards are global to the account: the region in the name keeps stacks apart.
    name = stack.physical["OperationsDashboard"]
    assert name == f"ecs-fleet-ops-{REGION}" and stack.outputs["OperationsDashboardUrl"].endswith(f"name={name}")
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    body = json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])
    titles = {str(w["properties"].get("title")) for w in body["widgets"]}
    assert {other for other in OWN_RESOURCES if f"{other.title()} function" in titles} == {job}
    shown = {arn for w in body["widgets"] if w["type"] == "alarm" for arn in w["properties"]["alarms"]}
    assert shown <= {a["AlarmArn"] for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert len(shown) == {"drain": 6, "scale": 5, "verify": 6}[job]  # the job's alarms and the two shared


def test_a_drain_only_stack_drains_a_terminating_host_as_the_whole_suite_does(aws: None) -> None:
    fleet = SimulatedFleet(parameters={"EnableScale": "false", "EnableVerify": "false"})
    try:
        assert {spec.code.name for spec in fleet.account.stack.functions.values()} == {"drain"}
        assert terminate_a_host(fleet) == {
            "the drain completed the lifecycle action with CONTINUE": True,
            "no task was lost": True,
        }
    finally:
        fleet.close()


def test_a_verify_only_stack_rolls_a_bad_release_back_as_the_whole_suite_does(aws: None) -> None:
    only_verify = {"EnableDrain": "false", "EnableScale": "false"}
    with simulated_day(parameters=only_verify) as fleet:
        assert {spec.code.name for spec in fleet.account.stack.functions.values()} == {"verify"}
        assert release_a_bad_image(fleet) == {"the bad release was rolled back to the good one": True}


def deployment_event(service_arn: str) -> dict[str, object]:
    event = json.loads((EVENTS / "verify" / "ecs-deployment-completed.json").read_text())
    event["resources"] = [service_arn]
    return event


def verify_rule_matches(stack: DeployedStack, event: dict[str, object]) -> bool:
    [rule] = [r for r in stack.rules if r.name == stack.physical["VerifyFunctionDeploymentStateChange"]]
    return bool(EventPattern.load(json.dumps(rule.pattern)).matches_event(event))


def test_the_verify_rule_of_named_clusters_hears_only_their_services_deployments(aws: None) -> None:
    stack = deployed({"ClusterNames": "prod,batch", "EnableDrain": "false"})
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service"
    assert verify_rule_matches(stack, deployment_event(f"{arn}/prod/web"))
    assert verify_rule_matches(stack, deployment_event(f"{arn}/batch/nightly"))
    assert not verify_rule_matches(stack, deployment_event(f"{arn}/someone-elses/web"))
    # A cluster whose name starts like a named one is another cluster.
    assert not verify_rule_matches(stack, deployment_event(f"{arn}/prod-eu/web"))
    # A service ARN of the old short form names no cluster: only hooks and pipelines verify it then.
    assert not verify_rule_matches(stack, deployment_event(f"{arn}/web"))
    every = deployed({"ClusterNames": "*", "EnableDrain": "false"}, name="every")
    assert verify_rule_matches(every, deployment_event(f"{arn}/someone-elses/web"))
    assert verify_rule_matches(every, deployment_event(f"{arn}/web"))


def test_sixteen_named_clusters_fit_and_more_than_the_stack_holds_fail_the_deploy(
    aws: None,
) -> None:
    # Each name is repeated in every scoped statement of each role: IAM's 10,240 characters of inline
    # policy per role (the verify role's, with rollback on) bind before EventBridge's 2,048-character
    # event pattern (eb-quota.html). The README gives the figure.
    def named(count: int) -> dict[str, str]:
        clusters = ",".join(f"team-{i:02d}-prod-cluster"[:20] for i in range(count))
        groups = ",".join(f"team-{i:02d}-prod-hosts-x"[:20] for i in range(count))
        return {"ClusterNames": clusters, "AutoScalingGroupNames": groups, "VerifyRollbackEnabled": "true"}

    assert len(deployed(named(16)).functions) == 3
    # IAM refuses the role: CloudFormation fails the stack and rolls it back.
    for count in (17, 40):
        with pytest.raises(TemplateError, match=r"over IAM's 10240 for a role|over EventBridge's quota of 2048"):
            deployed(named(count), name=f"too-many-{count}")


def test_an_empty_notification_email_is_said_in_capitals_in_the_outputs(aws: None) -> None:
    quiet = deployed({"ClusterNames": "prod", "AutoScalingGroupNames": "prod-hosts"})
    assert quiet.outputs["Notifications"].startswith("NOBODY IS TOLD")
    assert quiet.outputs["ScalingMode"].startswith("DRY RUN")
    assert quiet.outputs["RollbackMode"].startswith("REPORT ONLY")
    assert quiet.outputs["Scope"] == "Clusters: prod. Auto Scaling groups: prod-hosts."
    told = deployed(
        {
            "ClusterNames": "*",
            "AutoScalingGroupNames": "*",
            "NotificationEmail": "oncall@example.com",
            "ScaleDryRun": "false",
            "VerifyRollbackEnabled": "true",
        },
        name="told",
    )
    assert "oncall@example.com" in told.outputs["Notifications"]
    assert told.outputs["ScalingMode"].startswith("Live")
    assert told.outputs["Scope"] == (
        "Clusters: every cluster of the region. Auto Scaling groups: every group of the region."
    )


def test_a_scale_only_stack_without_groups_holds_no_permission_on_any_group(aws: None) -> None:
    stack = deployed({"ClusterNames": "prod", **only("scale")})
    statements = [
        statement
        for policy in stack.properties["ScaleFunctionRole"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    actions = {action for s in statements if s["Effect"] == "Allow" for action in s["Action"]}
    assert not {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"} & actions
    assert stack.outputs["Scope"].endswith("Auto Scaling groups: none (services are scaled, no group is).")
    # Nothing in this stack answers the drain's hooks: a scale-in counts only on ECS managed draining.
    assert stack.function("ScaleFunction").environment["DRAIN_DEPLOYED"] == "false"
    assert (
        deployed({"ClusterNames": "prod", "AutoScalingGroupNames": "prod-hosts"}, name="whole")
        .function("ScaleFunction")
        .environment["DRAIN_DEPLOYED"]
        == "true"
    )


VERIFY_ENVIRONMENT = {
    "RECHECK_QUEUE_URL": "q",
    "DEAD_LETTER_QUEUE_URL": "d",
    "IDEMPOTENCY_TABLE": "t",
    "VERIFY_STATE_TABLE": "s",
    "CLUSTER_NAMES": "prod",
}


def test_a_verifier_that_may_not_roll_back_refuses_a_configuration_asking_it_to_at_cold_start() -> None:
    asking = {**VERIFY_ENVIRONMENT, "VERIFY_SERVICES": '{"prod/web": {"rollback": true}}'}
    with pytest.raises(ConfigurationError, match=r"'prod/web'\] asks for a rollback, but this stack may not"):
        VerifySettings.from_environment({**asking, "ROLLBACK_ENABLED": "false"})
    assert VerifySettings.from_environment({**asking, "ROLLBACK_ENABLED": "true"}).services["prod/web"].rollback


def test_a_verifier_that_may_roll_back_still_leaves_a_service_that_opts_out_alone() -> None:
    settings = VerifySettings.from_environment(
        {**VERIFY_ENVIRONMENT, "ROLLBACK_ENABLED": "true", "VERIFY_SERVICES": '{"prod/web": {"rollback": false}}'}
    )
    assert settings.rollback_wanted(settings.checks_for("prod", "web")) is False
    assert settings.rollback_wanted(settings.checks_for("prod", "api")) is True
    report_only = VerifySettings.from_environment(VERIFY_ENVIRONMENT)
    assert report_only.rollback_wanted(report_only.checks_for("prod", "api")) is False


def test_sixteen_clusters_each_have_their_slot_in_the_verify_rule_and_a_seventeenth_leaves_it_to_the_function(
    aws: None,
) -> None:
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service"
    sixteen = deployed({"ClusterNames": ",".join(f"c{i}" for i in range(16)), "EnableDrain": "false"})
    assert verify_rule_matches(sixteen, deployment_event(f"{arn}/c0/web"))
    assert verify_rule_matches(sixteen, deployment_event(f"{arn}/c15/web"))
    assert not verify_rule_matches(sixteen, deployment_event(f"{arn}/someone-elses/web"))
    # A 17th name has no slot: the rule hears every cluster, and the function's own scope check (CLUSTER_NAMES)
    # ignores the others, as it does for any event of a cluster it may not act on.
    seventeen = deployed({"ClusterNames": ",".join(f"c{i}" for i in range(17)), "EnableDrain": "false"}, name="more")
    assert verify_rule_matches(seventeen, deployment_event(f"{arn}/c16/web"))
    assert verify_rule_matches(seventeen, deployment_event(f"{arn}/someone-elses/web"))
    assert seventeen.function("VerifyFunction").environment["CLUSTER_NAMES"] == ",".join(f"c{i}" for i in range(17))
