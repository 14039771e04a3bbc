"""What every job's configuration shares: the environment reader, the scope of what a stack may touch,
and the limits several jobs obey. Each job's own settings live in its package (``drain/settings.py``,
``scale/settings.py``, ``verify/settings.py``), read once from the environment at cold start.

Every problem is collected and reported together in one ConfigurationError, so a wrong deployment
fails loudly on its first invocation, before it touches a host, and says everything that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from fleetops.errors import ConfigurationError
from fleetops.models.lifecycle import ECS_MANAGED_DRAINING_HOOK, HOOK_NAME_PATTERN, LifecycleResult

_E = TypeVar("_E", bound=LifecycleResult)

# SQS caps DelaySeconds at 900 (15 minutes); a re-check can never be scheduled further out.
SQS_MAX_DELAY_SECONDS = 900
# The drain acts only on termination hooks whose name starts with this (template: DrainHookNamePrefix).
DEFAULT_DRAIN_HOOK_NAME_PREFIX = "ecs-fleet-ops-drain"
# In CLUSTER_NAMES or AUTO_SCALING_GROUP_NAMES: every cluster (group) of the account and region.
EVERYTHING = "*"


@dataclass(frozen=True, slots=True)
class Scope:
    """What the stack may act on, as it names it: every resource of a kind in the account and region
    (``*``), or these names only; no name at all is no resource at all (never "all")."""

    names: tuple[str, ...] = ()
    everything: bool = False

    @classmethod
    def every(cls) -> Scope:
        return cls(everything=True)

    @classmethod
    def of(cls, *names: str) -> Scope:
        return cls(names=names)

    def includes(self, name: str) -> bool:
        """Whether the stack may act on ``name`` (an exact name: a cluster's, not its ARN)."""
        return self.everything or name in self.names

    def __str__(self) -> str:
        return EVERYTHING if self.everything else ", ".join(self.names) or "none"


# The safe default of a settings object built in code: nothing named, nothing touched.
NOTHING_NAMED = Scope()


class EnvironmentReader:
    """Reads typed values from an environment mapping and collects every error it finds."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self.errors: list[str] = []

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self._environ.get(name, "").strip()
        if not value and required:
            self.errors.append(f"{name} is required")
        return value or default

    def names(self, name: str) -> tuple[str, ...]:
        """A comma-separated list; blanks are dropped (CloudFormation joins an empty list as "")."""
        raw = self._environ.get(name, "")
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    def scope(self, name: str, *, required: str | None = None) -> Scope:
        """A Scope: ``*`` (every one), or comma-separated names. Empty or missing is no name at all, or,
        with ``required`` (the sentence that says what to give), an error: the stack must say what it
        may touch. Missing counts as empty: the documents do not say whether Lambda keeps a variable
        whose value is empty (docs/aws-behaviour.md, "A safe first deploy")."""
        names = self.names(name)
        if EVERYTHING in names:
            if len(names) > 1:
                self.errors.append(f"{name} is either {EVERYTHING} (every one) or names, not both: got {names}")
            return Scope.every()
        if not names and required:
            self.errors.append(f"{name} is required: {required}")
        return Scope.of(*names)

    def integer(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        raw = self._environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.errors.append(f"{name} must be a whole number, got {raw!r}")
            return default
        if not minimum <= value <= maximum:
            self.errors.append(f"{name} must be between {minimum} and {maximum}, got {value}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self._environ.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in ("true", "1", "yes", "on"):
            return True
        if raw in ("false", "0", "no", "off"):
            return False
        self.errors.append(f"{name} must be true or false, got {raw!r}")
        return default

    def choice(self, name: str, enum: type[_E], default: _E) -> _E:
        raw = self._environ.get(name, "").strip().upper()
        if not raw:
            return default
        try:
            return enum(raw)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            self.errors.append(f"{name} must be one of {allowed}, got {raw!r}")
            return default

    def hook_name_prefix(self, name: str, default: str) -> str:
        """The start of the lifecycle hook names the drain owns. Never one that ECS managed instance
        draining's own hook would match: the drain would complete ECS's actions (issue 10, item 2)."""
        value = self._environ.get(name, "").strip() or default
        if not HOOK_NAME_PATTERN.match(value):
            self.errors.append(
                f"{name} must be 1 to 255 of the characters a lifecycle hook name allows (A-Z a-z 0-9 - _ /), "
                f"got {value!r}"
            )
        elif ECS_MANAGED_DRAINING_HOOK.startswith(value):
            self.errors.append(
                f"{name} {value!r} would match {ECS_MANAGED_DRAINING_HOOK!r}, the hook of ECS managed instance "
                "draining, whose actions ECS completes itself: choose a prefix of the suite's own"
            )
        return value

    def raise_if_invalid(self, what: str) -> None:
        if self.errors:
            raise ConfigurationError(f"invalid {what} configuration: " + "; ".join(self.errors))

    def cluster_scope(self) -> Scope:
        """``CLUSTER_NAMES``, which every job requires: an empty list once meant every cluster, so a stack
        deployed without a name reached the whole region; every cluster is now asked for with ``*``."""
        return self.scope(
            "CLUSTER_NAMES", required=f"the ECS clusters the suite may act on, or {EVERYTHING} for every cluster"
        )

    def group_scope(self) -> Scope:
        """``AUTO_SCALING_GROUP_NAMES`` (drain and scale): ``*``, names, or empty (or missing) = no group."""
        return self.scope("AUTO_SCALING_GROUP_NAMES")
