"""Figure 3: cold import of the drain handler as `sam build` packages it, against a bare boto3 handler
(the target: within 1.5x), and the same without the layer's bytecode. Medians of fresh interpreters."""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.build import SamBuild
from benchmarks.children import (
    child_environment,
    completed_python,
    last_json_line,
    run_python,
    without_bytecode_writing_ban,
)
from benchmarks.environment import progress
from benchmarks.runner import verdict

MAX_IMPORT_RATIO = 1.5
DEFAULT_RUNS = 7
IMPORT_BREAKDOWN_LINES = 6

# A handler that does the least any boto3 function does at cold start: the yardstick of issue 3.
BARE_BOTO3_HANDLER = '''"""The yardstick: a handler that imports boto3 and creates one client."""
import boto3

client = boto3.client("ecs")


def lambda_handler(event, context):
    return {}
'''

# Runs in a fresh interpreter: times `import app` the way Lambda's init phase does (wall clock, and
# CPU time, which other work on a shared machine disturbs far less), then says where the modules
# came from and which of them had no bytecode (compiled from source at this import).
COLD_IMPORT_CHILD = """
import json, os, sys, time
roots = [p for p in sys.argv[1:] if p]
sys.path[0:0] = roots
started, started_cpu = time.perf_counter(), time.process_time()
import app
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
loaded = [m for m in list(sys.modules.values()) if getattr(m, "__file__", None)]
def origin(name):
    module = sys.modules.get(name)
    return getattr(module, "__file__", None)
print(json.dumps({
    "seconds": seconds,
    "cpu_seconds": cpu_seconds,
    "modules": len(loaded),
    "compiled_from_source": sorted(
        m.__name__ for m in loaded
        if type(m.__spec__.loader).__name__ == "SourceFileLoader"
        and not (m.__spec__.cached and os.path.exists(m.__spec__.cached))
    ),
    "origins": {n: origin(n) for n in ("app", "fleetops", "aws_lambda_powertools", "boto3")},
}))
"""


@dataclass(frozen=True)
class ImportVariant:
    name: str
    roots: tuple[Path, ...]  # prepended to sys.path: function code first, then the layer


@dataclass
class ImportSamples:
    wall_seconds: list[float] = dataclasses.field(default_factory=list)
    cpu_seconds: list[float] = dataclasses.field(default_factory=list)
    modules: int = 0
    compiled_from_source: list[str] = dataclasses.field(default_factory=list)
    origins: dict[str, str | None] = dataclasses.field(default_factory=dict)

    @property
    def wall(self) -> float:
        return statistics.median(self.wall_seconds)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_seconds)

    def summary(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall, 3),
            "cpu_s": round(self.cpu, 3),
            "samples_wall_s": [round(s, 3) for s in self.wall_seconds],
            "samples_cpu_s": [round(s, 3) for s in self.cpu_seconds],
            "modules_loaded": self.modules,
            "modules_compiled_at_import": len(self.compiled_from_source),
        }


def prepare_import_variants(build: SamBuild, scratch: Path) -> list[ImportVariant]:
    bare = scratch / "bare-boto3"
    bare.mkdir()
    (bare / "app.py").write_text(BARE_BOTO3_HANDLER)
    # The same layer without its bytecode: what a plain `sam build` (and Lambda, which cannot write
    # __pycache__) would compile at every cold start.
    source_only_layer = scratch / "layer-without-bytecode"
    shutil.copytree(build.layer, source_only_layer)
    return [
        ImportVariant("bare boto3 handler", (bare,)),
        ImportVariant("drain handler (as built)", (build.function, build.layer)),
        ImportVariant("drain handler, layer without bytecode", (build.function, source_only_layer)),
    ]


def warm_up_handler_imports(
    build: SamBuild, variants: list[ImportVariant], environment: dict[str, str], scratch: Path
) -> None:
    """Imports the drain handler once with bytecode writing on, so whatever else it uses from the dev
    venv is compiled too, and each measurement pays only for what the package itself ships.

    The build is never written to: the handler is imported from copies in the scratch directory."""
    writable = without_bytecode_writing_ban(environment)
    function_copy = scratch / "function-copy"
    shutil.copytree(build.function, function_copy)
    without_bytecode = variants[-1].roots[-1]
    run_python(["-c", COLD_IMPORT_CHILD, str(function_copy), str(without_bytecode)], writable, scratch)
    for cache in sorted(without_bytecode.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)


def import_once(variant: ImportVariant, environment: dict[str, str], cwd: Path) -> dict[str, Any]:
    return last_json_line(
        run_python(["-c", COLD_IMPORT_CHILD, *(str(root) for root in variant.roots)], environment, cwd)
    )


def measure_imports(
    variants: list[ImportVariant], environment: dict[str, str], cwd: Path, runs: int
) -> list[ImportSamples]:
    samples = [ImportSamples() for _ in variants]
    for variant in variants:  # an unmeasured round fills the page cache for every variant
        import_once(variant, environment, cwd)
    # Round-robin, so a burst of load from other work on the machine hits every variant alike.
    for _ in range(runs):
        for variant, sample in zip(variants, samples, strict=True):
            result = import_once(variant, environment, cwd)
            sample.wall_seconds.append(result["seconds"])
            sample.cpu_seconds.append(result["cpu_seconds"])
            sample.modules = result["modules"]
            sample.compiled_from_source = result["compiled_from_source"]
            sample.origins = result["origins"]
    return samples


def import_breakdown(variant: ImportVariant, environment: dict[str, str], cwd: Path) -> dict[str, float]:
    """Where the handler's import time goes, from one extra run under -X importtime (which slows the
    import, so these figures are not the measurement): each module's own time, added up by
    top-level package, plus app's module body (settings and clients created at import)."""
    completed = completed_python(
        ["-X", "importtime", "-c", COLD_IMPORT_CHILD, *map(str, variant.roots)], environment, cwd
    )
    by_package: dict[str, float] = {}
    for line in completed.stderr.splitlines():
        # "import time: <self us> | <cumulative us> | <two spaces per nesting level><module>"
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        self_seconds, name = int(parts[0]) / 1e6, parts[2][1:]
        if name == "app":  # printed last: everything before it since the last top-level line is app's
            by_package["app (module body: settings, clients)"] = self_seconds
            return dict(sorted(by_package.items(), key=lambda item: -item[1]))
        if not name.startswith(" "):
            by_package.clear()  # a top-level import of the child's own, before `import app`
            continue
        package = name.strip().split(".")[0]
        group = "standard library" if package in sys.stdlib_module_names else package
        by_package[group] = by_package.get(group, 0.0) + self_seconds
    return by_package


def came_from(origins: dict[str, str | None], name: str, root: Path) -> bool:
    path = origins.get(name)
    return path is not None and Path(path).is_relative_to(root)


def measure(build: SamBuild, runs: int) -> dict[str, Any]:
    missing = build.missing_message()
    if missing:
        return {"skipped": missing}
    with tempfile.TemporaryDirectory(prefix="fleetops-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        environment = child_environment(scratch)
        progress("cold imports: preparing the bare handler and a layer without bytecode")
        variants = prepare_import_variants(build, scratch)
        warm_up_handler_imports(build, variants, environment, scratch)
        progress(f"cold imports: {runs} runs of each of {len(variants)} handlers")
        bare, built, source_only = measure_imports(variants, environment, scratch, runs)
        breakdown = import_breakdown(variants[1], environment, scratch)
    # The target is judged on CPU time: on a machine shared with other work, wall time also counts
    # the time spent waiting for a CPU. On an idle machine the two agree within a few percent.
    ratio = built.cpu / bare.cpu
    return {
        "runs": runs,
        "handlers": {
            "bare_boto3": bare.summary(),
            "drain": built.summary(),
            "drain_without_bytecode": source_only.summary(),
        },
        "ratio_to_bare_boto3": {"cpu": round(ratio, 2), "wall": round(built.wall / bare.wall, 2)},
        "ratio_without_bytecode": {
            "cpu": round(source_only.cpu / bare.cpu, 2),
            "wall": round(source_only.wall / bare.wall, 2),
        },
        "saved_by_bytecode_s": {
            "cpu": round(source_only.cpu - built.cpu, 3),
            "wall": round(source_only.wall - built.wall, 3),
        },
        # Evidence that the figure is the package's: its modules came from the build, and only the
        # function's own app.py (sam build ships no bytecode for it) was compiled at import.
        "drain_modules_from_build": came_from(built.origins, "fleetops", build.layer)
        and came_from(built.origins, "aws_lambda_powertools", build.layer)
        and came_from(built.origins, "app", build.function),
        "drain_modules_compiled_at_import": built.compiled_from_source,
        "import_breakdown_s": {name: round(seconds, 3) for name, seconds in breakdown.items()},
        "build": str(build.root),
        "build_differs_from_sources": build.files_differing_from_sources(),
        "target": f"drain handler within {MAX_IMPORT_RATIO}x of a bare boto3 handler (CPU time)",
        "target_met": ratio <= MAX_IMPORT_RATIO,
    }


def report_lines(section: dict[str, Any]) -> list[str]:
    handlers = section["handlers"]
    bare = handlers["bare_boto3"]
    rows = [
        ("bare boto3 handler (import boto3, one client)", bare),
        ("drain handler as sam build packages it", handlers["drain"]),
        ("drain handler, layer bytecode removed", handlers["drain_without_bytecode"]),
    ]
    saved = section["saved_by_bytecode_s"]
    lines = [
        f"  median of {section['runs']} fresh interpreters each; PYTHONDONTWRITEBYTECODE=1; the dev venv's boto3",
        "  compiled beforehand, as the Lambda runtime ships it",
        f"  {'':<48} {'wall':>8} {'CPU':>8} {'CPU vs bare':>12} {'compiled':>9}",
    ]
    lines += [
        f"  {label:<48} {row['wall_s']:>7.3f}s {row['cpu_s']:>7.3f}s {row['cpu_s'] / bare['cpu_s']:>11.2f}x "
        f"{row['modules_compiled_at_import']:>9}"
        for label, row in rows
    ]
    lines += [
        f"  ratio to bare boto3, wall clock: {section['ratio_to_bare_boto3']['wall']:.2f}x "
        f"(without bytecode {section['ratio_without_bytecode']['wall']:.2f}x)",
        f"  shipping bytecode saves {saved['cpu']:.3f} s CPU ({saved['wall']:.3f} s wall) per cold start",
        f"  modules from the build: {'yes' if section['drain_modules_from_build'] else 'NO'}; compiled at "
        f"import: {', '.join(section['drain_modules_compiled_at_import']) or 'none'} (sam build ships no "
        "bytecode for the function's own code)",
        "  where the drain handler's import goes, by package (one more run, under -X importtime):",
    ]
    breakdown = list(section["import_breakdown_s"].items())
    lines += [f"    {name:<50} {seconds:>7.3f} s" for name, seconds in breakdown[:IMPORT_BREAKDOWN_LINES]]
    stale = section["build_differs_from_sources"]
    if stale:
        lines.append(
            f"  NOTE: {section['build']} differs from the sources in {len(stale)} file(s) (e.g. {stale[0]}): "
            "run `make build` for figures of the current code"
        )
    lines.append(f"  {verdict(section)}")
    return lines
