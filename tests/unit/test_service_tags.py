"""A service team configures its own service with tags: a tag narrows what the stack allows, key by key,
never widens it; a bad tag is left out (its key keeps the stack's value) and named in a plain sentence."""

from __future__ import annotations

import json

import boto3
from botocore.stub import Stubber

from fleetops.aws.ecs import EcsAdapter
from fleetops.models.scale import Direction, ScalingRule, Step, TargetKind
from fleetops.scale.tags import rule_with_tags
from fleetops.service_tags import BadTag
from fleetops.verify.config import ServiceChecks, SmokeCheck
from fleetops.verify.settings import VerifySettings
from fleetops.verify.tags import checks_with_tags

WEB = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
REQUIRED = {
    "RECHECK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/verify-rechecks",
    "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/dead-letters",
    "IDEMPOTENCY_TABLE": "idempotency",
    "VERIFY_STATE_TABLE": "verify-state",
    "CLUSTER_NAMES": "*",
    "SMOKE_ALLOWED_HOSTS": "web.example.com,status.example.com",
}
STACK = {
    "*": {"alarms": ["fleet-5xx"]},
    "web": {"smoke": [{"url": "https://web.example.com/health"}], "alarms": ["web-5xx"], "bake_seconds": 300},
    "ledger": {"rollback": True},  # the platform requires a rollback of this one
    "batch": {"rollback": False},  # and forbids it for this one
}


def settings(rollback_enabled: bool = True) -> VerifySettings:
    # A stack that may not roll back cannot ask for one for any service (its configuration would be refused).
    services = {key: entry for key, entry in STACK.items() if rollback_enabled or entry.get("rollback") is not True}
    environ = {**REQUIRED, "VERIFY_SERVICES": json.dumps(services), "ROLLBACK_ENABLED": str(rollback_enabled).lower()}
    return VerifySettings.from_environment(environ)


def tailored(
    tags: dict[str, str], *, rollback_enabled: bool = True, service: str = "web"
) -> tuple[ServiceChecks, list[BadTag]]:
    stack = settings(rollback_enabled)
    return checks_with_tags(stack.checks_for("prod", service), WEB, tags.items(), stack)


def service_rule(minimum: int = 2, maximum: int = 20) -> ScalingRule:
    return ScalingRule(
        alarm_name="web-cpu-high",
        kind=TargetKind.SERVICE,
        cluster="prod",
        service="web",
        step=Step(1, False, Direction.OUT),
        minimum=minimum,
        maximum=maximum,
        cooldown_seconds=60,
    )


# -- verification ---------------------------------------------------------------------------------


def test_a_service_with_no_suite_tags_keeps_the_stacks_checks() -> None:
    checks, bad = tailored({"team": "payments", "aws:cloudformation:stack-name": "web"})
    assert checks == settings().checks_for("prod", "web") and bad == []


def test_a_smoke_url_tag_adds_to_the_stacks_smoke_checks_and_the_other_keys_stay_the_stacks() -> None:
    checks, bad = tailored({"fleetops:verify:smoke-urls": "https://web.example.com/ready https://status.example.com/"})
    assert bad == []
    assert checks.smoke == (
        SmokeCheck("https://web.example.com/health"),  # the platform's check stays, first
        SmokeCheck("https://web.example.com/ready"),
        SmokeCheck("https://status.example.com/"),
    )
    assert (checks.alarms, checks.bake_seconds) == (("web-5xx",), 300)  # the stack's entry for web, key by key


def test_a_tag_cannot_drop_the_stacks_alarms_or_shorten_its_bake() -> None:
    checks, bad = tailored({"fleetops:verify:alarms": "web-latency", "fleetops:verify:bake-seconds": "0"})
    assert checks.alarms == ("web-5xx", "web-latency") and checks.bake_seconds == 300
    [problem] = bad
    assert problem.key == "fleetops:verify:bake-seconds"
    assert problem.problem == "the stack requires a bake of at least 300 s; a tag can lengthen it, not shorten it"


def test_the_stacks_and_the_tags_smoke_checks_together_are_held_to_the_stacks_limits() -> None:
    # Each URL of a tag may take 18 s at worst (5 s x 3 attempts + 1 s and 2 s of backoff): five fit the 90 s
    # budget alone, not beside the stack's one.
    five = " ".join(f"https://web.example.com/{n}" for n in range(5))
    checks, bad = tailored({"fleetops:verify:smoke-urls": five})
    assert checks.smoke == (SmokeCheck("https://web.example.com/health"),)
    assert bad[0].problem == (
        "with the stack's smoke checks it could take 108 s in the worst case (timeouts x attempts + backoff); "
        "keep it under 90 s"
    )


def test_tags_add_to_the_star_entry_too_for_a_service_the_stack_does_not_name() -> None:
    checks, bad = tailored({"fleetops:verify:alarms": "api-5xx api-latency"}, service="api")
    assert bad == [] and checks.alarms == ("fleet-5xx", "api-5xx", "api-latency")


def test_a_smoke_host_off_the_allow_list_is_left_out_and_the_stacks_smoke_check_stays() -> None:
    checks, bad = tailored(
        {"fleetops:verify:smoke-urls": "https://evil.example.net/x", "fleetops:verify:bake-seconds": "600"}
    )
    assert checks.smoke == (SmokeCheck("https://web.example.com/health"),)
    assert checks.bake_seconds == 600  # the other tag still applies
    [problem] = bad
    assert (problem.key, problem.value) == ("fleetops:verify:smoke-urls", "https://evil.example.net/x")
    assert "smoke[0].url host 'evil.example.net' is not on the allow-list" in problem.problem


def test_a_tag_cannot_change_a_rollback_the_stacks_entry_for_the_service_decided() -> None:
    required, bad = tailored({"fleetops:verify:rollback": "false"}, service="ledger")
    assert required.rollback is True
    assert (
        bad[0].problem == "the stack's configuration for this service sets rollback to true, which a tag cannot change"
    )
    forbidden, bad = tailored({"fleetops:verify:rollback": "true"}, service="batch")
    assert forbidden.rollback is False and len(bad) == 1
    same, bad = tailored({"fleetops:verify:rollback": "true"}, service="ledger")
    assert same.rollback is True and bad == []


def test_a_name_given_twice_counts_once() -> None:
    checks, bad = tailored(
        {
            "fleetops:verify:alarms": "web-5xx web-latency web-latency",
            "fleetops:verify:smoke-urls": "https://web.example.com/ready https://web.example.com/ready",
        }
    )
    assert bad == [] and checks.alarms == ("web-5xx", "web-latency")
    assert checks.smoke == (SmokeCheck("https://web.example.com/health"), SmokeCheck("https://web.example.com/ready"))


def test_rollback_may_be_turned_off_by_a_tag_but_not_on_where_the_stack_may_not_roll_back() -> None:
    off, bad = tailored({"fleetops:verify:rollback": "false"})
    assert off.rollback is False and bad == []
    on, bad = tailored({"fleetops:verify:rollback": "true"}, rollback_enabled=False)
    assert on.rollback is None  # the stack's (no entry says): rollback_wanted is still False
    [problem] = bad
    assert (
        "the tag asks for a rollback, but this stack may not roll back (VerifyRollbackEnabled is false"
        in problem.problem
    )


def test_a_bake_needs_whole_seconds_in_range_and_an_alarm_to_watch() -> None:
    _, bad = tailored({"fleetops:verify:bake-seconds": "5m"})
    assert bad[0].problem == "bake_seconds must be a whole number from 0 to 21600, got '5m'"
    _, bad = tailored({"fleetops:verify:bake-seconds": "99999"})
    assert "got 99999" in bad[0].problem
    checks, bad = tailored({"fleetops:verify:bake-seconds": "120"}, service="api")  # the * entry's alarm
    assert checks.bake_seconds == 120 and bad == []


def test_an_empty_list_and_an_unknown_key_under_the_suites_prefix_are_bad_tags() -> None:
    checks, bad = tailored({"fleetops:verify:smoke-urls": "", "fleetops:verify:smoke-url": "https://web.example.com/"})
    assert checks.smoke == (SmokeCheck("https://web.example.com/health"),)
    assert {b.key for b in bad} == {"fleetops:verify:smoke-urls", "fleetops:verify:smoke-url"}
    assert any("it is not a key the suite reads" in b.problem for b in bad)


def test_a_suite_key_written_in_other_capitals_is_a_bad_tag_not_a_silent_one() -> None:
    checks, bad = tailored({"FleetOps:verify:alarms": "web-latency"})
    assert checks.alarms == ("web-5xx",)  # ECS's keys are case-sensitive: the tag is not read
    [problem] = bad
    assert problem.problem == "tag keys are case-sensitive, and the suite reads fleetops:verify:alarms"


def test_the_report_of_a_bad_tag_names_the_service_the_key_the_value_and_what_is_wrong() -> None:
    bad = BadTag(WEB, "fleetops:scale:max-tasks", "50", "50 is outside the bounds")
    sentence = bad.sentence()
    assert sentence.startswith("Service web (arn:aws:ecs:us-east-1:123456789012:service/prod/web) has the tag")
    assert "fleetops:scale:max-tasks = '50'" in sentence and "50 is outside the bounds" in sentence


# -- scaling bounds -------------------------------------------------------------------------------


def test_bound_tags_narrow_a_service_rule() -> None:
    rule, bad = rule_with_tags(
        service_rule(), WEB, {"fleetops:scale:min-tasks": "3", "fleetops:scale:max-tasks": "8"}.items()
    )
    assert (rule.minimum, rule.maximum, rule.bounds_from_tags, bad) == (3, 8, True, [])


def test_a_bound_tag_may_not_widen_the_stacks_rule() -> None:
    rule, bad = rule_with_tags(service_rule(maximum=20), WEB, {"fleetops:scale:max-tasks": "50"}.items())
    assert (rule.minimum, rule.maximum, rule.bounds_from_tags) == (2, 20, False)
    assert "50 is outside the bounds the stack's rule for alarm 'web-cpu-high' allows (2 to 20)" in bad[0].problem


def test_bound_tags_are_read_by_the_rules_own_validation_and_must_agree() -> None:
    _, bad = rule_with_tags(service_rule(), WEB, {"fleetops:scale:min-tasks": "two"}.items())
    assert bad[0].problem == "min must be a whole number from 0 to 5000, got 'two'"
    rule, bad = rule_with_tags(
        service_rule(), WEB, {"fleetops:scale:min-tasks": "9", "fleetops:scale:max-tasks": "4"}.items()
    )
    assert (rule.minimum, rule.maximum) == (2, 20)
    assert [b.key for b in bad] == ["fleetops:scale:min-tasks", "fleetops:scale:max-tasks"]


# -- reading the tags -----------------------------------------------------------------------------


def test_a_service_whose_tags_aws_refuses_is_described_without_them_and_the_stacks_configuration_applies() -> None:
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    described = {"serviceArn": WEB, "serviceName": "web", "status": "ACTIVE", "clusterArn": "prod"}
    with Stubber(client) as aws:
        aws.add_client_error(
            "describe_services",
            "AccessDeniedException",
            expected_params={"cluster": "prod", "services": ["web"], "include": ["TAGS"]},
        )
        aws.add_response("describe_services", {"services": [described]}, {"cluster": "prod", "services": ["web"]})
        service = EcsAdapter(client).describe_service("prod", "web")
        aws.assert_no_pending_responses()
    assert service is not None and (service.name, service.tags) == ("web", ())
