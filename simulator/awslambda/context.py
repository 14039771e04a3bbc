"""The context object Lambda passes to a handler, for direct invocations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class FakeLambdaContext:
    function_name: str = "ecs-fleet-ops-drain"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ecs-fleet-ops-drain"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/ecs-fleet-ops-drain"
    log_stream_name: str = "simulated"
    remaining_millis: int = 60_000  # what is left of the invocation when the handler asks
    remaining: Callable[[], int] | None = None  # or, when given, what is left now (a simulated clock)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining() if self.remaining is not None else self.remaining_millis
