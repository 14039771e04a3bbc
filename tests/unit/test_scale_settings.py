"""Scaling rules are typed configuration, validated at cold start: every bad rule is reported at once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fleetops.errors import BadInputError, ConfigurationError
from fleetops.models.scale import AlarmDetails, AlarmSource, AlarmState, AlarmTransition, Direction, TargetKind
from fleetops.scale.rules import resolve_rule
from fleetops.scale.settings import ScaleSettings

REQUIRED = {
    "DEAD_LETTER_QUEUE_URL": "https://sqs/dlq",
    "IDEMPOTENCY_TABLE": "idempotency",
    "CLUSTER_NAMES": "*",
    "AUTO_SCALING_GROUP_NAMES": "*",
}


def settings(rules: Any = None, **env: str) -> ScaleSettings:
    environ = {**REQUIRED, **env}
    if rules is not None:
        environ["SCALING_RULES"] = rules if isinstance(rules, str) else json.dumps(rules)
    return ScaleSettings.from_environment(environ)


def test_rules_declare_what_each_alarm_scales_with_percentage_or_absolute_steps() -> None:
    configured = settings(
        [
            {"alarm": "web-high", "cluster": "prod", "service": "web", "step": "+50%", "min": 2, "max": 20},
            {"alarm": "web-low", "cluster": "prod", "service": "web", "step": -1, "min": 2, "max": 20},
            {"alarm": "prod-high", "cluster": "prod", "step": 2, "group": "prod-hosts"},
        ]
    )

    web_high, web_low, prod_high = configured.rules
    assert (web_high.kind, web_high.direction, str(web_high.step)) == (TargetKind.SERVICE, Direction.OUT, "+50%")
    assert web_high.step.target(4) == 6
    assert web_low.step.target(4) == 3
    assert (prod_high.kind, prod_high.auto_scaling_group, prod_high.step.target(3)) == (
        TargetKind.CLUSTER,
        "prod-hosts",
        5,
    )
    # Scale-in waits longer than scale-out unless told otherwise.
    assert web_low.cooldown_seconds == 300 and web_high.cooldown_seconds == 60


def test_a_percentage_step_moves_at_least_one_task() -> None:
    [rule] = settings([{"alarm": "a", "cluster": "prod", "service": "web", "step": "-10%", "max": 5}]).rules

    assert rule.step.target(3) == 2


def test_every_bad_rule_is_reported_together_at_cold_start() -> None:
    with pytest.raises(ConfigurationError) as raised:
        settings(
            [
                {"alarm": "a", "cluster": "prod", "service": "web", "step": "+0"},
                {"alarm": "b", "cluster": "prod", "service": "web", "step": "up", "max": 3},
                {"alarm": "c", "cluster": "prod", "step": 1, "min": 5, "max": 2, "colour": "red"},
                {"alarm": "c", "cluster": "prod", "step": -1},
                {"cluster": "prod", "step": 1},
            ]
        )
    message = str(raised.value)
    for expected in (
        "SCALING_RULES[0].step must move by at least 1",
        "SCALING_RULES[0]: a service rule needs 'max'",
        "SCALING_RULES[1].step must be a signed whole number or percentage",
        "SCALING_RULES[2] has unknown key(s) colour",
        "SCALING_RULES[2]: min (5) is greater than max (2)",
        "SCALING_RULES[4].alarm must be a non-empty string (required)",
    ):
        assert expected in message


def test_two_rules_for_one_alarm_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="alarm 'a' has more than one rule"):
        settings([{"alarm": "a", "cluster": "prod", "step": 1}, {"alarm": "a", "cluster": "prod", "step": -1}])


def test_a_scale_in_cooldown_shorter_than_scale_out_is_refused_because_the_loops_would_flap() -> None:
    with pytest.raises(ConfigurationError, match="shorter than its scale-out cooldown"):
        settings(
            [
                {"alarm": "up", "cluster": "prod", "step": 1, "cooldown_seconds": 600},
                {"alarm": "down", "cluster": "prod", "step": -1, "cooldown_seconds": 60},
            ]
        )
    with pytest.raises(ConfigurationError, match="SCALE_IN_COOLDOWN_SECONDS"):
        settings(SCALE_OUT_COOLDOWN_SECONDS="600", SCALE_IN_COOLDOWN_SECONDS="60")


def test_rules_that_are_not_json_or_name_a_cluster_outside_cluster_names_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="SCALING_RULES is not JSON"):
        settings("[{")
    with pytest.raises(ConfigurationError, match="not in CLUSTER_NAMES"):
        settings([{"alarm": "a", "cluster": "staging", "step": 1}], CLUSTER_NAMES="prod")


def test_a_cluster_rule_naming_a_group_outside_auto_scaling_group_names_fails_at_cold_start() -> None:
    rule = {"alarm": "prod-high", "cluster": "prod", "step": 1, "group": "batch-hosts"}
    for groups in ("prod-hosts", ""):
        with pytest.raises(ConfigurationError, match="names group 'batch-hosts', not in AUTO_SCALING_GROUP_NAMES"):
            settings([rule], AUTO_SCALING_GROUP_NAMES=groups)
    assert settings([rule], AUTO_SCALING_GROUP_NAMES="batch-hosts").allows_group("batch-hosts")
    assert settings([rule]).allows_group("batch-hosts")  # *


def test_the_scale_job_needs_cluster_names_and_reads_no_group_as_none() -> None:
    with pytest.raises(ConfigurationError, match=r"CLUSTER_NAMES is required: .* or \* for every cluster"):
        settings(CLUSTER_NAMES="")
    only_services = settings(AUTO_SCALING_GROUP_NAMES="")
    assert not only_services.allows_group("prod-hosts") and only_services.allows_cluster("prod")
    named = settings(CLUSTER_NAMES="prod", AUTO_SCALING_GROUP_NAMES="prod-hosts")
    assert named.allows_cluster("arn:aws:ecs:us-east-1:123456789012:cluster/prod") and not named.allows_cluster("dev")
    assert named.allows_group("prod-hosts") and not named.allows_group("prod-hosts-2")


def test_missing_resources_and_bad_numbers_are_reported_together() -> None:
    with pytest.raises(ConfigurationError) as raised:
        ScaleSettings.from_environment({"SCALE_IN_HEADROOM_PERCENT": "95", "DRY_RUN": "maybe"})
    message = str(raised.value)
    for expected in (
        "DEAD_LETTER_QUEUE_URL is required",
        "IDEMPOTENCY_TABLE is required",
        "SCALE_IN_HEADROOM_PERCENT",
        "DRY_RUN",
    ):
        assert expected in message


def transition(name: str, dimensions: dict[str, str], comparison: str | None = None) -> AlarmTransition:
    return AlarmTransition(
        alarm_name=name,
        new_state=AlarmState.ALARM,
        old_state=AlarmState.OK,
        changed_at=0.0,
        reason="",
        source=AlarmSource.EVENTBRIDGE,
        dimensions=tuple(sorted(dimensions.items())),
        comparison=comparison,
    )


def details(comparison: str) -> AlarmDetails:
    return AlarmDetails("x", AlarmState.ALARM, comparison, 75.0, "CPUUtilization", 60, 3)


def test_without_a_declared_rule_cluster_and_service_dimensions_scale_the_service_by_one_task() -> None:
    rule = resolve_rule(
        settings(),
        transition("web-high", {"ClusterName": "prod", "ServiceName": "web"}),
        details("GreaterThanThreshold"),
    )

    assert (rule.kind, rule.cluster, rule.service, str(rule.step), rule.derived) == (
        TargetKind.SERVICE,
        "prod",
        "web",
        "+1",
        True,
    )
    assert (rule.minimum, rule.maximum) == (1, 20)


def test_without_a_declared_rule_a_cluster_dimension_alone_scales_the_clusters_group_in_when_less_than() -> None:
    rule = resolve_rule(settings(), transition("prod-low", {"ClusterName": "prod"}), details("LessThanThreshold"))

    assert (rule.kind, rule.direction, rule.auto_scaling_group) == (TargetKind.CLUSTER, Direction.IN, None)
    assert rule.cooldown_seconds == 300


@pytest.mark.parametrize(
    ("configured", "dimensions", "comparison", "says"),
    [
        ({}, {"InstanceId": "i-0abc"}, "GreaterThanThreshold", "no ClusterName"),
        ({}, {"ClusterName": "prod"}, "LessThanLowerOrGreaterThanUpperThreshold", "neither scale out"),
        ({"DERIVE_RULES_FROM_DIMENSIONS": "false"}, {"ClusterName": "prod"}, "GreaterThanThreshold", "is off"),
        ({"CLUSTER_NAMES": "staging"}, {"ClusterName": "prod"}, "GreaterThanThreshold", "not in CLUSTER_NAMES"),
    ],
)
def test_an_alarm_no_rule_can_be_found_for_is_bad_input(
    configured: dict[str, str], dimensions: dict[str, str], comparison: str, says: str
) -> None:
    with pytest.raises(BadInputError, match=says):
        resolve_rule(settings(**configured), transition("mystery", dimensions), details(comparison))


def test_a_deployment_with_a_bad_rule_fails_its_cold_start_before_it_touches_anything() -> None:
    from simulator.awslambda.functions import load_handler

    with pytest.raises(ConfigurationError, match=r"SCALING_RULES\[0\]\.step"):
        load_handler("scale", {**REQUIRED, "SCALING_RULES": json.dumps([{"alarm": "a", "cluster": "prod", "step": 0}])})
