"""What an operator sees: the dashboard shows the figures issue 13 asks for, every EcsFleetOps metric on it
and on the suite's alarms is one its job's code emits (a renamed metric fails here), the body is one
CloudWatch accepts with any job switched off, and every alarm on the suite reaches the notification topic.
The deployed dashboard is checked with each job alone (test_first_deploy_scope_and_switches.py)."""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from typing import Any

import pytest

from simulator.cloudformation.template import Template
from simulator.cloudformation.transform import REGION, Intrinsics, read_template
from simulator.cloudwatch.dashboards import check_dashboard
from simulator.paths import PROJECT_ROOT, TEMPLATE

PACKAGE = PROJECT_ROOT / "layers" / "fleetops" / "fleetops"
JOBS = ("drain", "scale", "verify")
FUNCTIONS = {"drain": "DrainFunction", "scale": "ScaleFunction", "verify": "VerifyFunction"}
# The alarms on the suite itself (not the optional scaling alarms, which watch the services).
SUITE_ALARMS = {
    "DeadLetterAlarm",
    "ReportingErrorsAlarm",
    "DrainErrorsAlarm",
    "DrainThrottlesAlarm",
    "DrainBudgetExceededAlarm",
    "RecheckQueueAgeAlarm",
    "ScaleErrorsAlarm",
    "ScaleThrottlesAlarm",
    "ScaleFollowUpQueueAgeAlarm",
    "VerifyErrorsAlarm",
    "VerifyThrottlesAlarm",
    "VerificationFailedAlarm",
    "VerifyRecheckQueueAgeAlarm",
}


# -- what the code emits ------------------------------------------------------------------------------------
def emitted_by_job() -> dict[str, set[str]]:
    """The metric names each job's modules pass to ``metrics.add_metric``: a literal, a name assigned a
    literal (in the module, or a constant imported from another), or a value of a dict such as
    OUTCOME_METRICS; "shared" for the modules every function runs."""
    trees = {path: ast.parse(path.read_text()) for path in PACKAGE.rglob("*.py")}
    package_wide = {path: assigned_texts(tree) for path, tree in trees.items()}
    constants: dict[str, set[str]] = defaultdict(set)
    for names in package_wide.values():
        for name, texts in names.items():
            constants[name] |= texts
    emitted: dict[str, set[str]] = defaultdict(set)
    for path, tree in trees.items():
        job = path.relative_to(PACKAGE).parts[0]
        known = {**constants, **package_wide[path]}  # the module's own names first
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "add_metric":
                [name] = [k.value for k in call.keywords if k.arg == "name"]
                emitted[job if job in JOBS else "shared"] |= _name_texts(name, known)
    return emitted


def assigned_texts(tree: ast.Module) -> dict[str, set[str]]:
    """NAME = "text", NAME = a if c else b, NAME = {...: "text"}: anywhere in the module."""
    found: dict[str, set[str]] = defaultdict(set)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] |= _texts(node.value)
    return found


def _texts(value: ast.expr) -> set[str]:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    if isinstance(value, ast.IfExp):
        return _texts(value.body) | _texts(value.orelse)
    if isinstance(value, ast.Dict):
        return {v.value for v in value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return set()


def _name_texts(name: ast.expr, known: dict[str, set[str]]) -> set[str]:
    if isinstance(name, ast.Name):
        return known.get(name.id, set())
    if isinstance(name, ast.Subscript) and isinstance(name.value, ast.Name):
        return known.get(name.value.id, set())
    return _texts(name)  # anything else (trigger.metric) names none we can read, and none is claimed


# -- what the template shows --------------------------------------------------------------------------------
def resolved(**parameters: str) -> Intrinsics:
    """The template's values for one choice of parameters; resources answer with stand-in names."""
    return Intrinsics(
        read_template(TEMPLATE),
        stack_name="ecs-fleet-ops",
        parameters={"ClusterNames": "*", "AutoScalingGroupNames": "*", **parameters},
        reference=lambda logical_id: f"{logical_id}-name",
        attribute=lambda logical_id, name: (
            f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{logical_id}" if name == "Arn" else f"{logical_id}-{name}"
        ),
    )


def dashboard(**parameters: str) -> dict[str, Any]:
    intrinsics = resolved(**parameters)
    properties = intrinsics.resolve(intrinsics.document["Resources"]["OperationsDashboard"]["Properties"])
    return check_dashboard(properties["DashboardName"], properties["DashboardBody"])


def dashboard_metrics(body: dict[str, Any]) -> list[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """Every metric drawn or used: (namespace, name, dimensions, options); expressions left out."""
    found = []
    for widget in body["widgets"]:
        for entry in widget["properties"].get("metrics", []) if widget["type"] == "metric" else []:
            *names, options = entry if isinstance(entry[-1], dict) else [*entry, {}]
            if names:
                found.append((names[0], names[1], dict(zip(names[2::2], names[3::2], strict=True)), options))
    return found


def alarm_metrics(properties: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    def dimensions(listed: list[dict[str, str]]) -> dict[str, str]:
        return {d["Name"]: d["Value"] for d in listed}

    if "MetricName" in properties:
        return [(properties["Namespace"], properties["MetricName"], dimensions(properties.get("Dimensions", [])))]
    return [
        (m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"],
         dimensions(m["MetricStat"]["Metric"].get("Dimensions", [])))
        for m in properties["Metrics"]
        if "MetricStat" in m
    ]  # fmt: skip


def suite_alarms() -> dict[str, dict[str, Any]]:
    intrinsics = resolved()
    resources = intrinsics.document["Resources"]
    return {name: intrinsics.resolve(resources[name]["Properties"]) for name in SUITE_ALARMS}


def service_of(job: str) -> str:
    return str(Template().resolve(Template().environment(FUNCTIONS[job])["POWERTOOLS_SERVICE_NAME"]))


# -- the stories --------------------------------------------------------------------------------------------
def test_every_suite_metric_on_the_dashboard_and_the_alarms_is_one_its_job_emits() -> None:
    emitted = emitted_by_job()
    services = {service_of(job): job for job in JOBS}
    assert set(services) == {"ecs-fleet-ops-drain", "ecs-fleet-ops-scale", "ecs-fleet-ops-verify"}
    namespace = Template().document["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    shown = [(ns, name, dims) for ns, name, dims, _ in dashboard_metrics(dashboard())]
    shown += [metric for alarm in suite_alarms().values() for metric in alarm_metrics(alarm)]
    ours = [(name, dims) for ns, name, dims in shown if ns == namespace]
    assert len(ours) > 40
    for name, dims in ours:
        # Powertools writes one dimension, service (POWERTOOLS_SERVICE_NAME): a metric named with any other
        # dimension set is a metric nobody writes.
        assert set(dims) == {"service"}, f"{name} {dims}"
        job = services[dims["service"]]
        assert name in emitted[job] | emitted["shared"], f"{name} is not emitted by the {job} function"
    assert {ns for ns, _, _ in shown} == {namespace, "AWS/Lambda", "AWS/SQS"}


def test_the_dashboard_shows_every_figure_the_issue_asks_for() -> None:
    body = dashboard()
    metrics = dashboard_metrics(body)
    drawn = {(name, dims.get("service") or next(iter(dims.values()))) for _, name, dims, _ in metrics}
    stats = {(name, options.get("stat")) for _, name, _, options in metrics}
    expressions = [
        entry[0]
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for entry in widget["properties"]["metrics"]
        if "expression" in entry[0]
    ]
    drain, scale, verify = "ecs-fleet-ops-drain", "ecs-fleet-ops-scale", "ecs-fleet-ops-verify"
    # Drains completed / timed out / stopped elsewhere, their duration p50 and p99, the tasks moved.
    for name in ("DrainsStarted", "DrainsCompleted", "DrainsTimedOut", "DrainsCompletedElsewhere", "TasksMovedOff"):
        assert (name, drain) in drawn
    assert {("DrainDuration", "p50"), ("DrainDuration", "p99")} <= stats
    # Drains in flight: derived from the re-checks in RecheckQueue (one per drain in flight).
    [in_flight] = [e for e in expressions if e["id"] == "in_flight"]
    assert in_flight["expression"] == "FILL(delayed, 0) + FILL(waiting, 0) + FILL(running, 0)"
    # Scale decisions by outcome: every outcome the scale job counts; hosts and tasks added and removed.
    from fleetops.scale.report import CHANGE_METRICS, OUTCOME_METRICS

    for name in [*OUTCOME_METRICS.values(), *CHANGE_METRICS.values()]:
        assert (name, scale) in drawn, name
    # Verifications passed / failed / rolled back.
    for name in ("VerificationsPassed", "VerificationsFailed", "RollbacksStarted"):
        assert (name, verify) in drawn
    # The dead-letter queue's depth, each function's errors, throttles, duration and concurrency, and the
    # re-check queues' age of oldest message.
    assert ("ApproximateNumberOfMessagesVisible", "DeadLetterQueue-QueueName") in drawn
    for job, function in FUNCTIONS.items():
        for name in ("Errors", "Throttles", "Duration", "ConcurrentExecutions"):
            assert (name, f"{function}-name") in drawn, (job, name)
    for queue in ("RecheckQueue", "ScaleFollowUpQueue", "VerifyRecheckQueue"):
        assert ("ApproximateAgeOfOldestMessage", f"{queue}-QueueName") in drawn


@pytest.mark.parametrize(
    "drain, scale, verify",
    [c for c in itertools.product(["true", "false"], repeat=3) if "true" in c],
)
def test_the_dashboard_is_one_cloudwatch_accepts_with_any_job_switched_off(drain: str, scale: str, verify: str) -> None:
    body = dashboard(EnableDrain=drain, EnableScale=scale, EnableVerify=verify)
    titles = " ".join(w["properties"].get("title", "") for w in body["widgets"])
    assert ("Drain function" in titles) == (drain == "true")
    assert ("Scale function" in titles) == (scale == "true")
    assert ("Verify function" in titles) == (verify == "true")
    assert "Dead-letter queue" in titles  # what the jobs share is always there


def test_every_alarm_on_the_suite_tells_the_notification_topic_and_says_what_to_do() -> None:
    template = Template()
    alarms = {k for k, v in template.resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    scaling_alarms = {k for k in alarms if template.resources[k].get("Condition", "").startswith("Create")}
    assert alarms - scaling_alarms == SUITE_ALARMS  # 13, counted and priced in docs/operating.md
    for name, alarm in suite_alarms().items():
        assert alarm["AlarmActions"] == ["NotificationTopic-name"], name
        assert alarm["TreatMissingData"] == "notBreaching", name  # a metric written only when it happens
        assert 80 < len(alarm["AlarmDescription"]) <= 1024, name  # CloudWatch's limit on a description
        assert "docs/operating.md" in alarm["AlarmDescription"], name  # what to do, under the alarm's name
    # The re-check queues' thresholds: the delay the message was sent with, plus one visibility timeout.
    resources = template.resources
    for queue in ("RecheckQueue", "VerifyRecheckQueue"):
        alarm = f"{queue}AgeAlarm"
        properties = resources[alarm]["Properties"]
        assert properties["Threshold"] == resources[queue]["Properties"]["VisibilityTimeout"]
        assert template.resolve(properties["Metrics"][1]["Expression"]) == "age - 60"  # RecheckIntervalSeconds
    follow_ups = resources["ScaleFollowUpQueueAgeAlarm"]["Properties"]["Threshold"]
    assert follow_ups == 900 + resources["ScaleFollowUpQueue"]["Properties"]["VisibilityTimeout"]
