"""The one allowlist of IAM grants broader than their resource types: what the templates grant on every
resource ("*") although the Service Authorization Reference gives the action resource types, each with
its reason. An action with no resource type can only be granted on "*" and needs no entry (the reference
says so: ``simulator/iam/reference.py``). Read by ``test_iam_reference.py`` and
``test_end_to_end_iam.py``.
"""

from __future__ import annotations

# Actions granted on "*" in the template's own policies or in the AWS managed policies SAM attaches.
TYPED_ACTIONS_ON_EVERY_RESOURCE = {
    "ecs:ListTasks": "listing a service's tasks names no container instance: narrowed by the ecs:cluster condition",
    "logs:CreateLogGroup": "AWSLambdaBasicExecutionRole (SAM attaches it to every function's role): its own logs",
    "logs:CreateLogStream": "AWSLambdaBasicExecutionRole (SAM attaches it to every function's role): its own logs",
    "logs:PutLogEvents": "AWSLambdaBasicExecutionRole (SAM attaches it to every function's role): its own logs",
}

# AWS managed policies whose grants of Write, Permissions management or Tagging actions on "*" are
# AWS's own document, attached on purpose; each with the reason it is attached.
AWS_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": "every function SAM makes: its logs",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": "Tracing is set (to PassThrough while EnableTracing is false)",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": (
        "an SQS event source: the re-check, follow-up and bake queues (each function's ReadOnlyItsOwnQueue "
        "denies its queue actions on every queue but its own)"
    ),
}
# The example cluster's instance role: the ECS agent registers its host, submits state changes and
# ships logs in whatever cluster ECS_CLUSTER names, so AWS writes this policy on "*" (ECS developer
# guide, "Amazon ECS container instance IAM role").
EXAMPLE_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role": "the ECS agent on each host",
}
