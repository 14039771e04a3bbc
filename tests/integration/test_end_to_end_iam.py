"""IAM for real: the handlers run in the simulated account under the roles template.yaml gives them,
moto enforcing every policy (``iam_gaps``), so a permission the template lacks, or grants too widely,
fails a test.

- A missing permission fails: template.yaml is copied with ONE action taken out of one function's
  policy, and the cheapest scenario that needs the action runs on the example cluster. The function is
  refused (AccessDenied, naming the action and the function's own role) and the scenario's promise is
  broken; the same scenario under the real template keeps its promises and nothing is refused (the
  control), so the action is what matters.
- Policies are not broader than needed: no wildcard action; ``"*"`` only for actions the Service
  Authorization Reference gives no resource type, or in ``iam_allowlist`` with a reason each; with
  ClusterNames and AutoScalingGroupNames set, every ECS and Auto Scaling grant is scoped to them. At
  run time, a drain asked about a host of another cluster changes nothing there.

Two over-broad grants these tests found are fixed in template.yaml and checked at run time below:
every function could read and delete the messages of any queue (the SQS poller policy SAM attaches),
and the scale job could list the services of any cluster.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from demo.stories import BAD_IMAGE, GOOD_IMAGE, SPIKE_CPU_UNITS, simulated_day
from simulator.cloudformation.stack import DeployedStack, deploy_stack
from simulator.cloudformation.transform import ACCOUNT, REGION, sam_transform
from simulator.fleet.cluster import AMI
from simulator.fleet.fleet import SimulatedFleet
from simulator.iam.enforcement import ACCESS_DENIED_CODES, assume_role_session, enforced_iam
from simulator.iam.reference import actions_named
from simulator.moto_patches import simulated_aws
from simulator.paths import PROJECT_ROOT as ROOT
from simulator.paths import TEMPLATE
from tests.integration.iam_allowlist import AWS_MANAGED_POLICIES, TYPED_ACTIONS_ON_EVERY_RESOURCE

FUNCTIONS = ("DrainFunction", "ScaleFunction", "VerifyFunction")
STEADY_CPU_UNITS = 200  # about 40 % of the two web tasks: neither of the service's CPU alarms fires
SCOPED = {"ClusterNames": "demo", "AutoScalingGroupNames": "demo-hosts"}  # the example's (as the fleet sets)
OTHER_CLUSTER = "someone-elses-cluster"


# -- template variants ---------------------------------------------------------------------------
def template_without(action: str, *, function: str, sid: str, directory: Path) -> Path:
    """template.yaml with ``action`` taken out of statement ``sid`` of ``function``'s policy, written to
    ``directory``. Nothing else is copied: the simulation loads every function's code from
    ``ROOT/functions/<job>`` wherever the template is (CodeUri stays relative, ``stack`` resolves it
    against ROOT)."""
    text = TEMPLATE.read_text()
    resource_start = text.index(f"\n  {function}:\n") + 1
    next_resource = re.compile(r"^  \w+:\n", re.MULTILINE).search(text, resource_start + 1)
    resource_end = next_resource.start() if next_resource else len(text)
    sid_line = re.compile(rf"^(?P<indent> +)- Sid: {sid}\n", re.MULTILINE).search(text, resource_start, resource_end)
    assert sid_line, f"{function} has no statement {sid}"
    indent = sid_line.group("indent")
    # The statement ends at its next sibling ("- ...") or at the first line indented less than its items.
    sibling = re.compile(rf"^{indent}- |^ {{0,{len(indent) - 1}}}\S", re.MULTILINE)
    next_item = sibling.search(text, sid_line.end(), resource_end)
    statement_end = next_item.start() if next_item else resource_end
    statement = text[sid_line.start() : statement_end]
    name = re.escape(action)
    edited, removed = re.subn(rf"^ +- {name}\n", "", statement, flags=re.MULTILINE)  # a block list item
    if not removed:  # an item of a flow list, [a, b]
        edited, removed = re.subn(rf"(\[[^\]\n]*?)(?:{name}, |, {name}(?=[,\]]))", r"\1", statement)
    assert removed == 1, f"{action} is not one item of {function}'s {sid}"
    path = directory / f"template-without-{action.replace(':', '-')}.yaml"
    path.write_text(text[: sid_line.start()] + edited + text[statement_end:])
    _assert_only_removed(path, function, sid, action)
    return path


def _assert_only_removed(variant: Path, function: str, sid: str, action: str) -> None:
    """What SAM makes of the variant differs from what it makes of template.yaml by that one action."""
    original, changed = sam_transform(TEMPLATE), sam_transform(variant)
    role = f"{function}Role"

    def statements(document: dict[str, Any]) -> list[Any]:
        policies = document["Resources"][role]["Properties"]["Policies"]
        return list(next(p for p in policies if p["PolicyName"] == f"{role}Policy0")["PolicyDocument"]["Statement"])

    expected = statements(original)
    for statement in expected:
        # A statement granted only under a condition is a branch of Fn::If.
        branches = statement["Fn::If"][1:] if isinstance(statement, dict) and "Fn::If" in statement else [statement]
        for branch in branches:
            if isinstance(branch, dict) and branch.get("Sid") == sid:
                branch["Action"] = [a for a in _as_list(branch["Action"]) if a != action]
    assert statements(changed) == expected
    del original["Resources"][role], changed["Resources"][role]
    assert changed == original


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str | dict) else list(value)


# -- scenarios: the cheapest story that needs the action, and what it promises -------------------
Promises = dict[str, bool]


def terminate_a_host(fleet: SimulatedFleet) -> Promises:
    """A host with a web task is terminated through its group (the quiet night's drain, one host); time
    then runs past the hook's heartbeat timeout, when Auto Scaling goes on if nobody completed it."""
    fleet.set_traffic(STEADY_CPU_UNITS)
    instance_id = next(i for i, host in fleet.hosts().items() if host["tasks"])
    fleet.clients("autoscaling").terminate_instance_in_auto_scaling_group(
        InstanceId=instance_id, ShouldDecrementDesiredCapacity=False
    )
    fleet.run_until_quiet()
    fleet.run_for(fleet.definition.hook_heartbeat_timeout)
    action = fleet.hooks.action_for(instance_id)
    return {
        "the drain completed the lifecycle action with CONTINUE": (action.ended_by, action.result)
        == ("completion", "CONTINUE"),
        "no task was lost": fleet.tasks_lost() == 0,
    }


def release_a_bad_image(fleet: SimulatedFleet) -> Promises:
    """The release story: a good image is verified and remembered, then a bad one fails its smoke check."""
    fleet.set_traffic(STEADY_CPU_UNITS)
    good = fleet.release(GOOD_IMAGE)
    fleet.run_for(10 * 60)
    fleet.release(BAD_IMAGE)
    fleet.run_for(20 * 60)
    fleet.run_until_quiet()
    running = {task.task_definition_arn for task in fleet.tasks()}
    return {"the bad release was rolled back to the good one": running == {good}}


def traffic_spike(fleet: SimulatedFleet) -> Promises:
    """The spike story, for an hour: the service scales out, its tasks outgrow the hosts, the group grows."""
    hosts, tasks = fleet.desired_capacity(), len(fleet.tasks())
    fleet.set_traffic(SPIKE_CPU_UNITS)
    fleet.run_for(60 * 60)
    return {
        "the service scaled out": max(count for _, count in fleet.record.desired_count) > tasks,
        "the cluster scaled out": max(capacity for _, capacity in fleet.record.desired_capacity) > hosts,
    }


def quiet_night_on_three_hosts(fleet: SimulatedFleet) -> Promises:
    """A third host, then a quiet half hour: the reservation alarm removes the emptiest host through its
    group, drained first."""
    d = fleet.definition
    fleet.set_traffic(STEADY_CPU_UNITS)
    fleet.clients("autoscaling").set_desired_capacity(AutoScalingGroupName=d.group_name, DesiredCapacity=d.min_size + 1)
    fleet.run_for(30 * 60)
    fleet.run_until_quiet()
    drained = [a for a in fleet.hooks.actions.values() if (a.ended_by, a.result) == ("completion", "CONTINUE")]
    return {
        "a host was drained and terminated through its group": bool(drained) and fleet.desired_capacity() == d.min_size
    }


SCENARIOS: dict[str, Callable[[SimulatedFleet], Promises]] = {
    "terminate a host": terminate_a_host,
    "release a bad image": release_a_bad_image,
    "traffic spike": traffic_spike,
    "quiet night on three hosts": quiet_night_on_three_hosts,
}


@dataclass(frozen=True)
class Removal:
    function: str  # logical ID
    sid: str
    action: str
    scenario: str
    breaks: str  # the promise the scenario cannot keep without the action

    def __str__(self) -> str:
        return f"{self.function}-{self.action}"


REMOVALS = [
    Removal("DrainFunction", "DrainHost", "ecs:UpdateContainerInstancesState", "terminate a host", "no task was lost"),
    Removal(
        "DrainFunction",
        "LifecycleActions",
        "autoscaling:CompleteLifecycleAction",
        "terminate a host",
        "the drain completed the lifecycle action with CONTINUE",
    ),
    Removal(
        "VerifyFunction",
        "RollBackServices",
        "ecs:UpdateService",
        "release a bad image",
        "the bad release was rolled back to the good one",
    ),
    Removal("ScaleFunction", "ReadAndScaleServices", "ecs:UpdateService", "traffic spike", "the service scaled out"),
    Removal(
        "ScaleFunction", "ScaleGroups", "autoscaling:SetDesiredCapacity", "traffic spike", "the cluster scaled out"
    ),
    Removal(
        "ScaleFunction",
        "ScaleGroups",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
        "quiet night on three hosts",
        "a host was drained and terminated through its group",
    ),
]


@dataclass
class Outcome:
    promises: Promises
    reports: list[str]  # what the suite reported: invocation errors, results, notifications, dead letters
    failed_invocations: list[str]
    roles: dict[str, str]  # function logical ID -> its role's name


def run(scenario: str, template: Path = TEMPLATE) -> Outcome:
    with simulated_aws(), simulated_day(template=template) as fleet:
        account = fleet.account
        # A template copied elsewhere still runs this checkout's code.
        assert {f.spec.code for f in account.functions.values()} == {
            ROOT / "functions" / job for job in ("drain", "scale", "verify")
        }
        promises = SCENARIOS[scenario](fleet)
        invocations = [e for e in account.timeline if e.function]
        return Outcome(
            promises=promises,
            reports=[
                *(e.error for e in invocations if e.error),
                *(json.dumps(e.result, default=str) for e in invocations if e.result is not None),
                *(n["message"] for n in account.notifications()),
                *(json.dumps(letter) for letter in account.dead_letters()),
            ],
            failed_invocations=[f"{e.function} {e.event}: {e.error}" for e in invocations if e.error],
            roles={f.spec.logical_id: f.spec.role_arn.rsplit("/", 1)[-1] for f in account.functions.values()},
        )


def refusals(reports: list[str], action: str = "") -> list[str]:
    """The reports of a request IAM refused (of ``action``, if given), in AWS's words."""
    said = f"not authorized to perform: {action} on resource: " if action else "not authorized to perform: "
    return [r for r in reports if said in r and any(code in r for code in ACCESS_DENIED_CODES)]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_under_the_real_template_each_scenario_keeps_its_promises_and_nothing_is_refused(scenario: str) -> None:
    outcome = run(scenario)
    assert outcome.promises == dict.fromkeys(outcome.promises, True)
    assert outcome.failed_invocations == []
    assert refusals(outcome.reports) == []


@pytest.mark.parametrize("removal", REMOVALS, ids=str)
def test_a_function_whose_policy_lacks_an_action_it_calls_is_refused_and_breaks_its_promise(
    removal: Removal, tmp_path: Path
) -> None:
    variant = template_without(removal.action, function=removal.function, sid=removal.sid, directory=tmp_path)
    outcome = run(removal.scenario, variant)
    refused = refusals(outcome.reports, removal.action)
    assert refused, f"nothing reported {removal.action} refused: {outcome.reports}"
    role = outcome.roles[removal.function]
    assert all(f"assumed-role/{role}/" in report for report in refused), "refused to another function's role"
    assert outcome.promises[removal.breaks] is False, outcome.promises


# -- policies are not broader than needed --------------------------------------------------------
# What may be granted on every resource ("*"): an action the Service Authorization Reference gives no
# resource type (IAM accepts only "*" for it), or one of iam_allowlist's, each with its reason.
SQS_POLLER_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
# What that policy grants on "*", every queue of the account, although queues have resource-level
# permissions. SAM attaches it to the role it makes for any SQS event source; each function's
# policy denies these actions on every queue but its own (ReadOnlyItsOwnQueue).
SQS_POLLER_ACTIONS = frozenset({"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"})
MANAGED_POLICIES = AWS_MANAGED_POLICIES


@dataclass(frozen=True)
class Grant:
    function: str
    policy: str  # inline policy name or managed policy ARN
    statement: dict[str, Any]

    @property
    def actions(self) -> list[str]:
        return _as_list(self.statement.get("Action", []))

    @property
    def resources(self) -> list[str]:
        return _as_list(self.statement.get("Resource", []))


@functools.cache
def function_grants(parameters: tuple[tuple[str, str], ...]) -> tuple[Grant, ...]:
    """Every statement of the functions' roles as moto IAM holds them once the stack is deployed:
    inline policies (the template's and SAM's) and the managed policies attached."""
    with simulated_aws():
        session = boto3.Session(region_name=REGION)
        stack = deploy_stack(session, parameters=dict(parameters))
        iam = session.client("iam")
        grants: list[Grant] = []
        for function in FUNCTIONS:
            role = _role_name(stack, function)
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
                document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                grants.extend(Grant(function, name, s) for s in _as_list(document["Statement"]))
            for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
                arn = attached["PolicyArn"]
                version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
                document = json.loads(document) if isinstance(document, str) else document
                grants.extend(Grant(function, arn, s) for s in _as_list(document["Statement"]))
        return tuple(grants)


def _role_name(stack: DeployedStack, function: str) -> str:
    return stack.function(function).role_arn.rsplit("/", 1)[-1]


# Rollback on: the verify function's widest grants are examined too.
PARAMETER_SETS = {
    "named-clusters-and-groups": (*SCOPED.items(), ("VerifyRollbackEnabled", "true")),
    "every-cluster": (("ClusterNames", "*"), ("AutoScalingGroupNames", "*"), ("VerifyRollbackEnabled", "true")),
}


@pytest.mark.parametrize("parameters", PARAMETER_SETS.values(), ids=PARAMETER_SETS.keys())
def test_no_function_is_granted_a_wildcard_action_or_a_negated_element(parameters: tuple[tuple[str, str], ...]) -> None:
    grants = function_grants(parameters)
    allowed = [g for g in grants if g.statement["Effect"] == "Allow"]
    assert [g for g in allowed if {"NotAction", "NotResource", "NotPrincipal"} & set(g.statement)] == []
    # The one Deny each function has: the SQS poller's actions on every queue but its own.
    denied = [g for g in grants if g.statement["Effect"] == "Deny"]
    assert sorted(g.function for g in denied) == sorted(FUNCTIONS)
    assert all(set(g.actions) >= SQS_POLLER_ACTIONS and set(g.statement) >= {"NotResource"} for g in denied)
    assert [(g.function, g.policy, a) for g in grants for a in g.actions if "*" in a or "?" in a] == []


@pytest.mark.parametrize("parameters", PARAMETER_SETS.values(), ids=PARAMETER_SETS.keys())
def test_only_actions_without_resource_level_permissions_are_granted_on_every_resource(
    parameters: tuple[tuple[str, str], ...],
) -> None:
    grants = function_grants(parameters)
    on_everything = [
        (g, a) for g in grants if g.statement["Effect"] == "Allow" and "*" in g.resources for a in g.actions
    ]
    typed = {a for _, a in on_everything if any(found.has_resource_types for found in actions_named(a))}
    assert sorted(typed - set(TYPED_ACTIONS_ON_EVERY_RESOURCE) - SQS_POLLER_ACTIONS) == []
    assert {g.policy for g, a in on_everything if a in SQS_POLLER_ACTIONS} == {SQS_POLLER_POLICY}
    for grant, action in on_everything:
        if action in ("ecs:ListTasks", "ecs:ListServices"):  # on "*", but only in the clusters it may act on
            keys = {key for block in grant.statement.get("Condition", {}).values() for key in block}
            assert keys - {"aws:RequestedRegion"} == {"ecs:cluster"}, grant
    assert {g.policy for g in grants if g.policy.startswith("arn:aws:iam::aws:")} == set(MANAGED_POLICIES)
    # The stack's own managed policies (checked statement by statement above): only the topics' key use.
    own = {g.policy.rsplit("/", 1)[-1] for g in grants if g.policy.startswith(f"arn:aws:iam::{ACCOUNT}:policy/")}
    assert own == {"ecs-fleet-ops-TopicKeyUsePolicy-SIMULATED"}
    if dict(parameters)["ClusterNames"] != "*":
        assert "ecs:ListClusters" not in {a for g in grants for a in g.actions}


# A named resource's ARN: precise, or with partition, region and account as wildcards (Fn::Join takes only
# a literal delimiter, so a list of names can only be prefixed by a literal) in a statement whose
# condition pins the region (aws:RequestedRegion). The account needs no pin: ECS and Auto Scaling have
# no resource-based policies, so another account's cluster or group cannot be reached through them.
_NAMED_ARN = rf"arn:(aws:{{service}}:{REGION}:{ACCOUNT}|\*:{{service}}:\*:\*):"
_ECS_IN_DEMO = re.compile(
    _NAMED_ARN.format(service="ecs")
    + r"(cluster/demo|(container-instance|task|service|service-deployment|service-revision)/demo/\*)"
)
# ECS grants that cannot name a cluster, each with the reason.
_ECS_IN_NO_CLUSTER = {
    f"arn:aws:ecs:{REGION}:{ACCOUNT}:capacity-provider/*": "DescribeCapacityProviders: they belong to no cluster",
}
_ECS_ANY_CLUSTER = {"ecs:DescribeTaskDefinition": "on *, no resource types: task definitions belong to no cluster"}
_DEMO_GROUP = re.compile(
    _NAMED_ARN.format(service="autoscaling") + r"autoScalingGroup:\*:autoScalingGroupName/demo-hosts"
)


def _pins_the_region(grant: Grant, resource: str) -> bool:
    if not resource.startswith("arn:*:"):
        return True
    return grant.statement.get("Condition", {}).get("StringEquals", {}).get("aws:RequestedRegion") == REGION


def _outside_the_named(grant: Grant, action: str, resource: str) -> bool:
    """An ECS or Auto Scaling grant reaching beyond ClusterNames=demo, AutoScalingGroupNames=demo-hosts."""
    service = action.split(":", 1)[0]
    if service == "ecs" and resource == "*":
        if action in _ECS_ANY_CLUSTER:
            return False
        condition = grant.statement.get("Condition", {})
        clusters = _as_list(condition.get("ArnLike", {}).get("ecs:cluster") or [])
        pinned = condition.get("StringEquals", {}).get("aws:RequestedRegion") == REGION
        return clusters != ["arn:*:ecs:*:*:cluster/demo"] or not pinned
    if service == "ecs":
        named = bool(_ECS_IN_DEMO.fullmatch(resource)) and _pins_the_region(grant, resource)
        return not (named or resource in _ECS_IN_NO_CLUSTER)
    if service == "autoscaling":
        named = bool(_DEMO_GROUP.fullmatch(resource)) and _pins_the_region(grant, resource)
        return not (resource == "*" or named)  # "*": Describe actions with no resource type
    return False


def test_with_cluster_and_group_names_every_ecs_and_auto_scaling_grant_is_scoped_to_them() -> None:
    grants = function_grants(tuple(SCOPED.items()))
    outside = [
        (g.function, action, resource)
        for g in grants
        for action in g.actions
        for resource in g.resources
        if _outside_the_named(g, action, resource)
    ]
    assert outside == []


# -- the two fixed findings, at run time -------------------------------------------------------------
@dataclass
class ProbeAccount:
    stack: DeployedStack
    roles: dict[str, boto3.Session]  # function logical ID -> a session under its role


@pytest.fixture
def probe_account() -> Iterator[ProbeAccount]:
    """The stack deployed with the example's names (no fleet: cheaper), the functions' roles assumed."""
    with simulated_aws():
        stack = deploy_stack(boto3.Session(region_name=REGION), parameters=dict(SCOPED))
        roles = {f: assume_role_session(stack.function(f).role_arn, stack.function(f).name, REGION) for f in FUNCTIONS}
        yield ProbeAccount(stack, roles)


def _denied(call: Callable[[], object]) -> bool:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"] in ACCESS_DENIED_CODES
    return False


def test_no_function_can_read_or_delete_the_messages_of_a_queue_that_is_not_its_own(
    probe_account: ProbeAccount,
) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="someone-elses-queue")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="not yours")

    def reads(role: boto3.Session) -> bool:
        return not _denied(lambda: role.client("sqs").receive_message(QueueUrl=url, VisibilityTimeout=0))

    own_queue = {
        "DrainFunction": "RecheckQueue",
        "ScaleFunction": "ScaleFollowUpQueue",
        "VerifyFunction": "VerifyRecheckQueue",
    }

    def reads_its_own(function: str, role: boto3.Session) -> bool:
        own = probe_account.stack.physical[own_queue[function]]
        return not _denied(lambda: role.client("sqs").receive_message(QueueUrl=own, VisibilityTimeout=0))

    with enforced_iam():
        readers = [function for function, role in probe_account.roles.items() if reads(role)]
        own_readers = [function for function, role in probe_account.roles.items() if reads_its_own(function, role)]
    assert readers == []
    assert sorted(own_readers) == sorted(FUNCTIONS), "the event source mapping polls with the function's role"


def test_with_cluster_names_the_scale_job_cannot_list_the_services_of_another_cluster(
    probe_account: ProbeAccount,
) -> None:
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName=OTHER_CLUSTER)
    scale = probe_account.roles["ScaleFunction"].client("ecs")
    with enforced_iam():
        assert _denied(lambda: scale.list_services(cluster="demo")) is False  # its own cluster: allowed
        assert _denied(lambda: scale.list_services(cluster=OTHER_CLUSTER))


# -- a drain never reaches into another cluster ----------------------------------------------------
@dataclass
class OtherHost:
    instance_id: str
    container_instance: str
    task: str


def register_host_in_another_cluster(fleet: SimulatedFleet) -> OtherHost:
    """Someone else's cluster in the same account: one EC2 host registered with it, running a task."""
    ecs = fleet.clients("ecs")
    ecs.create_cluster(clusterName=OTHER_CLUSTER)
    instance_id = fleet.clients("ec2").run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    document = json.dumps({"instanceId": instance_id, "region": REGION})
    container_instance = ecs.register_container_instance(cluster=OTHER_CLUSTER, instanceIdentityDocument=document)[
        "containerInstance"
    ]["containerInstanceArn"]
    task = ecs.start_task(
        cluster=OTHER_CLUSTER, taskDefinition=fleet.task_definition, containerInstances=[container_instance]
    )["tasks"][0]["taskArn"]
    return OtherHost(instance_id, container_instance, task)


def ask_the_drain_about(fleet: SimulatedFleet, host: OtherHost, metadata: str | None) -> None:
    """A termination lifecycle action of the example's group for the other cluster's host, as
    EventBridge delivers it: the host was attached to the example's group (a misconfigured group or
    hook), and the action is live, so the drain gets past its first check and looks for the host.
    (A forged event naming a host in no group is refused before any ECS call: test_drain.py.)"""
    d = fleet.definition
    fleet.clients("autoscaling").attach_instances(InstanceIds=[host.instance_id], AutoScalingGroupName=d.group_name)
    action = fleet.hooks.begin_termination(d.group_name, host.instance_id, metadata=metadata or "")
    event = fleet.hooks.eventbridge_event(action)
    event["time"] = fleet.account.iso_time()
    assert fleet.account.put_event(event, source="test")
    fleet.run_until_quiet()


@pytest.mark.parametrize("metadata", [json.dumps({"cluster": OTHER_CLUSTER}), None], ids=["hook-names-it", "no-hint"])
def test_a_drain_asked_about_a_host_of_another_cluster_changes_nothing_there(metadata: str | None) -> None:
    with simulated_aws(), simulated_day() as fleet:  # ClusterNames: the example's cluster only
        host = register_host_in_another_cluster(fleet)
        first = len(fleet.account.timeline)
        ask_the_drain_about(fleet, host, metadata)
        drains = [e for e in fleet.account.timeline[first:] if e.function == "drain"]
        dead_letters = fleet.account.dead_letters()
        ecs = fleet.clients("ecs")
        described = ecs.describe_container_instances(
            cluster=OTHER_CLUSTER, containerInstances=[host.container_instance]
        )
        task = ecs.describe_tasks(cluster=OTHER_CLUSTER, tasks=[host.task])["tasks"][0]

    assert described["containerInstances"][0]["status"] == "ACTIVE"
    assert task["desiredStatus"] == "RUNNING"
    ecs_calls = {call for e in drains for call in e.calls if call.startswith("ecs:")}
    assert ecs_calls == {"ecs:ListContainerInstances"}, "the drain went no further than looking for the host"
    # Whether the hook names a cluster outside ClusterNames (the drain never asks it: IAM would refuse)
    # or names none, the drain looks in its own clusters only and does not find the host: that proves
    # nothing about ECS, so rather than release it undrained as "not in ECS" (what it did when the hook
    # named no cluster, until the adversarial review of issue 10) or fail until the hook times out, it
    # keeps the event as a dead letter with its reason and announces it at once. The action is left to
    # the hook's timeout (or to the drain of the stack whose cluster it is).
    assert [e.error for e in drains] == [None]
    assert all(f"cluster/{OTHER_CLUSTER}" not in json.dumps(e.calls) for e in drains)
    [letter] = dead_letters
    assert "ClusterNames" in letter["reason"]
    assert (OTHER_CLUSTER if metadata else "its hook names no cluster") in letter["reason"]
    [note] = [n for e in drains for n in e.notifications]
    assert note["subject"] == f"ATTENTION ecs-fleet-ops drain of {host.instance_id}: not drained"
    assert "autoscaling:CompleteLifecycleAction" not in {c for e in drains for c in e.calls}
