"""The suite's stack, deployed into moto the way CloudFormation deploys ``sam deploy``'s template.

Every resource comes from the transformed ``template.yaml`` (see ``cfn``): topics, queues with their
redrive policies, tables with their keys and TTL, roles with their inline and managed policies,
alarms and the optional lifecycle hook are created in moto; what moto cannot run (Lambda functions,
which need Docker, and the wiring between services: EventBridge rules and targets, SNS subscriptions
to functions, event source mappings, invoke permissions, asynchronous invoke configuration) is kept
here as declared, for ``account.SimulatedAccount`` to deliver events through, and only through.
"""

from __future__ import annotations

import copy
import json
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.iam.models import iam_backends

from simulator.awslambda.configuration import account_concurrency, logging_problems
from simulator.cloudformation.rules import AccountParameterValues, evaluate_rules
from simulator.cloudformation.template import as_object
from simulator.cloudformation.transform import (
    ACCOUNT,
    PARTITION,
    REGION,
    Intrinsics,
    TemplateError,
    code_location,
    sam_transform,
)
from simulator.cloudformation.validation import check_body_size, validate_template
from simulator.cloudwatch.dashboards import DashboardRefused, check_dashboard
from simulator.iam.enforcement import add_aws_managed_policies
from simulator.kms.keys import key_problems
from simulator.logs.log_groups import log_group_problems
from simulator.paths import PROJECT_ROOT, TEMPLATE

EVENT_PATTERN_MAX_CHARACTERS = 2_048
ROLE_INLINE_POLICY_CHARACTERS = 10_240
MANAGED_POLICY_CHARACTERS = 6_144


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code: Path  # functions/<job>
    handler: str
    environment: dict[str, str]
    role_arn: str
    timeout: int
    memory: int
    log_group: str | None = None  # LoggingConfig.LogGroup (Lambda's /aws/lambda/<name> otherwise)
    log_format: str = "Text"
    application_log_level: str | None = None  # set only with JSON (AWS_LAMBDA_LOG_LEVEL)
    reserved_concurrency: int | None = None


@dataclass(frozen=True)
class RuleTarget:
    arn: str
    dead_letter_arn: str | None
    maximum_retry_attempts: int


@dataclass(frozen=True)
class Rule:
    name: str
    arn: str
    pattern: dict[str, Any]
    targets: tuple[RuleTarget, ...]
    enabled: bool


@dataclass(frozen=True)
class Subscription:
    topic_arn: str
    protocol: str
    endpoint: str
    arn: str
    filter_policy: dict[str, Any] | None = None
    filter_policy_scope: str = "MessageAttributes"
    dead_letter_arn: str | None = None  # its RedrivePolicy's deadLetterTargetArn


@dataclass(frozen=True)
class EventSourceMapping:
    queue_arn: str
    function_arn: str
    batch_size: int
    report_batch_item_failures: bool


@dataclass(frozen=True)
class AsyncInvokeConfig:
    maximum_retry_attempts: int = 2  # Lambda's defaults
    maximum_event_age: int = 21600
    on_failure_arn: str | None = None


@dataclass(frozen=True)
class Permission:
    function_arn: str
    principal: str
    source_arn: str | None


@dataclass
class DeployedStack:
    """What CloudFormation created for the stack, by logical ID, and the wiring moto does not run."""

    name: str
    parameters: dict[str, str]
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> transformed resource
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> resolved properties
    physical: dict[str, Any] = field(default_factory=dict)  # logical id -> Ref value
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)  # (logical id, attribute) -> value
    functions: dict[str, FunctionSpec] = field(default_factory=dict)  # by ARN
    rules: list[Rule] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    event_source_mappings: list[EventSourceMapping] = field(default_factory=list)
    async_configs: dict[str, AsyncInvokeConfig] = field(default_factory=dict)  # by function ARN
    permissions: list[Permission] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    output_descriptions: dict[str, str] = field(default_factory=dict)  # output name -> its Description
    export_names: dict[str, str] = field(default_factory=dict)  # output name -> the name it is exported as
    created_at: float = field(default_factory=time.time)
    # Every parameter as DescribeStacks lists it: the value given, else the default; NoEcho ones as "*****".
    described_parameters: dict[str, str] = field(default_factory=dict)

    def function(self, logical_id: str) -> FunctionSpec:
        return self.functions[self.attributes[(logical_id, "Arn")]]

    def may_invoke(self, function_arn: str, principal: str, source_arn: str) -> bool:
        """Whether a resource-based permission lets ``principal`` (from ``source_arn``) invoke."""
        return any(
            p.function_arn == function_arn and p.principal == principal and p.source_arn in (None, source_arn)
            for p in self.permissions
        )

    def remove_permission(self, function_arn: str, principal: str) -> None:
        """What ``aws lambda remove-permission`` does: ``principal`` may no longer invoke the function
        (someone tidying up a function's policy by hand)."""
        self.permissions = [p for p in self.permissions if (p.function_arn, p.principal) != (function_arn, principal)]


def deploy_stack(
    session: boto3.Session,
    *,
    name: str = "ecs-fleet-ops",
    parameters: dict[str, str] | None = None,
    template: Path = TEMPLATE,
) -> DeployedStack:
    """Create the stack's resources in moto, in dependency order, as CloudFormation would, after
    refusing what CloudFormation refuses (``cfn_validation``, ``cfn_parameters``, ``cfn_rules``)."""
    text = template.read_text()
    document = sam_transform(template)
    _refuse_what_cloudformation_refuses(text, document)
    stack = DeployedStack(name=name, parameters=dict(parameters or {}))
    stack.described_parameters = _described_parameters(document.get("Parameters") or {}, stack.parameters)
    intrinsics = Intrinsics(
        document,
        stack_name=name,
        parameters=stack.parameters,
        reference=lambda logical_id: stack.physical[logical_id],
        attribute=lambda logical_id, attribute: stack.attributes[(logical_id, attribute)],
    )
    evaluate_rules(
        document, intrinsics.parameters, condition=intrinsics.condition, account=AccountParameterValues(session)
    )
    outputs = {name: output for name, output in document.get("Outputs", {}).items() if intrinsics.enabled(output)}
    export_names = _export_names(stack.name, outputs, intrinsics)  # refused before anything is created
    pending = {k: v for k, v in document["Resources"].items() if intrinsics.enabled(v)}
    deployer = _Deployer(session, stack, intrinsics)
    try:
        while pending:
            created = [lid for lid, resource in pending.items() if deployer.try_create(lid, resource)]
            if not created:
                raise TemplateError(f"circular or unresolvable references among {sorted(pending)}")
            for logical_id in created:
                stack.resources[logical_id] = pending.pop(logical_id)
    except TemplateError:
        # CloudFormation rolls the stack back: its functions, and the concurrency they reserved, are deleted.
        account_concurrency(ACCOUNT, PARTITION).release(set(stack.functions))
        raise
    for output_name, output in outputs.items():
        stack.outputs[output_name] = intrinsics.resolve(output["Value"])
        if "Description" in output:
            stack.output_descriptions[output_name] = str(intrinsics.resolve(output["Description"]))
        if output_name in export_names:
            stack.exports[export_names[output_name]] = stack.outputs[output_name]
            stack.export_names[output_name] = export_names[output_name]
    account_exports().update(stack.exports)
    account_stacks()[stack.name] = stack  # what DescribeStacks answers (cloudformation.describe_stacks)
    return stack


# The template texts already checked and accepted in this process. The checks read nothing but the template
# (its text, and the document the transform makes of that text), so a text accepted once is accepted again:
# the suite deploys the same template.yaml hundreds of times (about 0.1 s of checks each). A text refused is
# never remembered: it is refused again at every deploy.
_ACCEPTED_TEMPLATES: set[str] = set()


def _refuse_what_cloudformation_refuses(text: str, document: dict[str, Any]) -> None:
    if text in _ACCEPTED_TEMPLATES:
        return
    # sam deploy uploads the packaged template to S3 (resolve_s3 in samconfig.toml): the 1 MB quota.
    # Whether the quota also holds for the template the transform makes is not documented: it is kept
    # under it too.
    validate_template(document, body=text, via="s3")
    check_body_size(json.dumps(document, separators=(",", ":")), via="s3", what="the processed (transformed) template")
    _ACCEPTED_TEMPLATES.add(text)


# The exports of every stack deployed in the simulated account (us-east-1). moto's own CloudFormation
# cannot be imported without moto's API Gateway extras, so they are kept beside the account's IAM
# backend, which lives exactly as long as the account (one mock_aws session).
_EXPORTS: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


# "If a rule is too complex, EventBridge returns an InvalidEventPatternException when attempting to create
# the rule" (EventBridge, wildcard matching complexity); the limit is not published. A real deploy saw 3
# values {"wildcard": "*:stack/<name>/*"} (6 wildcards) accepted and 4 (8) refused (vals-ai/Valkyrie#278):
# the simulation refuses more than the 6 seen to pass.
WILDCARDS_EVENTBRIDGE_WAS_SEEN_TO_ACCEPT = 6


def refuse_complex_wildcards(logical_id: str, pattern: Any) -> None:
    count = wildcards_in(pattern)
    if count > WILDCARDS_EVENTBRIDGE_WAS_SEEN_TO_ACCEPT:
        raise TemplateError(
            f"{logical_id}: InvalidEventPatternException: Rule is too complex ({count} wildcards; EventBridge "
            f"was seen to accept {WILDCARDS_EVENTBRIDGE_WAS_SEEN_TO_ACCEPT})"
        )


def wildcards_in(pattern: Any) -> int:
    """How many "*" the pattern's wildcard values hold together."""
    if isinstance(pattern, dict):
        return sum(
            value.count("*") if key == "wildcard" and isinstance(value, str) else wildcards_in(value)
            for key, value in pattern.items()
        )
    if isinstance(pattern, list):
        return sum(wildcards_in(item) for item in pattern)
    return 0


def account_exports() -> dict[str, Any]:
    """Export name -> value, for every stack deployed in the simulated account so far."""
    return _EXPORTS.setdefault(iam_backends[ACCOUNT][PARTITION], {})


def _described_parameters(declared: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
    """What DescribeStacks lists for each parameter: NoEcho is "whether to mask the parameter value
    whenever anyone makes a call that describes the stack. If you set the value to true, the parameter
    value is masked with asterisks (*****)" (Parameters, AWS CloudFormation User Guide)."""
    described: dict[str, str] = {}
    for name, declaration in declared.items():
        value = given.get(name, declaration.get("Default"))
        if value is None:
            continue
        if str(declaration.get("NoEcho", "false")).lower() == "true":
            described[name] = "*****"
        else:
            described[name] = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return described


# The stacks deployed in the simulated account, by name, kept like the exports (one mock_aws session).
_STACKS: weakref.WeakKeyDictionary[Any, dict[str, DeployedStack]] = weakref.WeakKeyDictionary()


def account_stacks() -> dict[str, DeployedStack]:
    """Stack name -> the stack, for every stack deployed in the simulated account so far."""
    return _STACKS.setdefault(iam_backends[ACCOUNT][PARTITION], {})


def _export_names(stack_name: str, outputs: dict[str, Any], intrinsics: Intrinsics) -> dict[str, str]:
    """Output name -> export name, refusing a name exported twice: "For each AWS account, Export names
    must be unique within a region" (Outputs, AWS CloudFormation User Guide)."""
    taken = account_exports()
    names: dict[str, str] = {}
    for output_name, output in outputs.items():
        if "Export" not in output:
            continue
        name = str(intrinsics.resolve(output["Export"]["Name"]))
        if name in names.values() or name in taken:
            raise TemplateError(f"stack {stack_name}: output {output_name} exports {name!r}, already exported")
        names[output_name] = name
    return names


def _function_arn(name_or_arn: str) -> str:
    """Lambda takes a function's name or its ARN wherever a function is named."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name_or_arn}"


def _load_aws_managed_policy(arn: str) -> None:
    """moto knows AWS's managed policies only if told to load all of them (about 0.4 s per account,
    MOTO_IAM_LOAD_MANAGED_POLICIES): the one a role attaches is loaded from moto's own copy."""
    if not arn.startswith(f"arn:{PARTITION}:iam::aws:policy/"):
        return
    try:
        add_aws_managed_policies(arn.rsplit("/", 1)[-1], account_id=ACCOUNT, partition=PARTITION)
    except KeyError as error:
        raise TemplateError(f"{arn} is not an AWS managed policy") from error


class _Deployer:
    def __init__(self, session: boto3.Session, stack: DeployedStack, intrinsics: Intrinsics) -> None:
        self.session = session
        self.stack = stack
        self.intrinsics = intrinsics
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """One client per service for the whole deploy: a new botocore client costs ~10 ms (its arguments,
        endpoint and event handlers), and a deploy creates two dozen resources."""
        if service not in self._clients:
            self._clients[service] = self.session.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    def try_create(self, logical_id: str, resource: dict[str, Any]) -> bool:
        try:
            properties = self.intrinsics.resolve(resource.get("Properties", {})) or {}
        except KeyError:
            return False  # refers to a resource not created yet
        create = getattr(self, "_" + resource["Type"].replace("::", "_").lower(), None)
        if create is None:
            raise TemplateError(f"{logical_id}: the simulation cannot deploy {resource['Type']}")
        self.stack.properties[logical_id] = copy.deepcopy(properties)  # as CloudFormation resolved them
        create(logical_id, properties)
        return True

    def _generated_name(self, logical_id: str, limit: int = 80) -> str:
        # CloudFormation's names for unnamed resources: stack, logical ID, a random suffix.
        return f"{self.stack.name}-{logical_id}-SIMULATED"[:limit]

    def _set(self, logical_id: str, ref: Any, **attributes: Any) -> None:
        self.stack.physical[logical_id] = ref
        for attribute, value in attributes.items():
            self.stack.attributes[(logical_id, attribute)] = value

    # -- created in moto -----------------------------------------------------------------------------
    def _aws_sns_topic(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("TopicName") or self._generated_name(logical_id, 256)
        # KmsMasterKeyId: the key SNS encrypts the topic's messages with (``simulator.sns.encryption``
        # refuses a publisher the key does not let in).
        attributes = {"KmsMasterKeyId": str(properties["KmsMasterKeyId"])} if "KmsMasterKeyId" in properties else {}
        arn = self.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        self._set(logical_id, arn, TopicName=name, TopicArn=arn)

    def _aws_sqs_queue(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("QueueName") or self._generated_name(logical_id)
        attributes: dict[Any, str] = {  # the queue attributes CloudFormation passes on (mypy: their names)
            key: json.dumps(value) if isinstance(value, dict) else str(value)
            for key, value in properties.items()
            if key
            in (
                "DelaySeconds",
                "MessageRetentionPeriod",
                "VisibilityTimeout",
                "RedrivePolicy",
                "ReceiveMessageWaitTimeSeconds",
            )
        }
        url = self.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}"
        self._set(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    def _aws_dynamodb_table(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("TableName") or self._generated_name(logical_id, 255)
        dynamodb = self.client("dynamodb")
        dynamodb.create_table(
            TableName=name,
            KeySchema=properties["KeySchema"],
            AttributeDefinitions=properties["AttributeDefinitions"],
            BillingMode=properties.get("BillingMode", "PROVISIONED"),
        )
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        arn = f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
        self._set(logical_id, name, Arn=arn)

    def _aws_iam_role(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("RoleName") or self._generated_name(logical_id, 64)
        iam = self.client("iam")
        role = iam.create_role(
            RoleName=name,
            Path=properties.get("Path", "/"),
            AssumeRolePolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"]),
        )["Role"]
        inline_characters = 0
        for policy in properties.get("Policies", []):
            # IAM takes a document without Version as 2008-10-17 (SAM writes one for the OnFailure
            # destination); moto rejects it. The two versions differ only in policy variables.
            document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
            # "Role policy size cannot exceed 10,240 characters" (IAM and AWS STS quotas): all of a role's
            # inline policies together, white space not counted. moto does not count.
            inline_characters += len("".join(json.dumps(document).split()))
            if inline_characters > ROLE_INLINE_POLICY_CHARACTERS:
                raise TemplateError(
                    f"{logical_id}: its inline policies come to {inline_characters} characters, over IAM's "
                    f"{ROLE_INLINE_POLICY_CHARACTERS} for a role (LimitExceeded: Maximum policy size exceeded)"
                )
            iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document))
        for policy_arn in properties.get("ManagedPolicyArns", []):
            _load_aws_managed_policy(policy_arn)
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        self._set(logical_id, name, Arn=role["Arn"], RoleId=role["RoleId"])

    def _aws_iam_managedpolicy(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("ManagedPolicyName") or self._generated_name(logical_id, 128)
        document = json.dumps({"Version": "2012-10-17", **properties["PolicyDocument"]})
        # "Managed policy size cannot exceed 6,144 characters" (IAM and AWS STS quotas), white space not counted.
        if len("".join(document.split())) > MANAGED_POLICY_CHARACTERS:
            raise TemplateError(f"{logical_id}: over IAM's {MANAGED_POLICY_CHARACTERS} characters for a managed policy")
        iam = self.client("iam")
        arn = iam.create_policy(PolicyName=name, Path=properties.get("Path", "/"), PolicyDocument=document)["Policy"][
            "Arn"
        ]
        for role in properties.get("Roles", []):
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        self._set(logical_id, arn, PolicyArn=arn)

    def _aws_cloudwatch_alarm(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.pop("AlarmName", None) or self._generated_name(logical_id, 255)
        properties.pop("ActionsEnabled", None)
        for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
            if key in properties:
                properties[key] = int(properties[key])
        if "Threshold" in properties:
            properties["Threshold"] = float(properties["Threshold"])
        self.client("cloudwatch").put_metric_alarm(AlarmName=name, **properties)
        self._set(logical_id, name, Arn=f"arn:{PARTITION}:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}")

    def _aws_cloudwatch_dashboard(self, logical_id: str, properties: dict[str, Any]) -> None:
        # "If you do not specify a name, one will be generated automatically" (AWS::CloudWatch::Dashboard).
        name = properties.get("DashboardName") or self._generated_name(logical_id, 255)
        if "DashboardBody" not in properties:
            raise TemplateError(f"{logical_id}: DashboardBody is required")
        try:
            check_dashboard(name, properties["DashboardBody"])
        except DashboardRefused as error:
            raise TemplateError(f"{logical_id}: {error}") from error
        self.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=properties["DashboardBody"])
        self._set(logical_id, name)

    def _aws_logs_loggroup(self, logical_id: str, properties: dict[str, Any]) -> None:
        self._refuse(logical_id, log_group_problems(properties))
        name = properties.get("LogGroupName") or self._generated_name(logical_id, 512)
        logs = self.client("logs")
        logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in properties:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(properties["RetentionInDays"]))
        self._set(logical_id, name, Arn=f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*")

    def _aws_kms_key(self, logical_id: str, properties: dict[str, Any]) -> None:
        self._refuse(logical_id, key_problems(properties, ACCOUNT, PARTITION))
        kms = self.client("kms")
        options: dict[str, Any] = {"Description": str(properties.get("Description", ""))}
        if "KeyPolicy" in properties:
            policy = properties["KeyPolicy"]
            options["Policy"] = policy if isinstance(policy, str) else json.dumps(policy)
        key = kms.create_key(**options)["KeyMetadata"]
        if str(properties.get("EnableKeyRotation", "false")).lower() == "true":
            kms.enable_key_rotation(KeyId=key["KeyId"])
        self._set(logical_id, key["KeyId"], Arn=key["Arn"], KeyId=key["KeyId"])

    @staticmethod
    def _refuse(logical_id: str, problems: Any) -> None:
        """CloudFormation's CREATE_FAILED for the resource: the service refused its properties."""
        found = list(problems)
        if found:
            raise TemplateError(f"{logical_id}: " + "; ".join(found))

    def _aws_autoscaling_lifecyclehook(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.pop("LifecycleHookName", None) or self._generated_name(logical_id, 255)
        if "HeartbeatTimeout" in properties:
            properties["HeartbeatTimeout"] = int(properties["HeartbeatTimeout"])
        self.client("autoscaling").put_lifecycle_hook(LifecycleHookName=name, **properties)
        self._set(logical_id, name)

    # -- kept as declared: moto does not run them --------------------------------------------------------
    def _aws_lambda_function(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("FunctionName") or self._generated_name(logical_id, 64)
        arn = _function_arn(name)
        variables = properties.get("Environment", {}).get("Variables", {})
        logging_config = properties.get("LoggingConfig", {})
        self._refuse(logical_id, logging_problems(logging_config))
        reserved = properties.get("ReservedConcurrentExecutions")
        if reserved is not None:
            try:
                account_concurrency(ACCOUNT, PARTITION).reserve(arn, int(reserved))
            except ValueError as refused:
                raise TemplateError(f"{logical_id}: {refused}") from refused
        self.stack.functions[arn] = FunctionSpec(
            logical_id=logical_id,
            name=name,
            arn=arn,
            code=PROJECT_ROOT / code_location(properties),
            handler=properties["Handler"],
            environment={key: str(value) for key, value in variables.items()},
            role_arn=properties["Role"],
            timeout=int(properties.get("Timeout", 3)),
            memory=int(properties.get("MemorySize", 128)),
            log_group=logging_config.get("LogGroup"),
            log_format=str(logging_config.get("LogFormat", "Text")),
            application_log_level=logging_config.get("ApplicationLogLevel"),
            reserved_concurrency=None if reserved is None else int(reserved),
        )
        self._set(logical_id, name, Arn=arn)

    def _aws_lambda_layerversion(self, logical_id: str, properties: dict[str, Any]) -> None:
        self._set(logical_id, f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:layer:{logical_id}:1")

    def _aws_lambda_permission(self, logical_id: str, properties: dict[str, Any]) -> None:
        arn = _function_arn(properties["FunctionName"])
        self.stack.permissions.append(Permission(arn, properties["Principal"], properties.get("SourceArn")))
        self._set(logical_id, logical_id)

    def _aws_lambda_eventinvokeconfig(self, logical_id: str, properties: dict[str, Any]) -> None:
        arn = _function_arn(properties["FunctionName"])
        on_failure = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        self.stack.async_configs[arn] = AsyncInvokeConfig(
            maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", 2)),
            maximum_event_age=int(properties.get("MaximumEventAgeInSeconds", 21600)),
            on_failure_arn=on_failure,
        )
        self._set(logical_id, logical_id)

    def _aws_lambda_eventsourcemapping(self, logical_id: str, properties: dict[str, Any]) -> None:
        arn = _function_arn(properties["FunctionName"])
        # ScalingConfig.MaximumConcurrency: 2 to 1000 (Lambda API reference, ScalingConfig).
        maximum = properties.get("ScalingConfig", {}).get("MaximumConcurrency")
        if maximum is not None and not 2 <= int(maximum) <= 1000:
            raise TemplateError(f"{logical_id}: ScalingConfig.MaximumConcurrency must be 2 to 1000, not {maximum}")
        self.stack.event_source_mappings.append(
            EventSourceMapping(
                queue_arn=properties["EventSourceArn"],
                function_arn=arn,
                batch_size=int(properties.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []),
            )
        )
        self._set(logical_id, logical_id)

    def _aws_events_rule(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = properties.get("Name") or self._generated_name(logical_id, 64)
        arn = f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/{name}"
        targets = tuple(
            RuleTarget(
                arn=target["Arn"],
                dead_letter_arn=target.get("DeadLetterConfig", {}).get("Arn"),
                maximum_retry_attempts=int(target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 185)),
            )
            for target in properties.get("Targets", [])
        )
        pattern = properties["EventPattern"]
        # EventPattern is "string or object" (the AWS::Events::Rule resource schema): a JSON text is
        # the pattern it spells. Either way it must fit the "Event pattern size" quota: 2,048 characters
        # by default (Amazon EventBridge quotas, eb-quota.html; adjustable, but not by this stack).
        text = pattern if isinstance(pattern, str) else json.dumps(pattern)
        if len(text) > EVENT_PATTERN_MAX_CHARACTERS:
            raise TemplateError(
                f"{logical_id}: the event pattern is {len(text)} characters, over EventBridge's quota of "
                f"{EVENT_PATTERN_MAX_CHARACTERS}"
            )
        parsed = as_object(pattern)
        refuse_complex_wildcards(logical_id, parsed)
        self.stack.rules.append(Rule(name, arn, parsed, targets, properties.get("State", "ENABLED") == "ENABLED"))
        self._set(logical_id, name, Arn=arn)

    def _aws_sns_subscription(self, logical_id: str, properties: dict[str, Any]) -> None:
        topic, protocol, endpoint = properties["TopicArn"], properties["Protocol"], properties["Endpoint"]
        if protocol == "lambda":
            arn = f"{topic}:{logical_id}"
        else:
            # Queues and mail boxes are subscribed in moto, which delivers to them itself.
            arn = self.client("sns").subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)["SubscriptionArn"]
        redrive = properties.get("RedrivePolicy") or {}
        if isinstance(redrive, str):  # CloudFormation takes the JSON object or its text
            redrive = json.loads(redrive)
        self.stack.subscriptions.append(
            Subscription(
                topic,
                protocol,
                endpoint,
                arn,
                properties.get("FilterPolicy"),
                properties.get("FilterPolicyScope", "MessageAttributes"),
                redrive.get("deadLetterTargetArn"),
            )
        )
        self._set(logical_id, arn)

    def _aws_sqs_queuepolicy(self, logical_id: str, properties: dict[str, Any]) -> None:
        # Each queue's Policy attribute, as CloudFormation sets it (replacing any policy it had). moto
        # never evaluates it; the simulated account does where a service sends to a queue
        # (``resource_policies``).
        document = json.dumps(properties["PolicyDocument"])
        for queue_url in properties["Queues"]:
            self.client("sqs").set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": document})
        self._set(logical_id, logical_id)

    def _aws_sns_topicpolicy(self, logical_id: str, properties: dict[str, Any]) -> None:
        # Each topic's Policy attribute, evaluated where the simulated account publishes as a service
        # principal (``SimulatedAccount.publish(as_service=...)``: CloudWatch for an alarm's action).
        document = json.dumps(properties["PolicyDocument"])
        for topic_arn in properties["Topics"]:
            self.client("sns").set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=document)
        self._set(logical_id, logical_id)
