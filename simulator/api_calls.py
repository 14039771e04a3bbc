"""Counts the AWS API calls made through a boto3 session (before botocore sends them)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3


class ApiCallCounter:
    def __init__(self, session: boto3.Session) -> None:
        self.calls: Counter[str] = Counter()  # operations called
        self.attempts: Counter[str] = Counter()  # HTTP requests sent, retries included
        # Clients copy the session's event hooks when they are created: register first.
        session.events.register("before-call", self._count)
        session.events.register("request-created", self._count_attempt)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def _count_attempt(self, request: Any, operation_name: str, **_: Any) -> None:
        self.attempts[operation_name] += 1

    def total(self, *, service: str | None = None) -> int:
        return sum(n for key, n in self.calls.items() if service is None or key.startswith(f"{service}:"))

    def reset(self) -> None:
        self.calls.clear()
        self.attempts.clear()
