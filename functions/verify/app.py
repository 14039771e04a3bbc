"""Lambda entry point of the verify job: configuration at cold start, then one call per event.

Triggers: EventBridge ``ECS Deployment State Change``, a CodeDeploy ECS lifecycle hook, an ECS native
deployment lifecycle hook, a direct invocation (CI), and the SQS re-checks of the alarm bake.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from fleetops.aws.clients import AwsClients
from fleetops.aws.parameter_store import ParameterStore
from fleetops.observability import capture_lambda_handler, logger, metrics
from fleetops.verify import VerifyService, VerifySettings

# Validated once: a wrong deployment fails its first invocation loudly, before it verifies anything.
clients = AwsClients()  # one session for the configuration read and the service
service = VerifyService(VerifySettings.from_environment(os.environ, ParameterStore(clients)), session=clients.session)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return service.handle(event, context)
