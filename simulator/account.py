"""A simulated AWS account running the suite's stack, deployed from ``template.yaml`` (see ``stack``).

Events reach a function only the way AWS would deliver them, through the wiring the template declares:
- EventBridge: ``put_event`` matches every rule's own pattern with moto's matcher and invokes the
  rule's Lambda targets, if a permission lets ``events.amazonaws.com`` invoke them from that rule;
- SNS: ``publish`` reaches a function only through a subscription of the template on that topic, with
  the permission for ``sns.amazonaws.com``;
- SQS: a message sent to a queue with an event source mapping is delivered after its delay, on the
  simulated clock, in batches; a failed message comes back after the queue's visibility timeout and
  goes to its dead-letter queue after ``maxReceiveCount`` receives;
- asynchronous invocations (EventBridge, SNS) that fail are retried as Lambda does (after 1 and 2
  minutes, per the function's EventInvokeConfig), then sent to its on-failure destination;
- ``invoke`` is a direct, synchronous invocation (a CI pipeline's ``aws lambda invoke``).

Each function runs its real handler, loaded from ``functions/<job>/app.py`` under the environment the
template gives it, with its role's credentials: moto enforces the role's policies during every
invocation (``iam_gaps``), so a permission the template lacks fails here as it would in AWS.
Everything that happens goes into ``timeline``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import heapq
import inspect
import io
import json
import logging
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, cast
from unittest import mock

import boto3
import botocore.endpoint
import botocore.exceptions
from aws_lambda_powertools.utilities.idempotency import base as idempotency_handler
from aws_lambda_powertools.utilities.idempotency.persistence import base as idempotency_store
from aws_lambda_powertools.utilities.idempotency.persistence import datarecord as idempotency_record
from aws_lambda_powertools.utilities.idempotency.persistence import dynamodb as idempotency_dynamodb
from moto.events.models import EventPattern
from moto.sns.utils import FilterPolicyMatcher
from moto.sqs.models import sqs_backends

from simulator.api_calls import ApiCallCounter
from simulator.autoscaling.lifecycle import acting_as, sns_delivery
from simulator.awslambda.context import FakeLambdaContext
from simulator.awslambda.functions import load_handler, powertools_identity
from simulator.clock import SimulatedClock, iso_time
from simulator.cloudformation.stack import DeployedStack, FunctionSpec, deploy_stack
from simulator.cloudformation.transform import ACCOUNT, REGION
from simulator.cloudwatch.embedded_metrics import publish_embedded_metrics
from simulator.iam.enforcement import assume_role_session, enforced_iam
from simulator.iam.resource_policies import queue_policy, service_may
from simulator.kms.keys import key_arn, service_refusal
from simulator.paths import TEMPLATE
from simulator.sqs import receipts as sqs_receipts
from simulator.sqs.queues import take_sent, take_visible

TICK_SECONDS = 5
ASYNC_RETRY_DELAYS = (60, 120)  # Lambda's waits before its first and second retry of an async event
INBOX = "simulation-inbox"
DECISION_PREFIXES = (
    "drain ",
    "scale ",
    "verification ",
    "event ignored",
    "duplicate delivery",
    "invalid event",
)  # a queue subscribed to the notification topic: what a human would read


@dataclass
class TimelineEntry:
    at: float  # simulated epoch seconds
    source: str  # who acted or sent the event: a simulated service ("CloudWatch", "Auto Scaling", "CI", ...)
    event: str
    function: str | None = None  # the job (drain, scale, verify) that ran, if any
    via: str = ""  # how the event reached it: "EventBridge", "SNS", "SQS", "direct"
    decision: str = ""
    calls: dict[str, int] = field(default_factory=dict)  # AWS API operations the invocation called
    attempts: dict[str, int] = field(default_factory=dict)  # HTTP requests per operation, retries included
    metrics: list[str] = field(default_factory=list)  # metrics the invocation published
    notifications: list[dict[str, str]] = field(default_factory=list)  # what it announced (SNS)
    error: str | None = None
    result: Any = None  # what the handler returned

    def as_dict(self, start: float) -> dict[str, Any]:
        return {
            "t": round(self.at - start, 1),
            "source": self.source,
            "via": self.via,
            "event": self.event,
            "function": self.function,
            "decision": self.decision,
            "aws_calls": dict(sorted(self.calls.items())),
            "metrics": sorted(set(self.metrics)),
            "notifications": [n["subject"] for n in self.notifications],
            **({"error": self.error} if self.error else {}),
        }


@dataclass
class _Message:
    queue_arn: str
    body: str
    message_id: str
    sent_at: float
    receives: int = 0
    visible_again_at: float | None = None  # set by ChangeMessageVisibility while the message is in flight


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    deliver: Callable[[], None] = field(compare=False)
    message: _Message | None = field(default=None, compare=False)  # an SQS message, batched by queue


class HandlerCrash(BaseException):
    """Raised into a handler by a fault injection: the invocation dies as the runtime dies (out of
    memory, a timeout). A BaseException, so no ``except Exception`` in the handler can tidy up after it."""


class SimulatedFunction:
    """One Lambda function of the stack: its handler, cold-started once, under its role."""

    def __init__(
        self,
        spec: FunctionSpec,
        clock: SimulatedClock,
        *,
        fault: Callable[[str], None],
        attempt_fault: Callable[[str, int], None] | None = None,
    ) -> None:
        self.spec = spec
        self.job = spec.code.name
        self.clock = clock
        self._began: float | None = None  # when the running invocation began, on the simulated clock
        self.session = assume_role_session(spec.role_arn, spec.name, REGION)
        # Lambda's timeout, before the call counter sees an attempt that never leaves.
        self.session.events.register_first("request-created", lambda **_: self._stop_if_timed_out())
        self.api = ApiCallCounter(self.session)  # this invocation's calls (reset by the account before each)
        # Every call since the cold start, across invocations; reset by whoever reads it (a test, a benchmark).
        self.api_since_cold_start = ApiCallCounter(self.session)
        # Fault injection hooks into the role session, as a flaky network or runtime would.
        self.session.events.register("before-call", lambda model, **_: fault(f"{self.job}:{model.name}"))
        self.session.events.register("before-call", lambda **_: self._stop_if_timed_out())
        if attempt_fault is not None:
            # Before moto's own before-send handler answers the attempt.
            self.session.events.register_first(
                "before-send",
                lambda request, event_name, **_: attempt_fault(
                    f"{self.job}:{event_name.rsplit('.', 1)[-1]}", _attempt_number(request)
                ),
            )
        self.environment = {
            **spec.environment,
            # What Lambda's runtime adds.
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            # Lambda's advanced logging controls, as the runtime sees them ("Log-level filtering").
            **({"AWS_LAMBDA_LOG_FORMAT": "JSON"} if spec.log_format == "JSON" else {}),
            **({"AWS_LAMBDA_LOG_LEVEL": spec.application_log_level} if spec.application_log_level else {}),
        }
        # The cold start (configuration validated, SSM parameters read) runs under the role, as Lambda runs
        # it: the runtime gives the role's credentials as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
        # AWS_SESSION_TOKEN ("Defined runtime environment variables"), and IAM is enforced.
        with enforced_iam():
            self.module: ModuleType = load_handler(self.job, self.environment | self._role_credentials())
        self.sleeps: list[float] = []  # every wait the handler's own code asked for since the cold start
        # The handler module's ``service`` (functions/<job>/app.py), made at import: a module attribute mypy
        # cannot see through importlib.
        setattr(self.module, "service", self._service_on_simulated_time(getattr(self.module, "service")))  # noqa: B009, B010
        self.last_output = FunctionOutput()

    def _role_credentials(self) -> dict[str, str]:
        found = self.session.get_credentials()
        assert found is not None, "an assumed role's session always has credentials"
        credentials = found.get_frozen_credentials()
        return {
            "AWS_ACCESS_KEY_ID": str(credentials.access_key),
            "AWS_SECRET_ACCESS_KEY": str(credentials.secret_key),
            "AWS_SESSION_TOKEN": credentials.token or "",
            # botocore reads this older name before AWS_SESSION_TOKEN; the tests' conftest sets it.
            "AWS_SECURITY_TOKEN": credentials.token or "",
        }

    def _service_on_simulated_time(self, service: Any) -> Any:
        """The handler's own service, rebuilt with the role's session and the simulated clock (and a
        sleep that advances it): the only difference from the deployed function. The settings are the
        cold start's own (with what it read from SSM Parameter Store), not read again."""
        settings = service.settings
        options: dict[str, Any] = {"session": self.session, "clock": self.clock}
        if "sleep" in inspect.signature(type(service)).parameters:
            options["sleep"] = self._sleep
        return type(service)(settings, **options)

    def _sleep(self, seconds: float) -> None:
        """The handler's own wait (a smoke check's backoff): simulated time passes, and ``sleeps`` says so."""
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    def invoke(self, event: Any) -> tuple[Any, FunctionOutput]:
        """Run the handler under the role; what it wrote (its CloudWatch Logs) comes back with the result,
        and stays in ``last_output`` when it raised."""
        began = self._began = self.clock()
        context = FakeLambdaContext(
            function_name=self.spec.name,
            memory_limit_in_mb=self.spec.memory,
            invoked_function_arn=self.spec.arn,
            log_group_name=f"/aws/lambda/{self.spec.name}",
            remaining_millis=self.spec.timeout * 1000,
            remaining=lambda: max(0, int((began + self.spec.timeout - self.clock()) * 1000)),
        )
        written = io.StringIO()
        logger = self.module.logger
        streams = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
        previous = [h.setStream(written) for h in streams]
        # One Powertools logger serves every function in this process; each logs at its own level.
        level = logger.log_level
        # Powertools takes Lambda's application log level before its own (Logger, "Advanced Logging Controls").
        filtered = self.environment.get("AWS_LAMBDA_LOG_LEVEL")
        logger.setLevel(_PYTHON_LEVELS.get(filtered or "", self.environment.get("POWERTOOLS_LOG_LEVEL", "INFO")))
        try:
            with (
                enforced_iam(),
                acting_as(f"function:{self.job}"),  # who completes a lifecycle action, for the record
                contextlib.redirect_stdout(written),
                _on_simulated_time(self.clock),
                powertools_identity(self.environment),
            ):
                result = self.module.lambda_handler(event, context)
            self._stop_if_timed_out()  # a handler that returns after its timeout was cut before it could
        except (Exception, HandlerCrash) as error:
            error.add_note(f"logs: {written.getvalue()[-2000:]}")
            raise
        finally:
            self._began = None
            logger.setLevel(level)
            for handler, stream in zip(streams, previous, strict=True):
                handler.setStream(stream)
            self.last_output = FunctionOutput.read(written.getvalue(), application_log_level=filtered)
        return result, self.last_output

    def _stop_if_timed_out(self) -> None:
        """Lambda stops an invocation when its function's Timeout has passed ("Configure Lambda function
        timeout": at most 900 s; 60 s for drain and scale, 120 s for verify here). Simulated calls take
        no time, only waits do (botocore's backoff, a fault, the handler's own sleep), so the timeout is
        checked where the handler next touches AWS, before each call and each HTTP attempt, and when it
        returns: what it did before stays done, nothing after happens, and the invocation fails as a
        timed-out one does (Lambda retries an asynchronous event, SQS redelivers the batch)."""
        if self._began is not None and self.clock() - self._began >= self.spec.timeout:
            raise HandlerCrash(f"Task timed out after {self.spec.timeout:.2f} seconds")


def _attempt_number(request: Any) -> int:
    """Which attempt of its call an HTTP request is: botocore's ``amz-sdk-request: attempt=N; max=M``."""
    header = request.headers.get("amz-sdk-request", b"")
    text = header.decode() if isinstance(header, bytes) else str(header)
    fields = dict(part.strip().partition("=")[::2] for part in text.split(";") if "=" in part)
    return int(fields.get("attempt", "1"))


@contextmanager
def _on_simulated_time(clock: SimulatedClock) -> Iterator[None]:
    """What reads the wall clock inside an invocation, on the simulated clock instead:

    - botocore's retry backoff (``time.sleep`` in botocore.endpoint) waits on it;
    - Powertools Idempotency dates its records with ``datetime.now()``, and expires an INPROGRESS
      record at the invocation's deadline. An invocation that dies leaves its record INPROGRESS; in
      AWS it stops blocking at that deadline, before SQS redelivers or Lambda retries. On the wall
      clock it would block for real seconds while simulated hours pass, and every retry would be
      taken for a duplicate.
    """

    class SimulatedDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> datetime.datetime:  # type: ignore[override]
            return datetime.datetime.fromtimestamp(clock(), tz)

    dates = SimpleNamespace(datetime=SimulatedDatetime, timedelta=datetime.timedelta, date=datetime.date)
    with contextlib.ExitStack() as patches:
        patches.enter_context(mock.patch.object(botocore.endpoint, "time", SimpleNamespace(sleep=clock.advance)))
        for module in (idempotency_handler, idempotency_store, idempotency_record, idempotency_dynamodb):
            patches.enter_context(mock.patch.object(module, "dt", dates))
        yield


# Lambda's application log levels, least to most severe, with Python's names for the same levels, and the
# Python level Powertools uses for each ("TRACE" is below DEBUG: everything).
_LEVEL_ORDER = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4, "FATAL": 5, "CRITICAL": 5}
_PYTHON_LEVELS = {
    "TRACE": "DEBUG",
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARNING",
    "ERROR": "ERROR",
    "FATAL": "CRITICAL",
}


@dataclass
class FunctionOutput:
    """What one invocation wrote: its structured log lines and its metrics (Embedded Metric Format)."""

    logs: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    metric_documents: list[dict[str, Any]] = field(default_factory=list)  # each EMF document, as written

    @classmethod
    def read(cls, text: str, *, application_log_level: str | None = None) -> FunctionOutput:
        """The lines CloudWatch Logs receives. With an application log level (JSON logs only), Lambda drops
        every line below it, and takes a line without a valid "level" (an EMF document) for INFO: a WARN
        level drops the metrics too (Lambda Developer Guide, "Log-level filtering")."""
        output = cls()
        floor = _LEVEL_ORDER.get(application_log_level or "TRACE", 0)
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(record, dict):
                continue
            if _LEVEL_ORDER.get(str(record.get("level", "INFO")).upper(), _LEVEL_ORDER["INFO"]) < floor:
                continue
            if "_aws" in record:
                output.metric_documents.append(record)
                for directive in record["_aws"].get("CloudWatchMetrics", []):
                    output.metrics.extend(m["Name"] for m in directive.get("Metrics", []))
            elif "message" in record:
                output.logs.append(record)
        return output

    @property
    def values(self) -> dict[str, list[float]]:
        """Each metric's values, as the EMF documents give them (a value or a list of values)."""
        found: dict[str, list[float]] = {}
        for document in self.metric_documents:
            for directive in document["_aws"].get("CloudWatchMetrics", []):
                for metric in directive.get("Metrics", []):
                    value = document.get(metric["Name"], [])
                    found.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [float(value)])
        return found

    def decisions(self) -> list[str]:
        """The decision lines each job logs ("drain wait: ...", "scale ...", "verification ...")."""
        return [str(r["message"]) for r in self.logs if str(r["message"]).startswith(DECISION_PREFIXES)]


class SimulatedAccount:
    def __init__(
        self,
        *,
        parameters: dict[str, str] | None = None,
        template: Path = TEMPLATE,
        clock: SimulatedClock | None = None,
        session: boto3.Session | None = None,
    ) -> None:
        self.clock = clock or SimulatedClock()
        self.start = self.clock()
        self.session = session or boto3.Session(region_name=REGION)
        self.stack: DeployedStack = deploy_stack(self.session, parameters=parameters, template=template)
        self.timeline: list[TimelineEntry] = []
        self.tickers: list[Callable[[], object]] = []  # the simulated services' own work, every tick
        self.faults: list[Callable[[str], None]] = []  # called before each AWS call a function makes
        # Called before each HTTP attempt of those calls, botocore's retries included ("job:Operation", n).
        self.attempt_faults: list[Callable[[str, int], None]] = []
        # How many copies of an event reach a function: 0 lost, 1, 2 duplicated (args: via, event).
        self.delivery_fault: Callable[[str, Any], int] | None = None
        self._notifications: list[dict[str, str]] = []
        self._due: list[_Due] = []
        self._seq = 0
        self._queue_urls = {
            self.stack.attributes[(lid, "Arn")]: url
            for lid, url in self.stack.physical.items()
            if self.stack.resources[lid]["Type"] == "AWS::SQS::Queue"
        }
        self._clients: dict[str, Any] = {}
        self.inbox_url = self._client("sqs").create_queue(QueueName=INBOX)["QueueUrl"]
        self._client("sns").subscribe(
            TopicArn=self.stack.outputs["NotificationTopicArn"],
            Protocol="sqs",
            Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:{INBOX}",
        )
        self.functions = {
            arn: SimulatedFunction(spec, self.clock, fault=self._fault, attempt_fault=self._attempt_fault)
            for arn, spec in self.stack.functions.items()
        }

    def _client(self, service: str) -> Any:
        """The account's own clients (publishing as a service, dead letters), one per service: a new client
        costs ~10 ms, and a scale story publishes an alarm at every step."""
        if service not in self._clients:
            self._clients[service] = self.session.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    # -- the jobs by name ------------------------------------------------------------------------------
    def function(self, job: str) -> SimulatedFunction:
        return next(f for f in self.functions.values() if f.job == job)

    def reconfigure(self, job: str, environment: dict[str, str]) -> SimulatedFunction:
        """An operator changes a function's environment variables after the deploy (the console, or
        UpdateFunctionConfiguration): Lambda starts new execution environments with them, so the next
        invocation is a cold start. A value the template would have refused reaches the function this way."""
        function = self.function(job)
        spec = dataclasses.replace(function.spec, environment={**function.spec.environment, **environment})
        self.functions[spec.arn] = SimulatedFunction(
            spec, self.clock, fault=self._fault, attempt_fault=self._attempt_fault
        )
        return self.functions[spec.arn]

    # -- delivery --------------------------------------------------------------------------------------
    def put_event(self, event: dict[str, Any], *, source: str = "test", quiet: bool = False) -> list[str]:
        """An event on the default bus; returns the names of the rules it matched. ``quiet``: an event no rule
        matches is not noted (a busy cluster's ECS events, most of which no rule of the stack hears)."""
        event = {"version": "0", "id": str(uuid.uuid4()), "account": ACCOUNT, "region": REGION, **event}
        event.setdefault("time", self.iso_time())
        matched: list[str] = []
        for rule in self.stack.rules:
            if not rule.enabled or not EventPattern.load(json.dumps(rule.pattern)).matches_event(cast(Any, event)):
                continue
            matched.append(rule.name)
            for target in rule.targets:
                function = self.functions.get(target.arn)
                if function is None:
                    continue
                if not self.stack.may_invoke(target.arn, "events.amazonaws.com", rule.arn):
                    # A permission error is not retried: straight to the target's dead-letter queue.
                    self.note(source, f"{event['detail-type']}: rule {rule.name} may not invoke {function.job}")
                    if target.dead_letter_arn:
                        self._dead_letter(target.dead_letter_arn, json.dumps(event), "events.amazonaws.com", rule.arn)
                    continue
                for _ in range(self._copies("EventBridge", event, source)):
                    self._invoke_async(function, event, source, "EventBridge", event["detail-type"])
        if not matched and not quiet:
            self.note(source, f"{event['detail-type']}: no rule of the stack matches, not delivered")
        return matched

    def publish(
        self,
        topic_arn: str,
        message: str,
        *,
        subject: str | None = None,
        source: str = "test",
        as_service: str | None = None,
        on_behalf_of: str | None = None,
        as_role: str | None = None,
    ) -> int:
        """A message published to a topic (by Auto Scaling or CloudWatch); returns how many functions
        it reached. ``as_service``: a service principal publishing on behalf of ``on_behalf_of`` (CloudWatch
        for an alarm's action), which the topic's policy must let in; refused, nothing is published."""
        if as_service is not None:
            refusal = self.service_publish_refusal(topic_arn, as_service, on_behalf_of or topic_arn)
            if refusal is not None:
                self.note(source, f"{subject or 'message'}: {refusal}")
                return 0
        if as_role is not None:
            # A service publishing with a role of the account (Auto Scaling with a hook's RoleARN): the role's
            # policies, and the topic's key, must let it (IAM enforced, ``simulator.sns.encryption``).
            try:
                with enforced_iam():
                    _publish(
                        assume_role_session(as_role, "simulated-publisher", REGION).client("sns"),
                        topic_arn,
                        message,
                        subject,
                    )
            except botocore.exceptions.ClientError as refused:
                self.note(source, f"{subject or 'message'}: not published with {as_role}: {refused}")
                return 0
        else:
            _publish(self._client("sns"), topic_arn, message, subject)
        reached = 0
        for subscription in self.stack.subscriptions:
            function = self.functions.get(subscription.endpoint)
            if subscription.topic_arn != topic_arn or subscription.protocol != "lambda" or function is None:
                continue
            if subscription.filter_policy is not None and not FilterPolicyMatcher(
                subscription.filter_policy, subscription.filter_policy_scope
            ).matches({}, message):
                self.note(source, f"{subject or 'message'}: filtered out by {function.job}'s subscription")
                continue
            event = sns_delivery(message, topic_arn, subject=subject)
            event["Records"][0]["EventSubscriptionArn"] = subscription.arn
            if not self.stack.may_invoke(function.spec.arn, "sns.amazonaws.com", topic_arn):
                # A client-side error: not retried; to the subscription's dead-letter queue, if it has one.
                self.note(source, f"{subject or 'message'}: {function.job} may not be invoked by the topic")
                if subscription.dead_letter_arn:
                    notification = json.dumps(event["Records"][0]["Sns"])
                    self._dead_letter(subscription.dead_letter_arn, notification, "sns.amazonaws.com", topic_arn)
                continue
            for _ in range(self._copies("SNS", event, source)):
                self._invoke_async(function, event, source, "SNS", subject or "notification")
            reached += 1
        return reached

    def invoke_async(
        self, job: str, event: Any, *, description: str = "asynchronous invocation", source: str = "test"
    ) -> None:
        """An asynchronous invocation (``aws lambda invoke --invocation-type Event``): a failure is retried
        as Lambda retries any asynchronous invocation, then sent to the on-failure destination."""
        self._invoke_async(self.function(job), event, source, "direct", description)

    def invoke(self, job: str, event: Any, *, description: str = "direct invocation", source: str = "CI") -> Any:
        """A synchronous invocation; a handler error is raised to the caller, as the Invoke API reports it."""
        result = self._run(self.function(job), event, source, "direct", description)
        self._collect()
        return result

    # -- time ------------------------------------------------------------------------------------------
    def next_due(self) -> float | None:
        self._collect()
        return self._due[0].at if self._due else None

    def advance_to(self, moment: float) -> None:
        """Let simulated time pass, the simulated services working every tick, delivering nothing."""
        while self.clock() < moment:
            self._tick_towards(moment)

    def _tick_towards(self, moment: float) -> None:
        self.clock.advance(min(TICK_SECONDS, moment - self.clock()))
        for tick in self.tickers:
            tick()

    def run_until(self, moment: float, *, max_deliveries: int = 5000) -> None:
        """Deliver everything that falls due before ``moment`` (including what the simulated services
        send on the way), in time order, and let time reach it."""
        for _ in range(max_deliveries):
            due = self.next_due()
            if due is not None and due <= self.clock():
                self._deliver_next()
            elif self.clock() >= moment:
                return
            else:
                self._tick_towards(moment if due is None else min(moment, due))
        raise AssertionError(f"more than {max_deliveries} deliveries before {moment}: a runaway loop")

    def run_until_quiet(self, *, max_deliveries: int = 5000) -> None:
        """Deliver until nothing is pending: no message, no retry."""
        for _ in range(max_deliveries):
            due = self.next_due()
            if due is None:
                return
            self.run_until(due)
        raise AssertionError(f"still delivering after {max_deliveries} deliveries: a runaway loop")

    def _deliver_next(self) -> None:
        heapq.heappop(self._due).deliver()

    # -- messages waiting in a queue ---------------------------------------------------------------------
    def waiting_in(self, queue_logical_id: str) -> list[str]:
        """The bodies of the messages waiting in one of the stack's queues (its event source mapping not
        yet delivered them), in the order they fall due."""
        self._collect()
        arn = self.stack.attributes[(queue_logical_id, "Arn")]
        return [d.message.body for d in sorted(self._due) if d.message is not None and d.message.queue_arn == arn]

    def due_in(self, queue_logical_id: str) -> list[tuple[float, str]]:
        """As ``waiting_in``, each body with when it falls due on the simulated clock."""
        self._collect()
        arn = self.stack.attributes[(queue_logical_id, "Arn")]
        return [
            (d.at, d.message.body) for d in sorted(self._due) if d.message is not None and d.message.queue_arn == arn
        ]

    def drop_waiting_in(self, queue_logical_id: str) -> list[str]:
        """Lose every message waiting in the queue (a fault injection); returns their bodies."""
        lost = self.waiting_in(queue_logical_id)
        arn = self.stack.attributes[(queue_logical_id, "Arn")]
        self._due = [d for d in self._due if d.message is None or d.message.queue_arn != arn]
        heapq.heapify(self._due)
        return lost

    def sqs_event(self, queue_logical_id: str, body: str, message_id: str | None = None) -> dict[str, Any]:
        """The event the queue's event source mapping sends for one message (first receive)."""
        arn = self.stack.attributes[(queue_logical_id, "Arn")]
        message = _Message(arn, body, message_id or str(uuid.uuid4()), self.clock(), receives=1)
        return {"Records": [self._record(message)]}

    def _schedule(self, at: float, deliver: Callable[[], None], message: _Message | None = None) -> None:
        self._seq += 1
        heapq.heappush(self._due, _Due(at, self._seq, deliver, message))

    # -- asynchronous invocation -----------------------------------------------------------------------
    def _invoke_async(self, function: SimulatedFunction, event: Any, source: str, via: str, description: str) -> None:
        first = self.clock()

        def deliver(attempt: int = 0) -> None:
            try:
                self._run(function, event, source, via, description + (f" (retry {attempt})" if attempt else ""))
            except (Exception, HandlerCrash) as error:  # a function error: retried as Lambda retries it
                config = self.stack.async_configs.get(function.spec.arn)
                retries = config.maximum_retry_attempts if config else 2
                age_limit = config.maximum_event_age if config else 21600
                if attempt < retries and attempt < len(ASYNC_RETRY_DELAYS):
                    retry_at = self.clock() + ASYNC_RETRY_DELAYS[attempt]
                    if retry_at - first <= age_limit:
                        self._schedule(retry_at, lambda: deliver(attempt + 1))
                        return
                if config and config.on_failure_arn:
                    self._send(config.on_failure_arn, json.dumps(_invocation_record(function, event, error, attempt)))
            finally:
                self._collect()

        self._schedule(self.clock(), deliver)

    # -- SQS event source mappings -------------------------------------------------------------------------
    def _collect(self) -> None:
        """Take the messages sent to queues with an event source mapping out of moto, to deliver them
        when their delay has passed on the simulated clock (moto would wait in real time)."""
        for mapping in self.stack.event_source_mappings:
            queue_name = mapping.queue_arn.rsplit(":", 1)[-1]
            for message in take_sent(queue_name):
                for copy in range(self._copies("SQS", message.body, queue_name)):
                    # SQS delivers at least once: a duplicate is the same message, under its own receipt.
                    item = _Message(mapping.queue_arn, message.body, message.message_id, self.clock())
                    self._schedule_message(self.clock() + message.delay + copy, item)

    def _schedule_message(self, at: float, message: _Message) -> None:
        self._schedule(at, lambda: self._poll(message), message)

    def _poll(self, first: _Message) -> None:
        """The event source mapping receives ``first`` and whatever else is due on its queue."""
        mapping = next(m for m in self.stack.event_source_mappings if m.queue_arn == first.queue_arn)
        batch = [first]
        while len(batch) < mapping.batch_size and self._due and self._due[0].at <= self.clock():
            waiting = self._due[0].message
            if waiting is None or waiting.queue_arn != first.queue_arn:
                break
            heapq.heappop(self._due)
            batch.append(waiting)
        for message in batch:
            message.receives += 1
            message.visible_again_at = None
            queue = first.queue_arn.rsplit(":", 1)[-1]
            sqs_receipts.hand_out(self._receipt(message), queue, self._on_visibility(message))
        function = self.functions[mapping.function_arn]
        event = {"Records": [self._record(message) for message in batch]}
        queue_name = first.queue_arn.rsplit(":", 1)[-1]
        description = f"{len(batch)} message(s) from {_short(queue_name)}"
        failed: set[str]
        try:
            result = self._run(function, event, function.job, "SQS", description)
            reported = result.get("batchItemFailures", []) if mapping.report_batch_item_failures and result else []
            failed = {item["itemIdentifier"] for item in reported}
        except (Exception, HandlerCrash):  # the whole batch returns to the queue
            failed = {message.message_id for message in batch}
        finally:
            self._collect()
        for message in batch:
            sqs_receipts.take_back(self._receipt(message))
            if message.message_id in failed:
                self._return_to_queue(message)

    def _on_visibility(self, message: _Message) -> Callable[[int], None]:
        def change(seconds: int) -> None:
            message.visible_again_at = self.clock() + seconds
            self.note("SQS", f"message {message.message_id[:8]} visible again in {seconds} s (ChangeMessageVisibility)")

        return change

    @staticmethod
    def _receipt(message: _Message) -> str:
        return f"simulated-{message.message_id}-{message.receives}"

    def _return_to_queue(self, message: _Message) -> None:
        queue = sqs_backends[ACCOUNT][REGION].queues[message.queue_arn.rsplit(":", 1)[-1]]
        redrive = queue.redrive_policy or {}
        if redrive and message.receives >= int(redrive["maxReceiveCount"]):
            self._send(redrive["deadLetterTargetArn"], message.body)
            self.note(
                "SQS",
                f"message {message.message_id[:8]} moved to the dead-letter queue after {message.receives} receives",
            )
            return
        # Back when the queue's visibility timeout ends, or when the function asked for, if it did.
        at = message.visible_again_at
        if at is None:
            at = self.clock() + int(queue.visibility_timeout)  # type: ignore[attr-defined]  # moto's Queue sets it from its attributes
        self._schedule_message(at, message)

    def _record(self, message: _Message) -> dict[str, Any]:
        return {
            "messageId": message.message_id,
            "receiptHandle": self._receipt(message),
            "body": message.body,
            "attributes": {
                "ApproximateReceiveCount": str(message.receives),
                "SentTimestamp": str(int(message.sent_at * 1000)),
                "SenderId": ACCOUNT,
                "ApproximateFirstReceiveTimestamp": str(int(self.clock() * 1000)),
            },
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": message.queue_arn,
            "awsRegion": REGION,
        }

    # -- running a handler -----------------------------------------------------------------------------
    def _run(self, function: SimulatedFunction, event: Any, source: str, via: str, description: str) -> Any:
        function.api.reset()
        entry = TimelineEntry(self.clock(), source, description, function.job, via)
        self.timeline.append(entry)
        try:
            result, output = function.invoke(event)
        except (Exception, HandlerCrash) as error:
            entry.error = f"{type(error).__name__}: {error}"
            entry.decision = "; ".join(function.last_output.decisions()) or "invocation failed"
            raise
        finally:
            entry.calls = dict(function.api.calls)
            entry.attempts = dict(function.api.attempts)
            entry.metrics = list(function.last_output.metrics)
            # CloudWatch Logs extracts the metrics of what the invocation wrote (embedded metric format), at
            # the end of the invocation: Powertools stamps the documents with the host's clock, not the simulated one.
            publish_embedded_metrics(function.last_output.metric_documents, at=self.clock())
            entry.notifications = self._read_inbox()
        entry.result = result
        entry.decision = "; ".join(output.decisions()) or summarize(result)
        return result

    def _copies(self, via: str, event: Any, source: str) -> int:
        copies = 1 if self.delivery_fault is None else self.delivery_fault(via, event)
        if copies != 1:
            self.note(source, f"fault injected: {via} delivers {copies} cop{'y' if copies == 1 else 'ies'} of an event")
        return copies

    def _fault(self, operation: str) -> None:
        for fault in self.faults:
            fault(operation)

    def _attempt_fault(self, operation: str, attempt: int) -> None:
        for fault in self.attempt_faults:
            fault(operation, attempt)

    # -- what a person reads -----------------------------------------------------------------------------
    def notifications(self) -> list[dict[str, str]]:
        """Every message published to the notification topic so far (subject and text), oldest first."""
        self._read_inbox()
        return list(self._notifications)

    def _read_inbox(self) -> list[dict[str, str]]:
        envelopes = [json.loads(body) for body in take_visible(INBOX)]
        new = [{"subject": e.get("Subject", ""), "message": e["Message"]} for e in envelopes]
        self._notifications.extend(new)
        return new

    def dead_letters(self) -> list[dict[str, Any]]:
        queue_name = self.stack.outputs["DeadLetterQueueUrl"].rsplit("/", 1)[-1]
        return [json.loads(body) for body in take_visible(queue_name)]

    def note(self, source: str, text: str) -> None:
        """Something a simulated AWS service did (or the account saw), for the timeline."""
        self.timeline.append(TimelineEntry(self.clock(), source, text))

    def _send(self, queue_arn: str, body: str) -> None:
        self._client("sqs").send_message(QueueUrl=self._queue_urls[queue_arn], MessageBody=body)

    def service_publish_refusal(self, topic_arn: str, service: str, source_arn: str) -> str | None:
        """Why a service principal (CloudWatch for an alarm's action) may not publish to the topic on behalf
        of ``source_arn``, or None if it may: the topic's policy must let it in and, when a KMS key encrypts
        the topic, so must the key's policy (``simulator.kms.keys``: a service has no IAM policy of its own)."""
        if not self._topic_lets(topic_arn, service, source_arn):
            return f"the policy of the topic does not let {service} publish"
        key_id = self._client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"].get("KmsMasterKeyId")
        if not key_id:
            return None
        arn = key_arn(key_id, ACCOUNT, REGION)
        if arn is None:
            return f"the key of the topic ({key_id}) does not exist (KMSNotFound)"
        refused = service_refusal(arn, service=service, source_arn=source_arn, account=ACCOUNT, region=REGION)
        if refused is None:
            return None
        return f"the key of the topic does not let {service} use it (KMSAccessDenied: {refused})"

    def _topic_lets(self, topic_arn: str, service: str, source_arn: str) -> bool:
        """Whether the topic's policy (``AWS::SNS::TopicPolicy``; moto's default one otherwise, which names
        no service) lets ``service`` publish on behalf of ``source_arn``."""
        attributes = self._client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        policy = json.loads(attributes["Policy"]) if attributes.get("Policy") else None
        return service_may(
            policy,
            service=service,
            action="sns:Publish",
            resource=topic_arn,
            source_arn=source_arn,
            source_account=ACCOUNT,
        )

    def _dead_letter(self, queue_arn: str, body: str, service: str, source_arn: str) -> None:
        """A service (EventBridge for a rule, SNS for a topic) puts what it could not deliver in a
        dead-letter queue, if the queue's policy lets it in; otherwise the event is lost, as in AWS."""
        url = self._queue_urls[queue_arn]
        if service_may(
            queue_policy(self.session, url),
            service=service,
            action="sqs:SendMessage",
            resource=queue_arn,
            source_arn=source_arn,
            source_account=ACCOUNT,
        ):
            self._send(queue_arn, body)
            return
        self.note(
            service.removesuffix(".amazonaws.com"),
            f"dead letter dropped: the policy of {_short(queue_arn.rsplit(':', 1)[-1])} does not let {service} "
            f"send to it (for {source_arn})",
        )

    def iso_time(self) -> str:
        return iso_time(self.clock())


def _publish(sns: Any, topic_arn: str, message: str, subject: str | None) -> None:
    if subject:
        sns.publish(TopicArn=topic_arn, Message=message, Subject=subject)
    else:
        sns.publish(TopicArn=topic_arn, Message=message)


def _short(name: str) -> str:
    return name.removeprefix("ecs-fleet-ops-").removesuffix("-SIMULATED")


def _invocation_record(function: SimulatedFunction, event: Any, error: BaseException, attempts: int) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination after the last retry."""
    return {
        "version": "1.0",
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function.spec.arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts + 1,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_exception_only(error),
        },
    }


def summarize(result: Any) -> str:
    """One line of what a handler decided, from the result it returned."""
    if not isinstance(result, dict):
        return str(result)
    if "results" in result:
        return "; ".join(summarize(item) for item in result["results"]) or "nothing to do"
    if "batchItemFailures" in result and not (set(result) - {"batchItemFailures"}):
        failures = result["batchItemFailures"]
        return f"{len(failures)} message(s) to retry" if failures else "batch processed"
    words = " / ".join(str(result[key]) for key in ("status", "hookStatus", "outcome", "verdict") if result.get(key))
    reason = result.get("reason") or result.get("summary")
    if not words:
        return str(reason) if reason else json.dumps(result, default=str)[:200]
    return f"{words}: {reason}" if reason else words
