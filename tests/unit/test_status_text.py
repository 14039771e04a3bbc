"""What `make status` prints, from plain data: the records of the tables read into a snapshot
(``SuiteRecords``), and the snapshot as sentences and tables or as JSON (``status_text``)."""

from __future__ import annotations

import json
from dataclasses import replace

import boto3
from botocore.stub import Stubber

from fleetops.idempotency import RECORD_LIFETIME_SECONDS
from fleetops.models.drain import DrainState
from fleetops.models.lifecycle import LifecycleAction
from fleetops_cli.status_snapshot import (
    Cooldown,
    DrainInFlight,
    KnownGood,
    Rollbacks,
    ScaleDecision,
    Snapshot,
    SuiteRecords,
    SuiteStack,
    Verification,
    read_snapshot,
)
from fleetops_cli.status_text import MAX_ROWS, status_document, status_text

NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
STACK = SuiteStack(
    "prod-fleet-ops", "table", "state", ("drain", "scale", "verify"), ("Live: scaling decisions are carried out.",)
)
CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
ACTION = LifecycleAction("prod-hosts", "ecs-fleet-ops-drain", "token-1", "i-0abc")


def drain_state(*, started: float = NOW - 600, deadline: float = NOW + 3000) -> DrainState:
    return DrainState(
        cluster_arn=CLUSTER,
        container_instance_arn="arn:aws:ecs:us-east-1:123456789012:container-instance/prod/ci-1",
        ec2_instance_id="i-0abc",
        lifecycle_action=ACTION,
        started_at=started,
        deadline=deadline,
        tasks_at_start=5,
        heartbeat_timeout=900,
        kept_alive_at=NOW - 60,
        global_timeout=172800,
    )


def snapshot(**sections: object) -> Snapshot:
    return Snapshot(stack=STACK, now=NOW, since=NOW - 86400, **sections)  # type: ignore[arg-type]


# -- reading the records ----------------------------------------------------------------------------------
def powertools_record(key: str, result: dict[str, object], saved_at: float) -> dict[str, dict[str, str]]:
    """A COMPLETED record as Powertools Idempotency keeps it in DynamoDB."""
    return {
        "id": {"S": key},
        "status": {"S": "COMPLETED"},
        "data": {"S": json.dumps(result)},
        "expiration": {"N": str(int(saved_at + RECORD_LIFETIME_SECONDS))},
    }


def test_the_tables_records_are_told_apart_by_kind_and_old_decisions_are_left_out() -> None:
    records = SuiteRecords(since=NOW - 3600)
    state = drain_state()
    records.read_job_record({"id": {"S": "drain:i-0abc"}, "state": {"S": state.to_json()}, "token": {"S": "t"}})
    done = replace(state, ec2_instance_id="i-0def")
    records.read_job_record(
        {"id": {"S": "drain:i-0def"}, "state": {"S": done.to_json()}, "completed_by": {"S": "ecs-event"}}
    )
    records.read_job_record(
        {
            "id": {"S": "cooldown:service:prod/web"},
            "last_scaled_at": {"N": f"{NOW - 30:.3f}"},
            "direction": {"S": "out"},
            "caused_by": {"S": "web-cpu-high:ALARM"},
            "target": {"N": "6"},
            "cooldown_seconds": {"N": "60"},
        }
    )
    decided = {
        "status": "decided",
        "alarm": "web-cpu-high",
        "outcome": "service-scaled-out",
        "acted": True,
        "reason": "r",
    }
    records.read_job_record(powertools_record("fn.fleetops.scale.service._decide#1", decided, NOW - 30))
    records.read_job_record(powertools_record("fn.fleetops.scale.service._decide#2", decided, NOW - 7200))  # too old
    placed = {"status": "decided", "service": "web", "outcome": "cluster-scaled-out", "acted": True, "reason": "p"}
    records.read_job_record(powertools_record("fn.fleetops.scale.service._decide_placement#5", placed, NOW - 20))
    verified = {
        "verdict": "FAILED",
        "service": "prod/web",
        "reason": "smoke failed",
        "rollback": {"action": "update-service", "reason": "back to web:1"},
    }
    records.read_job_record(powertools_record("fn.fleetops.verify.service._on_event#3", verified, NOW - 10))
    records.read_job_record(powertools_record("fn.fleetops.drain.service._start#4", {"status": "wait"}, NOW - 10))
    records.read_job_record({"id": {"S": "drain:i-0bad"}, "state": {"S": "{not json"}})

    assert [s.ec2_instance_id for s in records.drains] == ["i-0abc"]  # the completed one is not in flight
    assert records.cooldowns == [Cooldown("service:prod/web", NOW - 30, "out", "web-cpu-high:ALARM", 6, 60)]
    assert records.decisions == [
        ScaleDecision(NOW - 30, "web-cpu-high", "service-scaled-out", True, False, "r"),
        ScaleDecision(NOW - 20, "placement failure of web", "cluster-scaled-out", True, False, "p"),
    ]
    assert records.verifications == [
        Verification(NOW - 10, "prod/web", "FAILED", "smoke failed", None, "update-service: back to web:1")
    ]
    assert records.unreadable == ["drain:i-0bad"]  # named, not fatal


def test_the_verify_state_table_gives_recent_rollbacks_and_known_good_releases() -> None:
    records = SuiteRecords(since=NOW - 3600)
    arn = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
    records.read_verify_state(
        {"id": {"S": f"rollbacks#{arn}"}, "times": {"NS": [str(NOW - 7200), str(NOW - 60)]}, "version": {"N": "2"}}
    )
    records.read_verify_state(
        {
            "id": {"S": f"known-good#{arn}"},
            "task_definition": {"S": "arn:aws:ecs:::task-definition/web:1"},
            "verified_at": {"N": str(NOW - 600)},
        }
    )
    records.read_verify_state({"id": {"S": "rollback-deployment#ecs-svc/1"}, "started_by": {"S": "verify"}})
    assert records.rollbacks == [Rollbacks(arn, (NOW - 60,))]  # the one before the window is left out
    assert records.known_good == [KnownGood(arn, "arn:aws:ecs:::task-definition/web:1", NOW - 600)]


# -- the text -----------------------------------------------------------------------------------------------
def test_a_quiet_suite_is_said_in_one_sentence_per_section() -> None:
    text = status_text(snapshot())
    assert text.startswith(
        "ecs-fleet-ops stack prod-fleet-ops at 2026-01-01 00:00:00 UTC. Jobs switched on: drain, scale, verify."
    )
    assert "Live: scaling decisions are carried out." in text
    assert "No drain in flight." in text
    assert "No target scaled recently (no cooldown recorded)." in text
    assert "No scale decision since 2025-12-31 00:00:00 UTC." in text
    assert "No verification since 2025-12-31 00:00:00 UTC." in text
    off = replace(snapshot(), stack=replace(STACK, jobs=("drain", "scale")))
    assert "Verifications: the verify job is switched off in this stack." in status_text(off)


def test_a_drain_shows_its_host_age_tasks_left_budget_and_the_lifecycle_action_s_timeouts() -> None:
    text = status_text(snapshot(drains=(DrainInFlight(drain_state(), tasks_left=2, host_status="DRAINING"),)))
    assert "Drains in flight: 1." in text
    [row] = [line for line in text.splitlines() if line.strip().startswith("i-0abc")]
    for cell in ("prod", "ci-1", "10 min 0 s", "2 of 5", "2026-01-01 00:50:00 (in 50 min 0 s)"):
        assert cell in row
    assert "heartbeat due by 2026-01-01 00:14:00, ends at the latest 2026-01-02 23:50:00" in row
    assert "ATTENTION" not in text


def test_a_drain_past_its_budget_and_a_host_gone_are_said_in_sentences() -> None:
    late = DrainInFlight(drain_state(started=NOW - 7200, deadline=NOW - 300), tasks_left=1, host_status="DRAINING")
    gone = DrainInFlight(replace(drain_state(), ec2_instance_id="i-0def"), tasks_left=None, host_status="gone")
    text = status_text(snapshot(drains=(late, gone)))
    assert (
        "ATTENTION: the drain of i-0abc is past its budget by 5 min 0 s and still recorded in flight: its re-checks "
        "stopped. Look in the dead-letter queue (DeadLetterQueueUrl) and at the drain function's errors."
    ) in text
    assert "The container instance of i-0def is no longer registered with ECS" in text
    assert "host gone" in text


def test_cooldowns_say_how_long_they_still_hold_back_or_that_they_are_over() -> None:
    cooling = Cooldown("service:prod/web", NOW - 30, "out", "web-cpu-high:ALARM", 6, 60)
    over = Cooldown("cluster:prod", NOW - 900, "in", None, None, 300)
    unknown = Cooldown("service:prod/api", NOW - 900, "in", None, 2, None)
    text = status_text(snapshot(cooldowns=(cooling, over, unknown)))
    assert "cooling down until 2026-01-01 00:00:30 (30 s left)" in text
    assert "over (300 s)" in text
    assert "length not recorded" in text  # recorded by a version that did not keep the length
    assert "scaled out to 6" in text and "web-cpu-high:ALARM" in text


def test_decisions_are_newest_first_with_at_most_twenty_rows_and_a_dry_run_is_said() -> None:
    decisions = tuple(
        ScaleDecision(NOW - i, "web-cpu-high", "service-scaled-out", False, True, f"would have scaled {i}")
        for i in range(MAX_ROWS + 3)
    )
    text = status_text(snapshot(decisions=decisions))
    assert f"Scale decisions since 2025-12-31 00:00:00 UTC: {MAX_ROWS + 3}, newest first." in text
    assert "  ... and 3 older (see --json)." in text
    assert "dry run" in text
    assert len(status_document(snapshot(decisions=decisions))["scale_decisions"]) == MAX_ROWS + 3


def test_verifications_rollbacks_and_known_good_releases_are_said_per_service() -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
    text = status_text(
        snapshot(
            verifications=(
                Verification(
                    NOW - 60, "prod/web", "FAILED", "smoke check failed", "ecs-svc/2", "update-service: back to web:1"
                ),
            ),
            rollbacks=(Rollbacks(arn, (NOW - 60,)),),
            known_good=(KnownGood(arn, "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1", NOW - 3600),),
        )
    )
    assert "FAILED" in text and "smoke check failed" in text and "update-service: back to web:1" in text
    assert "Rolled back by the verify job: prod/web at 2025-12-31 23:59:00 UTC." in text
    assert (
        "Known-good release of prod/web: web:1 (verified 2025-12-31 23:00:00 UTC); a rollback goes back to it." in text
    )


def test_the_json_document_has_every_section_with_iso_times() -> None:
    document = status_document(
        snapshot(
            drains=(DrainInFlight(drain_state(), tasks_left=2, host_status="DRAINING"),),
            cooldowns=(Cooldown("service:prod/web", NOW - 30, "out", "web-cpu-high:ALARM", 6, 60),),
            unreadable=("drain:i-0bad",),
        )
    )
    assert document["at"] == "2026-01-01T00:00:00Z"
    [drain] = document["drains_in_flight"]
    assert (
        drain["deadline"] == "2026-01-01T00:50:00Z"
        and drain["tasks_left"] == 2
        and drain["lifecycle_hook"] == "ecs-fleet-ops-drain"
    )
    [cooldown] = document["cooldowns"]
    assert cooldown["cooldown_ends_at"] == "2026-01-01T00:00:30Z" and cooldown["cooling_down"] is True
    assert document["unreadable_records"] == ["drain:i-0bad"]
    json.dumps(document)  # plain JSON all through


# -- reading page by page ---------------------------------------------------------------------------------
def test_every_scan_page_and_every_hundred_hosts_are_read() -> None:
    # A Scan page holds at most 1 MB, the rest behind LastEvaluatedKey ("Scanning tables"), and
    # DescribeContainerInstances takes at most 100 container instances a call (ECS API Reference): 150 drains
    # in flight, written across two pages, are all shown, their hosts asked for in two calls.
    def drain_item(number: int) -> dict[str, dict[str, str]]:
        state = replace(
            drain_state(started=NOW - 600 + number),
            container_instance_arn=f"arn:aws:ecs:us-east-1:123456789012:container-instance/prod/ci-{number}",
            ec2_instance_id=f"i-{number:04d}",
        )
        return {"id": {"S": f"drain:i-{number:04d}"}, "state": {"S": state.to_json()}}

    dynamodb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    ecs = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(dynamodb) as tables, Stubber(ecs) as hosts:
        first, second = [drain_item(n) for n in range(100)], [drain_item(n) for n in range(100, 150)]
        tables.add_response("scan", {"Items": first, "LastEvaluatedKey": {"id": {"S": "drain:i-0099"}}})
        tables.add_response(
            "scan",
            {"Items": second},
            {"TableName": "table", "ConsistentRead": True, "ExclusiveStartKey": {"id": {"S": "drain:i-0099"}}},
        )
        tables.add_response("scan", {"Items": []})  # the verify state table
        for batch in (range(100), range(100, 150)):
            arns = [f"arn:aws:ecs:us-east-1:123456789012:container-instance/prod/ci-{n}" for n in batch]
            described = [{"containerInstanceArn": arn, "status": "DRAINING", "runningTasksCount": 1} for arn in arns]
            hosts.add_response(
                "describe_container_instances",
                {"containerInstances": described},
                {"cluster": CLUSTER, "containerInstances": arns},
            )
        shown = read_snapshot(STACK, dynamodb, ecs, now=NOW, since=NOW - 86400)
        tables.assert_no_pending_responses()
        hosts.assert_no_pending_responses()
    assert len(shown.drains) == 150 and all(drain.tasks_left == 1 for drain in shown.drains)
