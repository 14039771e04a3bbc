"""The template is wired the way the code expects: patterns match real events, every AWS call the
function makes is allowed, every setting the code reads is set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetops.settings import DrainSettings
from tests.support.template import Template
from tests.support.world import DrainWorld

EVENTS = Path(__file__).resolve().parents[2] / "events" / "drain"


def event(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((EVENTS / name).read_text())


def test_the_lifecycle_rule_matches_the_event_auto_scaling_sends() -> None:
    template = Template()
    assert template.matches("DrainFunction", event("eventbridge-terminate-lifecycle-action.json"))
    assert not template.matches("DrainFunction", event("eventbridge-spot-interruption-warning.json"))


def test_named_groups_narrow_the_rule_to_their_own_events() -> None:
    template = Template(parameters={"AutoScalingGroupNames": ["prod-hosts", "batch-hosts"]})
    sample = event("eventbridge-terminate-lifecycle-action.json")
    assert template.matches("DrainFunction", sample)
    sample["detail"]["AutoScalingGroupName"] = "someone-elses-group"
    assert not template.matches("DrainFunction", sample)


def test_spot_warnings_reach_the_drain_only_when_enabled() -> None:
    spot = event("eventbridge-spot-interruption-warning.json")
    assert not Template().matches("DrainFunction", spot)
    assert Template(parameters={"DrainOnSpotInterruption": "true"}).matches("DrainFunction", spot)


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
    }
    assert read_by_code <= set(environment)
    # The defaults the template passes are valid settings.
    resolved = {k: str(v) for k, v in Template().resolve(environment).items() if not isinstance(v, dict)}
    DrainSettings.from_environment(
        {**resolved, "RECHECK_QUEUE_URL": "q", "DEAD_LETTER_QUEUE_URL": "d", "IDEMPOTENCY_TABLE": "t"}
    )


def test_the_recheck_queue_and_hook_topic_invoke_the_drain() -> None:
    template = Template()
    [sqs] = template.function_events("DrainFunction", "SQS").values()
    assert sqs["Queue"] == {"Fn::GetAtt": ["RecheckQueue", "Arn"]}
    assert sqs["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    [sns] = template.function_events("DrainFunction", "SNS").values()
    assert sns["Topic"] == {"Ref": "LifecycleHookTopic"}


@pytest.mark.parametrize("cluster_names", [[], ["prod"]])
def test_every_aws_call_of_a_drain_is_allowed_by_the_functions_policy(aws: None, cluster_names: list[str]) -> None:
    world = DrainWorld(environment={"CLUSTER_NAMES": ",".join(cluster_names), "NOTIFY_EVERY_DRAIN": "true"})
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
    called = set(world.api.calls)
    allowed = Template(parameters={"ClusterNames": cluster_names}).policy_actions("DrainFunction")
    missing = {call for call in called if call not in allowed}
    assert not missing, f"the template's policy lacks {sorted(missing)}"
    assert {"ecs:StopTask", "autoscaling:CompleteLifecycleAction", "sns:Publish"} <= called
