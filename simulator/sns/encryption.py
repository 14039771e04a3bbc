"""Publishing to a topic encrypted with a KMS key needs the key (moto 5.2 stores a topic's
``KmsMasterKeyId`` and publishes whoever asks), closed here only.

"When you publish messages to encrypted topics, the publisher needs kms:GenerateDataKey* and kms:Decrypt
on the key" (Amazon SNS Developer Guide, "Key management", AWS KMS permissions): SNS asks KMS for a data
key on the publisher's behalf, and a publisher the key does not let in is refused with ``KMSAccessDenied``
("The ciphertext references a key that doesn't exist or that you don't have access to", Publish errors;
HTTP 400). A key the account does not have: ``KMSNotFound``. Whether the key lets the publisher in is
``simulator.kms.keys``: its key policy, and the publisher's IAM policies where the key policy lets the
account's IAM decide.

Checked only while IAM is enforced (``enforced_iam``): a function's publish, under its role. The
simulation's own set-up publishes as the account's administrator, whom the default key policy lets in.
A service principal publishing (CloudWatch for an alarm's action) is checked by the simulated account
(``SimulatedAccount.publish``), not here: it signs no request of moto's.
"""

from __future__ import annotations

from collections.abc import Callable

from moto.sns.models import sns_backends
from moto.sns.responses import SNSResponse

from simulator.iam.enforcement import caller_policies, enforcing, refuse_request
from simulator.kms.keys import key_arn, principal_refusal
from simulator.patching import Patch, Wrap


def _with_the_topic_key(authorize: Callable[..., None]) -> Callable[..., None]:
    def check(self: SNSResponse, resource: str = "*") -> None:
        checked = enforcing()  # read before authorize counts the request
        authorize(self, resource)
        if not checked or self._get_action() != "Publish":
            return
        topic_arn = self._get_param("TopicArn") or self._get_param("TargetArn")
        topic = sns_backends[self.current_account][self.region].topics.get(str(topic_arn))
        if topic is None or not topic.kms_master_key_id:
            return
        arn = key_arn(topic.kms_master_key_id, self.current_account, self.region)
        if arn is None:
            refuse_request(self, "KMSNotFound", 400, f"Invalid keyId {topic.kms_master_key_id}")
        principal, documents = caller_policies(self)
        reason = principal_refusal(
            arn,
            principal=principal,
            identity_policies=documents,
            account=self.current_account,
            region=self.region,
            partition=self.partition,
        )
        if reason is not None:
            refuse_request(self, "KMSAccessDenied", 400, reason)

    return check


# Wraps the IAM check ``simulator.iam.enforcement`` installs on SNS (listed after it).
PATCHES: tuple[Patch, ...] = (Wrap(SNSResponse, "_authenticate_and_authorize_normal_action", _with_the_topic_key),)
