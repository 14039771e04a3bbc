"""Lambda entry point of the scale job: configuration at cold start, then one call per event."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from fleetops.aws.clients import AwsClients
from fleetops.aws.parameter_store import ParameterStore
from fleetops.observability import capture_lambda_handler, logger, metrics
from fleetops.scale import ScaleService, ScaleSettings

# Validated once: a wrong deployment (a bad rule included) fails its first invocation loudly,
# before it touches a service or a host.
clients = AwsClients()  # one session for the configuration read and the service
service = ScaleService(ScaleSettings.from_environment(os.environ, ParameterStore(clients)), session=clients.session)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return service.handle(event, context)
