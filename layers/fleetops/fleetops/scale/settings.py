"""The scale job's configuration: settings and scaling rules, read once from the environment.

Rules are JSON in ``SCALING_RULES`` (or in the SSM parameter ``<CONFIG_PARAMETER_PREFIX>/scaling-rules``,
or a file checked by ``scripts/check_config.py``), a list of objects::

    [{"alarm": "ecs-scale-web-cpu-high", "cluster": "prod", "service": "web", "step": "+1", "track": 60, "max": 20},
     {"alarm": "ecs-scale-api-cpu-high", "cluster": "prod", "service": "api", "step": "+50%", "min": 2, "max": 20},
     {"alarm": "ecs-scale-web-cpu-low", "cluster": "prod", "service": "web", "step": -1, "min": 2, "max": 20},
     {"alarm": "ecs-scale-prod-reservation-high", "cluster": "prod", "step": 1},
     {"alarm": "ecs-scale-prod-reservation-low", "cluster": "prod", "step": "consolidate", "group": "prod-hosts"}]

A rule with ``service`` changes that service's desired count; without it, the cluster's Auto Scaling
group. ``step`` is a signed whole number or a signed percentage ("+2", "-1", "+50%"); its sign is the
direction; or, for a cluster rule, ``"consolidate"``: a scale-in that removes every host whose tasks fit
on the others (the step of derived cluster scale-in rules), with at most ``"budget"`` of the group's hosts
leaving at once ("10%", the default, or a number of hosts) and none taken away in its ``"quiet"`` windows
("Mon-Fri 08:00-18:00 UTC; Sat 10:00-12:00"). ``track`` (service rules) sizes the step from the alarm's
metric instead, like target tracking: enough tasks to bring the metric to that value (``"threshold"``: the
alarm's own, scale-out only); the step is then the fallback for an alarm that carries no value. A derived
service scale-out rule tracks its alarm's threshold. Every problem in every rule is reported at cold start,
together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleetops.models.consolidation import ConsolidationPolicy
from fleetops.models.ecs import cluster_name
from fleetops.models.scale import CONSOLIDATE, CONSOLIDATION_STEP, Direction, ScalingRule, Step, TargetKind, Tracking
from fleetops.scale.consolidation import parse_budget, parse_quiet_windows
from fleetops.settings import DEFAULT_DRAIN_HOOK_NAME_PREFIX, NOTHING_NAMED, EnvironmentReader, Scope
from fleetops.stored_configuration import SCALING_RULES_PARAMETER, ParameterReader, configuration_text

# ECS allows at most 5,000 tasks per service; Auto Scaling groups are far below 10,000 instances.
MAX_SERVICE_TASKS = 5000
MAX_GROUP_SIZE = 10000
# One day: longer than any sensible cooldown, short enough that a typo is noticed.
MAX_COOLDOWN_SECONDS = 24 * 3600

_STEP = re.compile(r"^([+-])(\d+)(%?)$")
_RULE_KEYS = frozenset(
    {"alarm", "cluster", "service", "group", "step", "track", "min", "max", "cooldown_seconds", "budget", "quiet"}
)
# "track": a value to hold, above zero; CloudWatch metric values are doubles, and a target this large is a typo.
MAX_TRACK_VALUE = 1e9


@dataclass(frozen=True, slots=True)
class ScaleSettings:
    """How the scale job behaves. Every field has a safe default except the resources it needs."""

    dead_letter_queue_url: str
    """SQS queue where events that cannot be acted on are kept, with their reason; never retried."""
    idempotency_table: str
    """DynamoDB table for Powertools Idempotency (one decision per alarm transition) and for the
    cooldown ledger (items ``cooldown:<target>``)."""
    rules: tuple[ScalingRule, ...] = ()
    """Declared rules, by alarm name (``SCALING_RULES``)."""
    derive_rules: bool = True
    """An alarm with no declared rule is derived from its dimensions: ``ClusterName`` +
    ``ServiceName`` scales the service, ``ClusterName`` alone the cluster's group; the direction
    comes from the alarm's comparison (greater → out, less → in), the step is one task or host; a service's
    scale-out step is sized from the alarm's metric (tracking its threshold), with one task as the fallback."""
    clusters: Scope = NOTHING_NAMED
    """Clusters this function may scale (``CLUSTER_NAMES``, required; ``*`` = every cluster)."""
    auto_scaling_groups: Scope = NOTHING_NAMED
    """Groups this function may change (``AUTO_SCALING_GROUP_NAMES``; ``*`` = every group; empty = none,
    and then it scales services only). A decision that would change another group is refused before
    any write, in a sentence, rather than left to IAM's AccessDenied halfway through."""
    notification_topic_arn: str = ""
    """SNS topic for messages a human reads; empty = no messages."""
    dry_run: bool = True
    """Decide and report, change nothing: the default until a deployer says otherwise (DRY_RUN=false)."""
    scale_out_cooldown_seconds: int = 60
    """After any change to a target, how long before it may grow again."""
    scale_in_cooldown_seconds: int = 300
    """After any change to a target, how long before it may shrink: at least the scale-out cooldown,
    so a target that just grew is not shrunk by the next low alarm."""
    scale_in_headroom_percent: int = 10
    """A cluster scale-in is approved only if the moved tasks fit while every host that takes them
    keeps this share of its registered CPU and memory free."""
    derived_service_max: int = 20
    """Upper bound of a derived service rule (its lower bound is 1)."""
    notify_every_decision: bool = True
    """Announce every decision on the topic; false = only changes and refusals that need a human."""
    follow_up_queue_url: str = ""
    """SQS queue of delayed follow-ups: an alarm still in ALARM after a change, a cooldown or a
    deployment is looked at again (CloudWatch announces a transition only once). Empty = never."""
    max_follow_ups: int = 10
    """At most this many follow-ups per transition (0 to 50)."""
    drain_hook_name_prefix: str = DEFAULT_DRAIN_HOOK_NAME_PREFIX
    """The drain's hooks (``DrainHookNamePrefix``): a cluster scale-in needs one of them, or ECS managed
    draining's, on the group; any other termination hook may let a host go with its tasks on it."""
    drain_deployed: bool = True
    """Whether the drain job is deployed beside this one (``DRAIN_DEPLOYED``, the template's EnableDrain).
    Without it, a hook named with the prefix has nobody to answer it here (a hook left from an earlier
    deploy, another stack's): only ECS managed draining is trusted to hold a host while its tasks move."""

    @property
    def trusted_drain_hook_prefix(self) -> str | None:
        """The prefix of the hooks a scale-in may count on, or None when no drain of this stack answers them."""
        return self.drain_hook_name_prefix if self.drain_deployed else None

    def rule_for(self, alarm_name: str) -> ScalingRule | None:
        return next((rule for rule in self.rules if rule.alarm_name == alarm_name), None)

    def allows_cluster(self, cluster: str) -> bool:
        return self.clusters.includes(cluster_name(cluster))

    def allows_group(self, group: str) -> bool:
        return self.auto_scaling_groups.includes(group)

    def cooldown_for(self, direction: Direction) -> int:
        return self.scale_out_cooldown_seconds if direction is Direction.OUT else self.scale_in_cooldown_seconds

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str], parameter_store: ParameterReader | None = None
    ) -> ScaleSettings:
        """Every setting from ``environ``; the rules from ``SCALING_RULES``, or from the SSM parameter
        ``<CONFIG_PARAMETER_PREFIX>/scaling-rules`` read through ``parameter_store`` when the prefix is set."""
        env = EnvironmentReader(environ)
        out_cooldown = env.integer("SCALE_OUT_COOLDOWN_SECONDS", 60, minimum=0, maximum=MAX_COOLDOWN_SECONDS)
        in_cooldown = env.integer("SCALE_IN_COOLDOWN_SECONDS", 300, minimum=0, maximum=MAX_COOLDOWN_SECONDS)
        if in_cooldown < out_cooldown:
            env.errors.append(
                f"SCALE_IN_COOLDOWN_SECONDS ({in_cooldown}) must be at least SCALE_OUT_COOLDOWN_SECONDS "
                f"({out_cooldown}): a target that just grew must not shrink sooner than it may grow again"
            )
        document = configuration_text(environ, "SCALING_RULES", SCALING_RULES_PARAMETER, parameter_store, env.errors)
        rules = parse_rules(
            document.text, env.errors, out_cooldown=out_cooldown, in_cooldown=in_cooldown, source=document.source
        )
        settings = cls(
            dead_letter_queue_url=env.text("DEAD_LETTER_QUEUE_URL"),
            idempotency_table=env.text("IDEMPOTENCY_TABLE"),
            rules=rules,
            derive_rules=env.flag("DERIVE_RULES_FROM_DIMENSIONS", True),
            clusters=env.cluster_scope(),
            auto_scaling_groups=env.group_scope(),
            notification_topic_arn=env.text("NOTIFICATION_TOPIC_ARN", required=False),
            # A function deployed without the variable decides and reports, and changes nothing.
            dry_run=env.flag("DRY_RUN", True),
            scale_out_cooldown_seconds=out_cooldown,
            scale_in_cooldown_seconds=in_cooldown,
            scale_in_headroom_percent=env.integer("SCALE_IN_HEADROOM_PERCENT", 10, minimum=0, maximum=90),
            derived_service_max=env.integer("DERIVED_SERVICE_MAX_TASKS", 20, minimum=1, maximum=MAX_SERVICE_TASKS),
            notify_every_decision=env.flag("NOTIFY_EVERY_DECISION", True),
            follow_up_queue_url=env.text("FOLLOW_UP_QUEUE_URL", required=False),
            max_follow_ups=env.integer("MAX_FOLLOW_UPS", 10, minimum=0, maximum=50),
            drain_hook_name_prefix=env.hook_name_prefix("DRAIN_HOOK_NAME_PREFIX", DEFAULT_DRAIN_HOOK_NAME_PREFIX),
            drain_deployed=env.flag("DRAIN_DEPLOYED", True),
        )
        for rule in rules:
            if not settings.allows_cluster(rule.cluster):
                env.errors.append(
                    f"rule for alarm {rule.alarm_name!r} names cluster {rule.cluster!r}, not in CLUSTER_NAMES"
                )
            if rule.auto_scaling_group and not settings.allows_group(rule.auto_scaling_group):
                env.errors.append(
                    f"rule for alarm {rule.alarm_name!r} names group {rule.auto_scaling_group!r}, not in "
                    "AUTO_SCALING_GROUP_NAMES: the suite may not change it"
                )
        env.raise_if_invalid("scale")
        return settings


def parse_rules(
    raw: str, errors: list[str], *, out_cooldown: int, in_cooldown: int, source: str = "SCALING_RULES"
) -> tuple[ScalingRule, ...]:
    """Parse the rules' JSON text (``SCALING_RULES``, the SSM parameter, a file: ``source`` names it in
    every error); every problem is appended to ``errors`` (nothing is raised here)."""
    if not raw.strip():
        return ()
    try:
        items = json.loads(raw)
    except ValueError as error:
        errors.append(f"{source} is not JSON: {error}")
        return ()
    if not isinstance(items, list):
        errors.append(f"{source} must be a JSON list of rules")
        return ()
    rules: list[ScalingRule] = []
    for index, item in enumerate(items):
        rule = _parse_rule(item, f"{source}[{index}]", errors, out_cooldown=out_cooldown, in_cooldown=in_cooldown)
        if rule is not None:
            rules.append(rule)
    _check_across_rules(rules, errors)
    return tuple(rules)


def _parse_rule(item: Any, where: str, errors: list[str], *, out_cooldown: int, in_cooldown: int) -> ScalingRule | None:
    if not isinstance(item, dict):
        errors.append(f"{where} must be an object")
        return None
    before = len(errors)
    unknown = sorted(set(item) - _RULE_KEYS)
    if unknown:
        errors.append(f"{where} has unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(_RULE_KEYS))})")
    alarm = _name(item, "alarm", where, errors, required=True)
    cluster = _name(item, "cluster", where, errors, required=True)
    service = _name(item, "service", where, errors, required=False)
    group = _name(item, "group", where, errors, required=False)
    kind = TargetKind.SERVICE if service else TargetKind.CLUSTER
    if item.get("step") == CONSOLIDATE and kind is TargetKind.CLUSTER:
        step: Step | None = CONSOLIDATION_STEP
    elif item.get("step") == CONSOLIDATE:
        errors.append(f"{where}.step 'consolidate' is for cluster rules (a service's tasks are not hosts)")
        step = None
    else:
        step = parse_step(item.get("step"), f"{where}.step", errors)
    tracking = parse_tracking(item, where, errors, kind=kind, direction=step.direction if step else None)
    if kind is TargetKind.SERVICE and group:
        errors.append(f"{where}: 'group' is for cluster rules; a service rule finds the group from its hosts")
    limit = MAX_SERVICE_TASKS if kind is TargetKind.SERVICE else MAX_GROUP_SIZE
    minimum = parse_bound(item, "min", where, errors, limit)
    maximum = parse_bound(item, "max", where, errors, limit)
    if kind is TargetKind.SERVICE:
        minimum = 1 if minimum is None else minimum
        if maximum is None:
            errors.append(f"{where}: a service rule needs 'max' (the most tasks this rule may ask for)")
    if minimum is not None and maximum is not None and minimum > maximum:
        errors.append(f"{where}: min ({minimum}) is greater than max ({maximum})")
    default_cooldown = in_cooldown if step is not None and step.direction is Direction.IN else out_cooldown
    cooldown = item.get("cooldown_seconds", default_cooldown)
    if not isinstance(cooldown, int) or isinstance(cooldown, bool) or not 0 <= cooldown <= MAX_COOLDOWN_SECONDS:
        errors.append(
            f"{where}.cooldown_seconds must be a whole number from 0 to {MAX_COOLDOWN_SECONDS}, got {cooldown!r}"
        )
        cooldown = default_cooldown
    consolidation = _consolidation(item, where, errors, step)
    if len(errors) > before or alarm is None or cluster is None or step is None:
        return None
    return ScalingRule(
        alarm_name=alarm,
        kind=kind,
        cluster=cluster,
        service=service,
        auto_scaling_group=group,
        step=step,
        minimum=minimum,
        maximum=maximum,
        cooldown_seconds=cooldown,
        consolidation=consolidation,
        tracking=tracking,
    )


def _consolidation(item: dict[str, Any], where: str, errors: list[str], step: Step | None) -> ConsolidationPolicy:
    """A consolidating rule's ``"budget"`` (default 10%) and ``"quiet"`` windows (default none)."""
    if step is not None and not step.consolidate:
        given = [key for key in ("budget", "quiet") if key in item]
        if given:
            errors.append(f"{where}: {' and '.join(given)} are for a rule whose step is 'consolidate'")
        return ConsolidationPolicy()
    budget = parse_budget(item["budget"], f"{where}.budget", errors) if "budget" in item else None
    quiet = parse_quiet_windows(item["quiet"], f"{where}.quiet", errors) if "quiet" in item else ()
    return ConsolidationPolicy(budget or ConsolidationPolicy().budget, quiet)


def parse_tracking(
    item: dict[str, Any], where: str, errors: list[str], *, kind: TargetKind, direction: Direction | None
) -> Tracking | None:
    """``"track": 75`` (a value of the alarm's metric to hold) or ``"track": "threshold"`` (the alarm's own
    threshold, scale-out only: a scale-in alarm's threshold is a floor, not a value to hold)."""
    if "track" not in item:
        return None
    value = item["track"]
    if kind is not TargetKind.SERVICE:
        errors.append(f"{where}.track is for service rules: a cluster rule's hosts are sized by bin-packing")
        return None
    if value == "threshold":
        if direction is Direction.IN:
            errors.append(
                f"{where}.track: a scale-in rule needs the value to hold (say 75), not its alarm's threshold, "
                "which is a floor"
            )
            return None
        return Tracking()
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_TRACK_VALUE:
        errors.append(
            f'{where}.track must be a number above 0 (at most {MAX_TRACK_VALUE:g}) or "threshold", got {value!r}'
        )
        return None
    return Tracking(float(value))


def parse_step(value: Any, where: str, errors: list[str]) -> Step | None:
    """``2``, ``-1``, ``"+2"``, ``"-25%"``: a signed, non-zero amount; a percentage is 1 to 1000."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str) and text and text[0].isdigit():
        text = "+" + text
    match = _STEP.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        errors.append(f"{where} must be a signed whole number or percentage like +2, -1 or +50%, got {value!r}")
        return None
    sign, digits, percent = match.groups()
    amount = int(digits)
    if amount == 0 or (percent and amount > 1000):
        errors.append(f"{where} must move by at least 1 (and a percentage by at most 1000%), got {value!r}")
        return None
    return Step(amount=amount, percent=bool(percent), direction=Direction.OUT if sign == "+" else Direction.IN)


def _check_across_rules(rules: list[ScalingRule], errors: list[str]) -> None:
    seen: set[str] = set()
    for rule in rules:
        if rule.alarm_name in seen:
            errors.append(f"alarm {rule.alarm_name!r} has more than one rule: one alarm scales one thing")
        seen.add(rule.alarm_name)
    by_target: dict[str, dict[Direction, int]] = {}
    for rule in rules:
        cooldowns = by_target.setdefault(rule.target_key, {})
        cooldowns[rule.direction] = min(rule.cooldown_seconds, cooldowns.get(rule.direction, rule.cooldown_seconds))
    for target, cooldowns in sorted(by_target.items()):
        if (
            Direction.IN in cooldowns
            and Direction.OUT in cooldowns
            and cooldowns[Direction.IN] < cooldowns[Direction.OUT]
        ):
            errors.append(
                f"{target}: scale-in cooldown ({cooldowns[Direction.IN]} s) is shorter than its scale-out cooldown "
                f"({cooldowns[Direction.OUT]} s); the two loops would flap"
            )


def _name(item: dict[str, Any], key: str, where: str, errors: list[str], *, required: bool) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{where}.{key} must be a non-empty string" + (" (required)" if required else ""))
        return None
    return value.strip()


def parse_bound(item: Mapping[str, Any], key: str, where: str, errors: list[str], limit: int) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limit:
        errors.append(f"{where}.{key} must be a whole number from 0 to {limit}, got {value!r}")
        return None
    return value
