"""A day of the example cluster, with the suite deployed beside it, on a simulated AWS (``SimulatedFleet``):

1. a traffic spike: the service's CPU alarm scales the service out, each step sized from the metric;
   the step that outgrows the hosts grows the Auto Scaling group in the same decision;
2. an instance refresh: its first batch takes two full hosts at once; the tasks that have no room on
   the others wait on their draining hosts, and the drain grows the group for them;
3. a quiet night: the service scales in, the cluster's reservation falls, and the emptiest host is
   terminated through its group: drained first, no task lost;
4. a release: a good image is verified and remembered; a bad one passes ECS's own checks but fails
   its smoke check, and is rolled back, with the notification a human reads; the rollback is
   verified too.

Every event is delivered through the wiring ``template.yaml`` declares, to the real handlers, under
the IAM roles it gives them. ``run_day`` returns everything that happened, for the demo to print
and for the end-to-end tests to check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.account import TimelineEntry
from simulator.fleet.fleet import SimulatedFleet
from simulator.http_server import Route, local_http_server
from simulator.paths import TEMPLATE

GOOD_IMAGE = "registry.example.com/web:1.4.2"
BAD_IMAGE = "registry.example.com/web:1.4.3"
IMAGES = {
    GOOD_IMAGE: Route(200, '{"status": "ok", "version": "1.4.2"}'),
    BAD_IMAGE: Route(500, '{"status": "error", "detail": "DATABASE_URL is not set"}'),
}
SPIKE_CPU_UNITS = 3600  # the spike: about 19 tasks at the alarm's 75 %, more than two hosts hold
NIGHT_CPU_UNITS = 150


@dataclass
class Story:
    name: str
    title: str
    started_at: float
    ended_at: float | None = None  # set once the story has run
    entries: list[TimelineEntry] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # what the story checks at its end


@dataclass
class Day:
    fleet: SimulatedFleet
    stories: list[Story]

    def document(self) -> dict[str, Any]:
        """The day as data: what the demo prints, and what ``--json`` writes."""
        start = self.fleet.account.start
        return {
            "header": self.header(),
            "stories": [
                {
                    "name": story.name,
                    "title": story.title,
                    "facts": story.facts,
                    "timeline": [entry.as_dict(start) for entry in story.entries],
                    "notifications": _worth_reading(story),
                }
                for story in self.stories
            ],
            "summary": self.summary(),
        }

    def header(self) -> str:
        stack, d = self.fleet.account.stack, self.fleet.definition
        return (
            f"ecs-fleet-ops on a simulated AWS. template.yaml, as `sam deploy` creates it: "
            f"{len(stack.functions)} functions, {len(stack.rules)} EventBridge rules, "
            f"{len(stack.subscriptions)} SNS subscriptions, {len(stack.event_source_mappings)} SQS event source "
            f"mappings, each function under its own IAM role (enforced). Beside it, examples/ecs-on-ec2: cluster "
            f"{d.cluster_name}, {d.desired_capacity} x {d.instance_type} in {' and '.join(d.zones)} "
            f"(group {d.group_name}, {d.min_size} to {d.max_size}, termination hook {d.hook_name}), service "
            f"{d.service_name} ({d.service_desired_count} tasks of {d.task_cpu} CPU / {d.task_memory} MiB) behind "
            f"a load balancer, and its four alarms. Times are simulated."
        )

    def summary(self) -> dict[str, Any]:
        timeline = self.fleet.account.timeline
        invocations = [e for e in timeline if e.function]
        scalings = len(self.fleet.record.desired_capacity) - 1 + len(self.fleet.record.desired_count) - 1
        return {
            "drains": sum(1 for a in self.fleet.hooks.actions.values() if a.ended_by == "completion"),
            "scalings": scalings,
            "verifications": sum(1 for e in invocations if _first_delivery(e.result) and e.result.get("verdict")),
            "rollbacks": sum(1 for e in invocations if _rollback(e.result)),
            "tasks lost": self.fleet.tasks_lost(),
            "invocations": len(invocations),
            "failed invocations": sum(1 for e in invocations if e.error),
            "AWS calls": sum(sum(e.calls.values()) for e in invocations),
            "notifications": len(self.fleet.account.notifications()),
            "dead letters": len(self.fleet.account.dead_letters()),
        }


Step = Callable[[SimulatedFleet], dict[str, Any]]


def traffic_spike(fleet: SimulatedFleet) -> dict[str, Any]:
    hosts_before, count_before = fleet.desired_capacity(), len(fleet.tasks())
    fleet.set_traffic(SPIKE_CPU_UNITS)
    fleet.run_for(120 * 60)
    return {
        "tasks": [count_before, len(fleet.tasks())],
        "hosts": [hosts_before, len(fleet.hosts())],
        "service alarm": fleet.alarm_state(_alarm(fleet, "CPUUtilization", "Greater")),
    }


def quiet_night(fleet: SimulatedFleet) -> dict[str, Any]:
    hosts_before, count_before = _active_hosts(fleet), len(fleet.tasks())
    lost_before, started = fleet.tasks_lost(), fleet.clock()
    fleet.set_traffic(NIGHT_CPU_UNITS)
    fleet.run_for(4 * 3600)
    fleet.run_until_quiet()
    # The night's own drains and losses (an instance refresh may have come before it).
    drained = [a for a in fleet.hooks.actions.values() if a.ended_by and a.started_at >= started]
    return {
        "tasks": [count_before, len(fleet.tasks())],
        "hosts": [hosts_before, _active_hosts(fleet)],
        "hosts drained": [a.instance_id for a in drained if a.ended_by == "completion"],
        "hooks timed out": [a.instance_id for a in drained if a.ended_by == "timeout"],
        "tasks lost": fleet.tasks_lost() - lost_before,
    }


def _active_hosts(fleet: SimulatedFleet) -> int:
    return sum(1 for h in fleet.hosts().values() if h["status"] == "ACTIVE")


def bad_release(fleet: SimulatedFleet) -> dict[str, Any]:
    good = fleet.release(GOOD_IMAGE)
    fleet.run_for(10 * 60)
    bad = fleet.release(BAD_IMAGE)
    fleet.run_for(20 * 60)
    fleet.run_until_quiet()
    running = {t.task_definition_arn for t in fleet.tasks()}
    return {
        "released": [_revision(good), _revision(bad)],
        "running": sorted(_revision(arn) for arn in running),
        "rolled back": [
            _revision(rollback["target_task_definition"])
            for e in fleet.account.timeline
            if e.function == "verify" and (rollback := _rollback(e.result))
        ],
        "smoke requests": fleet.app.hits(fleet.definition.health_check_path) if fleet.app else 0,
    }


REFRESH_BATCH = 2  # an instance refresh at MinHealthyPercentage 50 % takes two of the four hosts at once
REFRESH_WAIT_SECONDS = 75 * 60  # the drain's 60-minute budget (DrainBudgetSeconds' default) and after
RELAUNCH_SECONDS = 10 * 60  # the refresh's new hosts boot and register, ECS places what still waits


def instance_refresh(fleet: SimulatedFleet) -> dict[str, Any]:
    """The first batch of an instance refresh, right after the spike: the two oldest hosts (one per zone)
    are terminated at once, terminate first (nothing launches while they wait in
    Terminating:Wait), and the hosts that stay have no room for all of their tasks. ECS keeps a task
    on its draining host until its replacement has a place; only something that grows the group saves
    it. Once the batch is gone, the refresh launches its new hosts (the group back to its size)."""
    hosts = fleet.hosts()
    oldest = [i for i in fleet.cluster.instance_ids if hosts[i]["status"] == "ACTIVE"][:REFRESH_BATCH]
    displaced = sum(hosts[i]["tasks"] for i in oldest)
    room = sum(fleet.room_for_service_tasks(i) for i in hosts if i not in oldest and hosts[i]["status"] == "ACTIVE")
    size_before, lost_before, started = fleet.desired_capacity(), fleet.tasks_lost(), fleet.clock()
    fleet.terminate_batch(oldest, cause="instance refresh, first batch (MinHealthyPercentage 50 %)")
    actions = [a for a in fleet.hooks.actions.values() if a.instance_id in oldest]
    while fleet.clock() - started < REFRESH_WAIT_SECONDS and not all(a.ended_by for a in actions):
        fleet.run_for(60)
    ended = [a.ended_at for a in actions if a.ended_at is not None]
    gone_after = round((max(ended) - started) / 60, 1) if ended and len(ended) == len(actions) else None
    if fleet.desired_capacity() < size_before:
        fleet.clients("autoscaling").set_desired_capacity(
            AutoScalingGroupName=fleet.definition.group_name, DesiredCapacity=size_before
        )
        fleet.account.note("Auto Scaling", f"instance refresh: launching the new hosts (group back to {size_before})")
    fleet.run_for(RELAUNCH_SECONDS)
    return {
        "hosts refreshed": oldest,
        "tasks on them": displaced,
        "room on the other hosts": room,
        "drained": [a.instance_id for a in actions if a.ended_by == "completion"],
        "hooks timed out": [a.instance_id for a in actions if a.ended_by == "timeout"],
        "minutes until the batch was gone": gone_after,
        "tasks lost": fleet.tasks_lost() - lost_before,
    }


# The refresh comes after the spike, while the hosts are full.
STORIES: list[tuple[str, str, Step]] = [
    ("spike", "A traffic spike: the service scales out, then the cluster", traffic_spike),
    ("refresh", "An instance refresh takes two full hosts at once: their tasks have nowhere to go", instance_refresh),
    ("night", "A quiet night: the emptiest host is drained and terminated", quiet_night),
    ("release", "A bad release: caught by its smoke check and rolled back", bad_release),
]


@contextmanager
def simulated_day(*, parameters: dict[str, str] | None = None, template: Path = TEMPLATE) -> Iterator[SimulatedFleet]:
    """The fleet, with the service's HTTP endpoint for the smoke checks; moto must be active."""
    with local_http_server({"/": IMAGES[GOOD_IMAGE]}) as app:
        services = {
            "demo/web": {
                "smoke": [{"url": app.url("/"), "expect_status": 200, "expect_body": '"ok"', "retries": 2}],
                "rollback": True,
            }
        }
        fleet = SimulatedFleet(
            parameters={
                "VerifyServices": json.dumps(services),
                "SmokeAllowedHosts": "127.0.0.1",
                "VerifyRollbackEnabled": "true",
                "ScaleDryRun": "false",
                "Announce": "everything",
                **(parameters or {}),
            },
            app=app,
            image_behaviour=IMAGES,
            template=template,
        )
        try:
            yield fleet
        finally:
            fleet.close()


def run_day(
    fleet: SimulatedFleet,
    *,
    only: str | None = None,
    before_each: Callable[[str, SimulatedFleet], None] | None = None,
) -> Day:
    """Run the stories in order, up to ``only`` if given (each starts where the one before left the
    cluster); the day keeps ``only``, or all of them."""
    stories: list[Story] = []
    for name, title, step in STORIES:
        if before_each:
            before_each(name, fleet)
        story = Story(name, title, fleet.clock())
        first = len(fleet.account.timeline)
        story.facts = step(fleet)
        story.entries = fleet.account.timeline[first:]
        story.ended_at = fleet.clock()
        stories.append(story)
        if name == only:
            return Day(fleet, [story])
    return Day(fleet, stories)


def problems(day: Day) -> list[str]:
    """What a story promised and did not do (the demo exits 1 on any)."""
    found: list[str] = []
    for story in day.stories:
        facts = story.facts
        if story.name == "spike":
            if facts["tasks"][1] <= facts["tasks"][0] or facts["hosts"][1] <= facts["hosts"][0]:
                found.append(f"the spike did not scale the service and then the cluster: {facts}")
        elif story.name == "night":
            if not facts["hosts drained"] or facts["hooks timed out"] or facts["tasks lost"]:
                found.append(f"the night did not drain a host cleanly: {facts}")
        elif story.name == "refresh":
            stranded = facts["tasks lost"] or facts["hooks timed out"]
            if stranded or len(facts["drained"]) != len(facts["hosts refreshed"]):
                found.append(
                    f"the instance refresh stranded tasks: {facts['tasks on them']} tasks on the refreshed hosts, "
                    f"room for {facts['room on the other hosts']} on the others, {facts['tasks lost']} lost, "
                    f"{len(facts['drained'])} of {len(facts['hosts refreshed'])} hosts drained "
                    f"(hooks timed out: {facts['hooks timed out'] or 'none'})"
                )
        elif story.name == "release" and (facts["running"] != [facts["released"][0]] or not facts["rolled back"]):
            found.append(f"the bad release was not rolled back to the good one: {facts}")
    if day.fleet.tasks_lost():
        found.append(f"{day.fleet.tasks_lost()} task(s) lost")
    failed = [e for e in day.fleet.account.timeline if e.error]
    found.extend(f"an invocation failed: {e.function} {e.event}: {e.error}" for e in failed)
    return found


def _worth_reading(story: Story) -> list[dict[str, str]]:
    """The one notification of the story a human would act on, shown in full: the first cluster
    change of the spike, the last drain of the night, the failed release."""
    wanted = {"spike": "cluster", "refresh": "drain", "night": "drain", "release": "FAILED"}[story.name]
    sent = [n for e in story.entries for n in e.notifications if wanted in n["subject"]]
    return sent[-1:] if story.name in ("night", "refresh") else sent[:1]


def _alarm(fleet: SimulatedFleet, metric: str, comparison: str) -> str:
    return next(a.name for a in fleet.definition.alarms if a.metric == metric and comparison in a.comparison)


def _first_delivery(result: Any) -> bool:
    """A result of the handler's own work, not the stored one a duplicate delivery gets back."""
    return isinstance(result, dict) and not result.get("duplicate")


def _rollback(result: Any) -> dict[str, Any] | None:
    """The rollback a verify result reports, if it did one (a replay to a duplicate did not)."""
    rollback = result.get("rollback") if _first_delivery(result) else None
    return rollback if isinstance(rollback, dict) and rollback.get("action") not in (None, "none") else None


def _revision(task_definition: str) -> str:
    return task_definition.rsplit("/", 1)[-1]
