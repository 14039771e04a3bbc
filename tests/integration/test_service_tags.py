"""A service team configures its own service with tags, without a redeploy of the platform's stack: the
deployed functions read them in the DescribeServices they already make, and a bad tag is announced once."""

from __future__ import annotations

from typing import Any

import boto3

from fleetops.aws.bad_tags import BadTagReports
from fleetops.aws.clients import AwsClients
from fleetops.aws.messaging import Notifier
from fleetops.service_tags import BadTag
from simulator.http_server import Route, local_http_server
from simulator.worlds.scale import ScaleWorld
from simulator.worlds.verify import VerifyWorld, revision_of


def tag(world: VerifyWorld | ScaleWorld, service_arn: str, **tags: str) -> None:
    """The service team's TagResource (keys written with ``__`` for ``:`` and ``_`` for ``-``)."""
    pairs = [{"key": k.replace("__", ":").replace("_", "-"), "value": v} for k, v in tags.items()]
    world.session.client("ecs").tag_resource(resourceArn=service_arn, tags=pairs)


def bad_tag_notes(notes: list[dict[str, str]]) -> list[dict[str, str]]:
    return [note for note in notes if note["subject"].startswith("ATTENTION ecs-fleet-ops: tag ")]


def smoke(report: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == "smoke")


def test_a_tagged_service_gets_its_smoke_check_and_a_bad_tag_is_announced_once_until_its_value_changes(
    verify: VerifyWorld,
) -> None:
    release = verify.given_a_release()
    with local_http_server({"/ready": Route(200, "ok")}) as server:
        tag(
            verify,
            release.service_arn,
            fleetops__verify__smoke_urls=server.url("/ready"),  # 127.0.0.1: on SmokeAllowedHosts
            fleetops__verify__bake_seconds="soon",
        )

        # The first event: the smoke check the tag names runs; the bad bake is left out and announced.
        report = verify.invoke(verify.completed_event(release))
        assert report["verdict"] == "PASSED" and smoke(report)["status"] == "PASSED"
        assert server.hits("/ready") == 1
        [note] = bad_tag_notes(verify.notifications())
        assert note["subject"] == "ATTENTION ecs-fleet-ops: tag fleetops:verify:bake-seconds of service web ignored"
        assert note["message"].startswith(
            f"Service web ({release.service_arn}) has the tag fleetops:verify:bake-seconds"
        )
        assert (
            "= 'soon', which the suite ignores: bake_seconds must be a whole number from 0 to 21600" in note["message"]
        )

        # The second event (a CI call): the same bad value is not announced again.
        ci_call = {
            "cluster": "prod",
            "service": "web",
            "expected_task_definition": revision_of(release.task_definition),
        }
        report = verify.invoke(ci_call)
        assert report["verdict"] == "PASSED" and server.hits("/ready") == 2
        assert bad_tag_notes(verify.notifications()) == []

        # "Fixed" with another bad value: that one is announced, once.
        tag(verify, release.service_arn, fleetops__verify__bake_seconds="-5")
        verify.invoke(ci_call)
        [note] = bad_tag_notes(verify.notifications())
        assert "= '-5', which the suite ignores" in note["message"]


def test_a_tagged_service_scales_within_the_bound_its_tags_narrow(aws: None) -> None:
    rule = {"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": "+50%", "min": 2, "max": 12}
    world = ScaleWorld(hosts=2, rules=[rule])
    try:
        world.services.add_service("web", cpu=1024, memory=2048)
        world.service_cpu_alarm("ecs-scale-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
        first, second = world.cluster.instance_ids
        world.services.run_on(first, "web", 2)
        world.services.run_on(second, "web", 2)
        [service_arn] = world.session.client("ecs").list_services(cluster="prod")["serviceArns"]
        tag(world, service_arn, fleetops__scale__max_tasks="5", fleetops__scale__min_tasks="50")

        result = world.decide(world.fire("ecs-scale-web-cpu-high", 83.0))

        assert result["service_count"] == [4, 5]  # +50% would be 6; the tag holds it to 5
        assert world.desired_count("web") == 5
        notes = world.notifications()
        [decision] = [n for n in notes if n not in bad_tag_notes(notes)]
        assert "bounds 2 to 5 (narrowed by the service's tags)" in decision["message"]
        [bad] = bad_tag_notes(notes)
        assert "fleetops:scale:min-tasks = '50'" in bad["message"]
        assert (
            "50 is outside the bounds the stack's rule for alarm 'ecs-scale-web-cpu-high' allows (2 to 12)"
            in (bad["message"])
        )
    finally:
        world.close()


def test_an_announcement_sns_refuses_gives_its_record_back_so_the_next_event_announces_it(aws: None) -> None:
    session = boto3.Session(region_name="us-east-1")
    dynamodb = session.client("dynamodb")
    dynamodb.create_table(
        TableName="idempotency",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    bad = BadTag("arn:aws:ecs:us-east-1:123456789012:service/prod/web", "fleetops:scale:max-tasks", "x", "not a number")
    missing_topic = Notifier(AwsClients(session), "arn:aws:sns:us-east-1:123456789012:deleted")
    assert BadTagReports(dynamodb, "idempotency", missing_topic).report_once([bad]) == 0  # NotFound: logged
    topic = session.client("sns").create_topic(Name="notifications")["TopicArn"]
    reports = BadTagReports(dynamodb, "idempotency", Notifier(AwsClients(session), topic))
    assert reports.report_once([bad]) == 1  # the record was given back: announced now
    assert reports.report_once([bad]) == 0  # and only once
