"""How many new hosts waiting tasks need: counted by placing them, not by averaging their size."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fleetops.models.scale import PlacedTask, Resources
from fleetops.packing import hosts_needed_for

M5_LARGE = Resources(2048, 7680)  # what an m5.large registers with ECS, roughly


def _tasks(*sizes: tuple[int, int], ports: frozenset[int] = frozenset()) -> list[PlacedTask]:
    return [PlacedTask(f"task-{i}", "service:web", Resources(*size), ports) for i, size in enumerate(sizes)]


def test_fragmented_tasks_need_a_host_each_not_their_average() -> None:
    # 3 x 1,536 CPU is 2.25 hosts of 2,048 on average; no two of them share a host.
    assert hosts_needed_for(_tasks(*[(1536, 1024)] * 3), M5_LARGE) == 3


def test_small_tasks_share_hosts() -> None:
    assert hosts_needed_for(_tasks(*[(256, 512)] * 19), M5_LARGE) == 3  # 8 per host


def test_the_daemon_tasks_of_a_new_host_take_their_share_first() -> None:
    assert hosts_needed_for(_tasks(*[(256, 512)] * 8), M5_LARGE) == 1
    assert hosts_needed_for(_tasks(*[(256, 512)] * 8), M5_LARGE, daemon_overhead=Resources(128, 256)) == 2


def test_a_static_host_port_runs_once_per_host() -> None:
    assert hosts_needed_for(_tasks(*[(256, 512)] * 3, ports=frozenset({8080})), M5_LARGE) == 3


def test_a_task_larger_than_a_new_host_has_no_answer() -> None:
    assert hosts_needed_for(_tasks((4096, 512)), M5_LARGE) is None


def test_no_tasks_need_no_host() -> None:
    assert hosts_needed_for([], M5_LARGE) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 2048), st.integers(1, 7680)), max_size=40))
def test_never_fewer_hosts_than_the_tasks_total_needs(sizes: list[tuple[int, int]]) -> None:
    needed = hosts_needed_for(_tasks(*sizes), M5_LARGE)
    assert needed is not None
    total_cpu = sum(cpu for cpu, _ in sizes)
    total_memory = sum(memory for _, memory in sizes)
    assert needed * M5_LARGE.cpu >= total_cpu and needed * M5_LARGE.memory >= total_memory
    assert needed <= len(sizes)
