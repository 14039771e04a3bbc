"""How the Makefile finds its Python 3.13 (scripts/find_python313.sh), on a fake machine: a PYENV_ROOT and
a PATH of our own in a temporary directory, with stand-in interpreters (shell scripts that answer the
finder's "are you 3.13?" with their exit status) and only the tools the finder and make need."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FINDER = ROOT / "scripts" / "find_python313.sh"
TOOLS = ("bash", "env", "ls", "grep", "sort", "make")


def interpreter(path: Path, *, runs: bool = True) -> Path:
    """A stand-in python3.13; one that does not run is a pyenv shim for a version not selected."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "#!/bin/sh\nexit 0\n" if runs else "#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n"
    )
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, str]:
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} is not installed")
        (tools / tool).symlink_to(found)
    return {"HOME": str(tmp_path / "home"), "PYENV_ROOT": str(tmp_path / "pyenv"), "PATH": str(tools)}


def find(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FINDER)], env=environment, capture_output=True, text=True, timeout=30, check=False)


def test_the_newest_pyenv_3_13_is_chosen_in_version_order(machine: dict[str, str], tmp_path: Path) -> None:
    for version in ("3.12.1", "3.13.0", "3.13.9", "3.13.10"):
        interpreter(tmp_path / "pyenv" / "versions" / version / "bin" / "python3.13")
    interpreter(tmp_path / "pyenv" / "versions" / "3.13.11" / "bin" / "python3.13", runs=False)  # a broken build
    done = find(machine)
    assert done.returncode == 0
    assert done.stdout.strip() == str(tmp_path / "pyenv" / "versions" / "3.13.10" / "bin" / "python3.13")


def test_without_pyenv_the_first_python3_13_on_path_that_runs_is_chosen(
    machine: dict[str, str], tmp_path: Path
) -> None:
    interpreter(tmp_path / "shims" / "python3.13", runs=False)
    system = interpreter(tmp_path / "usr-bin" / "python3.13")
    machine["PATH"] = f"{tmp_path / 'shims'}:{machine['PATH']}:{tmp_path / 'usr-bin'}"
    done = find(machine)
    assert done.returncode == 0
    assert done.stdout.strip() == str(system)


def test_with_no_python_3_13_make_says_what_to_install_and_clean_still_works(machine: dict[str, str]) -> None:
    assert find(machine).returncode == 1
    make = ["make", "--no-print-directory", "-C", str(ROOT), "-n"]
    # -B: plan the install even where .venv is already built, so the recipe needing 3.13 is expanded.
    done = subprocess.run(
        [*make, "-B", ".venv/.installed"], env=machine, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode != 0
    [line] = [line for line in done.stderr.splitlines() if line.strip()]
    assert "No Python 3.13 found: install one (pyenv install 3.13" in line
    clean = subprocess.run([*make, "clean"], env=machine, capture_output=True, text=True, timeout=30, check=False)
    assert clean.returncode == 0, clean.stderr
