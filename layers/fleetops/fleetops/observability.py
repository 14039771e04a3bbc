"""Logger, Metrics and (optionally) Tracer, shared by every function of the suite.

Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, which
the template sets; the defaults keep a direct invocation (tests, the demo) working.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics

SERVICE = "ecs-fleet-ops"
NAMESPACE = "EcsFleetOps"

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE))


def tracing_enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").strip().lower() not in ("1", "true")


def capture_lambda_handler[Handler: Callable[..., Any]](handler: Handler) -> Handler:
    """Powertools Tracer around the handler, only when tracing is on.

    Creating a Tracer imports the X-Ray SDK, measured here at about 0.2 s of cold start with
    bytecode (0.4 s without) even when tracing is disabled; so it is created only when the
    template turns tracing on (parameter EnableTracing).
    """
    if not tracing_enabled():
        return handler
    from aws_lambda_powertools import Tracer

    return cast(Handler, Tracer().capture_lambda_handler(handler))
