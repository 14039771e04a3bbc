"""Benchmark of the drain job (issue 3, "Done when"): prints the figures the README quotes.

1. AWS API calls to find one host in clusters of 10, 100 and 1,000 container instances.
2. Handler invocations and AWS API calls of a drain that lasts 10 minutes.
3. Cold import time of the drain handler as `sam build` packages it, against a bare boto3 handler.
4. Peak memory of the handler (import, then a drain), against a 128 MB function.

Everything runs on moto with fake credentials; nothing reaches AWS. Usage, from the repository root
(after `make build`, which `make benchmark` runs first):

    .venv/bin/python scripts/benchmark.py [--json] [--runs N] [--build-dir .aws-sam/build]

A benchmark, not a test: it reports each target as met or MISSED and exits 0; it exits 1 only if a
section could not be measured at all.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import filecmp
import importlib.util
import io
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import boto3

    from tests.support.api_calls import ApiCallCounter
    from tests.support.clock import SimulatedClock
    from tests.support.cluster import SimulatedCluster
    from tests.support.lifecycle import SimulatedLifecycleHooks

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
LAYER_SOURCE = ROOT / "layers" / "fleetops"
FUNCTION_SOURCE = ROOT / "functions" / "drain"
DEFAULT_BUILD = ROOT / ".aws-sam" / "build"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

CLUSTER_SIZES = (10, 100, 1_000)
API_PAGE = 100  # ListContainerInstances returns and DescribeContainerInstances takes at most 100
DRAIN_TASKS = 10
# The simulated scheduler stops a task this long after the host turns DRAINING (the load balancer's
# deregistration delay). Tasks start leaving at the first 5 s tick, so the host is empty at about
# 9.6 minutes and the next re-check completes the hook at 10 minutes.
DRAIN_DEREGISTRATION_DELAY = 570
MAX_DRAIN_INVOCATIONS = 12
MAX_IMPORT_RATIO = 1.5
FUNCTION_MEMORY_MB = 128
DEFAULT_RUNS = 7
IMPORT_BREAKDOWN_LINES = 6
OPTIONAL_BENCHMARKS = ("bench_scale", "bench_verify", "bench_day")
SECTIONS = ("lookup", "drain", "cold_import", "memory")

# Fake credentials and no shared config files: botocore never reads a real profile, and moto
# answers every call. The same variables go to the child processes.
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
# What the template gives the drain function (values are placeholders: importing creates clients
# but calls nothing). Tracing is off, as in the template's default.
DRAIN_FUNCTION_ENVIRONMENT = {
    "RECHECK_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/drain-rechecks",
    "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/dead-letters",
    "IDEMPOTENCY_TABLE": "idempotency",
    "NOTIFICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:fleet-ops-notifications",
    "CLUSTER_NAMES": "prod",
    "AUTO_SCALING_GROUP_NAMES": "prod-hosts",
    "POWERTOOLS_SERVICE_NAME": "ecs-fleet-ops-drain",
    "POWERTOOLS_METRICS_NAMESPACE": "EcsFleetOps",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",
}

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

# Run with bytecode writing on, to compile the dev venv's packages once (uv installs them without
# bytecode, and `make` sets PYTHONDONTWRITEBYTECODE): boto3 as the handler uses it, since the Lambda
# runtime ships its boto3 compiled, and the moto backends the simulation uses, which would otherwise
# be compiled again at every run (about 15 s).
WARM_UP_CHILD = """
import importlib
import boto3, boto3.dynamodb.types
from botocore.config import Config
session = boto3.Session()
for service in ("ecs", "autoscaling", "sqs", "sns", "dynamodb", "ec2"):
    session.client(service, config=Config(retries={"mode": "standard", "max_attempts": 8}))
importlib.import_module("moto").mock_aws
for service in ("ecs", "ec2", "autoscaling", "sqs", "sns", "dynamodb"):
    for part in ("models", "responses", "urls"):
        importlib.import_module(f"moto.{service}.{part}")
for name in ("moto.backends", "moto.moto_api", "aws_lambda_powertools.utilities.idempotency",
             "aws_lambda_powertools.utilities.batch", "aws_lambda_powertools.metrics"):
    importlib.import_module(name)
"""


# -- helpers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamBuild:
    """The output of `sam build`: the function's code and the layer Lambda mounts at /opt/python."""

    root: Path

    @property
    def function(self) -> Path:
        return self.root / "DrainFunction"

    @property
    def layer(self) -> Path:
        return self.root / "FleetOpsLayer" / "python"

    def missing_message(self) -> str | None:
        if (self.function / "app.py").exists() and (self.layer / "fleetops").is_dir():
            return None
        return f"no sam build in {self.root}: run `make build` (or `make benchmark`, which builds first)"

    def files_differing_from_sources(self) -> list[str]:
        """Source files the build does not have as they are now: its figures are for older code."""
        pairs = [(FUNCTION_SOURCE, self.function), (LAYER_SOURCE / "fleetops", self.layer / "fleetops")]
        differing: list[str] = []
        for source_root, built_root in pairs:
            for source in sorted(source_root.rglob("*.py")):
                built = built_root / source.relative_to(source_root)
                if not built.exists() or not filecmp.cmp(source, built, shallow=False):
                    differing.append(str(source.relative_to(ROOT)))
        return differing


def put_project_on_path() -> None:
    """The layer's source package and the test-support simulation, as pytest's pythonpath has them."""
    for path in (str(LAYER_SOURCE), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)


def use_fake_aws() -> None:
    os.environ.update(FAKE_AWS_ENVIRONMENT)
    os.environ.pop("AWS_PROFILE", None)
    # Handler logs are not part of the report (see silenced); fewer of them keeps the drain quick.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


def progress(message: str) -> None:
    """A note on stderr while a slow section runs, only for a person watching a terminal."""
    if sys.stderr.isatty():
        print(f"... {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Powertools writes logs and EMF metrics to stdout, some through stream objects captured at
    import: redirect the file descriptors as well as sys.stdout, so `--json` output stays JSON."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
        try:
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
                warnings.catch_warnings(),
            ):
                warnings.simplefilter("ignore")
                yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


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


def benchmark_python() -> Path:
    return VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)


def child_environment(home: Path) -> dict[str, str]:
    """A clean environment like Lambda's: nothing inherited but PATH, and a HOME with no ~/.aws."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "PYTHONDONTWRITEBYTECODE": "1",
        **FAKE_AWS_ENVIRONMENT,
        **DRAIN_FUNCTION_ENVIRONMENT,
    }


def run_python(code_or_args: list[str], environment: dict[str, str], cwd: Path) -> str:
    """Runs the benchmark's interpreter with -P (no script or working directory on sys.path)."""
    completed = subprocess.run(
        [str(benchmark_python()), "-P", *code_or_args],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"child python failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    return completed.stdout


def last_json_line(output: str) -> dict[str, Any]:
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            parsed: dict[str, Any] = json.loads(line)
            return parsed
    raise RuntimeError(f"no JSON in child output: {output[-500:]!r}")


# -- 1. lookup cost -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LookupCost:
    container_instances: int
    calls: int
    calls_by_operation: dict[str, int]
    found: bool
    naive_calls_measured: int
    naive_calls_formula: int


def naive_calls_formula(container_instances: int) -> int:
    """What the public drain Lambdas do: list every container instance, describe them all."""
    pages = math.ceil(container_instances / API_PAGE)
    return pages + pages


def register_container_instances(session: boto3.Session, cluster: str, count: int) -> list[str]:
    """moto registers a container instance only for an EC2 instance it knows: launch them first."""
    reservation = session.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=count, MaxCount=count)
    ec2_ids = [instance["InstanceId"] for instance in reservation["Instances"]]
    ecs = session.client("ecs")
    for ec2_id in ec2_ids:
        document = json.dumps({"instanceId": ec2_id, "region": "us-east-1", "availabilityZone": "us-east-1a"})
        ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=document)
    return ec2_ids


def naive_find(session: boto3.Session, cluster: str, ec2_id: str) -> bool:
    ecs = session.client("ecs")
    arns = [
        arn
        for page in ecs.get_paginator("list_container_instances").paginate(cluster=cluster)
        for arn in page["containerInstanceArns"]
    ]
    found = False
    for start in range(0, len(arns), API_PAGE):
        described = ecs.describe_container_instances(cluster=cluster, containerInstances=arns[start : start + API_PAGE])
        found = found or any(ci.get("ec2InstanceId") == ec2_id for ci in described["containerInstances"])
    return found


def measure_lookup(container_instances: int) -> LookupCost:
    import boto3
    from moto import mock_aws

    from fleetops.aws.autoscaling import AutoScalingAdapter
    from fleetops.aws.ecs import EcsAdapter
    from fleetops.aws.messaging import DelayedQueue
    from fleetops.drain.runner import DrainRunner
    from fleetops.drain.settings import DrainSettings
    from fleetops.settings import Scope
    from tests.support.api_calls import ApiCallCounter
    from tests.support.moto_gaps import close_moto_gaps

    # moto ignores the ec2InstanceId filter and never pages: without this, every size would look cheap.
    close_moto_gaps()
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        session.client("ecs").create_cluster(clusterName="prod")
        # The last one registered: the worst case for a search that walks the list.
        target = register_container_instances(session, "prod", container_instances)[-1]

        counter = ApiCallCounter(session)  # before the clients: they copy the session's hooks
        settings = DrainSettings(
            recheck_queue_url="unused",
            dead_letter_queue_url="unused",
            idempotency_table="unused",
            clusters=Scope.of("prod"),
        )
        runner = DrainRunner(
            ecs=EcsAdapter(session.client("ecs")),
            autoscaling=AutoScalingAdapter(session.client("autoscaling")),
            rechecks=DelayedQueue(session.client("sqs"), settings.recheck_queue_url),
            settings=settings,
            clock=time.time,
        )
        found = runner.locate(target, cluster_hint="prod")
        calls = dict(counter.calls)

        counter.reset()
        naive_found = naive_find(session, "prod", target)
        naive_calls = counter.total()
    return LookupCost(
        container_instances=container_instances,
        calls=sum(calls.values()),
        calls_by_operation=calls,
        found=found is not None and found.ec2_instance_id == target and naive_found,
        naive_calls_measured=naive_calls,
        naive_calls_formula=naive_calls_formula(container_instances),
    )


def lookup_section() -> dict[str, Any]:
    costs = []
    for size in CLUSTER_SIZES:
        progress(f"lookup in a cluster of {size} container instances")
        with silenced():
            costs.append(measure_lookup(size))
    return {
        "clusters": [dataclasses.asdict(cost) for cost in costs],
        "target": "as many calls at 1,000 container instances as at 10",
        "target_met": costs[-1].calls == costs[0].calls and all(cost.found for cost in costs),
    }


# -- 2. a drain that lasts 10 minutes -----------------------------------------------------------


@dataclass(frozen=True)
class DrainRun:
    tasks_on_host: int
    invocations: int
    rechecks: int
    simulated_minutes: float
    api_calls: int
    api_calls_by_operation: dict[str, int]
    lifecycle_result: str | None
    completed_by: str | None
    heartbeats: int
    tasks_lost_at_termination: int


class InvocationRecord(Protocol):
    trigger: str


class DrainWorldLike(Protocol):
    """What this script uses of tests.support.world.DrainWorld.

    world.py is outside the project's mypy `files` and does not pass strict mode (it sets an
    attribute on a loaded module), so it is imported by name at run time rather than followed."""

    cluster: SimulatedCluster
    hooks: SimulatedLifecycleHooks
    api: ApiCallCounter
    clock: SimulatedClock

    @property
    def invocations(self) -> Sequence[InvocationRecord]: ...

    def invoke(self, event: Any, trigger: str = ...) -> dict[str, Any]: ...

    def run_until_quiet(self, *, max_invocations: int = ...) -> None: ...


def new_drain_world() -> DrainWorldLike:
    """A fresh simulated account (call inside moto's mock_aws)."""
    world: DrainWorldLike = importlib.import_module("tests.support.world").DrainWorld()
    return world


def run_ten_minute_drain(world: DrainWorldLike) -> DrainRun:
    """One busy host, terminated by its group; the real handler drains it to completion."""
    host = world.cluster.instance_ids[0]
    world.cluster.add_service("web")
    world.cluster.start_tasks(host, DRAIN_TASKS, group="service:web")
    world.cluster.deregistration_delay = DRAIN_DEREGISTRATION_DELAY
    action = world.hooks.begin_termination(world.cluster.group, host, metadata=json.dumps({"cluster": "prod"}))
    world.api.reset()  # count the drain only, not the setup

    world.invoke(world.hooks.eventbridge_event(action), trigger="eventbridge")
    world.run_until_quiet()

    ended_at = action.ended_at if action.ended_at is not None else world.clock()
    return DrainRun(
        tasks_on_host=DRAIN_TASKS,
        invocations=len(world.invocations),
        rechecks=sum(1 for invocation in world.invocations if invocation.trigger == "recheck"),
        simulated_minutes=round((ended_at - action.started_at) / 60, 2),
        api_calls=world.api.total(),
        api_calls_by_operation=dict(sorted(world.api.calls.items())),
        lifecycle_result=action.result,
        completed_by=action.ended_by,
        heartbeats=action.heartbeats,
        tasks_lost_at_termination=world.cluster.lost_tasks.get(host, 0),
    )


def drain_section() -> dict[str, Any]:
    from moto import mock_aws

    progress("a 10-minute drain on the simulated clock")
    with silenced(), mock_aws():
        run = run_ten_minute_drain(new_drain_world())
    return {
        **dataclasses.asdict(run),
        "target": f"at most {MAX_DRAIN_INVOCATIONS} invocations",
        "target_met": run.invocations <= MAX_DRAIN_INVOCATIONS
        and run.completed_by == "completion"
        and run.tasks_lost_at_termination == 0,
    }


# -- 3. cold import time ------------------------------------------------------------------------


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


def without_bytecode_writing_ban(environment: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in environment.items() if key != "PYTHONDONTWRITEBYTECODE"}


def warm_up_dev_venv() -> dict[str, Any]:
    """Compiles the dev venv's boto3 and moto once (see WARM_UP_CHILD); it only ever writes there.

    Only a speed-up: the cold-import section compiles what the handler needs from the venv itself."""
    progress("compiling the dev venv's boto3 and moto, if not done before")
    with tempfile.TemporaryDirectory(prefix="fleetops-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        run_python(["-c", WARM_UP_CHILD], without_bytecode_writing_ban(child_environment(scratch)), scratch)
    return {}


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
    completed = subprocess.run(
        [str(benchmark_python()), "-P", "-X", "importtime", "-c", COLD_IMPORT_CHILD, *map(str, variant.roots)],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
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


def cold_import_section(build: SamBuild, runs: int) -> dict[str, Any]:
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


# -- 4. peak memory -----------------------------------------------------------------------------


def reset_peak_rss() -> bool:
    """Linux resets VmHWM to the current RSS on "5" written to clear_refs: the peak of what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def memory_child(build: SamBuild, result_path: Path) -> None:
    """Runs in a fresh interpreter (see memory_section): the built handler's import, then a drain."""
    started_mb = current_rss_mb()
    sys.path[0:0] = [str(build.function), str(build.layer)]
    with silenced():
        importlib.import_module("app")
    after_import_peak_mb = peak_rss_mb()

    # The simulation comes second, so the import figure above holds no moto. Its fleetops modules
    # are the built ones already imported; the world re-executes only the handler's app.py.
    sys.path.append(str(ROOT))
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from moto import mock_aws

    with silenced(), mock_aws():
        world = new_drain_world()
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


def memory_section(build: SamBuild) -> dict[str, Any]:
    missing = build.missing_message()
    if missing:
        return {"skipped": missing}
    progress("peak memory: the built handler, then a drain, in a fresh interpreter")
    with tempfile.TemporaryDirectory(prefix="fleetops-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        result_path = scratch / "memory.json"
        command = [str(Path(__file__).resolve()), "--build-dir", str(build.root), "--memory-child", str(result_path)]
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


# -- other jobs' benchmarks ---------------------------------------------------------------------


def optional_benchmarks() -> dict[str, Any]:
    """scripts/bench_*.py that other jobs may add, each with `run() -> dict`; absent ones are skipped."""
    results: dict[str, Any] = {}
    for name in OPTIONAL_BENCHMARKS:
        path = SCRIPTS / f"{name}.py"
        if not path.exists():
            continue
        progress(f"{path.name}")
        results[name] = run_optional_benchmark(name, path)
    return results


def run_optional_benchmark(name: str, path: Path) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location(f"fleetops_{name}", path)
    if spec is None or spec.loader is None:
        return {"error": f"cannot load {path.name}"}
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look a module up by its name
    try:
        with silenced():
            spec.loader.exec_module(module)
            run: Callable[[], Any] | None = getattr(module, "run", None)
            if run is None:
                return {"error": f"{path.name} has no run() function"}
            figures = run()
    except Exception as error:  # another job's script must not take this report down
        return {"error": f"{type(error).__name__}: {error}"}
    return figures if isinstance(figures, dict) else {"result": figures}


# -- the report ---------------------------------------------------------------------------------


def verdict(section: dict[str, Any]) -> str:
    return f"target: {section['target']} -> {'met' if section['target_met'] else 'MISSED'}"


def lookup_lines(section: dict[str, Any]) -> list[str]:
    lines = [
        f"  {'container instances':>20}  {'calls (this job)':>16}  {'naive list+describe':>20}",
    ]
    for cost in section["clusters"]:
        naive = cost["naive_calls_measured"]
        formula = cost["naive_calls_formula"]
        naive_text = f"{naive}" if naive == formula else f"{naive} (formula {formula})"
        lines.append(f"  {cost['container_instances']:>20,}  {cost['calls']:>16}  {naive_text:>20}")
    per_lookup = ", ".join(f"{op} x{n}" for op, n in section["clusters"][-1]["calls_by_operation"].items())
    lines += [
        f"  one lookup: {per_lookup} (DrainRunner.locate, cluster named by the hook)",
        f"  naive = ceil(n/{API_PAGE}) ListContainerInstances pages + ceil(n/{API_PAGE}) DescribeContainerInstances",
        f"  {verdict(section)}",
    ]
    return lines


def drain_lines(section: dict[str, Any]) -> list[str]:
    lines = [
        f"  host with {section['tasks_on_host']} service tasks; tasks leave within "
        f"{DRAIN_DEREGISTRATION_DELAY} s of DRAINING (load balancer deregistration delay)",
        f"  simulated duration, hook start to completion: {section['simulated_minutes']} min",
        f"  handler invocations: {section['invocations']} "
        f"(1 EventBridge event + {section['rechecks']} delayed re-checks)",
        f"  lifecycle action: {section['lifecycle_result']} by {section['completed_by']}, "
        f"{section['heartbeats']} heartbeats, {section['tasks_lost_at_termination']} tasks lost",
        f"  AWS API calls: {section['api_calls']}",
    ]
    lines += [f"    {op:<45} {n:>4}" for op, n in section["api_calls_by_operation"].items()]
    lines.append(f"  {verdict(section)}")
    return lines


def cold_import_lines(section: dict[str, Any]) -> list[str]:
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


def memory_lines(section: dict[str, Any]) -> list[str]:
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


def optional_lines(results: dict[str, Any]) -> list[str]:
    return nested_lines(results, indent=1)


def nested_lines(figures: dict[str, Any], indent: int) -> list[str]:
    """Another job's figures, one per line, nested dicts indented under their key."""
    lines: list[str] = []
    pad = "  " * indent
    for key, value in figures.items():
        if isinstance(value, dict) and value:
            lines += [f"{pad}{key}:", *nested_lines(value, indent + 1)]
        else:
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            lines.append(f"{pad}{key}: {shown}")
    return lines


def section_lines(section: dict[str, Any], lines: Callable[[dict[str, Any]], list[str]]) -> list[str]:
    if "failed" in section:
        return [f"  FAILED: {line}" for line in section["failed"].splitlines()]
    if "skipped" in section:
        return [f"  SKIPPED: {section['skipped']}"]
    return lines(section)


def render_table(report: dict[str, Any]) -> str:
    sections = [
        ("1. API calls to find one host", section_lines(report["lookup"], lookup_lines)),
        (
            "2. A drain that lasts 10 minutes (simulated clock, real handler, moto)",
            section_lines(report["drain"], drain_lines),
        ),
        ("3. Cold import of the drain handler", section_lines(report["cold_import"], cold_import_lines)),
        ("4. Memory", section_lines(report["memory"], memory_lines)),
    ]
    if report["other_jobs"]:
        sections.append(("5. Other jobs (scripts/bench_*.py)", optional_lines(report["other_jobs"])))
    environment = report["environment"]
    out = [
        f"ecs-fleet-ops drain benchmark  (Python {environment['python']}, {environment['machine']}, "
        f"{environment['cpus']} CPUs, load {environment['load_average_at_start']:.1f} at start, "
        f"{environment['seconds']:.0f} s)",
    ]
    for title, lines in sections:
        out += ["", title, *lines]
    spent = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in environment["section_seconds"].items())
    out += ["", f"time spent: {spent}"]
    return "\n".join(out)


def guarded(section: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One section's failure (the working tree changes under it) is reported, not fatal to the rest."""
    try:
        return section()
    except Exception as error:
        return {"failed": f"{type(error).__name__}: {error}".strip()[-2000:]}


def build_report(build: SamBuild, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    # Timings are only as quiet as the machine: say how busy it was.
    load_at_start = os.getloadavg()[0]
    section_seconds: dict[str, float] = {}

    def timed(name: str, section: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        began = time.perf_counter()
        result = guarded(section)
        section_seconds[name] = round(time.perf_counter() - began, 1)
        return result

    timed("warm_up", warm_up_dev_venv)
    report: dict[str, Any] = {
        "lookup": timed("lookup", lookup_section),
        "drain": timed("drain", drain_section),
        "cold_import": timed("cold_import", lambda: cold_import_section(build, runs)),
        "memory": timed("memory", lambda: memory_section(build)),
        "other_jobs": timed("other_jobs", optional_benchmarks),
    }
    report["targets_met"] = {name: report[name].get("target_met") for name in SECTIONS}
    report["environment"] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load_at_start, 2),
        "seconds": round(time.perf_counter() - started, 1),
        "section_seconds": section_seconds,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="write the figures as JSON to stdout")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="cold imports measured per handler")
    parser.add_argument(
        "--build-dir", type=Path, default=DEFAULT_BUILD, help="output of `sam build` (default: .aws-sam/build)"
    )
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    put_project_on_path()
    use_fake_aws()
    build = SamBuild(args.build_dir.resolve())
    if args.memory_child is not None:
        memory_child(build, args.memory_child)
        return 0
    report = build_report(build, max(1, args.runs))
    print(json.dumps(report, indent=2, default=str) if args.json else render_table(report))
    # A missed target is a result; a section that could not run is not.
    return 1 if any("failed" in report[name] for name in SECTIONS) else 0


if __name__ == "__main__":
    sys.exit(main())
