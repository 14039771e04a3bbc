"""What AWS KMS refuses in a key, and whom a key policy lets use a key (moto 5.2 stores a key policy and
never reads it).

Creating a key (AWS::KMS::Key, and CreateKey behind it):

- ``KeyPolicy`` is a policy document: a ``Statement`` of one or more statements, each with an Effect, a
  Principal, an Action and a Resource (CreateKey, Policy: "MalformedPolicyDocumentException"); at most
  32 KB ("Key policy document size", AWS KMS quotas). Without one, KMS gives the key its default policy,
  which lets the account's IAM policies grant its use.
- The policy must let the account keep managing the key: KMS refuses a policy "that will not allow you to
  update the key policy in the future" unless ``BypassPolicyLockoutSafetyCheck`` (CreateKey). Here: some
  statement must allow ``kms:PutKeyPolicy`` to the account (its root, ``arn:aws:iam::ACCOUNT:root``).
- ``EnableKeyRotation`` only for a symmetric encryption key (``KeySpec`` SYMMETRIC_DEFAULT, the default):
  "Automatic key rotation is supported only on symmetric encryption KMS keys" (EnableKeyRotation);
  ``PendingWindowInDays`` 7 to 30.

Using a key (``refusal``): "No AWS principal, including the account root user or key creator, has any
permissions to a KMS key unless they are explicitly allowed, and never denied, in a key policy, IAM
policy, or grant" (AWS KMS Developer Guide, "Key policies in AWS KMS"). An IAM principal of the key's
account may use it if the key policy allows it by name, or if the key policy allows the account (its
root: "enables IAM policies") and the principal's IAM policies allow the action on the key. A service
principal (CloudWatch for an alarm's action) has no IAM policy: only a key policy statement naming the
service lets it in, its conditions evaluated with the request's ``aws:SourceArn`` and ``aws:SourceAccount``.
An explicit Deny in either policy wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from moto.kms.models import kms_backends

from simulator.iam.enforcement import denial_reason, statement_applies
from simulator.iam.resource_policies import service_may

KEY_POLICY_MAX_BYTES = 32_768
KEY_SPECS = frozenset(
    {
        "SYMMETRIC_DEFAULT",
        "RSA_2048",
        "RSA_3072",
        "RSA_4096",
        "ECC_NIST_P256",
        "ECC_NIST_P384",
        "ECC_NIST_P521",
        "ECC_SECG_P256K1",
        "HMAC_224",
        "HMAC_256",
        "HMAC_384",
        "HMAC_512",
        "SM2",
    }
)
# What SNS asks KMS for when a principal publishes to a topic the key encrypts: a data key to encrypt the
# message, and the decryption of the data key it reuses (Amazon SNS Developer Guide, "Key management").
PUBLISH_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
_KMS_ERROR = "Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException"


def key_problems(properties: Mapping[str, Any], account: str, partition: str = "aws") -> Iterator[str]:
    """Why CloudFormation would fail to create an AWS::KMS::Key with these (resolved) properties."""
    spec = str(properties.get("KeySpec", "SYMMETRIC_DEFAULT"))
    if spec not in KEY_SPECS:
        yield f"KeySpec {spec!r} is not one of {', '.join(sorted(KEY_SPECS))}"
    rotation = str(properties.get("EnableKeyRotation", "false")).lower()
    if rotation not in ("true", "false"):
        yield f"EnableKeyRotation must be true or false, not {properties['EnableKeyRotation']!r}"
    elif rotation == "true" and spec != "SYMMETRIC_DEFAULT":
        yield f"EnableKeyRotation: automatic rotation is only for symmetric encryption keys, not {spec}"
    if "PendingWindowInDays" in properties and not 7 <= int(properties["PendingWindowInDays"]) <= 30:
        yield f"PendingWindowInDays must be 7 to 30, not {properties['PendingWindowInDays']}"
    if "KeyPolicy" in properties:
        yield from _policy_problems(properties["KeyPolicy"], account, partition)


def _policy_problems(policy: Any, account: str, partition: str) -> Iterator[str]:
    document = json.loads(policy) if isinstance(policy, str) else policy
    if len(json.dumps(document).encode()) > KEY_POLICY_MAX_BYTES:
        yield f"MalformedPolicyDocumentException: the key policy is over {KEY_POLICY_MAX_BYTES} bytes"
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not isinstance(statements, list) or not statements:
        yield "MalformedPolicyDocumentException: the key policy has no Statement"
        return
    for index, statement in enumerate(statements):
        missing = [k for k in ("Effect", "Principal", "Action", "Resource") if k not in statement]
        if missing and not ("NotAction" in statement and "Action" in missing and len(missing) == 1):
            yield f"MalformedPolicyDocumentException: statement {index + 1} has no {', '.join(missing)}"
    root = f"arn:{partition}:iam::{account}:root"
    if not any(
        statement.get("Effect") == "Allow"
        and _names_principal(statement, aws=root, account=account)
        and statement_applies(_without_condition(statement), "kms:PutKeyPolicy", "*", {})
        for statement in statements
    ):
        yield (
            "MalformedPolicyDocumentException: The new key policy will not allow you to update the key policy "
            "in the future (no statement lets the account call kms:PutKeyPolicy)"
        )


def _without_condition(statement: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in statement.items() if key != "Condition"}


def _names_principal(statement: Mapping[str, Any], *, aws: str, account: str) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    names = principal.get("AWS", [])
    return aws in ([names] if isinstance(names, str) else names) or (
        aws.endswith(":root") and account in ([names] if isinstance(names, str) else names)
    )


def key_arn(key_id: str, account: str, region: str) -> str | None:
    """The ARN of the key a topic's ``KmsMasterKeyId`` names (an id, an ARN, an alias or an alias ARN), or
    None if the account has no such key (SNS answers KMSNotFound)."""
    backend = kms_backends[account][region]
    try:
        return str(backend.describe_key(key_id).arn)
    except Exception:  # moto raises NotFoundException (or KeyError) for an unknown key or alias
        return None


def key_policy(arn: str, account: str, region: str) -> dict[str, Any]:
    return dict(json.loads(kms_backends[account][region].get_key_policy(arn)))


def principal_refusal(
    arn: str,
    *,
    principal: str,
    identity_policies: list[dict[str, Any]],
    account: str,
    region: str,
    partition: str = "aws",
) -> str | None:
    """None if the IAM principal ``principal`` (a role's ARN, or an assumed role's session ARN) may publish
    to a topic key ``arn`` encrypts; otherwise why not, in KMS's words."""
    policy = key_policy(arn, account, region)
    role = _role_of(principal, account, partition)
    root = f"arn:{partition}:iam::{account}:root"
    for action in PUBLISH_ACTIONS:
        by_name = _key_policy_effect(policy, action, arn, {}, aws=role)
        for_account = _key_policy_effect(policy, action, arn, {}, aws=root)
        refused = f"User: {principal} is not authorized to perform: {action} on resource: {arn}"
        if "Deny" in (by_name, for_account):
            return f"{refused} with an explicit deny in a resource-based policy"
        if by_name == "Allow":
            continue
        if (
            for_account == "Allow"
            and denial_reason(identity_policies, action, arn, {"aws:RequestedRegion": region}) is None
        ):
            continue
        which = "identity-based" if for_account == "Allow" else "resource-based"
        return f"{refused} because no {which} policy allows the action ({_KMS_ERROR})"
    return None


def service_refusal(arn: str, *, service: str, source_arn: str, account: str, region: str) -> str | None:
    """None if the key policy lets the service principal ``service`` (on behalf of ``source_arn``) publish
    to a topic key ``arn`` encrypts; otherwise why not."""
    policy = key_policy(arn, account, region)
    for action in PUBLISH_ACTIONS:
        if not service_may(
            policy, service=service, action=action, resource=arn, source_arn=source_arn, source_account=account
        ):
            return f"{service} is not authorized to perform: {action} on resource: {arn} ({_KMS_ERROR})"
    return None


def _key_policy_effect(
    policy: Mapping[str, Any],
    action: str,
    arn: str,
    context: Mapping[str, str],
    *,
    aws: str,
) -> str | None:
    """ "Deny", "Allow" or None: what the key policy's statements naming the IAM principal ``aws`` say of the
    action (a service principal's: ``resource_policies.service_may``)."""
    statements = policy.get("Statement", [])
    effect: str | None = None
    for statement in statements if isinstance(statements, list) else [statements]:
        if not _names_principal(statement, aws=aws, account=arn.split(":")[4]):
            continue
        if not statement_applies(dict(statement), action, arn, context):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        effect = "Allow" if statement.get("Effect") == "Allow" else effect
    return effect


def _role_of(principal: str, account: str, partition: str) -> str:
    """arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION -> arn:aws:iam::ACCOUNT:role/ROLE (how a key policy
    names a role)."""
    prefix = f"arn:{partition}:sts::{account}:assumed-role/"
    if principal.startswith(prefix):
        return f"arn:{partition}:iam::{account}:role/{principal.removeprefix(prefix).split('/')[0]}"
    return principal
