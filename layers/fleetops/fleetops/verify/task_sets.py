"""Services on the CODE_DEPLOY or EXTERNAL deployment controller: judged by their PRIMARY task set.

DescribeServices gives such a service an empty ``deployments`` list and its ``taskSets`` instead
("Deployment", ECS API Reference: used only with the ECS controller). A release is the PRIMARY task set
(the one serving production traffic): its task definition, its counts, its own load balancers and its
tasks. Pure functions, like ``checks``.
"""

from __future__ import annotations

from dataclasses import replace

from fleetops.models.ecs import EcsService
from fleetops.models.ecs_deployments import TaskSet
from fleetops.models.verify import CheckName, CheckResult, CheckStatus


def as_primary_task_set(service: EcsService) -> EcsService:
    """The service as its PRIMARY task set sees it, for the checks written for the ECS controller: desired
    is the task set's ``computedDesiredCount``, the revision and load balancers are the task set's own.

    DescribeServices "returns all fields specified for a primary task set" (Deploy Amazon ECS services
    using a third-party controller), but the target groups at the service level may be another task
    set's (CodeDeploy swaps blue and green at each deployment): the task set's own are the ones judged.
    A service on the ECS controller, or without a PRIMARY task set, is returned as it is."""
    primary = service.primary_task_set
    if not service.uses_task_sets or primary is None:
        return service
    return replace(
        service,
        desired_count=primary.computed_desired_count,
        running_count=primary.running_count,
        pending_count=primary.pending_count,
        task_definition=primary.task_definition,
        load_balancers=primary.load_balancers,
        target_group_arns=tuple(dict.fromkeys(lb.target_group_arn for lb in primary.load_balancers)),
        alternate_target_groups=(),  # ECS native blue/green only
    )


def check_task_sets(service: EcsService, deployment_id: str | None) -> CheckResult:
    """What ``check_deployment`` is for a task-set service: exactly one PRIMARY task set, in STEADY_STATE,
    the only one with tasks. ``deployment_id`` (when a caller names one) is the task set's id or the
    CodeDeploy deployment that created it (its ``externalId``)."""
    evidence = tuple(_describe(t) for t in service.task_sets)
    primary = service.primary_task_set
    problems: list[str] = []
    lasting = False  # a problem that no wait will settle
    if primary is None:
        lasting = True
        problems.append(f"the service ({service.deployment_controller} controller) has no PRIMARY task set")
    else:
        if deployment_id and deployment_id not in (primary.id, primary.external_id):
            lasting = True
            problems.append(f"{deployment_id} is not the PRIMARY task set ({primary.id} is): it was superseded")
        if primary.stability_status != "STEADY_STATE":
            # STABILIZING: tasks still starting, pending, on a draining host or not yet healthy behind the
            # load balancer (TaskSet, ECS API Reference): what settles by itself, or fails at the bound.
            problems.append(
                f"the PRIMARY task set {primary.id} is {primary.stability_status or 'of unknown stability'}, "
                "not STEADY_STATE"
            )
    others = [t for t in service.task_sets if t is not primary]
    if others:
        # An ACTIVE or DRAINING task set with tasks: the deployment is not over (CodeDeploy keeps the
        # original task set until its termination wait ends). One with no task left settles.
        lasting = lasting or any(t.running_count or t.pending_count or t.computed_desired_count for t in others)
        problems.append(f"{len(service.task_sets)} task sets, not exactly one (the deployment is not over)")
    if problems:
        return CheckResult(
            CheckName.DEPLOYMENT, CheckStatus.FAILED, "; ".join(problems), evidence, settling=not lasting
        )
    assert primary is not None
    return CheckResult(
        CheckName.DEPLOYMENT,
        CheckStatus.PASSED,
        f"one PRIMARY task set ({service.deployment_controller} controller), STEADY_STATE",
        evidence,
    )


def _describe(task_set: TaskSet) -> str:
    external = f" external={task_set.external_id}" if task_set.external_id else ""
    return (
        f"task set {task_set.id} {task_set.status} {task_set.stability_status or '-'} "
        f"running={task_set.running_count}/{task_set.computed_desired_count} pending={task_set.pending_count} "
        f"({task_set.task_definition.rsplit('/', 1)[-1]}){external}"
    )
