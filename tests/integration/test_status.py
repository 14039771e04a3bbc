"""`make status` against the simulated account: one story in which a service scaled out, a host is being
drained after a scale-in and a release was verified, read by an operator whose role has exactly the
read-only policy of docs/status.md, IAM enforced; then every way it says it cannot show the status."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import boto3
import botocore.endpoint
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.credentials import CredentialResolver

from fleetops_cli.status import EXIT_NOT_SHOWN, EXIT_SHOWN, main
from simulator.api_calls import ApiCallCounter
from simulator.cloudformation.stack import deploy_stack
from simulator.cloudformation.transform import ACCOUNT, REGION
from simulator.ecs.deployments import deployment_event
from simulator.iam.enforcement import assume_role_session, enforced_iam
from simulator.moto_patches import simulated_aws
from simulator.worlds.scale import ScaleWorld

DOCS = Path(__file__).resolve().parents[2] / "docs" / "status.md"
STACK = "ecs-fleet-ops"  # the simulated deploy's stack name
RULES = [
    {"alarm": "ecs-scale-prod-reservation-low", "cluster": "prod", "step": -1, "min": 1},
    {"alarm": "ecs-scale-prod-web-cpu-high", "cluster": "prod", "service": "web", "step": "+1", "max": 10},
]
# What a read-only operator may call, and all the command needs.
READ_CALLS = {"cloudformation:DescribeStacks", "dynamodb:Scan", "ecs:DescribeContainerInstances"}


@pytest.fixture
def world(aws: None) -> Iterator[ScaleWorld]:
    """The whole suite (drain, scale, verify) beside a cluster of three hosts running five web tasks."""
    world = ScaleWorld(hosts=3, rules=RULES, jobs=("drain", "scale", "verify"))
    world.services.add_service("web", cpu=1024, memory=2048)
    world.cluster_reservation_alarm(
        "ecs-scale-prod-reservation-low", comparison="LessThanThreshold", threshold=30, period=300, evaluation_periods=5
    )
    world.service_cpu_alarm("ecs-scale-prod-web-cpu-high", comparison="GreaterThanThreshold", threshold=75)
    yield world
    world.close()


def operator_session(world: ScaleWorld) -> boto3.Session:
    """A session under a role whose only policy is the one docs/status.md gives (its placeholders filled)."""
    text = DOCS.read_text()
    [policy] = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    for placeholder, value in (("REGION", REGION), ("ACCOUNT_ID", ACCOUNT), ("STACK_NAME", STACK)):
        policy = policy.replace(placeholder, value)
    iam = world.session.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="operator-read-only", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="operator-read-only", PolicyName="fleetops-status", PolicyDocument=policy)
    return assume_role_session(role["Arn"], "operator", REGION)


def status(session: boto3.Session, world: ScaleWorld, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with enforced_iam():
        code = main(["--stack", STACK, *argv], session=session, clock=world.clock, out=out)
    return code, out.getvalue()


def test_status_shows_the_drain_in_flight_the_scale_decisions_and_cooldowns_and_the_verification_and_writes_nothing(
    world: ScaleWorld,
) -> None:
    a, b, c = world.cluster.instance_ids
    world.services.run_on(a, "web", 2)
    world.services.run_on(b, "web", 2)
    world.services.run_on(c, "web", 1)
    # The web service's CPU alarm scales it out (5 -> 6); the reservation alarm terminates the emptiest host,
    # whose drain starts and waits for its task to move.
    assert world.decide(world.fire("ecs-scale-prod-web-cpu-high", 90.0))["outcome"] == "service-scaled-out"
    assert world.decide(world.fire("ecs-scale-prod-reservation-low", 22.0))["hosts_to_terminate"] == [c]
    world.account.run_until(world.clock() + 1)
    # ECS says web's deployment completed: the verify job verifies it, and it passes.
    ecs = world.session.client("ecs")
    [service] = ecs.describe_services(cluster="prod", services=["web"])["services"]
    event = deployment_event(service["serviceArn"], "SERVICE_DEPLOYMENT_COMPLETED", service["deployments"][0]["id"])
    world.account.put_event(event)
    world.account.run_until(world.clock() + 1)
    waiting = world.waiting_in("RecheckQueue")
    assert waiting, "the drain waits on its host's task"

    operator = operator_session(world)
    calls = ApiCallCounter(operator)
    code, text = status(operator, world)
    assert code == EXIT_SHOWN, text

    # Drains in flight: the host, its container instance, how many of its tasks are left, its budget.
    assert "Drains in flight: 1." in text
    container_instance = world.cluster.container_instances[c].rsplit("/", 1)[-1]
    [row] = [line for line in text.splitlines() if line.lstrip().startswith(c)]
    assert container_instance in row and "1 of 1" in row and "(in 59 min 58 s)" in row
    # Cooldowns: each target's last change, by which alarm, and the rule's cooldown still running.
    assert re.search(
        r"service:prod/web\s+scaled out to 6 .*ecs-scale-prod-web-cpu-high:ALARM\s+cooling down until", text
    )
    assert re.search(r"cluster:prod\s+scaled in .*cooling down until 2026-01-01 00:05:00", text)
    # Scale decisions, newest first; the verification and the known-good release it recorded.
    assert "Scale decisions since" in text and "service-scaled-out" in text and "cluster-scaled-in" in text
    assert re.search(r"prod/web\s+PASSED\s+every check passed", text)
    assert "Known-good release of prod/web: web:" in text

    # The same as JSON, for scripts: every field a script needs.
    code, document = status(operator, world, "--json", "--since", "1h")
    assert code == EXIT_SHOWN
    shown: dict[str, Any] = json.loads(document)
    [drain] = shown["drains_in_flight"]
    assert drain["ec2_instance_id"] == c
    assert (drain["tasks_left"], drain["tasks_at_start"], drain["past_deadline"]) == (1, 1, False)
    cooldowns = {cooldown["target"]: cooldown for cooldown in shown["cooldowns"]}
    assert cooldowns["service:prod/web"]["cooldown_seconds"] == 60
    assert cooldowns["service:prod/web"]["cooling_down"] is True
    assert {d["outcome"] for d in shown["scale_decisions"]} == {"service-scaled-out", "cluster-scaled-in"}
    assert [v["verdict"] for v in shown["verifications"]] == ["PASSED"]

    # Strictly read-only: only read calls, never a receive from a queue; the re-check is still waiting.
    assert set(calls.calls) == READ_CALLS, calls.calls
    assert world.waiting_in("RecheckQueue") == waiting


def test_status_says_why_it_cannot_show_the_status_in_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with simulated_aws():
        session = boto3.Session(region_name=REGION)

        # No such stack: CloudFormation's own words, and what to check.
        assert main(["--stack", "nowhere"], session=session) == EXIT_NOT_SHOWN
        assert "Stack with id nowhere does not exist: no stack by that name" in capsys.readouterr().err

        # A stack that is not the suite's (or one deployed before the command): no IdempotencyTableName output.
        template = tmp_path / "other.json"
        template.write_text(json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
        deploy_stack(session, name="someone-else", template=template)
        out = io.StringIO()
        assert main(["--stack", "someone-else", "--json"], session=session, out=out) == EXIT_NOT_SHOWN
        assert "has no output IdempotencyTableName" in json.loads(out.getvalue())["error"]
        capsys.readouterr()

        # Throttled past the SDK's retries (every attempt answered ThrottlingException; no real waiting).
        throttled = boto3.Session(region_name=REGION)
        throttled.events.register_first("before-send.cloudformation.DescribeStacks", _throttling)
        with mock.patch.object(botocore.endpoint, "time", SimpleNamespace(sleep=lambda _: None)):
            assert main(["--stack", "someone-else"], session=throttled) == EXIT_NOT_SHOWN
        assert "AWS is throttling or unavailable (DescribeStacks: Throttling)" in capsys.readouterr().err

        # No credentials anywhere boto3 looks: what to set.
        anonymous = botocore.session.Session()
        anonymous.register_component("credential_provider", CredentialResolver(providers=[]))
        assert main(["--stack", STACK], session=boto3.Session(botocore_session=anonymous, region_name=REGION)) == 2
        assert "no AWS credentials" in capsys.readouterr().err

        # No Region: what to set.
        for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
        assert main(["--stack", STACK], session=boto3.Session()) == EXIT_NOT_SHOWN
        assert "no AWS region: give --region or set AWS_REGION" in capsys.readouterr().err

        # A profile that is in no config file: what to set.
        monkeypatch.setenv("AWS_PROFILE", "nowhere")
        assert main(["--stack", STACK, "--region", REGION]) == EXIT_NOT_SHOWN
        assert "The config profile (nowhere) could not be found: set AWS_PROFILE" in capsys.readouterr().err
        monkeypatch.delenv("AWS_PROFILE")

        # Bad input: a window that is not a duration.
        assert main(["--stack", STACK, "--since", "soon"], session=session) == EXIT_NOT_SHOWN
        assert "must be a duration such as 90m, 6h or 2d" in capsys.readouterr().err


def _throttling(**_: Any) -> AWSResponse:
    """CloudFormation's answer to a throttled call (query protocol, HTTP 400, code Throttling)."""
    body = (
        b'<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>'
        b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    )
    return AWSResponse("https://cloudformation.us-east-1.amazonaws.com/", 400, {}, _Raw(body))


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()
