"""Resource-based policies a service must pass to deliver, which moto records and never evaluates.

An AWS service that sends to a queue of the account on its own behalf (EventBridge and SNS putting an
undeliverable event in a dead-letter queue) is a service principal: no identity policy speaks for it,
so only the queue's policy can let it in ("Using dead-letter queues to process undelivered events in
EventBridge", "Configuring an Amazon SNS dead-letter queue for a subscription": the queue policy must
allow ``sqs:SendMessage`` to ``events.amazonaws.com`` / ``sns.amazonaws.com``). A queue without a
policy lets no service in.

The request carries the global keys a service principal's call on behalf of a resource carries
("AWS global condition context keys": ``aws:SourceAccount`` is available "only when the call to your
resource is made directly by an AWS service principal"): ``aws:SourceArn`` (the rule or the topic)
and ``aws:SourceAccount``. Statements are evaluated as ``iam_gaps`` evaluates identity policies
(explicit Deny wins; wildcards, NotAction, NotResource; the String, Arn, Bool and Null operators),
with a Principal that must name the service or be ``"*"``. ``{"AWS": "*"}`` and ``NotPrincipal`` are
not taken as naming a service: stricter than AWS at worst, never more lenient.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import boto3

from simulator.iam.enforcement import statement_applies


def service_may(
    document: Mapping[str, Any] | None,
    *,
    service: str,
    action: str,
    resource: str,
    source_arn: str,
    source_account: str,
) -> bool:
    """Whether a resource policy lets ``service`` (a service principal, ``events.amazonaws.com``) do
    ``action`` on ``resource`` on behalf of ``source_arn``."""
    if not document:
        return False
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account}
    statements = document.get("Statement", [])
    allowed = False
    for statement in statements if isinstance(statements, list) else [statements]:
        if not _names_service(statement, service) or not statement_applies(statement, action, resource, context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _names_service(statement: Mapping[str, Any], service: str) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    services = principal.get("Service", [])
    return service in ([services] if isinstance(services, str) else services)


def queue_policy(session: boto3.Session, queue_url: str) -> dict[str, Any] | None:
    """The queue's policy as SQS holds it (``AWS::SQS::QueuePolicy`` sets it), or None."""
    attributes = session.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])
    text = attributes.get("Attributes", {}).get("Policy")
    return json.loads(text) if text else None
