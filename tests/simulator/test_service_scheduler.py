"""The simulated ECS service scheduler's replacement rules (``simulator.ecs.service_scheduler``), on
plain tasks: what ECS does with a service's tasks on a DRAINING host, by its deployment configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from simulator.ecs.service_scheduler import (
    DeploymentConfiguration,
    ReplicaTasks,
    StopReason,
    schedule_replicas,
)

_ids = count()


@dataclass(eq=False)
class FakeTask:
    container_instance_arn: str
    last_status: str = "RUNNING"
    id: int = field(default_factory=lambda: next(_ids))


@dataclass
class FakeCluster:
    """``places`` tasks fit on host "new"; every stop is recorded."""

    places: int
    stopped: list[tuple[FakeTask, StopReason]] = field(default_factory=list)

    def place(self) -> FakeTask | None:
        if self.places == 0:
            return None
        self.places -= 1
        return FakeTask("new")

    def stop(self, task: FakeTask, reason: StopReason) -> None:
        self.stopped.append((task, reason))


def on_draining_host(n: int, status: str = "RUNNING") -> list[FakeTask]:
    return [FakeTask("draining", status) for _ in range(n)]


def test_with_no_place_anywhere_and_minimum_healthy_100_percent_every_task_keeps_running() -> None:
    cluster = FakeCluster(places=0)
    passed = schedule_replicas(
        ReplicaTasks(desired=4, placed=[], draining=on_draining_host(4)), DeploymentConfiguration(), cluster
    )
    assert cluster.stopped == [] and passed.started == []
    assert passed.unplaced == 4


def test_replacements_start_first_and_only_as_many_old_tasks_stop_as_were_replaced() -> None:
    cluster = FakeCluster(places=2)
    passed = schedule_replicas(
        ReplicaTasks(desired=4, placed=[], draining=on_draining_host(4)), DeploymentConfiguration(), cluster
    )
    assert len(passed.started) == 2 and passed.unplaced == 2
    assert [reason for _, reason in cluster.stopped] == [StopReason.DRAINED] * 2


def test_minimum_healthy_50_percent_lets_ecs_stop_half_before_any_replacement_starts() -> None:
    cluster = FakeCluster(places=0)
    schedule_replicas(
        ReplicaTasks(desired=4, placed=[], draining=on_draining_host(4)),
        DeploymentConfiguration(minimum_healthy_percent=50),
        cluster,
    )
    assert len(cluster.stopped) == 2  # the floor: ceil(4 x 50 %) = 2 stay running


def test_maximum_100_percent_starts_no_replacement_until_the_old_task_has_stopped() -> None:
    configuration = DeploymentConfiguration(minimum_healthy_percent=50, maximum_percent=100)
    cluster = FakeCluster(places=10)
    first = schedule_replicas(ReplicaTasks(desired=2, placed=[], draining=on_draining_host(2)), configuration, cluster)
    assert first.started == [] and len(cluster.stopped) == 1  # one stops; the other holds the floor

    still_stopping = schedule_replicas(
        ReplicaTasks(desired=2, placed=[], draining=on_draining_host(1), stopping=1), configuration, cluster
    )
    assert still_stopping.started == []  # the stopping task still counts against the 100 %

    stopped = schedule_replicas(
        ReplicaTasks(desired=2, placed=[], draining=on_draining_host(1)), configuration, cluster
    )
    assert len(stopped.started) == 1


def test_a_pending_task_on_a_draining_host_is_stopped_at_once_even_with_no_place_for_it() -> None:
    cluster = FakeCluster(places=0)
    pending = on_draining_host(1, "PENDING")
    schedule_replicas(
        ReplicaTasks(desired=3, placed=[], draining=[*pending, *on_draining_host(2)]),
        DeploymentConfiguration(),
        cluster,
    )
    assert cluster.stopped == [(pending[0], StopReason.PENDING_ON_DRAINING_HOST)]


def test_tasks_beyond_a_lowered_desired_count_are_stopped() -> None:
    cluster = FakeCluster(places=0)
    schedule_replicas(
        ReplicaTasks(desired=1, placed=[FakeTask("a"), FakeTask("a"), FakeTask("b")], draining=[]),
        DeploymentConfiguration(),
        cluster,
    )
    assert [(t.container_instance_arn, r) for t, r in cluster.stopped] == [("a", StopReason.SCALED_IN)] * 2
