"""The checks, as pure functions over what was observed: no AWS, no clock, no network.

Each returns a CheckResult whose evidence names what was seen, so a failure explains itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from fleetops.models.ecs import EcsService, LoadBalancerBinding, ServiceTask
from fleetops.models.ecs_deployments import StoppedTask
from fleetops.models.verify import (
    AlarmState,
    CheckName,
    CheckResult,
    CheckStatus,
    SmokeOutcome,
    TargetHealth,
    Verdict,
)
from fleetops.verify.crashes import crash_counts, describe_crash
from fleetops.verify.image_match import ExpectedImage, describe_container_image, mismatch_hint, parse_expected_image
from fleetops.verify.targets import task_target

# Evidence lists are cut here: a 500-task service must still make a message a human reads.
MAX_EVIDENCE = 10
# Targets in these states are on their way out (or not in use by the group) and are not counted.
_IGNORED_TARGET_STATES = frozenset({"draining", "unused"})
# Phrases ECS puts in rolloutStateReason / the event reason when a deployment is a rollback.
ROLLBACK_MARKERS = ("rolling back", "rollback", "rolled back")
# A task on its way to RUNNING (the task lifecycle, ECS Developer Guide): placed or waiting for capacity
# (PROVISIONING: a capacity provider's instance, or an awsvpc interface), pulling and starting (PENDING),
# registering with its load balancer (ACTIVATING).
_STARTING_TASK_STATES = frozenset({"PROVISIONING", "PENDING", "ACTIVATING"})


def is_rollback_reason(reason: str) -> bool:
    text = reason.lower()
    return any(marker in text for marker in ROLLBACK_MARKERS)


def is_circuit_breaker_rollback(reason: str) -> bool:
    text = reason.lower()
    return "circuit breaker" in text and is_rollback_reason(text)


def failing_deployment(service: EcsService, event_deployment: str, rolled_back_to: str | None) -> str:
    """Which deployment a circuit-breaker failure is about, whichever deployment its event names.

    SERVICE_DEPLOYMENT_FAILED names the failing one. SERVICE_DEPLOYMENT_IN_PROGRESS "rolling back to
    deploymentId X" may name it too, or the rollback deployment that starts (the documents' example
    does not say); DescribeServices then still lists the failed one, ``rolloutState`` FAILED."""
    by_id = {d.id: d for d in service.deployments}
    named = by_id.get(event_deployment)
    if named is not None and named.rollout_state == "FAILED":
        return event_deployment
    # (The deployment rolled back to is never FAILED: a rollback needs a COMPLETED one to return to.)
    failed = [d for d in service.deployments if d.id != event_deployment and d.rollout_state == "FAILED"]
    if failed:
        return failed[0].id
    if named is not None and is_circuit_breaker_rollback(named.rollout_state_reason):
        # The event names the rollback deployment, and ECS has not marked the failed one yet.
        replaced = [
            d for d in service.deployments if d.id not in (event_deployment, rolled_back_to) and d.status != "PRIMARY"
        ]
        if replaced:
            return replaced[0].id
    return event_deployment


def check_deployment(service: EcsService, deployment_id: str | None) -> CheckResult:
    """The deployment is PRIMARY, its rollout COMPLETED, the only one left."""
    evidence = tuple(
        f"{d.id} {d.status} rollout={d.rollout_state or '-'} running={d.running_count}/{d.desired_count} "
        f"failed={d.failed_tasks} ({short_arn(d.task_definition)})"
        for d in service.deployments
    )
    primary = service.primary
    problems: list[str] = []
    lasting = False  # a problem that no wait will settle
    if primary is None:
        lasting = True
        problems.append("the service has no PRIMARY deployment")
    else:
        if deployment_id and primary.id != deployment_id:
            lasting = True
            problems.append(f"deployment {deployment_id} is no longer PRIMARY ({primary.id} is): it was superseded")
        if not primary.rollout_state and service.deployment_controller == "ECS":
            # "The rolloutState of a service is only returned for services that use the rolling update
            # (ECS) deployment type that aren't behind a Classic Load Balancer" (Deployment, ECS API
            # Reference). Without it, the rollout is judged as ECS's own services-stable waiter judges
            # it: one deployment left, its tasks all running. Short of that, the rollout is still going
            # (or scaling): it settles, and one that never gets there fails at the bound.
            if primary.running_count != primary.desired_count or primary.pending_count:
                problems.append(
                    f"{without_rollout_state(service)}, and its PRIMARY deployment runs "
                    f"{primary.running_count} of {primary.desired_count} task(s) ({primary.pending_count} pending)"
                )
        elif primary.rollout_state != "COMPLETED":
            lasting = True
            reason = f" ({primary.rollout_state_reason})" if primary.rollout_state_reason else ""
            problems.append(f"rollout state is {primary.rollout_state or 'unknown'}, not COMPLETED{reason}")
        # ``failedTasks`` is not judged: "Once a service deployment has one or more successfully running
        # tasks, the failed task count resets to zero and stops being evaluated" (Deployment, ECS API
        # Reference), so on a COMPLETED deployment it is 0 whatever its tasks do after they started; with
        # the circuit breaker's ``resetOnHealthyTask`` false ("Amazon ECS does not reset the failure
        # count", DeploymentCircuitBreaker) it counts failures the deployment got over, below the
        # breaker's threshold. Neither says the release is bad: tasks that crash after they started show
        # in the tasks and health checks. It stays in the evidence.
    if len(service.deployments) != 1:
        # At SERVICE_DEPLOYMENT_COMPLETED an old deployment may still be listed a moment, with no task
        # left (the documents do not say it is gone by then): that settles. One with tasks does not.
        old = [d for d in service.deployments if d is not primary]
        # Without a rollout state, an old deployment with tasks is the rolling update still under way.
        rollout_unknown = primary is not None and not primary.rollout_state and service.deployment_controller == "ECS"
        lasting = lasting or (not rollout_unknown and any(d.running_count or d.pending_count for d in old))
        problems.append(f"{len(service.deployments)} deployments are active, not exactly one")
    if problems:
        return CheckResult(
            CheckName.DEPLOYMENT, CheckStatus.FAILED, "; ".join(problems), evidence, settling=not lasting
        )
    if primary is not None and not primary.rollout_state:
        what = f"one PRIMARY deployment, all {primary.desired_count} of its task(s) running"
        what += f" ({without_rollout_state(service)})"
        return CheckResult(CheckName.DEPLOYMENT, CheckStatus.PASSED, what, evidence)
    return CheckResult(CheckName.DEPLOYMENT, CheckStatus.PASSED, "one PRIMARY deployment, rollout COMPLETED", evidence)


def without_rollout_state(service: EcsService) -> str:
    """Why a deployment has no rollout state, in words."""
    if service.classic_load_balancers:
        names = ", ".join(service.classic_load_balancers)
        return f"ECS gives no rollout state for a service behind a Classic Load Balancer ({names})"
    return "ECS gave no rollout state for the deployment"


def check_tasks(
    service: EcsService,
    tasks: Sequence[ServiceTask],
    expected_task_definition: str | None,
    expected_image: str | None,
    crashes: Sequence[StoppedTask] = (),
    stopped_unread: int = 0,
) -> CheckResult:
    """Every task the service keeps running is on the expected revision (and image), and as many run as
    are desired, or the difference is a change of the desired count under way (settling).

    A release is judged on its own tasks: Application Auto Scaling, a person or the scale job may change
    ``desiredCount`` at any time (UpdateService changes it without a new deployment). A shortfall covered
    by tasks still starting (PROVISIONING, PENDING, ACTIVATING, of the PRIMARY deployment's revision) is
    a scale-out under way and settles by itself; tasks beyond the desired count (a scale-in, the leaving
    tasks not stopped yet) are the release's too and are judged like the others; tasks ECS is stopping
    (``desiredStatus`` STOPPED) are leaving and not judged. A shortfall with no task starting in its place
    is what a task that stopped and was not replaced leaves: it fails at once.

    ``crashes``: tasks of the release's revision that crashed during the verification (``crashes.py``).
    ECS replaces a crashed task at once without changing ``desiredCount``, so its replacement starting
    looks like a scale-out: with a crash seen, nothing starting is waited out, and the release fails
    whatever the running tasks look like now (a look between two crashes of a crash loop sees them all
    RUNNING)."""
    primary_revision = service.primary.task_definition if service.primary else service.task_definition
    expected = expected_task_definition or primary_revision
    kept = [task for task in tasks if task.desired_status == "RUNNING"]
    leaving = [task for task in tasks if task.desired_status != "RUNNING"]
    running = [task for task in kept if task.last_status == "RUNNING"]
    starting = [task for task in kept if task.last_status in _STARTING_TASK_STATES]
    evidence: list[str] = [
        f"service: desired={service.desired_count} running={service.running_count} pending={service.pending_count}",
        f"tasks seen: {len(tasks)} ({_counts(task.last_status for task in tasks)})",
    ]
    if leaving:
        evidence.append(
            f"{len(leaving)} task(s) being stopped by ECS, not judged ({_counts(t.last_status for t in leaving)})"
        )
    image = parse_expected_image(expected_image) if expected_image else None  # malformed: BadInputError
    # In the order they are reported.
    found = (
        _crashed(crashes, primary_revision),
        _not_all_running(
            service, running, starting, primary_revision, crashed=bool(crashes), stopped_unread=stopped_unread
        ),
        _not_on_revision(running, expected),
        _not_on_image(running, image),
    )
    problems = [problem for problem in found if problem is not None]
    if problems:
        return _failed(CheckName.TASKS, problems, [*evidence, *(line for p in problems for line in p.evidence)])
    shortfall = service.desired_count - len(running)
    what = f"{len(running)}/{service.desired_count} task(s) running {short_arn(expected)}"
    if shortfall < 0:
        what += f" ({-shortfall} more than desired: a scale-in under way)"
    return CheckResult(
        CheckName.TASKS,
        CheckStatus.PASSED,
        what + (f" with {image}" if image is not None else ""),
        tuple(evidence),
    )


class _Problem(NamedTuple):
    """One thing a check found wrong: its words, whether no wait will settle it, what shows it."""

    text: str
    lasting: bool
    evidence: tuple[str, ...] = ()


def _failed(name: CheckName, problems: Sequence[_Problem], evidence: Iterable[str]) -> CheckResult:
    """A failed check: settling only when every problem settles by itself."""
    return CheckResult(
        name,
        CheckStatus.FAILED,
        "; ".join(problem.text for problem in problems),
        tuple(evidence),
        settling=not any(problem.lasting for problem in problems),
    )


def _crashed(crashes: Sequence[StoppedTask], revision: str) -> _Problem | None:
    if not crashes:
        return None
    return _Problem(
        f"{len(crashes)} task(s) of {short_arn(revision)} crashed during the verification ({crash_counts(crashes)})",
        lasting=True,
        evidence=tuple(f"crashed: {describe_crash(t)}" for t in crashes[:MAX_EVIDENCE]),
    )


def _not_all_running(
    service: EcsService,
    running: Sequence[ServiceTask],
    starting: Sequence[ServiceTask],
    primary_revision: str,
    *,
    crashed: bool,
    stopped_unread: int,
) -> _Problem | None:
    """Tasks still starting, or fewer running than desired: a scale-out, a replacement, or a failure."""
    wrong_start = [task for task in starting if task.task_definition != primary_revision]
    shortfall = service.desired_count - len(running)
    if wrong_start:
        return _Problem(
            f"{len(wrong_start)} starting task(s) are not on the PRIMARY deployment's {short_arn(primary_revision)}",
            lasting=True,
            evidence=tuple(
                f"{short_arn(t.arn)} starts {short_arn(t.task_definition)}" for t in wrong_start[:MAX_EVIDENCE]
            ),
        )
    if shortfall > 0:
        return _shortfall(service, len(running), starting, shortfall, crashed=crashed, stopped_unread=stopped_unread)
    if starting and crashed:
        return _Problem(f"{len(starting)} task(s) starting in place of crashed task(s)", lasting=False)
    if starting:
        # As many run as are desired, and more start: a replacement, or a scale-out the service's counts
        # do not show yet. It is watched until it runs (then judged like the others) or is stopped.
        return _Problem(
            f"{len(starting)} task(s) not yet running ({_counts(t.last_status for t in starting)})", lasting=False
        )
    return None


def _shortfall(
    service: EcsService,
    running: int,
    starting: Sequence[ServiceTask],
    shortfall: int,
    *,
    crashed: bool,
    stopped_unread: int,
) -> _Problem:
    """Fewer tasks run than are desired: a scale-out under way when tasks starting cover it, else a failure."""
    # ``pendingCount`` is counted too: ListTasks may not list a task the service already counts.
    on_the_way = max(len(starting), service.primary.pending_count if service.primary else 0)
    if on_the_way < shortfall:
        return _Problem(
            f"{running} task(s) running, {service.desired_count} desired"
            + (f" (only {len(starting)} starting)" if starting else ""),
            lasting=True,
        )
    if crashed:
        return _Problem(
            f"{running} task(s) running, {service.desired_count} desired: {shortfall} more starting "
            "in place of crashed task(s), not a scale-out",
            lasting=False,
        )
    if stopped_unread:
        # The stopped tasks not read may hold the crash this start replaces: not proven a scale-out.
        return _Problem(
            f"{running} task(s) running, {service.desired_count} desired: {shortfall} more starting, "
            f"not proven a scale-out ({stopped_unread} stopped task(s) beyond those read may be crashes)",
            lasting=True,
        )
    return _Problem(
        f"{running} task(s) running, {service.desired_count} desired: {shortfall} more still starting "
        f"({_counts(t.last_status for t in starting) or f'{on_the_way} pending'}), a scale-out under way",
        lasting=False,
    )


def _not_on_revision(running: Sequence[ServiceTask], expected: str) -> _Problem | None:
    wrong_revision = [task for task in running if not _same_task_definition(task.task_definition, expected)]
    if not wrong_revision:
        return None
    return _Problem(
        f"{len(wrong_revision)} running task(s) are not on {short_arn(expected)}",
        lasting=True,
        evidence=tuple(
            f"{short_arn(t.arn)} runs {short_arn(t.task_definition)}" for t in wrong_revision[:MAX_EVIDENCE]
        ),
    )


def _not_on_image(running: Sequence[ServiceTask], image: ExpectedImage | None) -> _Problem | None:
    if image is None:
        return None
    # A task runs the image when one of its containers does (the others are its sidecars).
    wrong_image = [task for task in running if not any(image.runs_in(c) for c in task.containers)]
    if not wrong_image:
        return None
    hint = mismatch_hint(image, [c for t in wrong_image for c in t.containers])
    return _Problem(
        f"{len(wrong_image)} running task(s) do not run image {image}" + (f" ({hint})" if hint else ""),
        lasting=True,
        evidence=tuple(
            f"{short_arn(t.arn)} runs {', '.join(describe_container_image(c) for c in t.containers)}"
            for t in wrong_image[:MAX_EVIDENCE]
        ),
    )


def wants_stopped_tasks(service: EcsService, tasks: Sequence[ServiceTask]) -> bool:
    """Whether the look must read the service's stopped tasks to judge its tasks: fewer run than are
    desired, or one is starting. Either is a scale-out under way, or ECS replacing a task that crashed,
    and only the stopped tasks tell which. A look with neither reads nothing more (a healthy
    verification's calls stay as they were)."""
    kept = [task for task in tasks if task.desired_status == "RUNNING"]
    running = sum(1 for task in kept if task.last_status == "RUNNING")
    return running < service.desired_count or any(task.last_status in _STARTING_TASK_STATES for task in kept)


def crashed_during_bake(crashes: Sequence[StoppedTask], revision: str) -> CheckResult:
    """Tasks of the release that crashed while its alarms baked: the release fails, whatever the alarms say."""
    return CheckResult(
        CheckName.TASKS,
        CheckStatus.FAILED,
        f"{len(crashes)} task(s) of {short_arn(revision)} crashed during the bake ({crash_counts(crashes)})",
        tuple(f"crashed: {describe_crash(t)}" for t in crashes[:MAX_EVIDENCE]),
    )


def check_container_health(
    tasks: Sequence[ServiceTask], health_checked: frozenset[str], non_essential: frozenset[str] = frozenset()
) -> CheckResult:
    """Every essential container that defines a health check (``health_checked``, by name) is HEALTHY.

    ``non_essential`` containers are reported, never judged: "The container health check status of
    nonessential containers [does] not have an effect on the health status of a task" (HealthCheck, ECS
    API Reference), so ECS neither marks the task UNHEALTHY nor replaces it for a sidecar's health check,
    and a release is not failed for one either."""
    running = [task for task in tasks if task.last_status == "RUNNING"]
    judged = health_checked - non_essential
    seen = [(task, c) for task in running for c in task.containers if c.name in health_checked]
    bad = [(t, c) for t, c in seen if c.name in judged and c.health_status != "HEALTHY"]
    # A sidecar (a log router, a proxy with its own health check) that is not HEALTHY: evidence only.
    aside = [(t, c) for t, c in seen if c.name not in judged and c.health_status != "HEALTHY"]
    checked = sum(1 for _, c in seen if c.name in judged)
    evidence = tuple(f"{short_arn(t.arn)} {c.name}: {c.health_status}" for t, c in bad[:MAX_EVIDENCE]) + tuple(
        f"{short_arn(t.arn)} {c.name}: {c.health_status} (non-essential, not judged)" for t, c in aside[:MAX_EVIDENCE]
    )
    states = _counts(c.health_status for _, c in aside)
    noted = f"; {len(aside)} non-essential container(s) not HEALTHY, not judged ({states})" if aside else ""
    if not judged:
        what = f"no {'essential ' if health_checked else ''}container defines a health check"
        return CheckResult(CheckName.CONTAINER_HEALTH, CheckStatus.SKIPPED, what + noted, evidence)
    if bad:
        what = f"{len(bad)} of {checked} health-checked container(s) are not HEALTHY"
        return CheckResult(
            CheckName.CONTAINER_HEALTH,
            CheckStatus.FAILED,
            f"{what} ({_counts(c.health_status for _, c in bad)}){noted}",
            evidence,
            # UNKNOWN: "The container health check is being evaluated" (HealthCheck, ECS API Reference): a
            # task just started (a replacement, a scale-out, a task moved off a draining host) is UNKNOWN
            # until its checks have run. That settles by itself; UNHEALTHY does not.
            settling=all(c.health_status == "UNKNOWN" for _, c in bad),
        )
    what = f"{checked} health-checked container(s) HEALTHY"
    return CheckResult(CheckName.CONTAINER_HEALTH, CheckStatus.PASSED, what + noted, evidence)


def check_targets(
    load_balancers: Sequence[LoadBalancerBinding],
    targets: Mapping[str, Sequence[TargetHealth]],
    tasks: Sequence[ServiceTask],
    ec2_instance_ids: Mapping[str, str],
    alternates: Mapping[str, str] | None = None,
) -> CheckResult:
    """Each target group: every running task of the service has a healthy target (draining/unused
    ignored). Targets that are not this service's tasks' (another service's, or registered by hand,
    in a shared group) are counted in the evidence and never judged.

    ``alternates`` (ECS native blue/green): a load balancer's target group and its alternate swap roles
    at each deployment, so the pair is one: a task's target counts wherever it is registered."""
    if not load_balancers:
        return CheckResult(CheckName.TARGETS, CheckStatus.SKIPPED, "the service has no load balancer target group")
    # A task ECS is stopping (``desiredStatus`` STOPPED: a scale-in, a replacement) is deregistered first,
    # its target draining: it is leaving, and is not expected to have a live target.
    running = [task for task in tasks if task.last_status == "RUNNING" and task.desired_status == "RUNNING"]
    looks = [
        _look_at_target_group(balancer, targets, running, ec2_instance_ids, alternates) for balancer in load_balancers
    ]
    problems = [problem for look in looks for problem in look.problems]
    if problems:
        return _failed(CheckName.TARGETS, problems, (line for look in looks for line in look.evidence))
    others_seen = sum(look.others for look in looks)
    groups = len(dict.fromkeys(balancer.target_group_arn for balancer in load_balancers))
    return CheckResult(
        CheckName.TARGETS,
        CheckStatus.PASSED,
        f"{groups} target group(s), {len(running)} healthy target(s) each"
        + (f" ({others_seen} other target(s) in shared groups not judged)" if others_seen else ""),
        tuple(look.summary for look in looks),
    )


@dataclass(frozen=True, slots=True)
class _TargetGroupLook:
    """One load balancer's target group (or blue/green pair) as the running tasks find it."""

    summary: str  # the group's line of evidence
    problems: tuple[_Problem, ...]
    others: int  # live targets that are not this service's tasks': counted, never judged

    @property
    def evidence(self) -> tuple[str, ...]:
        return (self.summary, *(line for problem in self.problems for line in problem.evidence))


def _look_at_target_group(
    balancer: LoadBalancerBinding,
    targets: Mapping[str, Sequence[TargetHealth]],
    running: Sequence[ServiceTask],
    ec2_instance_ids: Mapping[str, str],
    alternates: Mapping[str, str] | None,
) -> _TargetGroupLook:
    arn = balancer.target_group_arn
    pair = (arn, alternates[arn]) if alternates and arn in alternates else (arn,)
    name = " + ".join(_group(group) for group in pair)
    live = _live_targets(pair, targets)
    own, missing, unknown = _match_running_tasks(running, balancer, live, ec2_instance_ids)
    others = [t for found in live.values() for t in found]  # what no running task claimed
    unhealthy = [t for t in own if t.state != "healthy"]
    states = _counts(t.state for t in own) or "none"
    summary = f"{name}: {len(own)} target(s) of {len(running)} running task(s) ({states})"
    if others:
        summary += f"; {len(others)} other target(s), not judged ({_counts(t.state for t in others)})"
    problems: list[_Problem] = []
    if unhealthy:
        # "initial": registering, or still in the initial health checks (ELB's TargetHealth reason
        # Elb.RegistrationInProgress or Elb.InitialHealthChecking): that settles by itself.
        problems.append(
            _Problem(
                f"{len(unhealthy)} target(s) of {name} are not healthy",
                lasting=any(t.state != "initial" for t in unhealthy),
                evidence=tuple(
                    f"  {t.target_id}:{t.port} {t.state} {t.reason}".rstrip() for t in unhealthy[:MAX_EVIDENCE]
                ),
            )
        )
    if missing:
        # ECS registers a task's target as it starts: a task not yet registered settles within the
        # health checks, and one that never is fails at the bound.
        problems.append(
            _Problem(
                f"{len(missing)} running task(s) have no live target in {name}", False, tuple(missing[:MAX_EVIDENCE])
            )
        )
    if unknown:
        # A RUNNING task shows its bindings and address (NetworkBinding); until it does, wait.
        problems.append(
            _Problem(
                f"{len(unknown)} running task(s) cannot be matched to a target of {name}",
                False,
                tuple(unknown[:MAX_EVIDENCE]),
            )
        )
    return _TargetGroupLook(summary, tuple(problems), len(others))


def _live_targets(
    pair: Sequence[str], targets: Mapping[str, Sequence[TargetHealth]]
) -> dict[tuple[str, int | None], list[TargetHealth]]:
    """The targets of a group (or blue/green pair) not on their way out, by (target id, port)."""
    live: dict[tuple[str, int | None], list[TargetHealth]] = {}
    for group in pair:
        for target in targets.get(group, ()):
            if target.state not in _IGNORED_TARGET_STATES:
                live.setdefault((target.target_id, target.port), []).append(target)
    return live


def _match_running_tasks(
    running: Sequence[ServiceTask],
    balancer: LoadBalancerBinding,
    live: dict[tuple[str, int | None], list[TargetHealth]],
    ec2_instance_ids: Mapping[str, str],
) -> tuple[list[TargetHealth], list[str], list[str]]:
    """Each running task's own target, taken out of ``live`` (what is left there is other targets);
    and, as evidence lines, the tasks with no live target and those that cannot be matched yet."""
    own: list[TargetHealth] = []
    missing: list[str] = []
    unknown: list[str] = []
    for task in running:
        expected = task_target(task, balancer, ec2_instance_ids)
        if isinstance(expected, str):
            unknown.append(f"  {short_arn(task.arn)}: {expected}")
            continue
        found = next((live.pop(key) for key in expected.keys if key in live), [])
        if not found:
            missing.append(f"  {short_arn(task.arn)}: no live target {expected.target_id}:{expected.port}")
            continue
        # Registered in both groups of a blue/green pair, the healthy registration is the one in use.
        own.append(next((t for t in found if t.state == "healthy"), found[0]))
    return own, missing, unknown


def check_smoke(outcomes: Sequence[SmokeOutcome]) -> CheckResult:
    if not outcomes:
        return CheckResult(CheckName.SMOKE, CheckStatus.SKIPPED, "no smoke check configured")
    evidence = tuple(
        f"{o.method} {o.url} -> {o.status if o.status is not None else 'no answer'}: {o.detail} "
        f"({o.attempts} attempt(s))"
        for o in outcomes
    )
    failed = [o for o in outcomes if not o.passed]
    if failed:
        return CheckResult(
            CheckName.SMOKE, CheckStatus.FAILED, f"{len(failed)} of {len(outcomes)} smoke check(s) failed", evidence
        )
    return CheckResult(CheckName.SMOKE, CheckStatus.PASSED, f"{len(outcomes)} smoke check(s) passed", evidence)


def check_alarms(configured: Sequence[str], seen: Sequence[AlarmState], *, baking: bool) -> CheckResult:
    """No configured alarm in ALARM; a configured alarm that does not exist fails (a typo hides nothing).

    ``baking``: the bake period is not over, so a clean look is PENDING, not PASSED.
    """
    if not configured:
        return CheckResult(CheckName.ALARMS, CheckStatus.SKIPPED, "no alarm configured")
    by_name = {alarm.name: alarm for alarm in seen}
    missing = [name for name in configured if name not in by_name]
    firing = [by_name[name] for name in configured if name in by_name and by_name[name].state == "ALARM"]
    evidence = tuple(
        f"{name}: {by_name[name].state}" + (f" ({by_name[name].reason})" if by_name[name].state == "ALARM" else "")
        if name in by_name
        else f"{name}: does not exist"
        for name in configured
    )
    if firing or missing:
        parts = []
        if firing:
            parts.append(f"{len(firing)} alarm(s) in ALARM: {', '.join(a.name for a in firing)}")
        if missing:
            parts.append(f"{len(missing)} configured alarm(s) do not exist: {', '.join(missing)}")
        return CheckResult(CheckName.ALARMS, CheckStatus.FAILED, "; ".join(parts), evidence)
    if baking:
        return CheckResult(
            CheckName.ALARMS, CheckStatus.PENDING, f"{len(configured)} alarm(s) quiet so far; baking", evidence
        )
    return CheckResult(
        CheckName.ALARMS, CheckStatus.PASSED, f"{len(configured)} alarm(s) stayed out of ALARM", evidence
    )


def verdict_of(checks: Iterable[CheckResult]) -> Verdict:
    statuses = {check.status for check in checks}
    if CheckStatus.FAILED in statuses:
        return Verdict.FAILED
    if CheckStatus.PENDING in statuses:
        return Verdict.BAKING
    return Verdict.PASSED


def _same_task_definition(actual: str, expected: str) -> bool:
    """Full ARNs compare exactly; a ``family:revision`` given by a CI job matches its ARN. A bare family
    matches nothing: ``web`` would accept ``web:41``, the revision a rollback went back to."""
    if expected.startswith("arn:"):
        return actual == expected
    return ":" in expected and actual.rsplit("/", 1)[-1] == expected


def _counts(values: Iterable[str]) -> str:
    return ", ".join(f"{n} {value}" for value, n in sorted(Counter(values).items()))


def _group(arn: str) -> str:
    """``web-0/2b3f28daf7467c80`` from a target group ARN: the name a human recognises."""
    return arn.split(":targetgroup/", 1)[-1]


def short_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn.startswith("arn:") else arn
