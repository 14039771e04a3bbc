"""CloudFormation's DescribeStacks for the stacks the simulator deployed (``stack.deploy_stack``).

moto's own CloudFormation cannot be imported here (it needs moto's API Gateway extras), and the stack is
deployed by the simulator's code, not by moto: without this patch ``describe_stacks`` fails with an import
error, and a console command that finds the suite's tables through the stack's outputs
(``fleetops_cli.status``) could not be tested. ``PATCHES`` answer that one action, in CloudFormation's
query protocol, before moto's request router sees it; every other CloudFormation action goes to moto as
before.

What AWS answers, and so this:
- ``StackName`` is a stack's name or its unique stack ID; without it, every stack of the account and
  Region ("DescribeStacks", AWS CloudFormation API Reference).
- A stack that does not exist: HTTP 400, ``ValidationError``, "Stack with id NAME does not exist"
  (seen from the service, boto/boto3#2807).
- Each stack: ``StackName``, ``StackId``, ``CreationTime``, ``StackStatus`` (CREATE_COMPLETE: the
  deploy either completes or raises), ``Parameters`` (NoEcho ones masked), and ``Outputs`` with
  ``OutputKey``, ``OutputValue``, ``Description`` and ``ExportName`` ("Output", API Reference); an output
  whose Condition is false is not there.
- IAM: inside ``enforced_iam`` the caller needs ``cloudformation:DescribeStacks`` on the stack's ARN
  (``arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID``; on ``*`` when no stack is named), as the
  Service Authorization Reference defines the action's resource type; a refusal is CloudFormation's
  ``AccessDenied``, 403.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

from moto.core.botocore_stubber import BotocoreStubber
from moto.iam.access_control import CreateAccessKeyFailure, IAMPolicy, create_access_key

from simulator.cloudformation.stack import DeployedStack, account_stacks
from simulator.cloudformation.transform import ACCOUNT, PARTITION, REGION, stack_id
from simulator.iam.enforcement import denial_reason, enforcing
from simulator.patching import Patch, Wrap

Answer = tuple[int, dict[str, str], str]
_NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


def describe_stacks(body: str, headers: Any) -> Answer:
    """The answer to one DescribeStacks request (its form-encoded body)."""
    form = parse_qs(body)
    named = form.get("StackName", [""])[0]
    stacks = account_stacks()
    if named:
        found = [s for s in stacks.values() if named in (s.name, stack_id(s.name))]
        if not found:
            return _error(400, "Sender", "ValidationError", f"Stack with id {named} does not exist")
    else:
        found = list(stacks.values())
    refused = _refusal(headers, [stack_id(s.name) for s in found] if named else ["*"])
    if refused is not None:
        return _error(403, "Sender", "AccessDenied", refused)
    members = "".join(_stack(s) for s in found)
    return (
        200,
        {"Content-Type": "text/xml"},
        f'<DescribeStacksResponse xmlns="{_NAMESPACE}"><DescribeStacksResult><Stacks>{members}</Stacks>'
        f"</DescribeStacksResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</DescribeStacksResponse>",
    )


def _stack(stack: DeployedStack) -> str:
    created = datetime.datetime.fromtimestamp(stack.created_at, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    parameters = "".join(
        f"<member><ParameterKey>{escape(k)}</ParameterKey><ParameterValue>{escape(v)}</ParameterValue></member>"
        for k, v in sorted(stack.described_parameters.items())
    )
    exported = stack.export_names
    outputs = "".join(
        "<member>"
        f"<OutputKey>{escape(key)}</OutputKey><OutputValue>{escape(_text(value))}</OutputValue>"
        + (
            f"<Description>{escape(stack.output_descriptions[key])}</Description>"
            if key in stack.output_descriptions
            else ""
        )
        + (f"<ExportName>{escape(exported[key])}</ExportName>" if key in exported else "")
        + "</member>"
        for key, value in stack.outputs.items()
    )
    return (
        f"<member><StackName>{escape(stack.name)}</StackName><StackId>{stack_id(stack.name)}</StackId>"
        f"<CreationTime>{created}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>"
        f"<Parameters>{parameters}</Parameters><Outputs>{outputs}</Outputs></member>"
    )


def _text(value: Any) -> str:
    # An output's value is a string; a list (Fn::GetAZs, a CommaDelimitedList) is given joined by commas.
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _refusal(headers: Any, resources: list[str]) -> str | None:
    """Why the caller may not describe these stacks (None: it may), while IAM is enforced."""
    if not enforcing():
        return None
    # botocore's prepared request holds header values as bytes or text.
    texts = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in headers.items()}
    access_key_id = texts.get("Authorization", "").partition("Credential=")[2].split("/", 1)[0]
    try:
        key = create_access_key(account_id=ACCOUNT, partition=PARTITION, access_key_id=access_key_id, headers=texts)
    except CreateAccessKeyFailure:
        return "The security token included in the request is invalid."
    documents = [IAMPolicy(policy)._policy_json for policy in key.collect_policies()]
    action = "cloudformation:DescribeStacks"
    for resource in resources:
        reason = denial_reason(documents, action, resource, {"aws:RequestedRegion": REGION})
        if reason is not None:
            return f"User: {key.arn} is not authorized to perform: {action} on resource: {resource} {reason}"
    return None


def _error(status: int, kind: str, code: str, message: str) -> Answer:
    return (
        status,
        {"Content-Type": "text/xml"},
        f'<ErrorResponse xmlns="{_NAMESPACE}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>",
    )


def _answering_describe_stacks(process_request: Callable[..., Any]) -> Callable[..., Any]:
    def process(self: BotocoreStubber, request: Any) -> Any:
        host = urlparse(request.url).netloc
        if host.startswith("cloudformation."):
            raw = request.body
            body = raw.decode() if isinstance(raw, bytes) else str(raw or "")
            if parse_qs(body).get("Action") == ["DescribeStacks"]:
                return describe_stacks(body, request.headers)
        return process_request(self, request)

    return process


PATCHES: tuple[Patch, ...] = (Wrap(BotocoreStubber, "process_request", _answering_describe_stacks),)
