"""A CI job names the release by its image: a tag ECS resolved to a digest is still that release.

The simulated ECS reports a running container the way ECS does once it resolved the tag
(``image`` ``repo:tag@sha256:…``, ``imageDigest`` set: simulator/ecs/image_resolution.py), so a
verifier that compares images as text fails a good release here as it did in production (issue 14).
"""

from __future__ import annotations

import io

import pytest

from fleetops_cli.verify import EXIT_FAILED, EXIT_NOT_VERIFIED, EXIT_PASSED, main
from simulator.worlds.verify import VerifyWorld, revision_of

ROLLBACK_ON = {
    "VerifyRollbackEnabled": "true",
    "VerifyRollbackMaxPerWindow": "1",
    "VerifyRollbackWindowSeconds": "3600",
}
INDEX_DIGEST = "sha256:" + "1" * 64  # a multi-arch image's index (manifest list): what ECS reports
AMD64_DIGEST = "sha256:" + "2" * 64  # one platform's manifest in that index: what a registry UI may show


@pytest.fixture
def verify(aws: None) -> VerifyWorld:
    return VerifyWorld(parameters=ROLLBACK_ON)


def tasks_check(report: dict[str, object]) -> dict[str, object]:
    return next(c for c in report["checks"] if c["name"] == "tasks")  # type: ignore[attr-defined, index]


def ci_call(image: str) -> dict[str, str]:
    return {"cluster": "prod", "service": "web", "expected_image": image}


def reported_images(verify: VerifyWorld) -> set[tuple[str, str]]:
    ecs = verify.session.client("ecs")
    arns = ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]
    described = ecs.describe_tasks(cluster="prod", tasks=arns)["tasks"]
    return {(c["image"], c.get("imageDigest", "")) for t in described for c in t["containers"]}


def test_a_good_release_given_by_tag_passes_and_is_not_rolled_back(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    [(image, digest)] = reported_images(verify)
    assert image == f"registry.example.com/web:2@{digest}"  # what ECS reports, not the tag as written
    report = verify.invoke(ci_call("registry.example.com/web:2"))
    assert report["verdict"] == "PASSED", report["reason"]
    revision = revision_of(release.task_definition)
    assert tasks_check(report)["summary"] == f"4/4 task(s) running {revision} with registry.example.com/web:2"
    assert report["rollback"] is None
    assert verify.gaps.updates == []
    assert verify.service_task_definition("web") == release.task_definition


def test_a_release_given_by_a_tag_that_does_not_run_fails_and_is_rolled_back(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    report = verify.invoke(ci_call("registry.example.com/web:3"))
    assert report["verdict"] == "FAILED"
    assert tasks_check(report)["summary"] == "4 running task(s) do not run image registry.example.com/web:3"
    assert any("web: registry.example.com/web:2@sha256:" in line for line in tasks_check(report)["evidence"])  # type: ignore[attr-defined]
    assert verify.service_task_definition("web") == release.known_good


def test_a_multi_arch_release_is_matched_by_its_index_digest_and_a_platform_digest_says_which_to_pass(
    verify: VerifyWorld,
) -> None:
    verify.given_a_release()
    verify.deployments.set_image_digest("web", INDEX_DIGEST)
    good = verify.invoke(ci_call(f"registry.example.com/web@{INDEX_DIGEST}"))
    assert good["verdict"] == "PASSED", good["reason"]
    assert verify.invoke(ci_call(f"registry.example.com/web:2@{INDEX_DIGEST}"))["verdict"] == "PASSED"
    assert verify.gaps.updates == []
    by_platform = verify.invoke(ci_call(f"registry.example.com/web@{AMD64_DIGEST}"))
    assert by_platform["verdict"] == "FAILED"
    summary = str(tasks_check(by_platform)["summary"])
    assert f"compared {AMD64_DIGEST} with each container's image digest and imageDigest" in summary
    assert "ECS reports the image index digest" in summary
    assert any(f"(imageDigest {INDEX_DIGEST})" in line for line in tasks_check(by_platform)["evidence"])  # type: ignore[attr-defined]


def test_a_malformed_expected_image_is_refused_not_failed_and_nothing_is_rolled_back(verify: VerifyWorld) -> None:
    release = verify.given_a_release()
    result = verify.invoke(ci_call("registry.example.com/Web:2"))
    assert result["status"] == "rejected"
    assert "expected_image must be an image reference" in result["reason"]
    assert "'Web' is not a repository name" in result["reason"]
    assert verify.gaps.updates == []
    assert verify.service_task_definition("web") == release.task_definition


def run_cli(verify: VerifyWorld, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), session=verify.session, clock=verify.clock, sleep=verify.clock.advance, out=out)
    return code, out.getvalue()


def test_the_console_command_passes_a_release_given_by_tag_and_refuses_a_malformed_one(
    verify: VerifyWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    verify.given_a_release()
    cli = ("--cluster", "prod", "--service", "web", "--expected-image")
    code, output = run_cli(verify, *cli, "registry.example.com/web:2")
    assert code == EXIT_PASSED, output
    code, output = run_cli(verify, *cli, "registry.example.com/web:3")
    assert code == EXIT_FAILED
    assert "do not run image registry.example.com/web:3" in output
    code, _ = run_cli(verify, *cli, "sha256:abc")
    assert code == EXIT_NOT_VERIFIED
    assert "is not an image digest" in capsys.readouterr().err
