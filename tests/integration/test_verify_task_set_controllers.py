"""Services on the CODE_DEPLOY and EXTERNAL deployment controllers, verified from CI: judged by their PRIMARY
task set (DescribeServices gives them ``taskSets`` and no ``deployments``), never rolled back with
UpdateService (ECS refuses a task definition on them), and an AWS error answered with a report."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fleetops_cli.verify import EXIT_FAILED, EXIT_NOT_VERIFIED, EXIT_PASSED, main
from simulator.ecs.task_sets import TaskSetRelease
from simulator.worlds.verify import VerifyWorld, revision_of

ROLLBACK_ON = {
    "VerifyRollbackEnabled": "true",
    "VerifyRollbackMaxPerWindow": "1",
    "VerifyRollbackWindowSeconds": "3600",
}


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld(parameters=ROLLBACK_ON)


def a_task_set_release(verify: VerifyWorld, controller: str) -> tuple[str, TaskSetRelease]:
    """web:1 released on ``controller``, then web:2 released blue/green to completion."""
    v1 = verify.deployments.task_definition("registry.example.com/web:1")
    verify.task_sets.create_service("web", v1, controller=controller)
    v2 = verify.deployments.task_definition("registry.example.com/web:2")
    release = verify.task_sets.release("web", v2)
    verify.notifications()  # a clean slate
    return v1, release


def from_ci(verify: VerifyWorld, release: TaskSetRelease) -> dict[str, Any]:
    return verify.invoke(
        {"cluster": "prod", "service": "web", "expected_task_definition": revision_of(release.task_definition)}
    )


def cli(verify: VerifyWorld, release: TaskSetRelease) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    argv = ["--cluster", "prod", "--service", "web", "--json"]
    argv += ["--expected-task-definition", revision_of(release.task_definition)]
    code = main(argv, session=verify.session, clock=verify.clock, sleep=verify.clock.advance, out=out)
    return code, json.loads(out.getvalue())


def test_a_good_release_on_a_code_deploy_service_verified_from_ci_passes(verify: VerifyWorld) -> None:
    _, release = a_task_set_release(verify, "CODE_DEPLOY")
    report = from_ci(verify, release)
    assert report["verdict"] == "PASSED", report["reason"]
    assert report["deployment_id"] == release.task_set_id
    assert report["task_definition"] == release.task_definition
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["deployment"]["summary"] == "one PRIMARY task set (CODE_DEPLOY controller), STEADY_STATE"
    assert checks["tasks"]["summary"] == f"4/4 task(s) running {revision_of(release.task_definition)}"
    assert checks["targets"]["status"] == "PASSED"


def test_a_good_release_on_an_external_service_verified_from_the_console_command_passes(verify: VerifyWorld) -> None:
    _, release = a_task_set_release(verify, "EXTERNAL")
    code, report = cli(verify, release)
    assert code == EXIT_PASSED, report["reason"]
    assert report["deployment_id"] == release.task_set_id


def test_the_primary_task_set_s_own_target_group_is_judged_not_the_service_level_one(verify: VerifyWorld) -> None:
    # The service-level loadBalancers still name the blue group (the first release's), now empty; the
    # PRIMARY task set's tasks are registered in green, the group the task set names.
    _, release = a_task_set_release(verify, "CODE_DEPLOY")
    blue, green = verify.task_sets.services["web"].target_groups
    assert release.target_group == green
    backend = verify.deployments.backend_service("web")
    backend.load_balancers = [{"targetGroupArn": blue, "containerName": "web", "containerPort": 80}]
    report = from_ci(verify, release)
    assert report["verdict"] == "PASSED", report["reason"]
    [targets] = [c for c in report["checks"] if c["name"] == "targets"]
    assert targets["evidence"][0].startswith("web-green/")


def test_tasks_of_another_task_set_mid_deployment_are_not_judged_as_the_release_s(verify: VerifyWorld) -> None:
    # web:3 is being deployed: its task set runs beside web:2's PRIMARY one. The release under test is
    # still web:2, and the deployment check says the deployment is not over.
    _, release = a_task_set_release(verify, "EXTERNAL")
    verify.task_sets.start_release("web", verify.deployments.task_definition("registry.example.com/web:3"))
    report = from_ci(verify, release)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["tasks"]["status"] == "PASSED", checks["tasks"]
    assert checks["deployment"]["status"] == "FAILED"
    assert "2 task sets, not exactly one (the deployment is not over)" in checks["deployment"]["summary"]


@pytest.mark.parametrize(
    ("controller", "words"),
    [
        ("CODE_DEPLOY", "the rollback is CodeDeploy's"),
        ("EXTERNAL", "the external controller owns rollbacks"),
    ],
)
def test_a_bad_release_on_a_task_set_service_is_reported_and_never_update_serviced(
    verify: VerifyWorld, controller: str, words: str
) -> None:
    v1, release = a_task_set_release(verify, controller)
    # web:1 is the known-good, as a full verification would have recorded it.
    verify.handler.service.store.remember_known_good(verify.task_sets.services["web"].arn, v1, "", verify.clock())
    verify.deployments.set_container_health("web", "UNHEALTHY", 4)
    report = from_ci(verify, release)
    assert report["verdict"] == "FAILED"
    assert report["rollback"]["action"] == "none"
    assert words in report["rollback"]["reason"]
    assert f"the {controller} deployment controller" in report["rollback"]["reason"]
    if controller == "CODE_DEPLOY":
        assert release.external_id in report["rollback"]["reason"]
    assert verify.gaps.updates == []
    assert verify.service_task_definition("web") == release.task_definition
    [note] = verify.notifications()
    assert "NOT rolled back" in note["message"]


def test_an_aws_error_in_the_ci_path_returns_a_report_not_a_lambda_error(verify: VerifyWorld) -> None:
    _, release = a_task_set_release(verify, "CODE_DEPLOY")

    def refuse(operation: str) -> None:
        if operation == "verify:DescribeTasks":
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform ecs:DescribeTasks"}},
                "DescribeTasks",
            )

    verify.account.faults.append(refuse)
    report = from_ci(verify, release)
    assert report["verdict"] == "ERROR"
    assert report["reason"] == (
        "verification could not run: AWS refused DescribeTasks: AccessDeniedException "
        "(not authorized to perform ecs:DescribeTasks)"
    )
    assert report["rollback"] is None
    [note] = verify.notifications()
    assert note["subject"] == "ATTENTION release of prod/web NOT verified: the verification could not run"


def test_an_aws_error_in_the_console_command_prints_the_report_and_exits_two(verify: VerifyWorld) -> None:
    _, release = a_task_set_release(verify, "EXTERNAL")

    def refuse(**_: object) -> None:
        raise ClientError({"Error": {"Code": "ServiceNotFoundException", "Message": "gone"}}, "DescribeTaskDefinition")

    verify.session.events.register("before-call.ecs.DescribeTaskDefinition", refuse)
    code, report = cli(verify, release)
    assert code == EXIT_NOT_VERIFIED != EXIT_FAILED
    assert report["verdict"] == "ERROR"
    assert "AWS refused DescribeTaskDefinition: ServiceNotFoundException (gone)" in report["reason"]


def test_the_simulated_ecs_refuses_a_task_definition_on_a_code_deploy_service_as_ecs_does(
    verify: VerifyWorld,
) -> None:
    v1, _ = a_task_set_release(verify, "CODE_DEPLOY")
    ecs = verify.session.client("ecs")
    with pytest.raises(ClientError, match="Unable to update task definition on services with a CODE_DEPLOY") as caught:
        ecs.update_service(cluster="prod", service="web", taskDefinition=v1)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    ecs.update_service(cluster="prod", service="web", desiredCount=5)  # the desired count is allowed
