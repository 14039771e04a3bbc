"""Lambda entry point of the drain job: configuration at cold start, then one call per event."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from fleetops.drain import DrainService, DrainSettings
from fleetops.observability import capture_lambda_handler, logger, metrics

# Validated once: a wrong deployment fails its first invocation loudly, before it touches a host.
service = DrainService(DrainSettings.from_environment(os.environ))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return service.handle(event, context)
