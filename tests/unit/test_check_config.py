"""``scripts/check_config.py`` checks configuration files before a deploy with the functions' own parse
code: the examples in config/examples pass, and a broken file fails with every error naming the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fleetops.errors import ConfigurationError
from fleetops.scale.settings import ScaleSettings
from fleetops.verify.settings import VerifySettings
from scripts.check_config import main
from simulator.paths import PROJECT_ROOT as ROOT

EXAMPLES = ROOT / "config" / "examples"
SCALE_ENV = {
    "DEAD_LETTER_QUEUE_URL": "https://sqs/dlq",
    "IDEMPOTENCY_TABLE": "idempotency",
    "CLUSTER_NAMES": "*",
    "AUTO_SCALING_GROUP_NAMES": "*",
}
VERIFY_ENV = {
    "RECHECK_QUEUE_URL": "https://sqs/recheck",
    "DEAD_LETTER_QUEUE_URL": "https://sqs/dlq",
    "IDEMPOTENCY_TABLE": "idempotency",
    "VERIFY_STATE_TABLE": "state",
    "CLUSTER_NAMES": "*",
    "ROLLBACK_ENABLED": "true",  # the example services ask for rollbacks
}


def test_make_check_config_s_command_passes_the_examples() -> None:
    run = subprocess.run(
        [sys.executable, "scripts/check_config.py", *sorted(str(p.relative_to(ROOT)) for p in EXAMPLES.glob("*.json"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "config/examples/scaling-rules.json: ok (6 scaling rule(s))" in run.stdout
    assert "config/examples/verify-services.json: ok (4 service configuration(s))" in run.stdout


def test_the_examples_are_what_the_functions_accept_inline() -> None:
    # The same text through the functions' own cold start (the hosts the example's smoke checks call).
    rules = (EXAMPLES / "scaling-rules.json").read_text()
    services = (EXAMPLES / "verify-services.json").read_text()
    assert len(ScaleSettings.from_environment({**SCALE_ENV, "SCALING_RULES": rules}).rules) == 6
    verify = VerifySettings.from_environment(
        {**VERIFY_ENV, "VERIFY_SERVICES": services, "SMOKE_ALLOWED_HOSTS": "web.example.com,api.example.com"}
    )
    assert set(verify.services) == {"prod/web", "prod/api", "worker", "*"}


def test_a_broken_rules_file_fails_with_every_error_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "prod.scaling-rules.json"
    broken.write_text(
        json.dumps(
            [
                {"alarm": "web-high", "cluster": "prod", "service": "web", "step": "+x", "max": 4},
                {"alarm": "web-low", "cluster": "prod", "service": "web", "step": -1},
                {"alarm": "web-low", "cluster": "prod", "service": "web", "step": -1, "max": 4},
                {"alarm": "web-low", "cluster": "prod", "step": -1},
            ]
        )
    )

    assert main([str(broken)]) == 1

    lines = capsys.readouterr().out.splitlines()
    assert all(line.startswith(str(broken)) for line in lines), lines
    assert any("[0].step must be a signed whole number" in line for line in lines)
    assert any("[1]: a service rule needs 'max'" in line for line in lines)
    assert any("alarm 'web-low' has more than one rule" in line for line in lines)


def test_the_script_reports_exactly_what_the_function_would_refuse_at_cold_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = '{"prod/web": {"bake_seconds": 300, "smoke": [{"url": "ftp://web"}], "colour": "blue"}}'
    broken = tmp_path / "verify-services.json"
    broken.write_text(text)
    with pytest.raises(ConfigurationError) as cold_start:
        VerifySettings.from_environment({**VERIFY_ENV, "VERIFY_SERVICES": text})

    assert main([str(broken)]) == 1

    printed = capsys.readouterr().out.splitlines()
    function_said = str(cold_start.value).removeprefix("invalid verify configuration: ").split("; ")
    assert [line.replace(str(broken), "VERIFY_SERVICES") for line in printed] == function_said


def test_json_cut_by_the_command_line_and_files_of_no_known_kind_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = tmp_path / "verify-services.json"
    cut.write_text("{")
    unnamed = tmp_path / "config.json"
    unnamed.write_text("[]")

    assert main([str(cut), str(unnamed)]) == 1

    out = capsys.readouterr().out
    assert f"{cut} is not JSON" in out
    assert f"{unnamed}: cannot tell its kind from its name" in out
    assert main(["--kind", "scaling-rules", str(unnamed)]) == 0


def test_a_file_too_large_for_any_ssm_parameter_fails_and_one_too_large_for_standard_says_advanced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rule = {"alarm": "ecs-scale-web-cpu-high-{}", "cluster": "prod", "service": "web", "step": 1, "max": 4}
    medium = tmp_path / "medium.scaling-rules.json"
    medium.write_text(json.dumps([{**rule, "alarm": rule["alarm"].format(i)} for i in range(60)]))
    large = tmp_path / "large.scaling-rules.json"
    large.write_text(json.dumps([{**rule, "alarm": rule["alarm"].format(i)} for i in range(120)]))
    assert 4_096 < len(medium.read_text()) <= 8_192 < len(large.read_text())

    assert main([str(medium)]) == 0
    assert "put it with --tier Advanced" in capsys.readouterr().out
    assert main([str(large)]) == 1
    assert "an SSM parameter holds at most 8,192" in capsys.readouterr().out


def test_smoke_hosts_are_held_to_the_allow_list_only_when_one_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    services = str(EXAMPLES / "verify-services.json")
    assert main(["--smoke-allowed-hosts", "web.example.com,api.example.com", services]) == 0
    assert main(["--smoke-allowed-hosts", "web.example.com", services]) == 1
    assert "host 'api.example.com' is not on the allow-list" in capsys.readouterr().out
