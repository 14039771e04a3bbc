"""One verification: find the service, observe it (paginated, batched), run the pure checks, and start
or continue the alarm bake. No decision is made here that a pure function could make."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from botocore.exceptions import BotoCoreError, ClientError

from fleetops.aws.clients import error_code, error_message
from fleetops.aws.cloudwatch import AlarmReader
from fleetops.aws.ecs import ClusterNotFoundError, EcsAdapter
from fleetops.aws.elbv2 import TargetHealthReader
from fleetops.errors import BadInputError
from fleetops.models.ecs import EcsService, ServiceTask
from fleetops.models.ecs_deployments import StoppedTask
from fleetops.models.verify import (
    NOTHING_VERIFIED,
    BakeState,
    CheckName,
    CheckResult,
    CheckStatus,
    ReleaseFailure,
    ServiceRef,
    SmokeOutcome,
    Verdict,
    VerificationReport,
    VerifyTrigger,
)
from fleetops.settings import NOTHING_NAMED, Scope
from fleetops.verify import checks as check
from fleetops.verify.config import ServiceChecks
from fleetops.verify.crashes import crashes_of
from fleetops.verify.task_sets import as_primary_task_set, check_task_sets

# The deployment list alone (an old deployment with no task left, still listed at COMPLETED) is given
# this long to settle when the service has no target group to take a bound from. No document says how
# long ECS lists it: a fixed minute, as long as one recheck at the default interval.
SETTLE_FLOOR_SECONDS = 60
# How far before a verification's first look a crash still counts. ECS replaces a crashed task at once,
# and the replacement may take minutes to start (image pull, placement): a task starting at the first
# look may replace a crash from just before it, as when a CI call comes seconds after the rollout. A
# crash longer ago than this has a replacement that already runs.
CRASH_LOOKBACK_SECONDS = 300


# Where a shortfall that settles by itself (a scale-out's tasks still starting, targets in their initial
# health checks) is waited out: the deployment event re-checks through the delayed queue, and a CI call
# answers SETTLING (the CLI polls it out; the function is re-invoked). A CodeDeploy or ECS lifecycle hook
# is answered within its own bake, never left waiting on a re-check that cannot answer it.
_SETTLING_TRIGGERS = frozenset({VerifyTrigger.ECS_EVENT, VerifyTrigger.DIRECT})
SETTLING_DIRECT_ADVICE = (
    "nothing was rolled back for it; invoke again to re-check (the CLI polls until it settles or the bound passes)"
)


class ServiceNotFoundError(BadInputError):
    """The service named by an event or a CI job does not exist (or is INACTIVE)."""


@dataclass(frozen=True, slots=True)
class Verification:
    report: VerificationReport
    service: EcsService | None
    checks: ServiceChecks


SmokeRunner = Callable[[ServiceChecks], list[SmokeOutcome]]
# The stack's checks for a service, tailored by the service's own tags (VerifyService.with_service_tags).
ChecksTailor = Callable[[ServiceChecks, EcsService], ServiceChecks]


def _as_configured(checks: ServiceChecks, _: EcsService) -> ServiceChecks:
    return checks


class VerificationRunner:
    def __init__(
        self,
        *,
        ecs: EcsAdapter,
        targets: TargetHealthReader,
        alarms: AlarmReader,
        smoke: SmokeRunner,
        clock: Callable[[], float],
        clusters: Scope = NOTHING_NAMED,
        tailor: ChecksTailor = _as_configured,
    ) -> None:
        self._ecs = ecs
        self._tailor = tailor
        self._targets = targets
        self._alarms = alarms
        self._smoke = smoke
        self._clock = clock
        self._clusters = clusters

    def resolve(self, ref: ServiceRef) -> tuple[ServiceRef, EcsService]:
        """Find the service; an old short ARN names no cluster, so the named clusters (every one with ``*``)
        are asked."""
        if ref.cluster:
            clusters = [ref.cluster]
        elif self._clusters.everything:
            clusters = self._ecs.cluster_arns()
        else:
            clusters = list(self._clusters.names)
        for cluster in clusters:
            try:
                found = self._ecs.describe_service(cluster, ref.service)
            except ClusterNotFoundError:
                continue
            if found is not None:
                return replace(ref, cluster=found.cluster_arn or cluster), found
        where = ref.cluster or f"any of {len(clusters)} cluster(s)"
        raise ServiceNotFoundError(f"service {ref.service!r} was not found ACTIVE in {where}")

    def identify_failure(self, failure: ReleaseFailure) -> ReleaseFailure:
        """The failure keyed by the deployment that failed (one report for ECS's two announcements)."""
        try:
            _, service = self.resolve(failure.service)
        except BadInputError:
            return failure  # reported as "service not found" by the failure's own handling
        failing = check.failing_deployment(service, failure.deployment_id, failure.rolled_back_to)
        return replace(failure, failing_deployment_id=failing)

    def verify(
        self,
        ref: ServiceRef,
        checks: ServiceChecks,
        *,
        trigger: VerifyTrigger,
        deployment_id: str | None = None,
        expected_task_definition: str | None = None,
        expected_image: str | None = None,
        deployment_checks: bool = True,
        settling_since: float | None = None,
        settle_until: float | None = None,
        settled_from: tuple[CheckResult, ...] = (),
        tags_apply: bool = True,
    ) -> Verification:
        """Every configured check, once. ``deployment_checks=False`` for hooks that run mid-deployment,
        when more than one deployment (or task set) is live by design.

        At SERVICE_DEPLOYMENT_COMPLETED the checks that fall short only for what settles by itself
        (targets still in their initial health checks, a task not registered yet, an essential container
        whose health is still UNKNOWN, an old deployment with no task left still listed) make the verdict
        SETTLING, not FAILED: re-checked (``settle_until``, ``settling_since`` and ``settled_from`` carry
        the first look's deadline, start and checks) until the bound the service's target groups and
        container health checks give, then failed.

        ``tags_apply``: the service's tags tailor ``checks`` (read in the same DescribeServices); False
        when a CI call chose the checks itself."""
        started = self._clock()
        ref, service = self.resolve(ref)
        if tags_apply:
            checks = self._tailor(checks, service)
        # CODE_DEPLOY / EXTERNAL controller: the release is the PRIMARY task set, with its own counts,
        # revision, target groups and tasks (task_sets.py).
        service = as_primary_task_set(service)
        cluster = service.cluster_arn
        results: list[CheckResult] = []
        tasks = self._service_tasks(service) if deployment_checks else []
        primary = service.primary
        health_settle_seconds = 0
        if deployment_checks and checks.deployment:
            results.append(
                check_task_sets(service, deployment_id)
                if service.uses_task_sets
                else check.check_deployment(service, deployment_id)
            )
        if deployment_checks and checks.tasks:
            crashes, unread = self._crashes(service, tasks, since=settling_since, started=started)
            results.append(check.check_tasks(service, tasks, expected_task_definition, expected_image, crashes, unread))
        if deployment_checks and checks.container_health:
            # The health checks that count are those of the revision that runs, not of the one expected.
            definition = primary.task_definition if primary else service.task_definition
            health_checks = self._ecs.container_health_checks(definition)
            health_settle_seconds = health_checks.settle_seconds
            results.append(
                check.check_container_health(tasks, health_checks.health_checked, health_checks.non_essential)
            )
        if deployment_checks and checks.targets:
            alternates = dict(service.alternate_target_groups)
            groups = dict.fromkeys([*service.target_group_arns, *alternates.values()])
            observed = {arn: self._targets.targets(arn) for arn in groups}
            # Bridge and host mode tasks are registered under their host's EC2 instance id.
            hosts = [
                task.container_instance_arn
                for task in tasks
                if task.last_status == "RUNNING" and not task.has_own_interface and task.container_instance_arn
            ]
            instance_ids = self._ecs.ec2_instance_ids(cluster, hosts) if hosts and groups else {}
            results.append(check.check_targets(service.load_balancers, observed, tasks, instance_ids, alternates))
        if checks.smoke:
            results.append(check.check_smoke(self._smoke(checks)))
        if checks.alarms:
            results.append(
                check.check_alarms(
                    checks.alarms, self._alarms.states(list(checks.alarms)), baking=checks.bake_seconds > 0
                )
            )
        now = self._clock()
        verdict = check.verdict_of(results)
        reason = _reason(verdict, results, hook=not deployment_checks)
        failing = [r for r in results if r.status is CheckStatus.FAILED]
        deadline: float | None = None
        if verdict is Verdict.FAILED and trigger in _SETTLING_TRIGGERS and all(r.settling for r in failing):
            deadline = (
                settle_until
                if settle_until is not None
                else started + max(self._settle_seconds(service), health_settle_seconds)
            )
            if now < deadline:
                verdict = Verdict.SETTLING
                reason = f"waiting up to {round(deadline - now)} s more for what settles by itself: {reason}"
                if trigger is VerifyTrigger.DIRECT:
                    reason += f"; {SETTLING_DIRECT_ADVICE}"
            else:
                reason += f" (still so after {round(now - (settling_since or started))} s, the bound to settle)"
        waited = _waited(settled_from, settling_since, now) if verdict is not Verdict.SETTLING else ""
        if waited and verdict is not Verdict.FAILED:
            reason += f"; {waited}"
        report = VerificationReport(
            service=ref,
            service_arn=service.arn,
            deployment_id=deployment_id or _deployment_of(service),
            task_definition=primary.task_definition if primary else service.task_definition,
            trigger=trigger,
            verdict=verdict,
            checks=tuple(results),
            started_at=settling_since if settling_since is not None else started,
            finished_at=now,
            bake_until=started + checks.bake_seconds if verdict is Verdict.BAKING else None,
            reason=reason,
            settle_until=deadline if verdict is Verdict.SETTLING else None,
            waited=waited,
        )
        return Verification(report, service, checks)

    def _service_tasks(self, service: EcsService) -> list[ServiceTask]:
        if service.uses_task_sets:
            return self._ecs.task_set_tasks(service.cluster_arn, service)
        return self._ecs.service_tasks(service.cluster_arn, service.name)

    def _crashes(
        self, service: EcsService, tasks: list[ServiceTask], *, since: float | None, started: float
    ) -> tuple[list[StoppedTask], int]:
        """The release's tasks that crashed since the verification began (its first look: ``since`` on a
        settle re-check), read from the service's stopped tasks only when needed: when a task is missing
        or starting (a scale-out, or ECS replacing a crash: only the stopped tasks tell), and at every
        settle re-check (a crash loop seen between two crashes has every task RUNNING). Crashes before
        the verification began are left out: the circuit breaker tolerates a few failed tasks in a
        rollout that completes ("resetOnHealthyTask"), and a good release must not fail for them; only
        ``CRASH_LOOKBACK_SECONDS`` before the first look count, whose replacement may still be starting.
        Also returns how many stopped tasks were listed but not read (``stopped_service_tasks``)."""
        if since is None and not check.wants_stopped_tasks(service, tasks):
            return [], 0
        revision = service.primary.task_definition if service.primary else service.task_definition
        stopped, unread = self._ecs.stopped_service_tasks(service.cluster_arn, service.name)
        window = (since if since is not None else started) - CRASH_LOOKBACK_SECONDS
        return crashes_of(stopped, revision, window), unread

    def _settle_seconds(self, service: EcsService) -> int:
        groups = [*service.target_group_arns, *dict(service.alternate_target_groups).values()]
        return max(SETTLE_FLOOR_SECONDS, self._targets.settle_seconds(groups))

    def continue_bake(self, state: BakeState) -> Verification:
        """One look at the alarms during the bake; the deployment must still be the PRIMARY one."""
        now = self._clock()
        ref, service = self.resolve(state.service)
        results = [c for c in state.checks if c.name is not CheckName.ALARMS]
        primary = service.primary
        if (
            state.deployment_id
            and state.trigger is VerifyTrigger.ECS_EVENT
            and (primary is None or primary.id != state.deployment_id)
        ):
            results.append(
                CheckResult(
                    CheckName.DEPLOYMENT,
                    CheckStatus.FAILED,
                    f"deployment {state.deployment_id} was superseded during the bake "
                    f"by {primary.id if primary else 'nothing'}",
                )
            )
        if state.task_definition and any(c.name is CheckName.TASKS for c in state.checks):
            # A crash loop is invisible to a look between two crashes, and alarms may not see it: the
            # release's crashes since the first look are read at every look of the bake too.
            stopped, _ = self._ecs.stopped_service_tasks(service.cluster_arn, service.name)
            crashed = crashes_of(stopped, state.task_definition, state.started_at - CRASH_LOOKBACK_SECONDS)
            if crashed:
                results.append(check.crashed_during_bake(crashed, state.task_definition))
        results.append(
            check.check_alarms(state.alarms, self._alarms.states(list(state.alarms)), baking=now < state.bake_until)
        )
        verdict = check.verdict_of(results)
        reason = _reason(verdict, results)
        if state.waited and verdict is not Verdict.FAILED:
            reason += f"; {state.waited}"
        report = VerificationReport(
            service=ref,
            service_arn=service.arn,
            deployment_id=state.deployment_id,
            task_definition=state.task_definition,
            trigger=state.trigger,
            verdict=verdict,
            checks=tuple(results),
            started_at=state.started_at,
            finished_at=now,
            bake_until=state.bake_until if verdict is Verdict.BAKING else None,
            reason=reason,
            waited=state.waited,
        )
        return Verification(report, service, ServiceChecks(alarms=state.alarms))


def aws_error_report(
    ref: ServiceRef, error: ClientError | BotoCoreError, *, trigger: VerifyTrigger, at: float
) -> VerificationReport:
    """The report of a verification an AWS error stopped (AccessDenied, a throttle past the retries, a
    missing resource): verdict ERROR, the error in words. Nothing is known of the release, so nothing
    is rolled back and nothing is remembered."""
    what = _refused(error) if isinstance(error, ClientError) else f"an AWS call failed: {error}"
    return VerificationReport(
        service=ref,
        service_arn="",
        deployment_id=None,
        task_definition=None,
        trigger=trigger,
        verdict=Verdict.ERROR,
        checks=(),
        started_at=at,
        finished_at=at,
        reason=f"verification could not run: {what}",
    )


def _refused(error: ClientError) -> str:
    return f"AWS refused {error.operation_name}: {error_code(error)} ({error_message(error)})"


def acting_error_report(report: VerificationReport, error: ClientError | BotoCoreError) -> VerificationReport:
    """The report of a verification whose checks ran, stopped by an AWS error while acting on its verdict
    (a bake's first message not sent, a rollback call with no answer): verdict ERROR, the checks and the
    verdict they gave kept, and what did not (or may not have) happened."""
    if isinstance(error, ClientError):
        what = _refused(error)
    else:
        what = f"an AWS call got no answer, so what it asked may or may not have happened: {error}"
    return replace(
        report,
        verdict=Verdict.ERROR,
        reason=f"the checks ran ({report.verdict.value}: {report.reason}), then acting on them stopped: {what}",
        bake_until=None,
        settle_until=None,
    )


def _deployment_of(service: EcsService) -> str | None:
    """The PRIMARY deployment's id, or the PRIMARY task set's (CODE_DEPLOY / EXTERNAL controller)."""
    primary = service.primary or service.primary_task_set
    return primary.id if primary else None


def _waited(settled_from: tuple[CheckResult, ...], since: float | None, now: float) -> str:
    """What a verification that settled waited for, in words: the first look's shortfalls."""
    if since is None or not settled_from:
        return ""
    what = "; ".join(f"{r.name.value}: {r.summary}" for r in settled_from if r.status is CheckStatus.FAILED)
    return f"waited {round(now - since)} s for what settles by itself ({what})"


# A lifecycle hook runs mid-deployment, where only the smoke checks and the alarms apply.
NOTHING_CONFIGURED_FOR_A_HOOK = (
    "no smoke checks or alarms are configured for this service, and a lifecycle hook runs only those"
)


def _reason(verdict: Verdict, results: list[CheckResult], *, hook: bool = False) -> str:
    failing = [r for r in results if r.status is CheckStatus.FAILED]
    if failing:
        return "; ".join(f"{r.name.value}: {r.summary}" for r in failing)
    if verdict is Verdict.BAKING:
        return "every check passed; the alarms are watched until the bake period ends"
    ran = [r.name.value for r in results if r.status is CheckStatus.PASSED]
    if not ran:
        # Nothing failed, so the answer stays a pass; but it must not read like a verified release.
        why = NOTHING_CONFIGURED_FOR_A_HOOK if hook else "every configured check was skipped"
        return f"{NOTHING_VERIFIED}: {why}"
    return f"every check passed ({', '.join(ran)})"
