"""When to roll back (pure guards), and how (ECS's own rollback where it applies, else UpdateService)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from botocore.exceptions import ClientError

from fleetops.aws.clients import error_code
from fleetops.aws.ecs import EcsAdapter
from fleetops.models.ecs import EcsService, ServiceDeployment
from fleetops.models.ecs_deployments import EcsRollbackEvidence
from fleetops.models.verify import RollbackAction, RollbackDecision, RollbackOutcome
from fleetops.observability import logger
from fleetops.verify.checks import is_circuit_breaker_rollback, is_rollback_reason, short_arn
from fleetops.verify.state import ROLLED_BACK_BY_ECS, ROLLED_BACK_BY_VERIFY, KnownGood, VerifyStateStore


def rollbacks_in_window(times: Sequence[float], now: float, window_seconds: int) -> int:
    return sum(1 for t in times if now - t < window_seconds)


def decide_rollback(
    *,
    wanted: bool,
    service: EcsService,
    deployment_id: str | None,
    deployment_is_our_rollback: bool,
    known_good: KnownGood | None,
    recent_rollbacks: int,
    max_per_window: int,
    window_seconds: int,
    failed_by_ecs: bool = False,
    deployment_is_ecs_rollback: bool = False,
    ecs: EcsRollbackEvidence | None = None,
) -> RollbackDecision:
    """Every reason not to roll back, checked in order; only a release with none left is rolled back.

    ``failed_by_ecs``: ECS itself failed the deployment (SERVICE_DEPLOYMENT_FAILED), as opposed to a
    deployment that completed and then failed verification. ``deployment_is_ecs_rollback``: the verify
    job saw ECS start this deployment as a rollback ("rolling back to deploymentId ..."), and remembers it
    after its reason stopped saying so. ``ecs``: what the service deployments say (ListServiceDeployments,
    DescribeServiceDeployments): a rollback under way, one ECS is about to start, or one it finished.
    """
    if not wanted:
        return RollbackDecision(False, "rollback is not configured for this service (reported only)")
    deployment = next((d for d in service.deployments if d.id == deployment_id), service.primary)
    current = deployment.task_definition if deployment is not None else service.task_definition
    # The first reason found is the one reported, so the families are asked in this order.
    refusal = (
        _ecs_rolls_it_back(service, deployment, ecs, failed_by_ecs=failed_by_ecs)
        or _release_is_a_rollback(
            deployment,
            deployment_id,
            current,
            ecs,
            ours=deployment_is_our_rollback,
            started_by_ecs=deployment_is_ecs_rollback,
        )
        or _ecs_already_rolling_back(service, deployment_id)
        or _superseded(service, deployment_id)
    )
    if refusal:
        return RollbackDecision(False, refusal)
    if known_good is None:
        return RollbackDecision(False, "no known-good task definition is recorded for this service yet")
    if known_good.task_definition == current:
        return RollbackDecision(False, f"the failing release runs the known-good {known_good.task_definition} already")
    if recent_rollbacks >= max_per_window:
        return RollbackDecision(
            False,
            f"rollback cap reached: {recent_rollbacks} rollback(s) of this service in the last "
            f"{window_seconds} s (at most {max_per_window})",
        )
    return RollbackDecision(
        True, f"rolling back to the last known-good {known_good.task_definition}", known_good.task_definition
    )


def _ecs_rolls_it_back(
    service: EcsService, deployment: ServiceDeployment | None, ecs: EcsRollbackEvidence | None, *, failed_by_ecs: bool
) -> str | None:
    """Why ECS rolls this release back itself (under way, about to start, or bound to by the service's
    configuration), in words; None when it does not. A rollback of ours on top would fight ECS's."""
    if ecs is not None and ecs.under_way:
        return f"ECS is already rolling back service deployment {ecs.under_way}: not fighting it"
    coming = _ecs_rollback_coming(service, ecs)
    if coming:
        return f"{coming}: ECS rolls it back itself; not fighting it"
    mechanisms = " and ".join(service.ecs_rollback_mechanisms)
    if failed_by_ecs and service.circuit_breaker_rollback:
        return "ECS's circuit breaker rolls this failed deployment back itself: not fighting it"
    if failed_by_ecs and mechanisms:
        return f"ECS rolls this failed deployment back itself ({mechanisms}): not fighting it"
    if deployment is not None and deployment.rollout_state == "FAILED" and mechanisms:
        # ECS failed it itself (a deployment alarm in ALARM, or the circuit breaker), and with rollback on
        # "the service is rolled back to the last deployment that completed successfully" (DeploymentAlarms,
        # DeploymentCircuitBreaker): ECS rolls it back, even if its rollback has not started yet.
        return f"ECS failed deployment {deployment.id} and rolls it back itself ({mechanisms}): not fighting it"
    return None


def _release_is_a_rollback(
    deployment: ServiceDeployment | None,
    deployment_id: str | None,
    current: str,
    ecs: EcsRollbackEvidence | None,
    *,
    ours: bool,
    started_by_ecs: bool,
) -> str | None:
    """Why the failing release is itself a rollback (this suite's or ECS's), or ECS's rollback of it
    failed, in words; None when neither. A rollback is never rolled back: a person must look."""
    if ours or (deployment is not None and is_rollback_reason(deployment.rollout_state_reason)):
        return "the failing deployment is itself a rollback: never roll back a rollback"
    if started_by_ecs:
        rollback = deployment.id if deployment is not None else deployment_id
        return (
            f"deployment {rollback} is ECS's rollback to {short_arn(current)}; that revision fails verification: "
            "a person must look (never roll back a rollback)"
        )
    latest = ecs.latest_rollback if ecs is not None else None
    if latest is not None and latest.status == "ROLLBACK_FAILED":
        return f"ECS's rollback of service deployment {latest.arn} failed (ROLLBACK_FAILED): a person must look"
    if latest is not None and latest.rolled_back_to in ("", current):
        # The newest service deployment is one ECS rolled back, to what the service runs now: the release
        # judged here is ECS's rollback, whichever revision it returned to.
        return (
            f"ECS rolled back service deployment {latest.arn} to {short_arn(current)}; that revision fails "
            "verification: a person must look (never roll back a rollback)"
        )
    return None


def _ecs_already_rolling_back(service: EcsService, deployment_id: str | None) -> str | None:
    """Why another deployment of the service is ECS's rollback in progress, in words; None when none is."""
    if any(
        d.rollout_state == "IN_PROGRESS" and is_circuit_breaker_rollback(d.rollout_state_reason)
        for d in service.deployments
    ):
        return "ECS's circuit breaker is already rolling back: not fighting it"
    if any(
        d.rollout_state == "IN_PROGRESS" and d.id != deployment_id and is_rollback_reason(d.rollout_state_reason)
        for d in service.deployments
    ):
        return "ECS is already rolling back (deployment alarms): not fighting it"
    return None


def _superseded(service: EcsService, deployment_id: str | None) -> str | None:
    """Why the judged deployment is no longer the service's PRIMARY one, in words; None while it is."""
    primary = service.primary
    if deployment_id and (primary is None or primary.id != deployment_id):
        newer = primary.id if primary else "nothing"
        return f"deployment {deployment_id} was superseded by {newer}: not rolling that back"
    return None


def rollback_owned_by_controller(service: EcsService) -> str | None:
    """Why this suite does not roll a CODE_DEPLOY or EXTERNAL service back, in words; None on the ECS controller.

    UpdateService on such a service changes only the desired count and a few settings: "If the network
    configuration, platform version, task definition, or load balancer need to be updated, create a new
    CodeDeploy deployment" (CODE_DEPLOY) / "create a new task set" (EXTERNAL) (UpdateService, ECS API
    Reference); ECS refuses a task definition with InvalidParameterException ("Unable to update task
    definition on services with a CODE_DEPLOY deployment controller"). So the failure is reported and a
    human (or the controller) rolls back: for CODE_DEPLOY, a deployment that has finished has nothing
    left to stop, and a new deployment of the old revision needs its AppSpec, which this suite does not
    have; the CodeDeploy deployment that made the task set is named, to redeploy or stop."""
    if not service.uses_task_sets:
        return None
    primary = service.primary_task_set
    if service.deployment_controller == "CODE_DEPLOY":
        made_by = (
            f" (task set {primary.id}, CodeDeploy deployment {primary.external_id or 'unknown'})" if primary else ""
        )
        return (
            f"the service uses the CODE_DEPLOY deployment controller{made_by}: ECS refuses UpdateService with a "
            "task definition, so the rollback is CodeDeploy's (redeploy the previous revision, or stop the "
            "deployment with rollback while it runs)"
        )
    made_by = f" (task set {primary.id})" if primary else ""
    return (
        f"the service uses the EXTERNAL deployment controller{made_by}: the external controller owns rollbacks "
        "(ECS refuses UpdateService with a task definition; make the previous task set PRIMARY)"
    )


def _ecs_rollback_coming(service: EcsService, ecs: EcsRollbackEvidence | None) -> str:
    """An in-progress service deployment whose deployment alarms (ServiceDeploymentAlarms ``status``
    TRIGGERED) or circuit breaker (ServiceDeploymentCircuitBreaker) have triggered, on a configuration
    that rolls back: ECS fails it and rolls it back itself, though DescribeServices may still say
    IN_PROGRESS. The deployment's own configuration decides; the service's where it does not say."""
    for deployment in ecs.in_progress if ecs is not None else ():
        alarms_rollback = service.alarms_rollback if deployment.alarms_rollback is None else deployment.alarms_rollback
        if deployment.triggered_alarms and alarms_rollback:
            names = ", ".join(deployment.triggered_alarms)
            return f"deployment alarm(s) {names} in ALARM in service deployment {deployment.arn}"
        breaker_rollback = (
            service.circuit_breaker_rollback
            if deployment.circuit_breaker_rollback is None
            else deployment.circuit_breaker_rollback
        )
        if deployment.circuit_breaker_triggered and breaker_rollback:
            return f"the circuit breaker triggered in service deployment {deployment.arn}"
    return ""


class RollbackRefusedError(ClientError):
    """AWS answered the rollback's own call (DescribeServices, StopServiceDeployment, UpdateService) and
    refused it: nothing was rolled back. Still a ClientError, so the event path retries as before."""

    def __init__(self, error: ClientError) -> None:
        super().__init__(error.response, error.operation_name)


class RollbackExecutor:
    def __init__(self, ecs: EcsAdapter, store: VerifyStateStore, clock: Callable[[], float]) -> None:
        self._ecs = ecs
        self._store = store
        self._clock = clock

    def roll_back(
        self,
        service: EcsService,
        deployment_id: str | None,
        *,
        wanted: bool,
        max_per_window: int,
        window_seconds: int,
        failed_by_ecs: bool = False,
    ) -> RollbackOutcome:
        owner = rollback_owned_by_controller(service) if wanted else None
        if owner is not None:
            return RollbackOutcome(RollbackAction.NONE, owner)  # reported; never UpdateService'd
        now = self._clock()
        self._remember_ecs_rollbacks(service, now)
        times, version = self._store.rollback_times(service.arn)
        judged = deployment_id or (service.primary.id if service.primary else None)
        started_by = self._store.rollback_started_by(judged) if judged else None
        known_good = self._store.known_good(service.arn) if wanted else None

        def decide(observed: EcsService, ecs: EcsRollbackEvidence | None = None) -> RollbackDecision:
            return decide_rollback(
                wanted=wanted,
                service=observed,
                deployment_id=deployment_id,
                deployment_is_our_rollback=started_by == ROLLED_BACK_BY_VERIFY,
                known_good=known_good,
                recent_rollbacks=rollbacks_in_window(times, now, window_seconds),
                max_per_window=max_per_window,
                window_seconds=window_seconds,
                failed_by_ecs=failed_by_ecs,
                deployment_is_ecs_rollback=started_by == ROLLED_BACK_BY_ECS,
                ecs=ecs,
            )

        decision = decide(service)
        if not decision.roll_back or decision.target_task_definition is None:
            return RollbackOutcome(RollbackAction.NONE, decision.reason)
        if not self._store.reserve_rollback(service.arn, times, version, now, window_seconds):
            return RollbackOutcome(RollbackAction.NONE, "another invocation rolled this service back just now")
        try:
            outcome = self._act(service, deployment_id, decide)
        except ClientError as error:
            # AWS answered and refused (AccessDenied, throttling past the retries, a bad parameter):
            # nothing was rolled back, so the reservation is given back and a retry may roll back.
            # (An error without an answer, a timeout, keeps it: the change may have happened.)
            self._store.release_rollback(service.arn, now, version + 1)
            raise RollbackRefusedError(error) from error
        if outcome.action is RollbackAction.NONE:
            self._store.release_rollback(service.arn, now, version + 1)
        elif outcome.new_deployment_id:
            try:
                self._store.mark_rollback_deployment(outcome.new_deployment_id, now)
            except ClientError as error:
                # The rollback happened: it is reported as done, never as refused. Unmarked, a later
                # failed verification of the rollback deployment is still not rolled back: it runs the
                # known-good already (decide_rollback), so the marker's loss costs no second rollback.
                logger.warning(f"rolled back, but the rollback deployment could not be recorded: {error}")
                outcome = replace(
                    outcome,
                    reason=f"{outcome.reason} (its record as this suite's rollback could not be written: "
                    f"{error_code(error)})",
                )
        return outcome

    def _remember_ecs_rollbacks(self, service: EcsService, now: float) -> None:
        """ECS's rollback deployment says so in its reason ("rolling back to deploymentId X") only while
        it is in progress; once it completes, its reason is that of any deployment. Seen now, it is
        remembered, so that a later failed verification of it is never rolled back again."""
        for deployment in service.deployments:
            if (
                deployment.status == "PRIMARY"
                and deployment.rollout_state == "IN_PROGRESS"
                and is_rollback_reason(deployment.rollout_state_reason)
                and self._store.rollback_started_by(deployment.id) is None
            ):
                self._store.mark_rollback_deployment(deployment.id, now, started_by=ROLLED_BACK_BY_ECS)

    def _act(
        self,
        service: EcsService,
        deployment_id: str | None,
        decide: Callable[[EcsService, EcsRollbackEvidence | None], RollbackDecision],
    ) -> RollbackOutcome:
        """Look again, then roll back: only AWS calls, so a ClientError here means nothing changed."""
        # The verification's look may be minutes old (a bake, slow smoke checks): the guards are asked
        # again about the service as it is now, before anything is changed.
        fresh = self._ecs.describe_service(service.cluster_arn, service.arn)
        if fresh is None:
            return RollbackOutcome(RollbackAction.NONE, "the service is no longer ACTIVE: nothing to roll back")
        if (owner := rollback_owned_by_controller(fresh)) is not None:
            return RollbackOutcome(RollbackAction.NONE, f"{owner} (on a fresh look before rolling back)")
        # A native blue/green deployment that ECS is rolling back (or any service deployment in
        # ROLLBACK_REQUESTED / ROLLBACK_IN_PROGRESS), one whose deployment alarms have triggered, and ECS's
        # finished rollback may show nothing of it in DescribeServices' deployments.
        decision = decide(fresh, self._ecs.ecs_rollback_evidence(fresh.cluster_arn, fresh.arn))
        if not decision.roll_back or decision.target_task_definition is None:
            return RollbackOutcome(RollbackAction.NONE, f"{decision.reason} (on a fresh look before rolling back)")
        failing = next((d for d in fresh.deployments if d.id == deployment_id), fresh.primary)
        failing_task_definition = failing.task_definition if failing is not None else fresh.task_definition
        in_progress = self._ecs.in_progress_service_deployment(fresh.cluster_arn, fresh.arn, failing_task_definition)
        if in_progress is not None:
            # The release has not finished rolling out: ECS's own rollback returns to the last
            # completed service revision and stops placing tasks of the bad one.
            self._ecs.stop_service_deployment_with_rollback(in_progress)
            return RollbackOutcome(
                RollbackAction.STOP_DEPLOYMENT,
                f"{decision.reason} with StopServiceDeployment (ROLLBACK) of {in_progress}",
                decision.target_task_definition,
            )
        new_deployment = self._ecs.roll_service_to(fresh.cluster_arn, fresh.arn, decision.target_task_definition)
        return RollbackOutcome(
            RollbackAction.UPDATE_SERVICE,
            f"{decision.reason} with UpdateService",
            decision.target_task_definition,
            new_deployment,
        )
