"""What the verify job reads of a service's deployments beyond DescribeServices' own: task sets (the
CODE_DEPLOY and EXTERNAL controllers), service deployments and ECS's own rollbacks, stopped tasks.

Apart from ``fleetops.models.ecs`` so that the drain and scale functions, which never read them, do not
pay for them at every cold start (each frozen, slotted dataclass costs about 2 ms to create).
"""

from __future__ import annotations

from dataclasses import dataclass

from fleetops.models.ecs import LoadBalancerBinding


@dataclass(frozen=True, slots=True)
class TaskSet:
    """One entry of DescribeServices' ``taskSets``: how a service on the CODE_DEPLOY or EXTERNAL deployment
    controller runs its tasks (``deployments`` is empty for those: "Deployment", ECS API Reference, is used
    only with the ECS controller). The PRIMARY task set serves production traffic; an ACTIVE one does not;
    a DRAINING one is being stopped (TaskSet, ECS API Reference)."""

    id: str  # ecs-svc/..., also the startedBy of its tasks where ECS sets it (the documents do not say)
    arn: str
    status: str  # PRIMARY | ACTIVE | DRAINING
    # STEADY_STATE when running == computedDesiredCount, nothing pending, no task on a DRAINING host and
    # every task healthy (load balancers, service discovery, container health checks); else STABILIZING.
    stability_status: str
    task_definition: str
    computed_desired_count: int  # the service's desiredCount x the task set's scale, rounded up
    running_count: int
    pending_count: int
    external_id: str = ""  # CODE_DEPLOY: the CodeDeploy deployment that created the task set
    load_balancers: tuple[LoadBalancerBinding, ...] = ()  # the task set's own target groups


@dataclass(frozen=True, slots=True)
class EcsServiceDeployment:
    """One service deployment (DescribeServiceDeployments' ServiceDeployment), as far as ECS's own
    rollback goes. A rollback is no deployment of its own there: "Amazon ECS doesn't create a new service
    revision for a rollback operation" (Amazon ECS service revisions); the deployment that failed carries
    it, its ``rollback`` naming the revision deployed back, its status ROLLBACK_* ."""

    arn: str
    status: str  # ServiceDeploymentStatus: PENDING, IN_PROGRESS, ..., ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED
    created_at: float
    # The task definition of the revision its rollback deployed (``rollback.serviceRevisionArn``), "" when
    # it has no rollback or the revision could not be read.
    rolled_back_to: str = ""
    # ServiceDeploymentAlarms: ``triggeredAlarmNames`` once ``status`` is TRIGGERED (an alarm went to ALARM).
    triggered_alarms: tuple[str, ...] = ()
    circuit_breaker_triggered: bool = False  # ServiceDeploymentCircuitBreaker ``status`` TRIGGERED
    # Its own deploymentConfiguration: whether ECS rolls it back when alarms / the circuit breaker trigger;
    # None when the deployment does not say (the service's configuration is then asked).
    alarms_rollback: bool | None = None
    circuit_breaker_rollback: bool | None = None


@dataclass(frozen=True, slots=True)
class EcsRollbackEvidence:
    """What ListServiceDeployments and DescribeServiceDeployments say of ECS's own rollbacks of a service.

    ``under_way``: a deployment ECS is rolling back now (ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS).
    ``in_progress``: deployments still IN_PROGRESS, whose alarms or circuit breaker may have triggered.
    ``latest_rollback``: the service's newest service deployment, when it is one ECS rolled back
    (ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED) and nothing has been deployed since: the service runs what
    ECS's rollback left, whatever its DescribeServices deployment's reason says once it completed."""

    under_way: str = ""
    in_progress: tuple[EcsServiceDeployment, ...] = ()
    latest_rollback: EcsServiceDeployment | None = None


@dataclass(frozen=True, slots=True)
class ContainerExit:
    """How one container of a stopped task ended (DescribeTasks' Container: ``exitCode``, ``reason``)."""

    name: str
    exit_code: int | None  # None: the container never ran, or the agent did not report one
    reason: str


@dataclass(frozen=True, slots=True)
class StoppedTask:
    """A service's task that ECS has stopped or is stopping (``desiredStatus`` STOPPED): why, and when.

    ``stop_code`` (Task, ECS API Reference): TaskFailedToStart, EssentialContainerExited, UserInitiated,
    ServiceSchedulerInitiated, SpotInterruption, TerminationNotice, InfrastructureHealth; ``stopped_reason``
    says more ("Essential container in task exited", "Task failed ELB health checks in (target-group ...)")."""

    arn: str
    task_definition: str
    stop_code: str
    stopped_reason: str
    stopped_at: float | None  # epoch seconds (``stoppedAt``, else ``stoppingAt``); None: not yet reported
    containers: tuple[ContainerExit, ...] = ()
