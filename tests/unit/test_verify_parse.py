"""Every trigger shape becomes one typed command; anything else is a clear BadInputError."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from fleetops.errors import BadInputError
from fleetops.models.verify import (
    BakeState,
    CheckName,
    CheckResult,
    CheckStatus,
    CodeDeployHook,
    IgnoredVerifyEvent,
    ReleaseFailure,
    ServiceRef,
    VerifyRequest,
    VerifyTrigger,
)
from fleetops.verify.parse import parse_service_arn, parse_trigger
from simulator.ecs.deployments import codedeploy_hook_event, deployment_event, ecs_hook_event, short_service_arn

SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
EVENTS = Path(__file__).resolve().parents[2] / "events" / "verify"


def test_a_completed_deployment_starts_a_verification_keyed_by_event_and_deployment() -> None:
    request = parse_trigger(deployment_event(SERVICE_ARN, "SERVICE_DEPLOYMENT_COMPLETED", "ecs-svc/42"))
    assert isinstance(request, VerifyRequest)
    assert request.service == ServiceRef("web", "prod", "us-east-1", "123456789012")
    assert request.trigger is VerifyTrigger.ECS_EVENT
    assert request.idempotency_key == "ecs-event:SERVICE_DEPLOYMENT_COMPLETED:ecs-svc/42"


def test_an_old_short_service_arn_names_no_cluster_which_is_derived_later() -> None:
    request = parse_trigger(deployment_event(short_service_arn("web"), "SERVICE_DEPLOYMENT_COMPLETED", "ecs-svc/42"))
    assert isinstance(request, VerifyRequest) and request.service is not None
    assert request.service.cluster is None
    assert request.service.service == "web"


def test_a_failed_deployment_is_a_release_failure_never_a_success() -> None:
    event = deployment_event(
        SERVICE_ARN,
        "SERVICE_DEPLOYMENT_FAILED",
        "ecs-svc/42",
        reason="ECS deployment circuit breaker: task failed to start.",
        event_type="ERROR",
    )
    failure = parse_trigger(event)
    assert isinstance(failure, ReleaseFailure)
    assert "task failed to start" in failure.reason


def test_a_circuit_breaker_rolling_back_is_a_release_failure() -> None:
    reason = "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/41."
    failure = parse_trigger(
        deployment_event(SERVICE_ARN, "SERVICE_DEPLOYMENT_IN_PROGRESS", "ecs-svc/43", reason=reason)
    )
    assert isinstance(failure, ReleaseFailure)
    assert failure.reason == reason


def test_a_deployment_starting_is_acknowledged_and_ignored() -> None:
    ignored = parse_trigger(deployment_event(SERVICE_ARN, "SERVICE_DEPLOYMENT_IN_PROGRESS", "ecs-svc/42"))
    assert isinstance(ignored, IgnoredVerifyEvent)


def test_a_codedeploy_hook_carries_the_ids_to_answer() -> None:
    request = parse_trigger(codedeploy_hook_event("d-ABCDEF123", "exec-1"))
    assert isinstance(request, VerifyRequest)
    assert request.codedeploy_hook == CodeDeployHook("d-ABCDEF123", "exec-1")
    assert request.idempotency_key == "codedeploy:exec-1"


def test_an_ecs_lifecycle_hook_is_never_deduplicated_because_ecs_calls_it_again_on_purpose() -> None:
    request = parse_trigger(ecs_hook_event(SERVICE_ARN))
    assert isinstance(request, VerifyRequest) and request.ecs_hook is not None
    assert request.ecs_hook.lifecycle_stage == "POST_TEST_TRAFFIC_SHIFT"
    assert request.idempotency_key is None


def test_an_ecs_lifecycle_hook_names_its_service_deployment_for_the_hook_s_deadline() -> None:
    event = ecs_hook_event(SERVICE_ARN)
    request = parse_trigger(event)
    assert isinstance(request, VerifyRequest) and request.ecs_hook is not None
    assert request.ecs_hook.service_deployment_arn == event["resourceArn"]
    odd = parse_trigger({**event, "resourceArn": "arn:aws:ecs:us-east-1:123456789012:service/prod/web"})
    assert isinstance(odd, VerifyRequest) and odd.ecs_hook is not None
    assert odd.ecs_hook.service_deployment_arn == ""  # not a service deployment: nothing to describe


def test_a_direct_invocation_takes_cluster_service_and_expectations() -> None:
    request = parse_trigger({"cluster": "prod", "service": "web", "expected_image": "repo/web@sha256:" + "a" * 64})
    assert isinstance(request, VerifyRequest)
    assert request.trigger is VerifyTrigger.DIRECT
    assert request.service == ServiceRef("web", "prod")
    assert request.expected_image is not None


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([], "not a JSON object"),
        ({"hello": "world"}, "unknown event shape"),
        ({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2"}, "unknown EventBridge event"),
        (
            deployment_event("arn:aws:ecs:us-east-1:123456789012:cluster/prod", "SERVICE_DEPLOYMENT_COMPLETED", "x"),
            "service ARN",
        ),
        (deployment_event(SERVICE_ARN, "SERVICE_DEPLOYMENT_EXPLODED", "ecs-svc/1"), "unknown ECS deployment event"),
        ({"DeploymentId": "d-ABCDEF123"}, "LifecycleEventHookExecutionId"),
        ({"DeploymentId": "../../etc", "LifecycleEventHookExecutionId": "x"}, "not a CodeDeploy deployment id"),
        (
            {"executionDetails": {"serviceArn": "nope"}, "executionId": "e", "lifecycleStage": "S"},
            "not an ECS service ARN",
        ),
        ({"service": "web"}, "cluster must be"),
        ({"cluster": "prod", "service": "web", "rollback_everything": True}, "unknown keys"),
        ({"cluster": "prod", "service": "web; rm -rf /"}, "service must be"),
        ({"cluster": "prod", "service": "web"}, "name the release to verify: expected_task_definition"),
        ({"cluster": "prod", "service": "web", "expected_task_definition": "web"}, "family:revision or a task"),
        ({"cluster": "prod", "service": "web", "expected_task_definition": "web:latest"}, "family:revision or a task"),
    ],
)
def test_bad_input_is_refused_with_a_reason(event: object, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        parse_trigger(event)


def test_service_arns_in_both_formats() -> None:
    assert parse_service_arn(SERVICE_ARN).cluster == "prod"
    assert parse_service_arn(short_service_arn("web")).cluster is None


def test_bake_state_survives_the_queue_and_rejects_garbage() -> None:
    state = BakeState(
        service=ServiceRef("web", "prod"),
        service_arn=SERVICE_ARN,
        deployment_id="ecs-svc/1",
        task_definition="web:2",
        trigger=VerifyTrigger.ECS_EVENT,
        started_at=1.0,
        bake_until=301.0,
        checks=(CheckResult(CheckName.TASKS, CheckStatus.PASSED, "4/4", ("e",)),),
        codedeploy_hook=CodeDeployHook("d-ABCDEF123", "x"),
        alarms=("web-5xx",),
        attempt=2,
        bake_id="3f1c",
        checks_overridden=True,
    )
    assert BakeState.from_json(state.to_json()) == state
    with pytest.raises(BadInputError):
        BakeState.from_json('{"version": 1}')
    with pytest.raises(BadInputError):
        BakeState.from_json("not json")


def test_two_bakes_of_one_deployment_never_share_an_idempotency_key() -> None:
    test_traffic = BakeState(
        service=ServiceRef("web", "prod"),
        service_arn=SERVICE_ARN,
        deployment_id="d-ABCDEF123",
        task_definition=None,
        trigger=VerifyTrigger.CODEDEPLOY_HOOK,
        started_at=1.0,
        bake_until=301.0,
        checks=(),
        codedeploy_hook=CodeDeployHook("d-ABCDEF123", "exec-test-traffic"),
        bake_id="bake-1",
    )
    all_traffic = replace(test_traffic, codedeploy_hook=CodeDeployHook("d-ABCDEF123", "exec-all"), bake_id="bake-2")
    assert test_traffic.idempotency_key != all_traffic.idempotency_key
    # A message queued before bake ids existed still keeps the two hooks apart.
    assert replace(test_traffic, bake_id="").idempotency_key != replace(all_traffic, bake_id="").idempotency_key


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("ecs-deployment-completed.json", VerifyRequest),
        ("ecs-deployment-completed-short-arn.json", VerifyRequest),
        ("ecs-deployment-failed.json", ReleaseFailure),
        ("ecs-deployment-in-progress-rollback.json", ReleaseFailure),
        ("codedeploy-hook.json", VerifyRequest),
        ("ecs-lifecycle-hook.json", VerifyRequest),
        ("direct-ci.json", VerifyRequest),
    ],
)
def test_every_sample_event_in_events_verify_parses(sample: str, kind: type) -> None:
    event = json.loads((EVENTS / sample).read_text())
    assert isinstance(parse_trigger(event), kind)


def test_a_circuit_breaker_rollback_names_the_deployment_it_returns_to() -> None:
    failure = parse_trigger(json.loads((EVENTS / "ecs-deployment-in-progress-rollback.json").read_text()))

    assert isinstance(failure, ReleaseFailure)
    assert failure.rolled_back_to == "ecs-svc/6538016222865037559"
    # Until DescribeServices says which deployment failed, the event's own deployment stands in.
    assert failure.idempotency_key == "release-failed:ecs-svc/8823411152009923456"
