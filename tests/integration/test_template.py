"""The template is wired the way the code expects: patterns match real events, every AWS call the
function makes is allowed, every setting the code reads is set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetops.drain.settings import DrainSettings
from simulator.cloudformation.template import Template
from simulator.worlds.drain import DrainWorld

EVENTS = Path(__file__).resolve().parents[2] / "events" / "drain"

# botocore names a few services differently from IAM.
IAM_PREFIX = {"elbv2": "elasticloadbalancing"}


def as_iam_actions(calls: set[str]) -> set[str]:
    return {
        f"{IAM_PREFIX.get(service, service)}:{operation}" for service, _, operation in (c.partition(":") for c in calls)
    }


def event(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((EVENTS / name).read_text())


def test_named_groups_narrow_the_rule_to_their_own_events() -> None:
    template = Template(parameters={"AutoScalingGroupNames": ["prod-hosts", "batch-hosts"]})
    sample = event("eventbridge-terminate-lifecycle-action.json")
    assert template.matches("DrainFunction", sample)
    sample["detail"]["AutoScalingGroupName"] = "someone-elses-group"
    assert not template.matches("DrainFunction", sample)


def test_the_template_sets_every_setting_the_drain_reads_and_only_known_ones() -> None:
    environment = Template().environment("DrainFunction")
    read_by_code = {
        "RECHECK_QUEUE_URL",
        "DEAD_LETTER_QUEUE_URL",
        "IDEMPOTENCY_TABLE",
        "CLUSTER_NAMES",
        "NOTIFICATION_TOPIC_ARN",
        "RECHECK_INTERVAL_SECONDS",
        "DRAIN_BUDGET_SECONDS",
        "BUDGET_EXCEEDED_RESULT",
        "STOP_LEFTOVER_TASKS",
        "NOTIFY_EVERY_DRAIN",
        "RECHECK_VISIBILITY_TIMEOUT_SECONDS",
    }
    assert read_by_code <= set(environment)
    # The defaults the template passes are valid settings.
    resolved = {k: str(v) for k, v in Template().resolve(environment).items() if not isinstance(v, dict)}
    DrainSettings.from_environment(
        {**resolved, "RECHECK_QUEUE_URL": "q", "DEAD_LETTER_QUEUE_URL": "d", "IDEMPOTENCY_TABLE": "t"}
    )


def test_the_drain_knows_its_recheck_queues_visibility_timeout() -> None:
    # A failed re-check is brought back sooner only when the queue would return it too late: the
    # function must know when that is (CloudFormation has no attribute for a queue's VisibilityTimeout).
    template = Template()
    queue = template.resources["RecheckQueue"]["Properties"]
    environment = template.environment("DrainFunction")
    assert int(environment["RECHECK_VISIBILITY_TIMEOUT_SECONDS"]) == int(queue["VisibilityTimeout"])


@pytest.mark.parametrize("cluster_names", [["*"], ["prod"]])
def test_every_aws_call_of_a_drain_is_allowed_by_the_functions_policy(aws: None, cluster_names: list[str]) -> None:
    # The function under the role the template gives it: for the named clusters, or for every one with *.
    world = DrainWorld(parameters={"ClusterNames": ",".join(cluster_names), "Announce": "everything"})
    host = world.cluster.instance_ids[0]
    world.cluster.add_service("web")
    world.cluster.start_tasks(host, 2, group="service:web")
    world.cluster.start_tasks(host, 1, group="family:batch")
    action = world.hooks.begin_termination(world.cluster.group, host)
    world.api.reset()
    world.invoke(world.hooks.eventbridge_event(action))
    world.run_until_quiet()
    world.invoke({"bad": "event"})  # dead-lettering is a call too
    # The SQS poller's ReceiveMessage/DeleteMessage are Lambda's, under the event source mapping.
    called = as_iam_actions(set(world.api.calls))
    allowed = Template(parameters={"ClusterNames": cluster_names}).policy_actions("DrainFunction")
    missing = {call for call in called if call not in allowed}
    assert not missing, f"the template's policy lacks {sorted(missing)}"
    assert {"ecs:StopTask", "autoscaling:CompleteLifecycleAction", "sns:Publish"} <= called


# -- every job: sample events and policies ---------------------------------------------------------
# (Every sample event against the deployed wiring: tests/integration/test_event_wiring.py.)
ALL_EVENTS = Path(__file__).resolve().parents[2] / "events"


def test_scaling_alarms_reach_the_scale_job_only_when_named_with_the_prefix() -> None:
    template = Template()
    event = json.loads((ALL_EVENTS / "scale" / "eventbridge-service-cpu-high.json").read_text())
    assert template.matches("ScaleFunction", event)
    event["detail"]["alarmName"] = "web-5xx-page-the-oncall"
    assert not template.matches("ScaleFunction", event)  # an alerting alarm never scales anything
    event["detail"]["alarmName"] = "ecs-scale-web-cpu-high"
    event["detail"]["state"]["value"] = "OK"
    assert not template.matches("ScaleFunction", event)


def test_every_aws_call_of_a_scaling_decision_is_allowed_by_the_scale_policy(aws: None) -> None:
    from simulator.worlds.scale import ScaleWorld

    rules = [{"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": "+3", "max": 12}]
    world = ScaleWorld(hosts=2, rules=rules)
    try:
        world.services.add_service("web", cpu=1024, memory=2048)
        for host in world.cluster.instance_ids:
            world.services.run_on(host, "web", 3)  # full: the new tasks need a new host
        world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
        world.api.reset()
        result = world.decide(world.fire("ecs-scale-web-cpu-high", 90.0))
        called = set(world.api.calls) - {"cloudwatch:SetAlarmState"}  # the test's own alarm firing
    finally:
        world.close()
    assert result["outcome"] in ("cluster-scaled-out", "service-scaled-out"), result
    missing = as_iam_actions(called) - Template().policy_actions("ScaleFunction")
    assert not missing, f"the scale function's policy lacks {sorted(missing)}"
    assert "autoscaling:SetDesiredCapacity" in called


def test_every_aws_call_of_a_verification_and_rollback_is_allowed_by_the_verify_policy(aws: None) -> None:
    from simulator.worlds.verify import VerifyWorld

    world = VerifyWorld(parameters={"VerifyRollbackEnabled": "true", "Announce": "everything"})
    release = world.given_a_release(target_groups=2)
    world.deployments.set_container_health("web", "UNHEALTHY", 4)
    world.api.reset()
    report = world.invoke(world.completed_event(release))
    assert report["verdict"] == "FAILED" and report["rollback"]["action"] == "update-service"
    called = as_iam_actions(set(world.api.calls))
    missing = called - Template(parameters={"VerifyRollbackEnabled": "true"}).policy_actions("VerifyFunction")
    assert not missing, f"the verify function's policy lacks {sorted(missing)}"
    assert {"ecs:UpdateService", "elasticloadbalancing:DescribeTargetHealth"} <= called


def test_every_aws_call_of_ecs_s_own_rollback_is_allowed_by_the_verify_policy(aws: None) -> None:
    from simulator.worlds.verify import VerifyWorld, revision_of

    world = VerifyWorld(parameters={"VerifyRollbackEnabled": "true"})
    world.given_a_release()
    v3 = world.deployments.task_definition("registry.example.com/web:3")
    world.deployments.stuck_rollout("web", v3)
    world.api.reset()
    report = world.invoke({"cluster": "prod", "service": "web", "expected_task_definition": revision_of(v3)})
    assert report["rollback"]["action"] == "stop-service-deployment"
    called = as_iam_actions(set(world.api.calls))
    missing = called - Template(parameters={"VerifyRollbackEnabled": "true"}).policy_actions("VerifyFunction")
    assert not missing, f"the verify function's policy lacks {sorted(missing)}"
    assert {"ecs:ListServiceDeployments", "ecs:DescribeServiceRevisions", "ecs:StopServiceDeployment"} <= called


def test_every_aws_call_of_a_bake_behind_an_ecs_lifecycle_hook_is_allowed_by_the_verify_policy(aws: None) -> None:
    from simulator.worlds.verify import VerifyWorld

    world = VerifyWorld(parameters={"VerifyServices": '{"web": {"alarms": ["web-5xx"], "bake_seconds": 1800}}'})
    world.deployments.alarm("web-5xx", "OK")
    release = world.given_a_release()
    hook = world.deployments.lifecycle_hook("web", previous_task_definition=release.known_good, timeout_minutes=10)
    world.api.reset()
    assert hook.run(world.invoke, world.clock) == "SUCCEEDED"
    called = as_iam_actions(set(world.api.calls))
    missing = called - Template().policy_actions("VerifyFunction")
    assert not missing, f"the verify function's policy lacks {sorted(missing)}"
    assert "ecs:DescribeServiceDeployments" in called


def test_the_guided_deploy_asks_for_the_scope_and_the_safety_switches_first() -> None:
    # sam deploy --guided prompts for the parameters in the template's order (SAM CLI 1.170.0,
    # guided_context.prompt_parameters iterates them); the console reads AWS::CloudFormation::Interface.
    document = Template().document
    order = list(document["Parameters"])
    assert order[:9] == [
        "EnableDrain",
        "EnableScale",
        "EnableVerify",
        "ClusterNames",
        "AutoScalingGroupNames",
        "ScaleDryRun",
        "VerifyRollbackEnabled",
        "NotificationEmail",
        "Announce",
    ]
    grouped = [
        name
        for group in document["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        for name in group["Parameters"]
    ]
    assert grouped == order, "the console's groups list every parameter once, in the guided deploy's order"
    # Issue 13 added three on purpose (34 -> 37): LogRetentionInDays, EncryptTopicsWithCustomerKey and
    # ReserveConcurrency, each with a safe default, in their own groups.
    assert len(order) <= 37, f"{len(order)} questions about parameters (34 before issue 13's three)"
    assert "Default" not in document["Parameters"]["ClusterNames"], "the scope is always chosen, never pre-filled"
