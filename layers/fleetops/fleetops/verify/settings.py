"""The verify job's configuration, read once from the environment at cold start (every error at once)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fleetops.settings import NOTHING_NAMED, SQS_MAX_DELAY_SECONDS, EnvironmentReader, Scope
from fleetops.stored_configuration import VERIFY_SERVICES_PARAMETER, ParameterReader, configuration_text
from fleetops.verify.config import ServiceChecks, checks_for, parse_services_text


@dataclass(frozen=True, slots=True)
class VerifySettings:
    recheck_queue_url: str
    """SQS queue carrying the delayed alarm re-checks of the bake period (the durable wait)."""
    dead_letter_queue_url: str
    """SQS queue keeping events that cannot be understood, with their reason; never retried."""
    idempotency_table: str
    """DynamoDB table for Powertools Idempotency (a duplicated event verifies once)."""
    state_table: str
    """DynamoDB table holding each service's last known-good task definition and its rollbacks."""
    notification_topic_arn: str = ""
    """SNS topic for messages a human reads; empty = no messages."""
    services: dict[str, ServiceChecks] = field(default_factory=dict)
    """Per-service checks (VERIFY_SERVICES, JSON, or the SSM parameter <CONFIG_PARAMETER_PREFIX>/verify-services).
    A service named nowhere gets the defaults."""
    smoke_allowed_hosts: frozenset[str] = frozenset()
    """The only hosts a smoke check may call (SMOKE_ALLOWED_HOSTS, comma-separated)."""
    clusters: Scope = NOTHING_NAMED
    """Clusters the job may verify (``CLUSTER_NAMES``, required; ``*`` = every cluster): an event of another
    cluster is acknowledged and ignored, and an old short service ARN, which names none, is looked for in
    these (in every cluster with ``*``)."""
    rollback_enabled: bool = False
    """Whether the stack may roll back at all (ROLLBACK_ENABLED, the template's VerifyRollbackEnabled):
    only then does the function's role hold ecs:UpdateService and ecs:StopServiceDeployment. A failed
    release of a service whose configuration does not say is then rolled back."""
    rollback_max_per_window: int = 1
    """At most this many rollbacks per service per window: a bad known-good must not flap forever."""
    rollback_window_seconds: int = 3600
    recheck_interval_seconds: int = 60
    """Delay between two alarm looks during a bake (10 to 900: SQS's maximum delay)."""
    notify_on_success: bool = False
    """Also announce verifications that pass (failures are always announced)."""

    def checks_for(self, cluster: str | None, service: str) -> ServiceChecks:
        return checks_for(self.services, cluster, service)

    def rollback_wanted(self, checks: ServiceChecks) -> bool:
        """Never without the permission to: a configuration asking for it is refused (``refuse_...``)."""
        return self.rollback_enabled and checks.rollback is not False

    def refuse_rollback_it_may_not_make(self, checks: ServiceChecks, where: str, errors: list[str]) -> None:
        """A request for a rollback this stack holds no permission to make is an error, said where it is
        made (configuration at cold start, a pipeline's checks at its call), not a surprise at the end."""
        if checks.rollback and not self.rollback_enabled:
            errors.append(
                f"{where} asks for a rollback, but this stack may not roll back (VerifyRollbackEnabled is "
                "false: its role holds no ecs:UpdateService); deploy it with VerifyRollbackEnabled=true"
            )

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str], parameter_store: ParameterReader | None = None
    ) -> VerifySettings:
        """Every setting from ``environ``; the services from ``VERIFY_SERVICES``, or from the SSM
        parameter ``<CONFIG_PARAMETER_PREFIX>/verify-services`` read through ``parameter_store``."""
        env = EnvironmentReader(environ)
        allowed = frozenset(host.lower() for host in env.names("SMOKE_ALLOWED_HOSTS"))
        document = configuration_text(
            environ, "VERIFY_SERVICES", VERIFY_SERVICES_PARAMETER, parameter_store, env.errors
        )
        services = parse_services_text(document.text, allowed, env.errors, source=document.source)
        settings = cls(
            recheck_queue_url=env.text("RECHECK_QUEUE_URL"),
            dead_letter_queue_url=env.text("DEAD_LETTER_QUEUE_URL"),
            idempotency_table=env.text("IDEMPOTENCY_TABLE"),
            state_table=env.text("VERIFY_STATE_TABLE"),
            notification_topic_arn=env.text("NOTIFICATION_TOPIC_ARN", required=False),
            services=services,
            smoke_allowed_hosts=allowed,
            clusters=env.cluster_scope(),
            rollback_enabled=env.flag("ROLLBACK_ENABLED", False),
            rollback_max_per_window=env.integer("ROLLBACK_MAX_PER_WINDOW", 1, minimum=0, maximum=20),
            rollback_window_seconds=env.integer("ROLLBACK_WINDOW_SECONDS", 3600, minimum=60, maximum=7 * 86400),
            recheck_interval_seconds=env.integer(
                "RECHECK_INTERVAL_SECONDS", 60, minimum=10, maximum=SQS_MAX_DELAY_SECONDS
            ),
            notify_on_success=env.flag("NOTIFY_ON_SUCCESS", False),
        )
        for key, checks in services.items():
            settings.refuse_rollback_it_may_not_make(checks, f"{document.source}[{key!r}]", env.errors)
        env.raise_if_invalid("verify")
        return settings
