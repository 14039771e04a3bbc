"""Configuration is read once, with safe defaults, and a wrong deployment says everything that is wrong."""

from __future__ import annotations

import pytest

from fleetops.drain.settings import DrainSettings
from fleetops.errors import ConfigurationError
from fleetops.models.lifecycle import LifecycleResult
from fleetops.settings import Scope

REQUIRED = {"RECHECK_QUEUE_URL": "q", "DEAD_LETTER_QUEUE_URL": "d", "IDEMPOTENCY_TABLE": "t", "CLUSTER_NAMES": "*"}


def test_defaults_are_safe() -> None:
    settings = DrainSettings.from_environment(REQUIRED)
    assert settings.drain_budget_seconds == 3600
    assert settings.recheck_interval_seconds == 60
    assert settings.budget_exceeded_result is LifecycleResult.CONTINUE
    assert settings.stop_leftover_tasks and not settings.notify_every_drain
    assert settings.notification_topic_arn == ""
    # No group named: no group's lifecycle action is drained.
    assert settings.auto_scaling_groups == Scope() and not settings.auto_scaling_groups.includes("prod-hosts")


def test_cluster_names_are_a_comma_separated_list_or_star_for_every_cluster() -> None:
    named = DrainSettings.from_environment({**REQUIRED, "CLUSTER_NAMES": " prod, ,staging "}).clusters
    assert named == Scope.of("prod", "staging")
    assert named.includes("prod") and not named.includes("dev") and not named.everything
    every = DrainSettings.from_environment({**REQUIRED, "CLUSTER_NAMES": "*"}).clusters
    assert every.everything and every.includes("dev") and every.names == ()


@pytest.mark.parametrize("environment", [{}, {"CLUSTER_NAMES": ""}, {"CLUSTER_NAMES": " , "}])
def test_an_empty_or_missing_cluster_names_fails_at_cold_start_naming_the_variable(environment: dict[str, str]) -> None:
    without = {key: value for key, value in REQUIRED.items() if key != "CLUSTER_NAMES"}
    with pytest.raises(ConfigurationError) as error:
        DrainSettings.from_environment({**without, **environment})
    assert "CLUSTER_NAMES is required: the ECS clusters the suite may act on, or * for every cluster" in str(
        error.value
    )


def test_star_beside_names_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ConfigurationError, match=r"CLUSTER_NAMES is either \* \(every one\) or names, not both"):
        DrainSettings.from_environment({**REQUIRED, "CLUSTER_NAMES": "prod,*"})


def test_auto_scaling_group_names_are_names_star_or_empty_for_none() -> None:
    def groups(value: str) -> Scope:
        return DrainSettings.from_environment({**REQUIRED, "AUTO_SCALING_GROUP_NAMES": value}).auto_scaling_groups

    assert groups("prod-hosts, batch-hosts") == Scope.of("prod-hosts", "batch-hosts")
    assert groups("*").everything
    assert groups("") == Scope() and not groups("").includes("prod-hosts")


def test_every_problem_is_reported_at_once() -> None:
    environment = {
        "RECHECK_QUEUE_URL": "q",
        "RECHECK_INTERVAL_SECONDS": "2000",
        "DRAIN_BUDGET_SECONDS": "soon",
        "BUDGET_EXCEEDED_RESULT": "RETRY",
        "STOP_LEFTOVER_TASKS": "maybe",
    }
    with pytest.raises(ConfigurationError) as error:
        DrainSettings.from_environment(environment)
    message = str(error.value)
    for problem in (
        "DEAD_LETTER_QUEUE_URL is required",
        "IDEMPOTENCY_TABLE is required",
        "RECHECK_INTERVAL_SECONDS must be between 10 and 900",
        "DRAIN_BUDGET_SECONDS must be a whole number",
        "BUDGET_EXCEEDED_RESULT must be one of CONTINUE, ABANDON",
        "STOP_LEFTOVER_TASKS must be true or false",
    ):
        assert problem in message


def test_the_recheck_cap_covers_the_budget_twice_over() -> None:
    settings = DrainSettings.from_environment({**REQUIRED, "DRAIN_BUDGET_SECONDS": "600"})
    assert settings.max_rechecks() == 2 * 10 + 10
    # At the effective interval: half a 30 s heartbeat timeout is a 15 s wait.
    assert settings.max_rechecks(30) == 2 * 40 + 10


def test_the_hook_name_prefix_defaults_to_the_stacks_own_and_must_be_a_hook_names_start() -> None:
    assert DrainSettings.from_environment(REQUIRED).drain_hook_name_prefix == "ecs-fleet-ops-drain"
    custom = DrainSettings.from_environment({**REQUIRED, "DRAIN_HOOK_NAME_PREFIX": "team-a/drain_"})
    assert custom.drain_hook_name_prefix == "team-a/drain_"
    with pytest.raises(ConfigurationError, match="DRAIN_HOOK_NAME_PREFIX must be 1 to 255"):
        DrainSettings.from_environment({**REQUIRED, "DRAIN_HOOK_NAME_PREFIX": "drain me"})


@pytest.mark.parametrize("prefix", ["ecs", "ecs-", "ecs-managed-draining", "ecs-managed-draining-termination-hook"])
def test_a_prefix_that_would_take_ecs_managed_drainings_hook_for_the_suites_is_refused_at_cold_start(
    prefix: str,
) -> None:
    with pytest.raises(ConfigurationError, match="ecs-managed-draining-termination-hook"):
        DrainSettings.from_environment({**REQUIRED, "DRAIN_HOOK_NAME_PREFIX": prefix})
