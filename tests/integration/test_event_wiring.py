"""Every sample event in events/ reaches its own function, and no other, through the stack as
CloudFormation creates it from template.yaml (the real SAM transform, deployed into moto): the rule
whose pattern matches it, the topic subscription, the event source mapping, the invoke permission,
the output a hook or a pipeline calls. And every sample still reads the way its function reads it,
so a sample that drifted from the code, or the code from AWS's shapes, fails here.

A new sample must be classified in SAMPLES (and listed in events/README.md) before this passes.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.events.models import EventPattern
from moto.sns.utils import FilterPolicyMatcher

from fleetops.drain.parse import parse_trigger as parse_drain_trigger
from fleetops.intake import is_sqs_batch
from fleetops.models.drain import ContainerInstanceEmptied, DrainRequest, DrainState, IgnoredEvent
from fleetops.models.scale import AlarmTransition, PlacementFailure
from fleetops.models.verify import BakeState, IgnoredVerifyEvent, ReleaseFailure, VerifyRequest
from fleetops.scale.parse import parse_trigger as parse_scale_trigger
from fleetops.settings import DEFAULT_DRAIN_HOOK_NAME_PREFIX, Scope
from fleetops.verify.parse import codedeploy_hook_of, is_ecs_lifecycle_hook
from fleetops.verify.parse import parse_trigger as parse_verify_trigger
from fleetops.verify.triggers.ecs_hook import ECS_HOOK_BAKE_KEY
from simulator.cloudformation.stack import DeployedStack, FunctionSpec, deploy_stack
from simulator.cloudformation.template import EVERY_CLUSTER_AND_GROUP
from simulator.cloudformation.transform import ACCOUNT, REGION, TemplateError
from simulator.moto_patches import simulated_aws

EVENTS = Path(__file__).resolve().parents[2] / "events"


class Shape(StrEnum):
    EVENTBRIDGE = "EventBridge"
    SNS = "SNS"
    SQS = "SQS"
    HOOK = "hook"
    DIRECT = "direct"


@dataclass(frozen=True)
class Sample:
    """How one sample reaches its function.

    ``via`` names what it comes through in the template: an EventBridge rule (logical ID), a topic
    (the output a hook or an alarm is pointed at), a queue (logical ID), or the output a hook or a
    pipeline invokes (the function's ARN, or the role a hook assumes to invoke it). ``reads_as`` is
    what its function makes of it (see ``how_it_reads``): an event acknowledged and ignored on purpose
    says why (its reason's beginning); an unknown one would not parse at all. ``reaches`` is False for
    an event the wiring filters out before the function (another handler's hook): should a widened
    rule or filter let it through, the function still ignores it.
    """

    job: str
    shape: Shape
    via: str
    reads_as: str
    reaches: bool = True


SAMPLES: dict[str, Sample] = {
    # -- drain ----------------------------------------------------------------------------------------
    "drain/eventbridge-terminate-lifecycle-action.json": Sample(
        "drain", Shape.EVENTBRIDGE, "DrainFunctionTerminateLifecycleAction", "DrainRequest from eventbridge"
    ),
    "drain/eventbridge-terminate-to-warm-pool.json": Sample(
        "drain", Shape.EVENTBRIDGE, "DrainFunctionTerminateLifecycleAction", "DrainRequest from eventbridge"
    ),
    "drain/eventbridge-ecs-container-instance-emptied.json": Sample(
        "drain", Shape.EVENTBRIDGE, "DrainFunctionContainerInstanceEmptied", "ContainerInstanceEmptied"
    ),
    "drain/eventbridge-terminate-foreign-hook.json": Sample(
        "drain",
        Shape.EVENTBRIDGE,
        "DrainFunctionTerminateLifecycleAction",
        "ignored: lifecycle hook 'ship-logs' is not the suite's",
        reaches=False,
    ),
    "drain/eventbridge-spot-interruption-warning.json": Sample(
        "drain", Shape.EVENTBRIDGE, "SpotInterruptionRule", "DrainRequest from spot-interruption"
    ),
    "drain/sns-terminate-lifecycle-notification.json": Sample(
        "drain", Shape.SNS, "LifecycleHookTopicArn", "DrainRequest from sns"
    ),
    "drain/sns-terminate-to-warm-pool.json": Sample(
        "drain", Shape.SNS, "LifecycleHookTopicArn", "DrainRequest from sns"
    ),
    # It names no hook, so the subscription's hook-name filter keeps it from the function.
    "drain/sns-test-notification.json": Sample(
        "drain", Shape.SNS, "LifecycleHookTopicArn", "ignored: Auto Scaling test notification", reaches=False
    ),
    "drain/sqs-recheck.json": Sample("drain", Shape.SQS, "RecheckQueue", "DrainState attempt 3"),
    # -- scale ----------------------------------------------------------------------------------------
    "scale/eventbridge-service-cpu-high.json": Sample(
        "scale", Shape.EVENTBRIDGE, "ScaleFunctionAlarmStateChange", "AlarmTransition from eventbridge, follow-up 0"
    ),
    "scale/eventbridge-cluster-reservation-metric-math.json": Sample(
        "scale", Shape.EVENTBRIDGE, "ScaleFunctionAlarmStateChange", "AlarmTransition from eventbridge, follow-up 0"
    ),
    "scale/sns-service-cpu-high.json": Sample(
        "scale", Shape.SNS, "ScalingAlarmTopicArn", "AlarmTransition from sns, follow-up 0"
    ),
    "scale/sns-cluster-reservation-metric-math.json": Sample(
        "scale", Shape.SNS, "ScalingAlarmTopicArn", "AlarmTransition from sns, follow-up 0"
    ),
    "scale/eventbridge-service-task-placement-failure.json": Sample(
        "scale", Shape.EVENTBRIDGE, "ScaleFunctionPlacementFailure", "PlacementFailure of prod/web: RESOURCE:CPU"
    ),
    # An old short service ARN (service/<name>) names no cluster: the rule filters on detail.clusterArn.
    "scale/eventbridge-service-task-placement-failure-short-arn.json": Sample(
        "scale", Shape.EVENTBRIDGE, "ScaleFunctionPlacementFailure", "PlacementFailure of prod/web: RESOURCE:MEMORY"
    ),
    "scale/sqs-follow-up.json": Sample(
        "scale", Shape.SQS, "ScaleFollowUpQueue", "AlarmTransition from eventbridge, follow-up 1"
    ),
    # -- verify ---------------------------------------------------------------------------------------
    "verify/ecs-deployment-completed.json": Sample(
        "verify", Shape.EVENTBRIDGE, "VerifyFunctionDeploymentStateChange", "VerifyRequest from ecs-deployment-event"
    ),
    "verify/ecs-deployment-completed-short-arn.json": Sample(
        "verify", Shape.EVENTBRIDGE, "VerifyFunctionDeploymentStateChange", "VerifyRequest from ecs-deployment-event"
    ),
    "verify/ecs-deployment-in-progress.json": Sample(
        "verify", Shape.EVENTBRIDGE, "VerifyFunctionDeploymentStateChange", "ignored: deployment ecs-svc/"
    ),
    "verify/ecs-deployment-in-progress-rollback.json": Sample(
        "verify",
        Shape.EVENTBRIDGE,
        "VerifyFunctionDeploymentStateChange",
        "ReleaseFailure SERVICE_DEPLOYMENT_IN_PROGRESS",
    ),
    "verify/ecs-deployment-failed.json": Sample(
        "verify", Shape.EVENTBRIDGE, "VerifyFunctionDeploymentStateChange", "ReleaseFailure SERVICE_DEPLOYMENT_FAILED"
    ),
    "verify/codedeploy-hook.json": Sample(
        "verify", Shape.HOOK, "VerifyFunctionArn", "VerifyRequest from codedeploy-hook"
    ),
    "verify/ecs-lifecycle-hook.json": Sample(
        "verify", Shape.HOOK, "VerifyHookInvokeRoleArn", "VerifyRequest from ecs-lifecycle-hook"
    ),
    "verify/ecs-lifecycle-hook-callback.json": Sample(
        "verify", Shape.HOOK, "VerifyHookInvokeRoleArn", "VerifyRequest from ecs-lifecycle-hook, resuming its bake"
    ),
    "verify/direct-ci.json": Sample("verify", Shape.DIRECT, "VerifyFunctionArn", "VerifyRequest from direct"),
    "verify/sqs-bake-recheck.json": Sample("verify", Shape.SQS, "VerifyRecheckQueue", "BakeState look 2"),
}

# The setting through which each function sends its own delayed messages to its queue.
QUEUE_SETTING = {"drain": "RECHECK_QUEUE_URL", "scale": "FOLLOW_UP_QUEUE_URL", "verify": "RECHECK_QUEUE_URL"}
# Each function's ARN is an output: hooks and pipelines are pointed at it.
FUNCTION_OUTPUT = {"drain": "DrainFunctionArn", "scale": "ScaleFunctionArn", "verify": "VerifyFunctionArn"}
# A role output that a service assumes to invoke the function, and that service.
ROLE_PRINCIPAL = {"VerifyHookInvokeRoleArn": "ecs.amazonaws.com"}

GROUP = "prod-hosts"  # the Auto Scaling group every drain sample names
# Optional wiring on: the Spot rule, the group filter on the lifecycle rule (set to the samples' group),
# and the template's own scaling alarms for cluster prod and service web (the scale samples' alarms).
# Every cluster: the verify samples include a service ARN of the old short form, which names no cluster
# (a rule scoped to named clusters cannot match it: see test_the_verify_rule_of_named_clusters_...).
WIRED = {
    "DrainOnSpotInterruption": "true",
    "ClusterNames": "*",
    "AutoScalingGroupNames": GROUP,
    "AlarmClusterName": "prod",
    "AlarmServiceName": "web",
}
OTHER_GROUPS = {"ClusterNames": "batch", "AutoScalingGroupNames": "batch-hosts,gpu-hosts"}


def load(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def of_shape(shape: Shape) -> list[str]:
    return [name for name, sample in SAMPLES.items() if sample.shape is shape]


@dataclass
class Account:
    session: boto3.Session
    wired: DeployedStack  # WIRED parameters
    every: DeployedStack  # every cluster and group (*), every other parameter at its default
    other_groups: DeployedStack  # OTHER_GROUPS: the lifecycle rule names groups the samples are not in


@pytest.fixture(scope="module")
def account() -> Iterator[Account]:
    """Three stacks side by side in one simulated account, deployed once for the module (about 1 s)."""
    with simulated_aws():
        # Fake credentials: moto answers every call, and a real endpoint would refuse these.
        session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        yield Account(
            session,
            wired=deploy_stack(session, name="ecs-fleet-ops", parameters=WIRED),
            every=deploy_stack(session, name="every", parameters=EVERY_CLUSTER_AND_GROUP),
            other_groups=deploy_stack(session, name="other-groups", parameters=OTHER_GROUPS),
        )


def own_function(stack: DeployedStack, job: str) -> FunctionSpec:
    [function] = [f for f in stack.functions.values() if f.code.name == job]
    return function


def matching_rules(stack: DeployedStack, event: dict[str, Any]) -> list[str]:
    return [
        rule.name
        for rule in stack.rules
        if rule.enabled and EventPattern.load(json.dumps(rule.pattern)).matches_event(event)  # type: ignore[arg-type]
    ]


def logical_id_of(stack: DeployedStack, physical: str) -> str:
    [logical_id] = [logical for logical, ref in stack.physical.items() if ref == physical]
    return logical_id


# -- every sample is classified and documented -----------------------------------------------------


def test_every_sample_in_events_is_classified_in_this_table() -> None:
    on_disk = {path.relative_to(EVENTS).as_posix() for path in EVENTS.rglob("*.json")}
    assert on_disk == set(SAMPLES), (
        f"unclassified samples: {sorted(on_disk - set(SAMPLES))}; gone: {sorted(set(SAMPLES) - on_disk)}"
    )


def test_every_sample_is_listed_in_the_events_readme() -> None:
    readme = (EVENTS / "README.md").read_text()
    assert [name for name in SAMPLES if f"`{name}`" not in readme] == []


# -- each sample reaches its own function and no other ----------------------------------------------


@pytest.mark.parametrize("name", of_shape(Shape.EVENTBRIDGE))
def test_an_eventbridge_sample_matches_only_its_own_rule_which_may_invoke_only_its_own_function(
    account: Account, name: str
) -> None:
    sample, event, stack = SAMPLES[name], load(name), account.wired
    own = own_function(stack, sample.job)
    # Rules on the default bus see only their own account's and region's events.
    assert (event["account"], event["region"]) == (ACCOUNT, REGION)
    if not sample.reaches:
        assert matching_rules(stack, event) == matching_rules(account.every, event) == []
        return
    assert matching_rules(stack, event) == [stack.physical[sample.via]], f"{name} matches other rules, or none"
    [rule] = [r for r in stack.rules if r.name == stack.physical[sample.via]]
    assert [target.arn for target in rule.targets] == [own.arn]
    assert stack.may_invoke(own.arn, "events.amazonaws.com", rule.arn), f"{rule.name} may not invoke {own.name}"
    # An event the function cannot take (throttled, gone) is kept, not dropped.
    assert {target.dead_letter_arn for target in rule.targets} == {stack.attributes[("DeadLetterQueue", "Arn")]}


@pytest.mark.parametrize("name", of_shape(Shape.SNS))
def test_an_sns_sample_comes_from_a_topic_of_the_stack_subscribed_only_by_its_own_function(
    account: Account, name: str
) -> None:
    sample, event, stack = SAMPLES[name], load(name), account.wired
    own = own_function(stack, sample.job)
    topic_arn = stack.outputs[sample.via]
    topic = logical_id_of(stack, topic_arn)
    for record in event["Records"]:
        assert record["EventSource"] == "aws:sns"
        sent_to = record["Sns"]["TopicArn"]
        assert f":{stack.name}-{topic}-" in sent_to, f"{name} names topic {sent_to}, not the stack's {topic}"
        assert record["EventSubscriptionArn"].startswith(f"{sent_to}:")
    subscribers = [(s.protocol, s.endpoint) for s in stack.subscriptions if s.topic_arn == topic_arn]
    assert subscribers == [("lambda", own.arn)]
    assert stack.may_invoke(own.arn, "sns.amazonaws.com", topic_arn), f"{topic} may not invoke {own.name}"
    assert matching_rules(stack, event) == []
    messages = [record["Sns"]["Message"] for record in event["Records"]]
    assert [passes_filter(stack, topic_arn, m) for m in messages] == [sample.reaches] * len(messages)


@pytest.mark.parametrize("name", of_shape(Shape.SQS))
def test_an_sqs_sample_comes_from_the_queue_its_own_function_sends_to_and_only_it_reads(
    account: Account, name: str
) -> None:
    sample, event, stack = SAMPLES[name], load(name), account.wired
    own = own_function(stack, sample.job)
    queue_arn, queue_url = stack.attributes[(sample.via, "Arn")], stack.physical[sample.via]
    for record in event["Records"]:
        # The deployed queue's name differs (CloudFormation's random suffix): the sample must name the
        # same logical queue, and then comes from the deployed one.
        assert f":{stack.name}-{sample.via}-" in record["eventSourceARN"], record["eventSourceARN"]
        record["eventSourceARN"] = queue_arn
        mappings = [m for m in stack.event_source_mappings if m.queue_arn == record["eventSourceARN"]]
        # Partial batch responses: one bad record is retried (then dead-lettered) alone, not the batch.
        assert [(m.function_arn, m.report_batch_item_failures) for m in mappings] == [(own.arn, True)]
    # What lands on the queue is what the function itself sent there, and no other function sends to it.
    assert own.environment[QUEUE_SETTING[sample.job]] == queue_url
    senders = [f.logical_id for f in stack.functions.values() if queue_url in f.environment.values()]
    assert senders == [own.logical_id]
    assert matching_rules(stack, event) == []


@pytest.mark.parametrize("name", of_shape(Shape.HOOK) + of_shape(Shape.DIRECT))
def test_a_hook_or_pipeline_sample_invokes_the_exported_function_arn(account: Account, name: str) -> None:
    sample, event, stack = SAMPLES[name], load(name), account.wired
    own = own_function(stack, sample.job)
    assert stack.outputs[FUNCTION_OUTPUT[sample.job]] == own.arn
    assert f"{stack.name}-{FUNCTION_OUTPUT[sample.job]}" in stack.exports
    if sample.via in ROLE_PRINCIPAL:  # the caller assumes a role of the stack to invoke the function
        iam = account.session.client("iam")
        role = stack.outputs[sample.via].rsplit("/", 1)[-1]
        trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        assert {"Service": ROLE_PRINCIPAL[sample.via]} in [s["Principal"] for s in trust["Statement"]]
        statements = [
            statement
            for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]
            for statement in iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]["Statement"]
        ]
        assert allows(statements, "lambda:InvokeFunction", own.arn), f"{role} may not invoke {own.name}"
    assert matching_rules(stack, event) == []


def allows(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    def listed(value: Any, wanted: str) -> bool:
        return any(fnmatch.fnmatchcase(wanted, pattern) for pattern in ([value] if isinstance(value, str) else value))

    return any(
        s["Effect"] == "Allow" and listed(s["Action"], action) and listed(s["Resource"], resource) for s in statements
    )


# -- optional and narrowed wiring --------------------------------------------------------------------


def passes_filter(stack: DeployedStack, topic_arn: str, message: str) -> bool:
    """Whether the topic's subscription delivers the message (its filter policy, if any)."""
    [subscription] = [s for s in stack.subscriptions if s.topic_arn == topic_arn]
    if subscription.filter_policy is None:
        return True
    return bool(FilterPolicyMatcher(subscription.filter_policy, subscription.filter_policy_scope).matches({}, message))


LIFECYCLE_SAMPLES = [
    name for name in of_shape(Shape.EVENTBRIDGE) if load(name)["source"] == "aws.autoscaling" and SAMPLES[name].reaches
]


@pytest.mark.parametrize("name", LIFECYCLE_SAMPLES)
def test_a_lifecycle_action_reaches_the_drain_only_from_a_named_group_or_when_every_group_is_asked_for(
    account: Account, name: str
) -> None:
    event = load(name)
    assert event["detail"]["AutoScalingGroupName"] == GROUP
    assert matching_rules(account.other_groups, event) == []
    assert matching_rules(account.every, event) == [account.every.physical[SAMPLES[name].via]]


LIFECYCLE_SNS_SAMPLES = [name for name in of_shape(Shape.SNS) if SAMPLES[name].job == "drain" and SAMPLES[name].reaches]


def hook_topic_passes(stack: DeployedStack, message: str) -> bool:
    return passes_filter(stack, stack.outputs["LifecycleHookTopicArn"], message)


@pytest.mark.parametrize("name", LIFECYCLE_SNS_SAMPLES)
def test_a_hook_notification_by_sns_reaches_the_drain_only_from_a_named_group_or_when_every_group_is_asked_for(
    account: Account, name: str
) -> None:
    message = load(name)["Records"][0]["Sns"]["Message"]
    assert json.loads(message)["AutoScalingGroupName"] == GROUP
    assert hook_topic_passes(account.wired, message) and hook_topic_passes(account.every, message)
    assert not hook_topic_passes(account.other_groups, message)


def test_a_foreign_hooks_lifecycle_action_reaches_the_drain_by_neither_path_in_any_stack(account: Account) -> None:
    event = load("drain/eventbridge-terminate-foreign-hook.json")
    message = json.loads(load("drain/sns-terminate-lifecycle-notification.json")["Records"][0]["Sns"]["Message"])
    message["LifecycleHookName"] = event["detail"]["LifecycleHookName"]
    for stack in (account.wired, account.every, account.other_groups):
        assert matching_rules(stack, event) == [], stack.name
        assert not hook_topic_passes(stack, json.dumps(message)), stack.name
    # ECS managed instance draining's own hook, and a name that only contains the prefix, likewise.
    for hook in ("ecs-managed-draining-termination-hook", "k8s-ecs-fleet-ops-drain"):
        event["detail"]["LifecycleHookName"] = message["LifecycleHookName"] = hook
        assert matching_rules(account.every, event) == []
        assert not hook_topic_passes(account.every, json.dumps(message))


def test_the_stacks_own_hook_is_named_with_the_prefix_and_reaches_the_drain(account: Account) -> None:
    stack = deploy_stack(
        account.session,
        name="own-hook",
        parameters={
            "ClusterNames": "*",
            "AutoScalingGroupNames": GROUP,
            "HookAutoScalingGroupName": GROUP,
            "DrainHookNamePrefix": "team-a-drain",
        },
    )
    [hook] = account.session.client("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName=GROUP)[
        "LifecycleHooks"
    ]
    assert hook["LifecycleHookName"] == "team-a-drain-own-hook"
    assert own_function(stack, "drain").environment["DRAIN_HOOK_NAME_PREFIX"] == "team-a-drain"
    event = load("drain/eventbridge-terminate-lifecycle-action.json")
    event["detail"]["LifecycleHookName"] = hook["LifecycleHookName"]
    assert matching_rules(stack, event) == [stack.physical["DrainFunctionTerminateLifecycleAction"]]
    assert matching_rules(account.every, event) == []  # another stack's prefix: not its hook


def test_a_stack_whose_own_hook_group_is_not_listened_to_is_refused_before_anything_is_created(
    account: Account,
) -> None:
    with pytest.raises(TemplateError, match="AutoScalingGroupNames must include HookAutoScalingGroupName"):
        deploy_stack(
            account.session,
            name="deaf",
            parameters={"ClusterNames": "*", "AutoScalingGroupNames": "batch-hosts", "HookAutoScalingGroupName": GROUP},
        )


def test_a_spot_interruption_warning_reaches_no_function_unless_enabled(account: Account) -> None:
    assert matching_rules(account.every, load("drain/eventbridge-spot-interruption-warning.json")) == []


Metric = tuple[str, str, frozenset[tuple[str, str]]]  # namespace, name, dimensions


def alarm_in_eventbridge_event(event: dict[str, Any]) -> tuple[str, set[Metric]]:
    detail = event["detail"]
    metrics = [m["metricStat"]["metric"] for m in detail["configuration"]["metrics"] if "metricStat" in m]
    return detail["alarmName"], {(m["namespace"], m["name"], frozenset(m["dimensions"].items())) for m in metrics}


def alarm_in_sns_notification(event: dict[str, Any]) -> tuple[str, set[Metric]]:
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    trigger = message["Trigger"]
    # A metric-math alarm lists its inputs under Metrics; a single-metric alarm is the Trigger itself.
    metrics = [m["MetricStat"]["Metric"] for m in trigger.get("Metrics", []) if "MetricStat" in m] or [trigger]
    return message["AlarmName"], {
        (m["Namespace"], m["MetricName"], frozenset((d["name"], d["value"]) for d in m["Dimensions"])) for m in metrics
    }


PLACEMENT_FAILURE_SAMPLES = [name for name, sample in SAMPLES.items() if sample.via == "ScaleFunctionPlacementFailure"]


def in_cluster(event: dict[str, Any], cluster: str) -> dict[str, Any]:
    """The same event from a service of another cluster (its ARN names the cluster only in the long form)."""
    moved = json.loads(json.dumps(event).replace("cluster/prod", f"cluster/{cluster}"))
    moved["resources"] = [arn.replace("service/prod/", f"service/{cluster}/") for arn in moved["resources"]]
    return moved


@pytest.mark.parametrize("name", PLACEMENT_FAILURE_SAMPLES)
def test_a_placement_failure_reaches_the_scale_job_from_the_named_clusters_whatever_its_service_arn(
    account: Account, name: str
) -> None:
    # The other-groups stack names cluster batch: a placement failure there reaches the scale job, with a
    # long service ARN (service/batch/web) or an old short one (service/web), found by the event's clusterArn.
    stack, event = account.other_groups, load(name)
    assert matching_rules(stack, in_cluster(event, "batch")) == [stack.physical["ScaleFunctionPlacementFailure"]]
    # Cluster prod is not named there: its placement failure reaches no function of that stack.
    assert matching_rules(stack, event) == []


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in of_shape(Shape.EVENTBRIDGE) + of_shape(Shape.SNS)
        if SAMPLES[n].job == "scale" and n not in PLACEMENT_FAILURE_SAMPLES
    ],
)
def test_the_scale_samples_are_alarms_the_template_creates_for_cluster_prod_and_service_web(
    account: Account, name: str
) -> None:
    event = load(name)
    read = alarm_in_eventbridge_event if SAMPLES[name].shape is Shape.EVENTBRIDGE else alarm_in_sns_notification
    alarm_name, sample_metrics = read(event)
    [alarm] = account.session.client("cloudwatch").describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    metrics = [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m] or [alarm]
    assert sample_metrics == {
        (m["Namespace"], m["MetricName"], frozenset((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in metrics
    }


# -- each sample reads the way its function reads it ------------------------------------------------


def how_it_reads(command: object) -> str:
    match command:
        case DrainRequest(source=source):
            return f"DrainRequest from {source.value}"
        case ContainerInstanceEmptied():
            return "ContainerInstanceEmptied"
        case DrainState(attempt=attempt):
            return f"DrainState attempt {attempt}"
        case PlacementFailure(cluster=cluster, service=service, reason=reason):
            return f"PlacementFailure of {cluster}/{service}: {reason}"
        case AlarmTransition(source=source, follow_up=follow_up):
            return f"AlarmTransition from {source.value}, follow-up {follow_up}"
        case VerifyRequest(trigger=trigger, ecs_hook=hook):
            resuming = ", resuming its bake" if hook is not None and ECS_HOOK_BAKE_KEY in hook.hook_details else ""
            return f"VerifyRequest from {trigger.value}{resuming}"
        case ReleaseFailure(event_name=event_name):
            return f"ReleaseFailure {event_name}"
        case BakeState(attempt=attempt):
            return f"BakeState look {attempt}"
        case IgnoredEvent(reason=reason) | IgnoredVerifyEvent(reason=reason):
            return f"ignored: {reason}"
    raise AssertionError(f"not a command of any job: {command!r}")


SQS_BODY: dict[str, type[DrainState] | type[AlarmTransition] | type[BakeState]] = {
    "drain": DrainState,
    "scale": AlarmTransition,
    "verify": BakeState,
}


def read(sample: Sample, event: dict[str, Any]) -> list[object]:
    """What the function's handler does with the event before its own logic (see each job's service)."""
    assert is_sqs_batch(event) is (sample.shape is Shape.SQS)
    if sample.shape is Shape.SQS:
        model = SQS_BODY[sample.job]
        bodies = [record["body"] for record in event["Records"]]
        commands = [model.from_json(body) for body in bodies]
        # Exactly what the function sends: no key it would not write, none it would leave out.
        assert [json.loads(body) for body in bodies] == [json.loads(c.to_json()) for c in commands]
        return list(commands)
    if sample.job == "drain":
        return list(
            parse_drain_trigger(
                event,
                hook_name_prefix=DEFAULT_DRAIN_HOOK_NAME_PREFIX,
                auto_scaling_groups=Scope.every(),
                clusters=Scope.every(),
            )
        )
    if sample.job == "scale":
        return list(parse_scale_trigger(event))
    # The verify handler tells hooks apart before parsing: ECS's first, then CodeDeploy's.
    assert is_ecs_lifecycle_hook(event) is (sample.via in ROLE_PRINCIPAL)
    assert (codedeploy_hook_of(event) is not None) is (sample.shape is Shape.HOOK and sample.via not in ROLE_PRINCIPAL)
    return [parse_verify_trigger(event)]


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_reads_the_way_its_function_reads_it(name: str) -> None:
    sample = SAMPLES[name]
    commands = read(sample, load(name))
    assert commands, f"{name} gives its function nothing to do"
    for command in commands:
        reads_as = how_it_reads(command)
        # An ignored event's reason is long: its beginning says enough.
        fits = (
            reads_as.startswith(sample.reads_as)
            if sample.reads_as.startswith("ignored: ")
            else reads_as == sample.reads_as
        )
        assert fits, f"{name} reads as {reads_as!r}, not {sample.reads_as!r}"


# -- the samples tell one story in one account --------------------------------------------------------

_ACCOUNT_ID = re.compile(r"(?<![\w-])\d{12}(?![\w-])")
_ARN_REGION = re.compile(r"arn:aws:[a-z0-9-]+:([a-z0-9-]*):")
_STACK_NAME = re.compile(r"ecs-fleet-ops-[A-Za-z0-9-]+")
_GENERATED_NAME = re.compile(r"ecs-fleet-ops-([A-Za-z0-9]+)-[A-Z0-9]+")


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_names_the_one_account_region_and_stack(account: Account, name: str) -> None:
    text = (EVENTS / name).read_text()
    assert set(_ACCOUNT_ID.findall(text)) <= {ACCOUNT}
    assert set(_ARN_REGION.findall(text)) <= {REGION, ""}
    # Names CloudFormation generates for the stack ecs-fleet-ops: <stack>-<logical ID>-<suffix>. (Hook
    # names start with the default DrainHookNamePrefix, "ecs-fleet-ops-drain": they are not generated.)
    for physical_name in _STACK_NAME.findall(text):
        if physical_name.startswith(DEFAULT_DRAIN_HOOK_NAME_PREFIX):
            continue
        generated = _GENERATED_NAME.fullmatch(physical_name)
        assert generated and generated.group(1) in account.wired.resources, (
            f"{physical_name} is no resource of the stack"
        )
