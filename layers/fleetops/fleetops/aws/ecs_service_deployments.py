"""ECS service deployments: the verify job's view of ECS's own deployments and rollbacks, and ECS's rollback
as the verify job asks for it (ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions,
StopServiceDeployment).

``EcsAdapter`` hands these calls to ``ServiceDeploymentsAdapter`` and imports this module at the first of
them, not at its own import: the drain and scale handlers never make them, and do not load it at cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fleetops.aws.clients import error_code
from fleetops.aws.ecs_responses import created_at, ecs_service_deployment, hook_execution
from fleetops.models.ecs_deployments import EcsRollbackEvidence

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.literals import ServiceDeploymentStatusType
    from mypy_boto3_ecs.type_defs import ServiceDeploymentBriefTypeDef

    from fleetops.models.ecs import LifecycleHookExecution

# ServiceDeployment statuses in which ECS is rolling the service back itself (ServiceDeploymentStatus,
# ECS API Reference; "View service history using Amazon ECS service deployments").
ECS_ROLLBACK_UNDER_WAY: tuple[ServiceDeploymentStatusType, ...] = ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
# ...and the completed statuses of a deployment ECS rolled back (the same document).
ECS_ROLLED_BACK: tuple[ServiceDeploymentStatusType, ...] = ("ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
_ROLLBACK_EVIDENCE_STATUSES: tuple[ServiceDeploymentStatusType, ...] = (
    "IN_PROGRESS",
    *ECS_ROLLBACK_UNDER_WAY,
    *ECS_ROLLED_BACK,
)
# ListServiceDeployments: maxResults 1 to 100, 20 when not given. Rollbacks are rare; ten pages of them
# (1,000) bound the calls should a service's history be long.
LIST_SERVICE_DEPLOYMENTS_PAGE = 100
MAX_SERVICE_DEPLOYMENT_PAGES = 10
# DescribeServiceDeployments: "You can specify a maximum of 20 ARNs."
DESCRIBE_SERVICE_DEPLOYMENTS_BATCH = 20
# Where the service-deployment APIs are missing or not allowed, the verify job falls back to UpdateService.
_NO_SERVICE_DEPLOYMENT_API = ("InvalidParameterException", "UnsupportedFeatureException", "AccessDeniedException")


class ServiceDeploymentsAdapter:
    """The service-deployment calls of ``EcsAdapter``, which hands them here; it keeps nothing but the client."""

    def __init__(self, client: ECSClient) -> None:
        self._client = client

    def in_progress_service_deployment(self, cluster: str, service: str, task_definition: str) -> str | None:
        """The ARN of the in-progress service deployment that rolls out ``task_definition``, if the API
        knows exactly one.

        Matched by what it deploys (its target service revision's task definition), never by position in
        the list: another deployment may have started since the service was looked at, and ECS's
        rollback must stop the failing one only. ListServiceDeployments and DescribeServiceRevisions are
        recent; where they are not available, or nothing matches, the caller falls back to UpdateService.
        """
        try:
            found = self._client.list_service_deployments(cluster=cluster, service=service, status=["IN_PROGRESS"])
            by_revision = {
                d["targetServiceRevisionArn"]: d["serviceDeploymentArn"]
                for d in found.get("serviceDeployments", [])
                if d.get("targetServiceRevisionArn")
            }
            if not by_revision:
                return None
            # DescribeServiceRevisions takes at most 20 ARNs; a service has one deployment in progress.
            revisions = self._client.describe_service_revisions(serviceRevisionArns=list(by_revision)[:20])
        except ClientError as error:
            if error_code(error) in _NO_SERVICE_DEPLOYMENT_API:
                return None
            raise
        matching = [
            by_revision[r["serviceRevisionArn"]]
            for r in revisions.get("serviceRevisions", [])
            if r.get("serviceRevisionArn") in by_revision and r.get("taskDefinition") == task_definition
        ]
        return matching[0] if len(matching) == 1 else None

    def ecs_rollback_evidence(self, cluster: str, service: str) -> EcsRollbackEvidence:
        """What the service deployments say of ECS's own rollbacks (circuit breaker, deployment alarms,
        a native blue/green deployment's hook or bake, anyone's StopServiceDeployment ROLLBACK): one
        that is under way, in-progress deployments whose alarms or circuit breaker have triggered, and
        whether the service still runs what ECS's last rollback left.

        ServiceDeployment ``status`` (ECS Developer Guide, "View service history using Amazon ECS service
        deployments"): ROLLBACK_REQUESTED and ROLLBACK_IN_PROGRESS are ongoing rollbacks, ROLLBACK_SUCCESSFUL
        and ROLLBACK_FAILED completed ones. A rollback is no new service deployment ("Amazon ECS doesn't
        create a new service revision for a rollback operation"): the deployment rolled back carries it in
        ``rollback`` (Rollback: ``serviceRevisionArn``, "the service revision deployed as part of the
        rollback"), so it is told apart there long after DescribeServices' reason stopped saying so.
        Where the service-deployment APIs are missing or not allowed, nothing is known from them (the
        DescribeServices guards and the verify job's own record still hold).
        """
        try:
            briefs = self._service_deployment_briefs(cluster, service, status=list(_ROLLBACK_EVIDENCE_STATUSES))
            under_way = next((b for b in briefs if b.get("status") in ECS_ROLLBACK_UNDER_WAY), None)
            if under_way is not None:
                return EcsRollbackEvidence(
                    under_way=f"{under_way.get('serviceDeploymentArn', '')} ({under_way.get('status')})"
                )
            rolled_back = [b for b in briefs if b.get("status") in ECS_ROLLED_BACK]
            latest = max(rolled_back, key=created_at, default=None)
            if latest is not None and self._deployed_since(cluster, service, latest):
                latest = None  # the service was deployed again since: it no longer runs what ECS left
            in_progress = [b["serviceDeploymentArn"] for b in briefs if b.get("status") == "IN_PROGRESS"]
            wanted = in_progress[: DESCRIBE_SERVICE_DEPLOYMENTS_BATCH - 1]
            if latest is not None:
                wanted.append(latest["serviceDeploymentArn"])
            if not wanted:
                return EcsRollbackEvidence()
            described = self._client.describe_service_deployments(serviceDeploymentArns=wanted)
            deployments = described.get("serviceDeployments", [])
            revisions = self._task_definitions_of(
                [
                    d["rollback"]["serviceRevisionArn"]
                    for d in deployments
                    if d.get("rollback", {}).get("serviceRevisionArn")
                ]
            )
        except ClientError as error:
            if error_code(error) in _NO_SERVICE_DEPLOYMENT_API:
                return EcsRollbackEvidence()
            raise
        seen = {d.get("serviceDeploymentArn", ""): ecs_service_deployment(d, revisions) for d in deployments}
        return EcsRollbackEvidence(
            in_progress=tuple(seen[arn] for arn in in_progress if arn in seen),
            latest_rollback=seen.get(latest["serviceDeploymentArn"]) if latest is not None else None,
        )

    def _service_deployment_briefs(
        self, cluster: str, service: str, *, status: list[ServiceDeploymentStatusType]
    ) -> list[ServiceDeploymentBriefTypeDef]:
        """Every page of ListServiceDeployments for these statuses (rollbacks are few; the pages are bounded)."""
        briefs: list[ServiceDeploymentBriefTypeDef] = []
        token = ""
        for _ in range(MAX_SERVICE_DEPLOYMENT_PAGES):
            if token:
                page = self._client.list_service_deployments(
                    cluster=cluster,
                    service=service,
                    status=status,
                    maxResults=LIST_SERVICE_DEPLOYMENTS_PAGE,
                    nextToken=token,
                )
            else:
                page = self._client.list_service_deployments(
                    cluster=cluster, service=service, status=status, maxResults=LIST_SERVICE_DEPLOYMENTS_PAGE
                )
            briefs.extend(page.get("serviceDeployments", []))
            token = page.get("nextToken", "")
            if not token:
                break
        return briefs

    def _deployed_since(self, cluster: str, service: str, rolled_back: ServiceDeploymentBriefTypeDef) -> bool:
        """Whether any service deployment was created after ``rolled_back`` (whatever its status).
        ListServiceDeployments' ``createdAt.after`` narrows the list to those; whether the bound is
        inclusive the reference does not say, so the rolled-back deployment itself is left out by ARN."""
        created = rolled_back.get("createdAt")
        if created is None:
            return False  # no time to compare with: ECS's rollback is not discounted
        page = self._client.list_service_deployments(
            cluster=cluster, service=service, createdAt={"after": created}, maxResults=LIST_SERVICE_DEPLOYMENTS_PAGE
        )
        return any(
            b.get("serviceDeploymentArn") != rolled_back.get("serviceDeploymentArn")
            and created_at(b) >= created_at(rolled_back)
            for b in page.get("serviceDeployments", [])
        )

    def _task_definitions_of(self, revision_arns: list[str]) -> dict[str, str]:
        """Service revision ARN -> its task definition (DescribeServiceRevisions: at most 20 ARNs)."""
        if not revision_arns:
            return {}
        found = self._client.describe_service_revisions(serviceRevisionArns=revision_arns[:20])
        return {
            r["serviceRevisionArn"]: r.get("taskDefinition", "")
            for r in found.get("serviceRevisions", [])
            if r.get("serviceRevisionArn")
        }

    def lifecycle_hook_executions(self, service_deployment_arn: str) -> tuple[LifecycleHookExecution, ...] | None:
        """The lifecycle hooks active in a service deployment, with their deadlines (``expiresAt``);
        None when ECS does not know the deployment (DescribeServiceDeployments lists it as a failure).
        Errors are the caller's to judge: a hook's bake must go on without its deadline."""
        found = self._client.describe_service_deployments(serviceDeploymentArns=[service_deployment_arn])
        for deployment in found.get("serviceDeployments", []):
            if deployment.get("serviceDeploymentArn") == service_deployment_arn:
                return tuple(hook_execution(d) for d in deployment.get("lifecycleHookDetails", []))
        return None

    def stop_service_deployment_with_rollback(self, service_deployment_arn: str) -> None:
        """ECS's own rollback: stop the deployment and return to the last completed service revision."""
        self._client.stop_service_deployment(serviceDeploymentArn=service_deployment_arn, stopType="ROLLBACK")
