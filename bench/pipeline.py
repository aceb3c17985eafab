"""Pipeline benchmark: enrolments per second from HTTP 201 to SMS in the sink, and enrol-to-SMS
latency, for the whole platform beside a raw chain doing the same work, in the same run.

Usage: python -m bench.pipeline [--seconds 20] [--connections 32] [--latency-seconds 20]
                                [--warmup 200] [--log-level INFO] [--profile DIR]
                                [--service-root DIR] [--flash 10000] [--flash-seats 200]

- platform: `python -m services.<name>` for enrollment, certification and notification, one
            process each, as `make run` starts them (relays, consumers, jobs and dispatcher on;
            JSON logs at --log-level to files; SMS through the sink provider; quiet hours off),
            on their own databases, broker namespace and keys. An enrolment goes: HTTP 201 ->
            enrollment outbox -> relay -> notification consumer (inbox, ledger row) ->
            dispatcher -> sink row -> notification.delivered -> enrollment records it.
- raw:      the same chain with the least code (bench/pipeline_raw.py): a bare aiohttp + asyncpg
            enrol transaction (seat UPDATE, enrolment row, outbox row) with a bare relay in the
            same process (claim, publish persistent + mandatory with confirms, mark sent), and a
            bare consumer process (INSERT the SMS row, ack); own databases and queue.
- sustained: wrk (or an aiohttp client) with --connections drives enrolments of new trainees
            over 64 roomy classes; then the backlog drains. The rate is enrolments / (last SMS
            written - first request): SMS delivered per second, backlog included.
- latency:  an open-loop client enrols at half the side's sustained rate; latency = the SMS
            row's time in the sink - the client's send time. The platform's is also split into
            stages by the timestamps its tables keep (bench/pipeline_stages.py).
- CPU:      per process (/proc) over the sustained drives until drained, with the PostgreSQL
            sessions of the side's databases; per enrolment. "Capacity from CPU" is what the
            side would sustain with every core to itself (cores / CPU per enrolment, RabbitMQ's
            included): unlike the measured rate, other load on the machine hardly moves it.
            Peak RSS is each process's VmHWM. The machine's busy time, the RabbitMQ node's
            (shared) and the driver's show how loaded the machine was.
- order:    a warm-up of each side, then each measure in two halves of its --seconds, A B B A
            (sustained: platform first; latency: raw first) so drift falls on both sides.
- --profile DIR records each service with py-spy (speedscope) during the platform's first
            sustained half and prints bench/profile_summary.py's summary (figures run slower).
- --service-root DIR runs the services from another checkout (e.g. `git archive <ref>` unpacked
            under var/), to measure the code before a change the same way.
- flash:    last, on the platform only: --flash new trainees enrol at once into one class of
            --flash-seats seats through 1,000 sockets (an Idempotency-Key each), as in the flash
            sale of bench/enrollment_bench.py; timed until every request is answered and until
            every SMS is in the sink with its receipt recorded (--flash 0: no flash sale).
- memory:   each service's resident memory once started and idle (VmRSS before any load), its
            peak (VmHWM) before the flash sale and at the end of the run (issue 18 item 5).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import (
    AMQP_URL,
    RESULTS_DIR,
    fresh_database,
    listening_pid,
    peak_rss_mb,
    percentile,
    remove_database,
    report,
    rss_mb,
    unique,
)
from bench.enrollment_bench import create_classes, insert_trainees
from bench.enrollment_load import run_aiohttp, run_wrk
from bench.pipeline_measure import FlashSale, Latency, Side, Sustained, flash, latency, sustained
from bench.pipeline_platform import (
    CLASSES,
    Processes,
    copy_classes,
    delete_broker_objects,
    platform_trainees,
    raw_trainees,
    service_dsns,
    start_platform,
    start_raw,
)
from bench.pipeline_raw import RAW_SINK
from bench.pipeline_stages import describe, stages
from bench.profile_summary import show, start_profilers, stop_profilers
from services import SERVICE_NAMES
from services.cli import services
from services.enrollment.app import MIGRATIONS as ENROLLMENT_MIGRATIONS
from shared.auth import TokenIssuer
from shared.cli import make_keys
from shared.db import database_name
from shared.logging import configure_logging

PER_S_MAX = 2500  # trainees made ready per second of closed-loop drive
RAW = ("raw-enrol", "raw-consume")


async def main(args: argparse.Namespace) -> None:
    """Start both chains, measure them, report, and remove everything the run made."""
    configure_logging(level="WARNING")
    workdir = (RESULTS_DIR / unique("pipeline")).resolve()
    make_keys(workdir / "var" / "keys", services())
    namespace = unique("jxbench-pipe").replace("_", "-")
    dsns, raw_dsns = service_dsns(), list[str]()
    procs = Processes(workdir)
    pools: list[asyncpg.Pool] = []
    finished = False
    try:
        raw_dsns = [await fresh_database("jx_bench_pipe_raw", [ENROLLMENT_MIGRATIONS]),
                    await fresh_database("jx_bench_pipe_sms")]
        ports = await start_platform(procs, namespace, dsns, log_level=args.log_level,
                                     root=args.service_root.resolve())
        raw_port = await start_raw(procs, raw_dsns[0], raw_dsns[1], f"{namespace}.raw-sms")
        for dsn in [dsns["enrollment"], dsns["notification"], *raw_dsns]:
            pools.append(await asyncpg.create_pool(dsn, min_size=1, max_size=2))
        await pools[3].execute(RAW_SINK)
        issuer = TokenIssuer((workdir / "var/keys/enrollment/jwt-signing.pem").read_bytes(),
                             issuer="jiangxin", audience="jiangxin")
        classes = await create_classes(f"http://127.0.0.1:{ports['enrollment']}", issuer,
                                       pools[0], [100_000] * CLASSES + [args.flash_seats])
        flash_class, classes = classes[-1], classes[:CLASSES]
        await copy_classes(pools[0], pools[2])
        idle = {name: rss_mb(proc.pid) for name, proc in procs.children.items()}
        count = args.warmup + int((args.seconds + args.latency_seconds / 2) * PER_S_MAX)
        platform = Side("platform", f"http://127.0.0.1:{ports['enrollment']}", "service",
                        pools[0], pools[1], procs.pids(SERVICE_NAMES),
                        {database_name(d) for d in dsns.values()},
                        await platform_trainees(pools[0], issuer, classes, count), True)
        raw = Side("raw", f"http://127.0.0.1:{raw_port}", "baseline", pools[2], pools[3],
                   procs.pids(RAW), {database_name(d) for d in raw_dsns},
                   await raw_trainees(pools[2], classes, count), False)
        load_before = os.getloadavg()
        procs.mark_logs()
        figures = await measure(args, platform, raw)
        if args.flash:
            ids = await insert_trainees(pools[0], args.flash, count)
            tokens = [issuer.mint(t, "trainee", name="学员", ttl_s=7200) for t in ids]
            figures["flash"] = await flash(platform, tokens, flash_class, seats=args.flash_seats,
                                           concurrency=1000)
        rss = {name: peak_rss_mb(proc.pid) for name, proc in procs.children.items()}
        figures["complaints"] = procs.complaints()
        figures["idle_rss"] = idle
        print_report(args, figures, rss, [*load_before, *os.getloadavg()])
        finished = True
    finally:
        for pool in pools:
            await pool.close()
        await procs.stop()
        await delete_broker_objects(namespace, [f"{namespace}.raw-sms"])
        for dsn in [*dsns.values(), *raw_dsns]:
            await remove_database(dsn)
        if finished:
            shutil.rmtree(workdir)
        else:
            print(f"the processes' logs are in {workdir}")


async def measure(args: argparse.Namespace, platform: Side, raw: Side) -> dict[str, Any]:
    """Warm both sides up, then measure each in two halves, A B B A (sustained: platform first;
    latency: raw first), so drift of the shared machine falls on both."""
    drive = run_wrk if shutil.which("wrk") and not args.aiohttp_client else run_aiohttp
    broker = listening_pid(int(AMQP_URL.rsplit(":", 1)[1].split("/")[0]))
    for side in (platform, raw):
        await latency(side, rate=100, seconds=args.warmup / 100)
    kw: dict[str, Any] = {"seconds": args.seconds / 2, "connections": args.connections,
                          "per_s_max": PER_S_MAX, "broker_pid": broker}
    profilers = start_profilers(args.profile, platform.pids) if args.profile else []
    p_sus = await sustained(platform, drive, **kw)
    await stop_profilers(profilers)
    r_sus = await sustained(raw, drive, **kw)
    r_sus += await sustained(raw, drive, **kw)
    p_sus += await sustained(platform, drive, **kw)
    r_rate, p_rate, half = r_sus.per_s / 2, p_sus.per_s / 2, args.latency_seconds / 2
    r_lat = await latency(raw, rate=r_rate, seconds=half)
    p_lat = await latency(platform, rate=p_rate, seconds=half, explain=stages)
    p_lat += await latency(platform, rate=p_rate, seconds=half, explain=stages)
    r_lat += await latency(raw, rate=r_rate, seconds=half)
    return {"client": "wrk" if drive is run_wrk else "aiohttp", "platform": (p_sus, p_lat),
            "raw": (r_sus, r_lat)}


def ratio(a: float, b: float) -> str:
    """Return a / b as the report prints it."""
    return f"{a / b:.2f}x" if b else "-"


def rows_for(figures: dict[str, Any], rss: dict[str, float]) -> list[tuple[str, str]]:
    """Return the report's rows: the ratios first, the absolute figures beside them."""
    (p, pl), (r, rl) = figures["platform"], figures["raw"]
    p_cpu, r_cpu = (s.cpu.side_total * 1000 / s.enrolled for s in (p, r))
    cores = os.cpu_count() or 1
    # What the side would sustain with every core to itself: CPU-bound, RabbitMQ included.
    p_cap, r_cap = (cores * s.enrolled / (s.cpu.side_total + s.cpu.broker) for s in (p, r))
    rows = [
        ("sustained enrol->SMS, platform/raw", f"{ratio(p.per_s, r.per_s)}  "
         f"({p.per_s:,.0f} / {r.per_s:,.0f} enrolments/s)"),
        ("CPU per enrolment, platform/raw", f"{ratio(p_cpu, r_cpu)}  ({p_cpu:.2f} / {r_cpu:.2f} "
         "ms: processes + their PostgreSQL sessions)"),
        ("capacity from CPU, platform/raw", f"{ratio(p_cap, r_cap)}  ({p_cap:,.0f} / "
         f"{r_cap:,.0f}/s: {cores} cores / CPU per enrolment with RabbitMQ's)"),
        ("p50 enrol->SMS at half rate, plat/raw", f"{ratio(pl.p50_ms, rl.p50_ms)}  "
         f"({pl.p50_ms:,.1f} ms at {pl.rate:,.0f}/s / {rl.p50_ms:,.1f} ms at {rl.rate:,.0f}/s)"),
        ("p99 enrol->SMS at half rate, plat/raw", f"{ratio(pl.p99_ms, rl.p99_ms)}  "
         f"({pl.p99_ms:,.1f} ms / {rl.p99_ms:,.1f} ms)"),
        ("platform latency by stage, p50/p99 ms", describe(pl.stages)),
    ]
    for name, s, lat in (("platform", p, pl), ("raw", r, rl)):
        rows.append((f"{name} drives", f"{s.enrolled:,} in {s.drive_s:.0f} s "
                     f"({s.enrolled / s.drive_s:,.0f} HTTP 201/s, {s.errors} errors; "
                     f"{s.delivered_in_drive / s.drive_s:,.0f} SMS/s meanwhile), drained "
                     f"{s.drain_s:.1f} s after; latency runs {lat.sent:,} sent, {lat.errors} "
                     "errors"))
    rows.append(("process", "CPU ms/enrolment   % of a core   RSS idle / peak"))
    idle = figures["idle_rss"]
    for s in (p, r):
        shared = {"RabbitMQ node (shared, not in totals)": s.cpu.broker}
        for name, used in (s.cpu.processes | shared).items():
            memory = f"{idle[name]:4.0f} / {rss[name]:3.0f} MB" if name in rss else "     -"
            share = used / s.cpu.seconds
            rows.append((f"  {name}", f"{used * 1000 / s.enrolled:8.2f}  {share:14.0%}   {memory}"))
    if "flash" in figures:
        rows += flash_rows(figures["flash"])
    for name, s in (("platform", p), ("raw", r)):
        cores = (os.cpu_count() or 1) * s.cpu.seconds
        others = s.cpu.machine_busy - s.cpu.side_total - s.cpu.broker - s.cpu.driver
        rows.append((f"machine during {name} drives", (
            f"{s.cpu.machine_busy / cores:.0%} of {os.cpu_count()} cores busy, steal "
            f"{s.cpu.machine_steal / cores:.0%}: this side {s.cpu.side_total / cores:.0%}, "
            f"RabbitMQ node {s.cpu.broker / cores:.0%}, driver {s.cpu.driver / cores:.0%}, "
            f"others {others / cores:.0%}")))
    return rows


def flash_rows(f: FlashSale) -> list[tuple[str, str]]:
    """Return the flash sale's rows: what it did, and each service's peak RSS before and after."""
    return [
        ("flash sale (platform)", f"{f.requests:,} enrolments into one class answered in "
         f"{f.answered_s:.1f} s ({f.requests / f.answered_s:,.0f}/s, p99 {f.p99_ms:,.0f} ms), "
         f"every SMS sent and recorded after {f.drained_s:.1f} s; statuses {f.statuses}, "
         f"{'exact' if f.exact else 'NOT exact'} seats and waitlist"),
        ("peak RSS before / after the flash sale", ", ".join(
            f"{name} {f.peak_before[name]:.0f} / {f.peak_after[name]:.0f} MB"
            for name in f.peak_after)),
    ]


def print_report(args: argparse.Namespace, figures: dict[str, Any], rss: dict[str, float],
                 loads: list[float]) -> None:
    """Print the table, then the profiles' summaries; save the raw figures."""
    rows = [("client", f"{figures['client']}, {args.connections} connections, {args.seconds:.0f}"
                       f" s drive per side; services log at {args.log_level}"),
            *rows_for(figures, rss),
            ("load average 1/5/15 min", "before {:.1f} {:.1f} {:.1f}, after {:.1f} {:.1f} {:.1f}"
             .format(*loads)),
            ("log lines above info, measuring",
             ", ".join(f"{k} {len(v)}" for k, v in figures["complaints"].items()))]
    raw: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "rss_mb": rss,
                           "idle_rss_mb": figures["idle_rss"],
                           "loadavg": loads, "log_lines_above_info": figures["complaints"]}
    for side in ("platform", "raw"):
        s: Sustained
        lat: Latency
        s, lat = figures[side]
        if "flash" in figures:
            raw["flash"] = vars(figures["flash"])
        raw[side] = {"sustained": {**vars(s), "cpu": vars(s.cpu), "per_s": s.per_s},
                     "latency": {"rate": lat.rate, "sent": lat.sent, "errors": lat.errors,
                                 "p50_ms": lat.p50_ms, "p99_ms": lat.p99_ms,
                                 "stages_p50_ms": {k: percentile(v, 50)
                                                   for k, v in lat.stages.items()}}}
    report("pipeline", rows, raw)
    for name, lines in figures["complaints"].items():
        for line in lines[:3]:
            print(f"  {name} | {line[:300]}")
    if args.profile:
        for name in SERVICE_NAMES:
            path = args.profile / f"{name}.speedscope.json"
            if path.exists():
                print("\n".join(show(path, 12)))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="closed-loop drive per side, in two halves")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--latency-seconds", type=float, default=20.0,
                        help="open-loop drive per side, in two halves")
    parser.add_argument("--warmup", type=int, default=200, help="enrolments per side, unmeasured")
    parser.add_argument("--log-level", default="INFO", help="the services' log level")
    parser.add_argument("--profile", type=Path, help="directory for py-spy profiles")
    parser.add_argument("--aiohttp-client", action="store_true", help="do not use wrk")
    parser.add_argument("--flash", type=int, default=10_000,
                        help="enrolments of the flash sale at the end (0: none)")
    parser.add_argument("--flash-seats", type=int, default=200)
    parser.add_argument("--service-root", type=Path, default=Path.cwd(),
                        help="checkout the services run from (default: this one)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
