"""What moto 5.2 lacks of Amazon ECS's API, closed here and only here (each patch names the gap it closes).

- ECS ListContainerInstances ignores ``filter`` and never pages: this applies the one filter the
  suite uses (``ec2InstanceId == i-...``) and pages at ``maxResults`` (default 100) like AWS.
- ECS ListTasks never pages: this pages at ``maxResults`` (default 100) like AWS.
- ECS ListServices never pages: this pages like AWS, 10 services unless ``maxResults`` (1 to 100) asks
  for more ("If this parameter isn't used, then ListServices returns up to 10 results", ListServices,
  Amazon ECS API Reference). Every List* here rejects a ``maxResults`` outside 1..100, as AWS does.
- ECS CreateService drops ``deploymentConfiguration``: it is kept on the service (and described), with
  ECS's defaults where it is not given (DeploymentConfiguration, Amazon ECS API Reference: a replica
  service 100 % minimum healthy and 200 % maximum, a daemon service 0 % and 100 %); the simulated
  scheduler (``service_scheduler``) replaces tasks by it.
- ECS DescribeTasks advances every task one status step: its state manager is set to manual, and
  the simulated scheduler (``scheduler``) moves tasks instead.
- ECS ListTasks answers for a deleted (INACTIVE) cluster as for a live one. ECS keeps a deleted cluster
  "discoverable for a period of time" (DeleteCluster) and does not say what ListTasks then answers; this
  takes the stricter answer, ClusterNotFoundException, the one it gives once the cluster is gone.
"""

from __future__ import annotations

import re
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ClusterNotFoundException, InvalidParameterException
from moto.ecs.responses import EC2ContainerServiceResponse

from simulator.patching import Patch, Replace, StateTransition

_EC2_FILTER = re.compile(r"^\s*ec2InstanceId\s*==\s*(i-[0-9a-f]+)\s*$")
# ECS API Reference, maxResults of each List call: "This value can be between 1 and 100. If this parameter
# isn't used, then <call> returns up to <default> results and a nextToken value if applicable."
DEFAULT_PAGE = 100  # ListTasks, ListContainerInstances
LIST_SERVICES_DEFAULT_PAGE = 10
LARGEST_PAGE = 100


def _page(items: list[str], params: dict[str, Any], default: int = DEFAULT_PAGE) -> tuple[list[str], str | None]:
    asked = params.get("maxResults")
    if asked is not None and not 1 <= int(asked) <= LARGEST_PAGE:
        raise InvalidParameterException(f"maxResults must be between 1 and {LARGEST_PAGE}, got {asked}")
    size = int(asked) if asked is not None else default
    start = int(params.get("nextToken") or 0)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _list_container_instances(self: EC2ContainerServiceResponse) -> ActionResult:
    cluster = self._get_param("cluster", "default")
    arns = self.ecs_backend.list_container_instances(cluster, status=self._get_param("status"))
    query = self._get_param("filter")
    if query:
        match = _EC2_FILTER.match(query)
        if match is None:
            raise InvalidParameterException(f"simulation supports only 'ec2InstanceId == i-...', got {query!r}")
        instances = self.ecs_backend.container_instances.get(cluster.split("/")[-1], {})
        wanted = {ci.container_instance_arn for ci in instances.values() if ci.ec2_instance_id == match.group(1)}
        arns = [arn for arn in arns if arn in wanted]
    page, token = _page(arns, self._get_params())
    return ActionResult({"containerInstanceArns": page, **({"nextToken": token} if token else {})})


def _list_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    cluster = self._get_param("cluster", "default")
    known = self.ecs_backend.clusters.get(cluster.split("/")[-1])
    if known is not None and known.status == "INACTIVE":
        raise ClusterNotFoundException
    tasks = self.ecs_backend.list_tasks(
        cluster,
        self._get_param("containerInstance"),
        self._get_param("family"),
        self._get_param("startedBy"),
        self._get_param("serviceName"),
        # Like AWS, ListTasks lists desiredStatus RUNNING unless told otherwise.
        self._get_param("desiredStatus") or "RUNNING",
    )
    page, token = _page(sorted(t.task_arn for t in tasks), self._get_params())
    return ActionResult({"taskArns": page, **({"nextToken": token} if token else {})})


def _list_services(self: EC2ContainerServiceResponse) -> ActionResult:
    arns = self.ecs_backend.list_services(
        self._get_param("cluster", "default"),
        self._get_param("schedulingStrategy"),
        launch_type=self._get_param("launchType"),
    )
    page, token = _page(arns, self._get_params(), LIST_SERVICES_DEFAULT_PAGE)
    return ActionResult({"serviceArns": page, **({"nextToken": token} if token else {})})


_ORIGINAL_CREATE_SERVICE = EC2ContainerServiceResponse.create_service


def _create_service(self: EC2ContainerServiceResponse) -> ActionResult:
    result = _ORIGINAL_CREATE_SERVICE(self)
    service = self.ecs_backend.services[
        f"{self._get_param('cluster', 'default').split('/')[-1]}:{self._get_param('serviceName')}"
    ]
    daemon = self._get_param("schedulingStrategy") == "DAEMON"
    defaults = (
        {"minimumHealthyPercent": 0, "maximumPercent": 100}
        if daemon
        else {
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
        }
    )
    service.deployment_configuration = {  # type: ignore[attr-defined]
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        **defaults,
        **(self._get_param("deploymentConfiguration") or {}),
    }
    return result


PATCHES: tuple[Patch, ...] = (
    Replace(EC2ContainerServiceResponse, "list_container_instances", _list_container_instances),
    Replace(EC2ContainerServiceResponse, "list_tasks", _list_tasks),
    Replace(EC2ContainerServiceResponse, "list_services", _list_services),
    Replace(EC2ContainerServiceResponse, "create_service", _create_service),
    StateTransition("ecs::task", {"progression": "manual", "times": 1_000_000}),
)
