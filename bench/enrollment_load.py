"""Load drivers of the enrollment benchmark: wrk with a Lua script, an aiohttp fallback, and
the flash sale."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from bench.common import Stopwatch, percentile
from shared.ids import new_id

WRK_SCRIPT = r"""
local lines, n = {}, 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  mode = args[2]
  stride = tonumber(args[3])
  n = tid
end
function request()
  n = n + stride
  local auth, class_id = lines[(n % #lines) + 1]:match("(%S+) (%S+)")
  if mode == "service" then
    return wrk.format("POST", "/api/v1/enrollments",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. auth},
      '{"class_id":"' .. class_id .. '"}')
  end
  return wrk.format("POST", "/enrol", {["Content-Type"] = "application/json"},
    '{"class_id":"' .. class_id .. '","trainee_id":"' .. auth .. '"}')
end
function done(summary, latency, requests)
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"status_errors":%d,' ..
    '"socket_errors":%d}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
"""


@dataclass
class Load:
    """What a load run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        """Return requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


class Drive(Protocol):
    """A load driver: run_wrk or run_aiohttp."""

    async def __call__(self, url: str, lines: list[str], *, mode: str, seconds: float,
                       connections: int) -> Load: ...


async def run_wrk(url: str, lines: list[str], *, mode: str, seconds: float,
                  connections: int) -> Load:
    """Drive a server with wrk for `seconds`; one line (credential + class) per request."""
    with tempfile.TemporaryDirectory() as tmp:
        data, script = Path(tmp) / "lines.txt", Path(tmp) / "enrol.lua"
        data.write_text("\n".join(lines) + "\n")
        script.write_text(WRK_SCRIPT)
        proc = await asyncio.create_subprocess_exec(
            "wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s",
            str(script), url, "--", str(data), mode, "2",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
    line = next((x for x in out.decode().splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {err.decode()} {out.decode()}")
    r = json.loads(line[4:])
    return Load(r["requests"], r["duration_us"] / 1e6, r["p50_us"] / 1e3, r["p99_us"] / 1e3,
                r["status_errors"] + r["socket_errors"])


def enrol_request(mode: str, line: str) -> tuple[str, dict[str, Any]]:
    """Return the path and aiohttp arguments of one enrolment (as WRK_SCRIPT builds it)."""
    auth, class_id = line.split()
    if mode == "service":
        return "/api/v1/enrollments", {"json": {"class_id": class_id},
                                       "headers": {"Authorization": f"Bearer {auth}"}}
    return "/enrol", {"json": {"class_id": class_id, "trainee_id": auth}}


async def run_aiohttp(url: str, lines: list[str], *, mode: str, seconds: float,
                      connections: int) -> Load:
    """The same load as run_wrk, from an aiohttp client (when wrk is not installed)."""
    latencies: list[float] = []
    errors = 0
    cursor = iter(lines)
    deadline = time.perf_counter() + seconds

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            path, kw = enrol_request(mode, next(cursor))
            started = time.perf_counter()
            async with http.post(url + path, **kw) as resp:
                await resp.read()
                errors += resp.status >= 300
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        with Stopwatch() as watch:
            await asyncio.gather(*(worker(http) for _ in range(connections)))
    return Load(len(latencies), watch.elapsed, percentile(latencies, 50) * 1e3,
                percentile(latencies, 99) * 1e3, errors)


@dataclass
class Flash:
    """What the flash sale measured."""

    requests: int
    seconds: float
    statuses: dict[int, int]
    confirmed: int
    positions_ok: bool
    p99_ms: float


async def flash_sale(url: str, tokens: list[str], class_id: str, *, concurrency: int,
                     seats: int) -> Flash:
    """Send every enrolment at once (bounded by `concurrency` sockets); time until all answered."""
    replies: list[tuple[int, dict[str, Any]]] = []
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=600)) as http:

        async def one(token: str) -> None:
            started = time.perf_counter()
            async with http.post(url + "/api/v1/enrollments", json={"class_id": class_id},
                                 headers={"Authorization": f"Bearer {token}",
                                          "Idempotency-Key": str(new_id())}) as resp:
                replies.append((resp.status, await resp.json(content_type=None)))
            latencies.append(time.perf_counter() - started)

        with Stopwatch() as watch:
            await asyncio.gather(*(one(t) for t in tokens))
    statuses = Counter(status for status, _ in replies)
    confirmed = sum(1 for s, b in replies if s == 201 and b["status"] == "confirmed")
    positions = sorted(b["waitlist_position"] for s, b in replies
                       if s == 201 and b["status"] == "waitlisted")
    return Flash(len(replies), watch.elapsed, dict(statuses), confirmed,
                 positions == list(range(1, len(tokens) - seats + 1)),
                 percentile(latencies, 99) * 1e3)


@dataclass
class OpenLoop:
    """What an open-loop run sent: each request's send time (epoch s) by key, and statuses."""

    sent_at: dict[str, float]
    statuses: dict[int, int]
    seconds: float


async def open_loop(url: str, lines: list[str], keys: list[str], *, mode: str,
                    rate: float) -> OpenLoop:
    """Send one enrolment per line at a fixed arrival rate, never waiting for answers."""
    sent_at: dict[str, float] = {}
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(line: str, key: str) -> None:
            path, kw = enrol_request(mode, line)
            sent_at[key] = time.time()
            async with http.post(url + path, **kw) as resp:
                await resp.read()
                statuses[resp.status] += 1

        tasks = []
        with Stopwatch() as watch:
            for n, (line, key) in enumerate(zip(lines, keys, strict=True)):
                delay = watch.started + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(line, key)))
            await asyncio.gather(*tasks)
    return OpenLoop(sent_at, dict(statuses), watch.elapsed)
