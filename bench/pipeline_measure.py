"""The pipeline benchmark's measures of one side (the platform or the raw chain): sustained
enrolments per second from HTTP 201 to SMS in the sink, latency at a fixed arrival rate, and
the CPU every process involved spent."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from bench.common import cpu_seconds, machine_cpu, peak_rss_mb, percentile, pg_backends
from bench.enrollment_load import Drive, flash_sale, open_loop
from bench.pipeline_platform import Trainees

STALL_S = 120.0  # no SMS arriving for this long means the side is stuck


@dataclass
class Side:
    """One end-to-end chain: where enrolments go in and where SMS come out."""

    name: str
    url: str
    mode: str  # the request form of bench/enrollment_load.py: "service" or "baseline"
    enrol: asyncpg.Pool  # holds the enrolments (and, on the platform, the delivery receipts)
    sink: asyncpg.Pool  # holds sink_messages
    pids: dict[str, int]
    databases: set[str]
    trainees: Trainees
    receipts: bool  # the platform also records each delivery back in enrollment


@dataclass(frozen=True)
class Marks:
    """Where the side's tables stood before a phase."""

    sink_id: int
    enrollments: int
    receipts: int


@dataclass
class Cpu:
    """CPU seconds over a phase: per process of the side, its PostgreSQL sessions, the rest."""

    seconds: float
    processes: dict[str, float] = field(default_factory=dict)
    machine_busy: float = 0.0
    machine_steal: float = 0.0
    driver: float = 0.0  # this process and wrk
    broker: float = 0.0  # the whole RabbitMQ node (shared with everyone)

    @property
    def side_total(self) -> float:
        """Return the CPU seconds of the side's processes and PostgreSQL sessions."""
        return sum(self.processes.values())

    def __add__(self, other: Cpu) -> Cpu:
        return Cpu(self.seconds + other.seconds,
                   {k: v + other.processes.get(k, 0.0) for k, v in self.processes.items()},
                   self.machine_busy + other.machine_busy,
                   self.machine_steal + other.machine_steal, self.driver + other.driver,
                   self.broker + other.broker)


class CpuMeter:
    """Read every counter at the start of a phase; `stop` returns what each one used."""

    def __init__(self, side: Side, broker_pid: int | None) -> None:
        self.side, self.broker_pid = side, broker_pid
        self.started = time.monotonic()
        self.before = self._read()

    def _read(self) -> dict[str, float]:
        values = {f"p:{name}": cpu_seconds(pid) for name, pid in self.side.pids.items()}
        for pid in pg_backends(self.side.databases):
            with contextlib.suppress(OSError):
                values[f"pg:{pid}"] = cpu_seconds(pid)
        busy, _idle, steal = machine_cpu()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        values |= {"busy": busy, "steal": steal, "driver": cpu_seconds(os.getpid())
                   + children.ru_utime + children.ru_stime}
        if self.broker_pid:
            values["broker"] = cpu_seconds(self.broker_pid)
        return values

    def stop(self) -> Cpu:
        """Return the CPU used since the meter started."""
        after = self._read()
        used = {k: v - self.before.get(k, 0.0) for k, v in after.items()}
        cpu = Cpu(time.monotonic() - self.started, machine_busy=used["busy"],
                  machine_steal=used["steal"], driver=used["driver"],
                  broker=used.get("broker", 0.0))
        cpu.processes = {k[2:]: v for k, v in used.items() if k.startswith("p:")}
        cpu.processes["PostgreSQL"] = sum(v for k, v in used.items() if k.startswith("pg:"))
        return cpu


async def marks(side: Side) -> Marks:
    """Read where the side's tables stand."""
    receipts = await side.enrol.fetchval("SELECT count(*) FROM inbox") if side.receipts else 0
    return Marks(await side.sink.fetchval("SELECT coalesce(max(id), 0) FROM sink_messages"),
                 await side.enrol.fetchval("SELECT count(*) FROM enrollments"), receipts)


async def wait_drained(side: Side, start: Marks, expected: int) -> None:
    """Wait until `expected` SMS since `start` are in the sink (and, on the platform, their
    delivery receipts recorded); fail when nothing moves for STALL_S."""
    last, moved = (-1, -1), time.monotonic()
    while True:
        now = await marks(side)
        sms = await side.sink.fetchval("SELECT count(*) FROM sink_messages WHERE id > $1",
                                       start.sink_id)
        done = (sms, now.receipts - start.receipts if side.receipts else expected)
        if min(done) >= expected:
            return
        if done != last:
            last, moved = done, time.monotonic()
        elif time.monotonic() - moved > STALL_S:
            raise RuntimeError(f"{side.name}: {done} of {expected} SMS / receipts, stuck")
        await asyncio.sleep(0.1)


async def delivered(side: Side, start: Marks) -> list[tuple[str, float]]:
    """Return (recipient, epoch seconds written) of every SMS since `start`."""
    rows = await side.sink.fetch(
        "SELECT recipient, extract(epoch FROM created_at)::float8 AS at FROM sink_messages "
        "WHERE id > $1", start.sink_id)
    return [(r["recipient"], r["at"]) for r in rows]


@dataclass(frozen=True)
class Sustained:
    """Closed-loop drives, each followed by its backlog draining."""

    enrolled: int
    drive_s: float
    span_s: float  # from the first request to the last SMS
    delivered_in_drive: int  # SMS written before the drive ended
    drain_s: float  # the longest wait from the end of a drive to its last SMS
    errors: int
    cpu: Cpu

    @property
    def per_s(self) -> float:
        """Return SMS delivered per second from the first request to the last SMS."""
        return self.enrolled / self.span_s

    def __add__(self, other: Sustained) -> Sustained:
        return Sustained(self.enrolled + other.enrolled, self.drive_s + other.drive_s,
                         self.span_s + other.span_s,
                         self.delivered_in_drive + other.delivered_in_drive,
                         max(self.drain_s, other.drain_s), self.errors + other.errors,
                         self.cpu + other.cpu)


async def sustained(side: Side, drive: Drive, *, seconds: float, connections: int,
                    per_s_max: int, broker_pid: int | None) -> Sustained:
    """Drive enrolments of new trainees for `seconds`, wait for every SMS; measure."""
    start = await marks(side)
    meter = CpuMeter(side, broker_pid)
    began = time.time()
    load = await drive(side.url, side.trainees.take(int(seconds * per_s_max)).lines,
                       mode=side.mode, seconds=seconds, connections=connections)
    ended = time.time()
    enrolled = await side.enrol.fetchval("SELECT count(*) FROM enrollments") - start.enrollments
    await wait_drained(side, start, enrolled)
    cpu = meter.stop()
    times = [at for _, at in await delivered(side, start)]
    return Sustained(enrolled, ended - began, max(times) - began,
                     sum(at <= ended for at in times), max(times) - ended, load.errors, cpu)


@dataclass(frozen=True)
class Latency:
    """Enrol-to-SMS latencies (ms) of open-loop drives at a fixed arrival rate."""

    rate: float
    sent: int
    errors: int
    ms: list[float]
    stages: dict[str, list[float]]  # where the time went, when the side can tell

    @property
    def p50_ms(self) -> float:
        """Return the median latency."""
        return percentile(self.ms, 50)

    @property
    def p99_ms(self) -> float:
        """Return the 99th percentile latency."""
        return percentile(self.ms, 99)

    def __add__(self, other: Latency) -> Latency:
        return Latency(self.rate, self.sent + other.sent, self.errors + other.errors,
                       self.ms + other.ms, {k: v + other.stages.get(k, [])
                                            for k, v in self.stages.items()})


Explain = Callable[[Side, Marks, dict[str, float]], Awaitable[dict[str, list[float]]]]


async def latency(side: Side, *, rate: float, seconds: float,
                  explain: Explain | None = None) -> Latency:
    """Enrol new trainees at `rate` per second for `seconds`; return enrol-to-SMS latency."""
    batch = side.trainees.take(max(1, int(rate * seconds)))
    start = await marks(side)
    run = await open_loop(side.url, batch.lines, batch.keys, mode=side.mode, rate=rate)
    accepted = run.statuses.get(201, 0)
    await wait_drained(side, start, accepted)
    ms = [(at - run.sent_at[key]) * 1000 for key, at in await delivered(side, start)
          if key in run.sent_at]
    return Latency(rate, len(batch.lines), len(batch.lines) - accepted, ms,
                   await explain(side, start, run.sent_at) if explain else {})


@dataclass(frozen=True)
class FlashSale:
    """Every enrolment into one small class at once, until each SMS is sent and recorded."""

    requests: int
    answered_s: float  # until every request had its answer
    drained_s: float  # until every SMS was in the sink and its receipt recorded
    statuses: dict[int, int]
    exact: bool  # exactly `seats` confirmed and a gapless waitlist
    p99_ms: float
    peak_before: dict[str, float]  # each process's peak RSS before the flash sale (MiB)
    peak_after: dict[str, float]


async def flash(side: Side, tokens: list[str], class_id: str, *, seats: int,
                concurrency: int) -> FlashSale:
    """Send every enrolment into `class_id` at once; wait for every SMS; read peak RSS."""
    start = await marks(side)
    names = [name for name in side.pids if name != "PostgreSQL"]
    before = {name: peak_rss_mb(side.pids[name]) for name in names}
    began = time.monotonic()
    run = await flash_sale(side.url, tokens, class_id, concurrency=concurrency, seats=seats)
    await wait_drained(side, start, run.statuses.get(201, 0))
    return FlashSale(run.requests, run.seconds, time.monotonic() - began, run.statuses,
                     run.confirmed == seats and run.positions_ok, run.p99_ms, before,
                     {name: peak_rss_mb(side.pids[name]) for name in names})
