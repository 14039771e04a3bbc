"""The drain completes on ECS's own event, seconds after the last task of its host stops (issue 11, item 5).

ECS puts an "ECS Container Instance State Change" event on the account's bus at every task placed or
stopped on a host and every status change; the drain's rule hears only a DRAINING host with none running
or pending, of the stack's clusters. The re-check loop stays, as the safety net.
"""

from __future__ import annotations

from fleetops.aws.clients import AwsClients
from fleetops.aws.drain_records import COMPLETED_ON_ECS_EVENT, DrainRecords
from simulator.worlds.drain import DrainWorld

ECS_EVENT = "ECS Container Instance State Change"


def test_a_drain_completes_seconds_after_its_last_task_stops_on_ecss_event_and_a_busy_cluster_costs_no_more(
    world: DrainWorld,
) -> None:
    leaving, staying = world.cluster.instance_ids
    world.cluster.deregistration_delay = 100  # the tasks take 100 s to leave the load balancer
    world.cluster.add_service("web")
    world.cluster.start_tasks(leaving, 3, group="service:web")
    events: list[dict[str, object]] = []
    deliver = world.cluster.on_instance_change
    assert deliver is not None
    world.cluster.on_instance_change = lambda event: (events.append(event), deliver(event))
    action = world.hooks.begin_termination(world.cluster.group, leaving)
    world.invoke(world.hooks.eventbridge_event(action))

    # A busy cluster meanwhile: a batch job's tasks come and go on the other host every 10 s.
    for _ in range(12):
        [task] = world.cluster.start_tasks(staying, 1, group="family:batch", started_by="batch")
        world.run_until(world.clock() + 5)
        world.cluster.ecs_backend.stop_task(world.cluster.name, task.task_arn, "done")
        world.run_until(world.clock() + 5)
    world.run_until_quiet()

    # The action was completed within one tick (5 s) of the last task's STOPPED, not at the next re-check.
    assert (action.result, action.ended_by, action.actor) == ("CONTINUE", "completion", "function:drain")
    last_stop = max(at for at, text in world.cluster.timeline if text == "ECS scheduler: service:web task STOPPED")
    assert action.ended_at is not None and 0 <= action.ended_at - last_stop <= 5
    assert world.cluster.lost_tasks == {leaving: 0}

    # What the subscription cost: of every ECS event of the cluster, only the emptied DRAINING host's reached
    # the drain (two: its tasks' DEACTIVATING, which the drain sees still deregistering, and their STOPPED).
    heard = [e for e in world.account.timeline if e.function == "drain" and e.event == ECS_EVENT]
    assert len(events) >= 24  # 24 of the batch job, the DRAINING status, the web tasks
    assert len(heard) == 2
    assert [e.result["results"][0]["status"] for e in heard] == ["ignored", "complete"]
    assert "DEACTIVATING" in heard[0].result["results"][0]["reason"]
    # The re-check that came afterwards found the drain done and stood down, quietly.
    last = [e for e in world.account.timeline if e.function == "drain"][-1]
    assert last.via == "SQS" and "DrainRechecksAfterEcsEvent" in last.metrics
    assert world.notifications() == []


def test_a_drain_whose_completion_on_the_event_was_claimed_but_never_made_is_completed_by_its_recheck(
    world: DrainWorld,
) -> None:
    leaving, _ = world.cluster.instance_ids
    world.cluster.add_service("web")
    world.cluster.start_tasks(leaving, 2, group="service:web")
    action = world.hooks.begin_termination(world.cluster.group, leaving)
    world.invoke(world.hooks.eventbridge_event(action))
    # An event's invocation claimed the completion and died before CompleteLifecycleAction (a timeout).
    table = world.environment["IDEMPOTENCY_TABLE"]
    records = DrainRecords(AwsClients(world.session), table)
    kept = records.find(leaving)
    assert kept is not None and kept[1] is None
    assert records.claim_completion(kept[0], COMPLETED_ON_ECS_EVENT)

    world.run_until_quiet()

    # The re-check found the action still waiting: it completed it, quietly, and lost nothing.
    assert (action.result, action.ended_by, action.actor) == ("CONTINUE", "completion", "function:drain")
    assert world.cluster.lost_tasks == {leaving: 0}
    assert world.notifications() == []
    assert "DrainRechecksAfterEcsEvent" in world.emitted_metrics()
