"""Reports that fail and an idempotency store that is out, on the simulated account: nothing is lost and
no action is repeated.

1. The notification topic fails every Publish (SNS answering HTTP 500, past botocore's retries): an
   action already taken is recorded, its report's failure logged and counted (``ReportingErrors``),
   and the invocation succeeds, so neither Lambda nor SQS runs the decision again.
2. The idempotency store (DynamoDB) is out: the drain goes on without it (its steps are safe to
   repeat), the scale job fails closed (Lambda retries it later) and never acts twice, and a CodeDeploy
   hook is still answered.

The fleet is the example cluster with eight tasks (``busy_fleet``); the verification of a release is
the demo's ``bad_release``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import pytest
from moto.codedeploy.models import codedeploy_backends

from demo.stories import bad_release, simulated_day
from simulator.account import TimelineEntry
from simulator.cloudformation.transform import ACCOUNT, REGION
from simulator.faults import outage
from simulator.fleet.fleet import SimulatedFleet
from tests.integration.test_end_to_end_faults import (
    TASKS,
    busy_fleet,
    drains,
    run_past_the_hook_timeout,
    subjects,
    terminate,
)

pytestmark = pytest.mark.filterwarnings("ignore:Exception\\(ThrottlingException\\):UserWarning")

DAY = 24 * 3600
HOT = 0.9  # of the tasks' CPU: the service's CPU alarm (75 %, three minutes) fires, and stays in ALARM
# One step of the derived rule, which tracks the alarm's threshold: ceil(8 x 90 / 75) = 10 tasks. A second
# action on the same transition would size itself again from the transition's 90 % on the 10 running
# (ceil(10 x 90 / 75) = 12): a repeat shows in the counts.
ONE_STEP = math.ceil(TASKS * HOT * 100 / 75)
# Lambda's two retries (1 and 3 minutes after a failure) and the follow-ups a minute apart, which find the
# service on target, all come within this.
BEFORE_THE_FOLLOW_UP = 400


def scalings(fleet: SimulatedFleet) -> list[TimelineEntry]:
    return [e for e in fleet.account.timeline if e.function == "scale"]


def service_counts(fleet: SimulatedFleet) -> list[int]:
    """The service's desired count, each value it took, from the moment it ran its eight tasks."""
    counts = [count for _, count in fleet.record.desired_count]
    return counts[counts.index(TASKS) :]


@pytest.fixture
def fleet(aws: None) -> Iterator[SimulatedFleet]:
    with busy_fleet() as fleet:
        yield fleet


# -- 1. every Publish fails ------------------------------------------------------------------------------
def test_one_alarm_while_every_publish_fails_scales_the_service_one_step(fleet: SimulatedFleet) -> None:
    with outage(fleet.account, "sns", lasts=DAY, throttled=False) as sns:
        fleet.set_traffic(TASKS * fleet.definition.task_cpu * HOT)
        fleet.run_for(BEFORE_THE_FOLLOW_UP)

    assert service_counts(fleet) == [TASKS, ONE_STEP]  # 8 -> 10, not 8 -> 10 -> 12
    [scaled] = [e for e in scalings(fleet) if "ecs:UpdateService" in e.calls]
    assert scaled.error is None and "ReportingErrors" in scaled.metrics
    assert "Publish" in sns.refused  # the report was attempted, and failed
    assert not any(e.error for e in scalings(fleet))  # nothing for Lambda to retry
    assert fleet.account.dead_letters() == []


def test_a_drain_while_every_publish_fails_completes_once_with_the_right_outcome_and_no_dead_letter(
    fleet: SimulatedFleet,
) -> None:
    host = next(iter(fleet.hosts()))
    with outage(fleet.account, "sns", lasts=DAY, throttled=False):
        action = terminate(fleet, host)
        run_past_the_hook_timeout(fleet)

    assert fleet.tasks_lost() == 0
    assert (action.ended_by, action.result) == ("completion", "CONTINUE")
    assert not any(e.error for e in drains(fleet))
    # ECS's event of the emptied host completed the action; the one re-check that came afterwards stood
    # down quietly, and none came back to call it "completed elsewhere" or "timed out".
    [completion] = [e for e in drains(fleet) if "drain complete" in e.decision]
    assert completion.event == "ECS Container Instance State Change"
    assert "drain complete: no task is left on the host" in completion.decision
    assert {"DrainsCompleted", "ReportingErrors"} <= set(completion.metrics)
    [recheck] = [e for e in drains(fleet) if e.via == "SQS"]
    assert "DrainRechecksAfterEcsEvent" in recheck.metrics
    assert fleet.account.dead_letters() == []


def test_a_release_rolled_back_while_every_publish_fails_is_rolled_back_once(aws: None) -> None:
    with simulated_day() as fleet:
        with outage(fleet.account, "sns", lasts=DAY, throttled=False):
            facts = bad_release(fleet)
        verifications = [e for e in fleet.account.timeline if e.function == "verify"]
        rollbacks = [e for e in verifications if "ecs:UpdateService" in e.calls]
        assert [e.error for e in verifications if e.error] == []
        assert fleet.account.dead_letters() == []

    assert facts["rolled back"] == facts["running"] == [facts["released"][0]]  # once, to the good release
    [rollback] = rollbacks
    assert "verification FAILED" in rollback.decision and "ReportingErrors" in rollback.metrics


# -- 2. the idempotency store is out -----------------------------------------------------------------------
def test_a_five_minute_store_outage_during_a_termination_drains_the_host_and_loses_no_task(
    fleet: SimulatedFleet,
) -> None:
    host = next(iter(fleet.hosts()))
    with outage(fleet.account, "dynamodb", lasts=300) as store:
        action = terminate(fleet, host)
        run_past_the_hook_timeout(fleet)
    assert fleet.account.next_due() is None  # nothing left looping

    assert fleet.tasks_lost() == 0
    assert (action.ended_by, action.result) == ("completion", "CONTINUE")
    assert action.ended_at is not None and action.ended_at - action.started_at < action.heartbeat_timeout
    assert store.refused and not any(e.error for e in drains(fleet))
    assert fleet.account.dead_letters() == []
    # Both deliveries of the hook (EventBridge, SNS) started a drain without the store, and said so.
    starts = [e for e in drains(fleet) if "drain requested" in e.decision]
    assert [e.via for e in starts] == ["EventBridge", "SNS"]
    assert all("IdempotencyStoreUnavailable" in e.metrics for e in starts)
    # Two wait loops, each bounded: the first completed the action, the second stopped at its next look,
    # saying why it found the action ended.
    first, second = [e for e in drains(fleet) if e.via == "SQS"]
    assert "drain complete: no task is left on the host" in first.decision
    assert "a second copy of this drain" in second.decision
    assert subjects(fleet)[0] == f"ecs-fleet-ops drain of {host}: drained"


def test_a_thirty_second_store_outage_drains_the_host_once_the_second_loop_ends_as_a_duplicate(
    fleet: SimulatedFleet,
) -> None:
    host = next(iter(fleet.hosts()))
    with outage(fleet.account, "dynamodb", lasts=30):
        action = terminate(fleet, host)
        run_past_the_hook_timeout(fleet)

    assert fleet.tasks_lost() == 0
    assert (action.ended_by, action.result) == ("completion", "CONTINUE")
    assert not any(e.error for e in drains(fleet)) and fleet.account.dead_letters() == []
    # The store was back for the first re-check: the second loop's look was a duplicate of it.
    first, second = [e for e in drains(fleet) if e.via == "SQS"]
    assert "drain complete" in first.decision and "duplicate delivery" in second.decision
    assert subjects(fleet) == [f"ecs-fleet-ops drain of {host}: drained"]


def test_an_alarm_during_a_store_outage_fails_closed_and_is_acted_on_once_the_store_is_back(
    fleet: SimulatedFleet,
) -> None:
    fleet.set_traffic(TASKS * fleet.definition.task_cpu * HOT)
    fleet.run_for(170)  # the alarm goes to ALARM at 180 s
    with outage(fleet.account, "dynamodb", lasts=120):
        fleet.run_for(BEFORE_THE_FOLLOW_UP)

    assert service_counts(fleet) == [TASKS, ONE_STEP]
    failed, *retries = scalings(fleet)
    # No decision without the store (its cooldown ledger is there too): Lambda retried later.
    assert failed.error is not None and "IdempotencyStoreUnavailableError" in failed.error
    assert "ecs:UpdateService" not in failed.calls and "IdempotencyStoreUnavailable" in failed.metrics
    # One of Lambda's retries scaled, once; the follow-ups a datapoint apart found the service on target.
    [scaled] = [e for e in retries if "ecs:UpdateService" in e.calls]
    assert "(retry" in scaled.event
    assert fleet.account.dead_letters() == []


def test_an_alarm_whose_decision_cannot_be_recorded_after_scaling_is_not_acted_on_again(
    fleet: SimulatedFleet,
) -> None:
    fleet.set_traffic(TASKS * fleet.definition.task_cpu * HOT)
    fleet.run_for(170)
    # The store fails from the moment the service is scaled: the decision's record (UpdateItem) is not
    # saved. Lambda would retry a failed invocation after the cooldown, and scale again.
    with outage(fleet.account, "dynamodb", lasts=DAY, operations={"UpdateItem"}):
        fleet.run_for(BEFORE_THE_FOLLOW_UP - 170)

    assert service_counts(fleet) == [TASKS, ONE_STEP]
    first, *follow_ups = scalings(fleet)
    assert "ecs:UpdateService" in first.calls
    assert first.error is None and "IdempotencyStoreUnavailable" in first.metrics  # nothing for Lambda to retry
    # The follow-ups a datapoint apart read the alarm's new datapoints and found the service on target.
    assert all(e.error is None and "ecs:UpdateService" not in e.calls for e in follow_ups)


def test_a_codedeploy_hook_during_a_store_outage_is_still_answered(aws: None) -> None:
    with simulated_day() as fleet:  # the service's smoke check is configured, and passes
        deployment = codedeploy_deployment(fleet)
        with outage(fleet.account, "dynamodb", lasts=DAY) as store:
            result = fleet.account.invoke(
                "verify",
                {"DeploymentId": deployment, "LifecycleEventHookExecutionId": "exec-during-outage"},
                description="CodeDeploy AfterAllowTestTraffic hook",
                source="CodeDeploy",
            )
        hook = fleet.account.timeline[-1]

    assert fleet.verify_gaps.hook_answers == {"exec-during-outage": "Succeeded"}
    assert result["verdict"] == "PASSED" and "smoke" in {check["name"] for check in result["checks"]}
    assert "PutItem" in store.refused and "IdempotencyStoreUnavailable" in hook.metrics


def codedeploy_deployment(fleet: SimulatedFleet) -> str:
    """A CodeDeploy blue/green deployment of the example's service; its id, as CodeDeploy spells them."""
    d = fleet.definition
    codedeploy = fleet.clients("codedeploy")
    codedeploy.create_application(applicationName="web-app", computePlatform="ECS")
    codedeploy.create_deployment_group(
        applicationName="web-app",
        deploymentGroupName="web-dg",
        serviceRoleArn=f"arn:aws:iam::{ACCOUNT}:role/codedeploy",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        ecsServices=[{"serviceName": d.service_name, "clusterName": d.cluster_name}],
    )
    moto_id = codedeploy.create_deployment(
        applicationName="web-app",
        deploymentGroupName="web-dg",
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": "{}"}},
    )["deploymentId"]
    backend: Any = codedeploy_backends[ACCOUNT][REGION]
    real_id = "d-" + "".join(random.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=9))
    deployment = backend.deployments.pop(moto_id)
    deployment.deployment_id = real_id
    backend.deployments[real_id] = deployment
    return real_id
