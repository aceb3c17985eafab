"""Broker failover: the platform on a three-node RabbitMQ cluster while its nodes stop and return.

The cluster is the run's own (tests/support/cluster.py: deploy/local/rabbit-cluster.sh with node
names and ports of its own, beside the machine's broker); the databases are on the private
PostgreSQL of `make test-long`. The platform runs as `make run SCALE=2` runs it (two processes of
every service behind the gateway), each process given the three nodes' URLs
(`JIANGXIN_AMQP_URL`, comma-separated) and starting at a random one. Traffic enrols trainees
through the gateway over HTTP only; the SMS go to the Aliyun stand-in, which notes the moment it
took each. Phases (fixed lengths, named): warm-up; before (steady: RATE enrolments a second);
a burst (steady traffic paused: BURST_CLIENTS clients each sending its next enrolment as soon as
the last is answered, for BURST_S) and its drain (until every SMS is there); then

1. the node leading the notification queue (every confirmation passes through it) is stopped
   (`rabbitmqctl shutdown`): steady traffic for DOWN_S, a burst and its drain with the node
   still down, the node started again (until it serves every queue), steady for AFTER_S;
2. the node most service processes are connected to, made the leader of the notification and
   enrollment work queues first (Ra's leadership transfer), is killed (SIGKILL of its Erlang
   VM: a crash), the same;

and a last burst with all three nodes. What must hold (nothing about time: the figures are
printed and recorded, not asserted): every platform queue is a quorum queue on all three nodes,
before and after both restarts; every service process connects again, to a node that is up;
every request gets its answer; every enrolment gets exactly one confirmation SMS and the
provider takes none twice; `jiangxin ledger check` balances at the end (exit 0: nothing lost,
nothing doubled).

Figures (LONG lines, also in var/long-results.jsonl; docs/reliability.md section 4):
- per phase: enrolments answered 201 a second, confirmation SMS taken by the provider a second
  (for a burst: its enrolments over the time until the last of their SMS arrived), and the
  latency from an enrolment's 201 to its SMS at the provider (p50, p99) of the phase's
  enrolments;
- per node outage: `client_reconnected_s`, the longest a moved connection took from losing its
  node to being connected and restored at the next (the services' `broker_reconnected` log
  lines); `all_connections_elsewhere_s`, from the stop command until rabbitmqctl lists every
  service connection on the nodes that are up (polled, so within a second or two);
  `first_sms_s`, until the SMS of the first enrolment answered after the stop command reached
  the phone; `recovered_s`, the time to recover: from the stop command until the
  enrolment-to-SMS flow is back at its steady pace, that is the moment the last late SMS
  arrived among the steady enrolments answered while the node was down (late: later after its
  201 than twice the p99 latency of the phase before any fault, at least 1 s), 0 when none was
  late; `nacked_publishes` and `channels_renewed`, from the services' logs.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from services.cli import services
from services.notification.templates.formatting import fmt_date
from shared.service import topology_for
from tests.long.conftest import Record
from tests.long.crowd import Tally, Trainee, each, people, persist, session_of, sign_in
from tests.long.platform import LongPlatform, found, long_platform, wait_ready
from tests.long.providers import TAKEN, TEMPLATES, Aliyun
from tests.support.cluster import RabbitCluster, rabbit_cluster
from tests.support.http import open_class
from tests.support.infra import eventually
from tests.support.private import PrivateServers

pytestmark = [pytest.mark.long, pytest.mark.timeout(3600)]

TRAINEES = 2000
# Each trainee enrols in each class once, the classes in turn: at most one confirmation a day of
# class (no two alike, which the notification service would merge) and at most CLASSES a day
# (the providers' daily limit of one template per number is 10).
CLASSES = 10
RATE = 20.0  # enrolments offered a second, whatever the platform does (an open loop)
WARM_UP_S, BEFORE_S, DOWN_S, AFTER_S = 15.0, 30.0, 60.0, 30.0  # fixed traffic phases
BURST_S, BURST_CLIENTS = 10.0, 32  # a closed loop: each client's next request when answered
CONFIRMED = TEMPLATES["enrollment.confirmed"]
SERVICE_PROCESSES = 6  # two of each service, one broker connection each ("<service>-service")
RECONNECTED = re.compile(r"broker_reconnected\s.*after_s=([0-9.]+)")  # shared/messaging/failover.py


class Stamped(list[dict[str, Any]]):
    """The SMS provider's calls, each with the moment (monotonic) it arrived."""

    def append(self, call: dict[str, Any], /) -> None:
        super().append({**call, "at": time.monotonic()})


@dataclass(frozen=True)
class Room:
    """A class the traffic enrols into, and its first day as the SMS writes it."""

    class_id: str
    starts_on: str


@dataclass(frozen=True)
class Enrolled:
    """An enrolment answered 201: whose, which class, when the answer came (monotonic)."""

    phone: str  # digits, as the provider sees the number
    starts_on: str
    at: float

    @property
    def key(self) -> tuple[str, str]:
        return self.phone, self.starts_on


@dataclass
class Steady:
    """One enrolment every 1 / `rate` seconds through the gateway (paused during a burst: as
    many as `concurrency` clients get answered); each request is retried with its
    Idempotency-Key until the platform answers something that is not a 5xx."""

    base: str
    plan: Iterator[tuple[Trainee, Room]]
    rate: float
    phase: str = "warm-up"
    enrolled: list[Enrolled] = field(default_factory=list)
    tallies: dict[str, Tally] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    exhausted: bool = False
    _running: set[asyncio.Task[None]] = field(default_factory=set)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _flowing: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        """Send requests at the rate until `stop` (or until the plan runs out)."""
        self._flowing.set()
        due = time.monotonic()
        while not self._stop.is_set():
            if not self._flowing.is_set():
                await self._flowing.wait()
                due = time.monotonic()
                continue
            pair = next(self.plan, None)
            if pair is None:
                self.exhausted = True
                return
            task = asyncio.create_task(self._enrol(*pair))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            due += 1 / self.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))

    async def burst(self, seconds: float, concurrency: int) -> None:
        """Pause the steady flow; for `seconds`, `concurrency` clients each send their next
        request as soon as the previous one is answered (a closed loop: the platform's pace)."""
        self._flowing.clear()
        await asyncio.gather(*self._running)
        end = time.monotonic() + seconds

        async def client() -> None:
            while time.monotonic() < end:
                pair = next(self.plan, None)
                if pair is None:
                    self.exhausted = True
                    return
                await self._enrol(*pair)

        await asyncio.gather(*(client() for _ in range(concurrency)))

    def resume(self) -> None:
        """Go on at the steady rate after a burst."""
        self._flowing.set()

    async def stop(self) -> None:
        """Stop sending and wait for every request still on its way."""
        self._stop.set()
        self._flowing.set()
        await asyncio.gather(*self._running)

    async def _enrol(self, trainee: Trainee, room: Room) -> None:
        tally = self.tallies.setdefault(self.phase, Tally())
        try:
            async with session_of(trainee) as http:
                status, answer = await persist(
                    http, "POST", f"{self.base}/api/v1/enrollments", tally,
                    token=trainee.token, body={"class_id": room.class_id},
                    headers={"Idempotency-Key": str(uuid4())},
                )
            assert status == 201, (status, answer)
            assert answer["status"] == "confirmed", answer
        except AssertionError as exc:  # kept for the test to report: a task's error is lost
            self.failures.append(str(exc)[:500])
            return
        self.enrolled.append(Enrolled(trainee.phone.removeprefix("+86"), room.starts_on,
                                      time.monotonic()))


@dataclass
class Outage:
    """One node down: which, how, and what was measured while it was."""

    node: int
    how: str  # "stopped" or "killed"
    stopped_at: float
    back_at: float = 0.0
    steady_until: float = 0.0  # when the burst of this outage began
    moved: list[str] = field(default_factory=list)  # service connections that were on it
    reconnected_s: float = 0.0
    client_reconnects: list[float] = field(default_factory=list)  # broker_reconnected after_s
    nacked: int = 0  # publishes the broker refused (logged), from the stop until the node was back
    renewed: int = 0  # publishing channels replaced after a refusal (shared/messaging/rabbit.py)
    led_notifications: bool = False  # the node led the notification queue when it went
    ready_s: float = 0.0
    restart_s: float = 0.0


class Failover:
    """The cluster, the platform, the provider and the traffic, with the phases' boundaries."""

    def __init__(self, cluster: RabbitCluster, platform: LongPlatform, aliyun: Aliyun,
                 traffic: Steady, record: Record) -> None:
        self.cluster, self.platform, self.aliyun = cluster, platform, aliyun
        self.traffic, self.record = traffic, record
        self.namespace = platform.run.env["JIANGXIN_NAMESPACE"]
        self.phases: list[tuple[str, float]] = []  # (name, start); each ends where the next starts
        self.outages: list[Outage] = []
        self.load: dict[str, float] = {}  # 1-minute load average at the end of each phase

    def begin(self, phase: str) -> None:
        """Start a traffic phase (its requests and SMS are counted under its name)."""
        if self.phases:  # the machine's load as the previous phase ends (others share it)
            self.load[self.phases[-1][0]] = os.getloadavg()[0]
        self.phases.append((phase, time.monotonic()))
        self.traffic.phase = phase

    async def replicated(self, *, on: int) -> dict[str, tuple[set[int], set[int], int]]:
        """Check that the platform's queues are exactly those `jiangxin topology` declares, each
        a quorum queue with all three nodes as members; return each one's members, online
        members and leader (node numbers)."""
        expected = {
            queue
            for info in services().values() if info.subscriptions.routing_keys
            for queue in topology_for(info.settings(namespace=self.namespace),
                                      info.subscriptions).all_queues
        }
        rows = await self.cluster.table("list_queues", "name", "type", "members", "online",
                                        "leader", on=on)
        queues = {}
        for name, kind, members, online, leader in rows:
            if name.startswith(f"{self.namespace}."):
                assert kind == "quorum", (name, kind)
                queues[name] = (self._nodes(members), self._nodes(online),
                                self.cluster.number(leader.strip()))
        assert set(queues) == expected
        every = set(range(1, len(self.cluster.nodes) + 1))
        assert all(members == every for members, _, _ in queues.values()), queues
        return queues

    def _nodes(self, listed: str) -> set[int]:
        return {self.cluster.number(n.strip(" []")) for n in listed.split(",") if n.strip(" []")}

    async def service_connections(self, *, on: int) -> list[tuple[str, int]]:
        """Return (name, node) of the service processes' broker connections."""
        return [(name, node) for name, node in await self.cluster.connections(on=on)
                if name.endswith("-service")]

    async def outage(self, node: int, how: str) -> None:
        """Stop (or kill) a node; keep the steady traffic going for DOWN_S, then a burst; start
        the node again and wait until it serves every queue again; steady traffic for AFTER_S."""
        live = next(n for n in range(1, len(self.cluster.nodes) + 1) if n != node)
        moved = [name for name, at in await self.service_connections(on=live) if at == node]
        led = await self.leader_of_notification_queue() == node
        verb = "stopped" if how == "stop-node" else "killed"
        self.begin(f"node {node} {verb}")
        logged = len(self.platform.run.lines)
        outage = Outage(node, verb, time.monotonic(), moved=moved, led_notifications=led)
        self.outages.append(outage)
        await self.cluster.arun(how, str(node))

        async def reconnected() -> bool:
            connections = await self.service_connections(on=live)
            return (len(connections) == SERVICE_PROCESSES
                    and all(at != node for _, at in connections))

        await eventually(reconnected, timeout=120, interval=0.5)
        outage.reconnected_s = time.monotonic() - outage.stopped_at
        outage.ready_s = await wait_ready(self.platform) + outage.reconnected_s
        outage.client_reconnects = [
            float(found.group(1)) for line in self.platform.run.lines[logged:]
            if (found := RECONNECTED.search(line))
        ]
        await asyncio.sleep(max(0.0, outage.stopped_at + DOWN_S - time.monotonic()))
        outage.steady_until = time.monotonic()
        await self.burst(f"node {node} {verb}")

        self.begin(f"node {node} starting")
        starting = time.monotonic()
        await self.cluster.arun("start-node", str(node))

        async def serving() -> bool:
            queues = await self.replicated(on=node)
            return all(node in online for _, online, _ in queues.values())

        await eventually(serving, timeout=300, interval=1.0)
        outage.back_at = time.monotonic()
        outage.restart_s = outage.back_at - starting
        lines = self.platform.run.lines[logged:]
        outage.nacked = sum(1 for line in lines if "broker refused the message" in line)
        outage.renewed = sum(1 for line in lines if "broker_channel_renewed" in line)
        self.begin(f"after node {node} back")
        await asyncio.sleep(AFTER_S)

    async def burst(self, context: str) -> None:
        """A burst (steady traffic paused), then its drain: until every enrolment so far has
        its SMS; then the steady traffic goes on."""
        self.begin(f"{context}: burst")
        await self.traffic.burst(BURST_S, BURST_CLIENTS)
        self.begin(f"{context}: drain")
        await self.arrived()
        self.traffic.resume()

    async def arrived(self) -> None:
        """Wait until every enrolment answered so far has its confirmation SMS."""
        async def all_there() -> bool:
            return {e.key for e in self.traffic.enrolled} <= set(self.confirmations())

        await eventually(all_there, timeout=600, interval=0.5)

    async def busiest_node(self) -> int:
        """Return the node most service processes are connected to (the first on a tie)."""
        at = [node for _, node in await self.service_connections(on=1)]
        return max(range(1, len(self.cluster.nodes) + 1), key=at.count)

    async def lead_from(self, node: int) -> None:
        """Move the leaders of the notification and enrollment work queues (every confirmation
        and every delivery receipt) to a node, and wait until they are there."""
        queues = [f"{self.namespace}.notification", f"{self.namespace}.enrollment"]
        for queue in queues:
            await self.cluster.move_leader(queue, node, on=node)

        async def moved() -> bool:
            leaders = await self.cluster.leaders(on=node)
            return all(leaders[queue] == node for queue in queues)

        await eventually(moved, timeout=60, interval=0.5)

    async def leader_of_notification_queue(self) -> int:
        """Return the node leading the notification service's work queue."""
        queues = await self.replicated(on=1)
        return queues[f"{self.namespace}.notification"][2]

    def confirmations(self) -> dict[tuple[str, str], list[float]]:
        """Return when each confirmation SMS reached the phone, by (phone, class day)."""
        sent: dict[tuple[str, str], list[float]] = {}
        for call in list(self.aliyun.fake.calls):
            if call["TemplateCode"] == CONFIRMED and call["answer"] in TAKEN:
                key = (call["PhoneNumbers"], call["TemplateParam"]["starts_on"])
                sent.setdefault(key, []).append(call["at"])
        return sent


async def test_the_platform_on_a_three_node_cluster_loses_and_doubles_nothing_as_nodes_fail(
    tmp_path: Path, private: PrivateServers, cluster: RabbitCluster, record: Record
) -> None:
    aliyun = Aliyun()
    aliyun.fake.calls = Stamped()
    await aliyun.start()
    try:
        servers = PrivateServers(pg_base=private.pg_base, amqp_url=cluster.urls)
        async with long_platform(tmp_path, servers, **aliyun.settings) as platform:
            assert platform.run.env["JIANGXIN_AMQP_URL"] == cluster.urls
            failover = await prepare(cluster, platform, aliyun, record)
            await run_outages(failover)
            await finish(failover)
    finally:
        await aliyun.stop()


@pytest.fixture(scope="module")
def cluster() -> Iterator[RabbitCluster]:
    """Three nodes of this run's own, stopped and deleted after the module whatever happened."""
    with rabbit_cluster(3) as started:
        yield started


async def prepare(cluster: RabbitCluster, platform: LongPlatform, aliyun: Aliyun,
                  record: Record) -> Failover:
    """Check the queues, open the classes, sign the trainees in; return the bench."""
    rooms = []
    for i in range(CLASSES):  # each on a day of its own
        room = await open_class(platform.api, platform.admin, capacity=TRAINEES,
                                phone=f"+861370000{i:04d}", in_days=2 + i)
        klass = await platform.api.call("GET", f"/api/v1/classes/{room.class_id}",
                                        token=platform.admin)
        rooms.append(Room(room.class_id, fmt_date(date.fromisoformat(klass["starts_on"]),
                                                  "zh-CN")))
    crowd = people(TRAINEES, prefix="139")

    async def code_of(phone: str) -> str | None:
        return aliyun.code_for(phone)

    tally = Tally()
    seconds = await each(crowd, lambda t: sign_in(platform.base, t, code_of, tally),
                         concurrency=50)
    plan = ((trainee, room) for room in rooms for trainee in crowd)
    failover = Failover(cluster, platform, aliyun, Steady(platform.base, plan, RATE), record)
    queues = await failover.replicated(on=1)
    connections = await failover.service_connections(on=1)
    assert len(connections) == SERVICE_PROCESSES, connections
    record("broker failover: set-up", trainees=TRAINEES, sign_in_s=round(seconds, 1),
           classes=CLASSES, quorum_queues_on_3_nodes=len(queues),
           connections_per_node={n: sum(1 for _, at in connections if at == n)
                                 for n in range(1, 4)})
    return failover


async def run_outages(failover: Failover) -> None:
    """Warm up, measure before, then the two outages, each followed by steady traffic."""
    running = asyncio.create_task(failover.traffic.run())
    failover.begin("warm-up")
    await asyncio.sleep(WARM_UP_S)
    failover.begin("before")
    await asyncio.sleep(BEFORE_S)
    await failover.burst("before")
    first = await failover.leader_of_notification_queue()
    await failover.outage(first, "stop-node")
    second = await failover.busiest_node()
    await failover.lead_from(second)
    await failover.outage(second, "kill-node")
    await failover.burst("after")
    failover.begin("stopping")
    await failover.traffic.stop()
    await running
    failover.begin("end")


async def finish(failover: Failover) -> None:
    """Everything arrives once; the ledger balances; print and record the figures."""
    traffic, platform = failover.traffic, failover.platform
    assert traffic.failures == []
    assert not traffic.exhausted, "the plan ran out: more TRAINEES or CLASSES"
    wanted = {e.key for e in traffic.enrolled}
    assert len(wanted) == len(traffic.enrolled)  # one answer per (trainee, class)

    await failover.arrived()
    balanced_s, first, _ = await platform.balanced(older_than=0, within_s=600)
    code, final = await platform.ledger(older_than=0)
    sent = failover.confirmations()
    figures(failover, sent)
    statuses: Counter[int] = Counter()
    for tally in traffic.tallies.values():
        statuses.update(tally.statuses)
    failover.record(
        "broker failover: end", enrolments=len(traffic.enrolled), statuses=dict(statuses),
        client_retries=sum(t.retries for t in traffic.tallies.values()),
        confirmations=sum(len(v) for v in sent.values()),
        confirmations_twice=sum(1 for v in sent.values() if len(v) > 1),
        sms_taken_twice=len(failover.aliyun.sent_twice()),
        balanced_after_s=round(balanced_s, 1), ledger_first=found(first),
        ledger=found(final), ledger_exit=code,
    )
    assert failover.outages[-1].moved  # the busiest node: service processes had to move
    assert set(sent) == wanted  # no confirmation of an enrolment nobody made
    assert all(len(times) == 1 for times in sent.values())
    assert failover.aliyun.sent_twice() == []
    assert code == 0, found(final)
    queues = await failover.replicated(on=1)
    every = set(range(1, len(failover.cluster.nodes) + 1))
    assert all(online == every for _, online, _ in queues.values()), queues


def figures(failover: Failover, sent: dict[tuple[str, str], list[float]]) -> None:
    """Record each phase's throughput and latency, and each outage's recovery."""
    enrolled = failover.traffic.enrolled
    latency = {e.key: sent[e.key][0] - e.at for e in enrolled}
    arrivals = sorted(t for times in sent.values() for t in times)
    bounds = [*failover.phases[1:], ("", float("inf"))]
    steady: list[float] = []
    for (phase, start), (_, end) in zip(failover.phases, bounds, strict=True):
        if phase in ("stopping", "end") or phase.endswith(": drain"):
            continue
        answered = [e for e in enrolled if start <= e.at < end]
        waits = sorted(latency[e.key] for e in answered)
        steady = waits if phase == "before" else steady
        length = end - start
        if phase.endswith(": burst"):
            # Every enrolment of the burst has its SMS by the end of the drain that follows.
            delivered = max(sent[e.key][0] for e in answered) - start
            extra = {"sms_per_s": round(len(answered) / delivered, 1),
                     "last_sms_after_s": round(delivered, 1)}
        else:
            extra = {"sms_per_s": round(sum(1 for t in arrivals if start <= t < end) / length, 1)}
        failover.record(
            f"broker failover: {phase}", seconds=round(length, 1),
            enrolments_per_s=round(len(answered) / length, 1), **extra,
            latency_p50_s=round(_quantile(waits, 0.5), 2),
            latency_p99_s=round(_quantile(waits, 0.99), 2),
            server_errors=failover.traffic.tallies.get(phase, Tally()).server_errors,
            load_1m=failover.load.get(phase),
        )
    on_time = max(1.0, 2 * _quantile(steady, 0.99))
    for outage in failover.outages:
        after = [e for e in enrolled if e.at >= outage.stopped_at]
        first_sms = min(sent[e.key][0] for e in after)
        hit = [e for e in enrolled if outage.stopped_at - on_time <= e.at < outage.steady_until]
        late = [sent[e.key][0] for e in hit if latency[e.key] > on_time]
        failover.record(
            f"broker failover: node {outage.node} {outage.how}",
            led_notification_queue=outage.led_notifications, moved=outage.moved,
            client_reconnected_s=max(outage.client_reconnects, default=None),
            reconnects_logged=len(outage.client_reconnects),
            all_connections_elsewhere_s=round(outage.reconnected_s, 1),
            ready_s=round(outage.ready_s, 1),
            first_sms_s=round(first_sms - outage.stopped_at, 1),
            recovered_s=round(max(late) - outage.stopped_at, 1) if late else 0.0,
            late=len(late), of=len(hit), on_time_bound_s=round(on_time, 2),
            restart_s=round(outage.restart_s, 1), nacked_publishes=outage.nacked,
            channels_renewed=outage.renewed,
        )


def _quantile(values: list[float], q: float) -> float:
    """Return the q-quantile (0.01 .. 0.99) of some values; 0 for none."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]
