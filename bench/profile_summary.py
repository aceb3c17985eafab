"""Summarise py-spy profiles (speedscope format): where a process's CPU went, by area.

Usage: python -m bench.profile_summary FILE.speedscope.json [...] [--top 12]

bench/pipeline.py records with `--gil`: only samples of a thread holding the GIL, so a sample is
Python work on a core or waiting for one; time in system calls that release the GIL (socket
send, epoll) is left out (on a loaded 2-core machine, a process that wakes its peer with a
loopback send is often preempted right there, and without --gil a third of the samples land
on `socket.send` while /proc shows under a tenth of the CPU as system time). Each stack is cut
to the task step the event loop was running (below `Handle._run`), so that "incl." means "work
done inside this code". For each file it prints, per area (shared messaging code, service
code, logging, pydantic, asyncpg, the AMQP client, aiohttp, ...), the share of samples whose
innermost frame is in that area ("self") and the share whose task step passes through it
("incl."), what the task steps ran (their outermost function of ours: a request middleware, the
consumer's batch loop, the relay, ...), the functions of our code (shared/, services/) with
the largest inclusive share and the library functions with the largest self share.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

LOGGING = "logging (shared/logging, structlog, stdlib)"
AMQP = "AMQP client (aio-pika, aiormq, pamqp)"
AIOHTTP = "aiohttp (with multidict, yarl)"
CRYPTO = "JWT and crypto"
LOOP = "asyncio event loop"
SOCKETS = "socket transport (asyncio send/recv)"
# First match wins: the more specific paths come first. Sending and receiving on sockets is
# done for whichever client asked (asyncpg, aiormq, aiohttp).
AREAS = (
    ("/asyncio/selector_events.py:_SelectorSocketTransport.write", SOCKETS),
    ("/asyncio/selector_events.py:_SelectorSocketTransport._read_ready", SOCKETS),
    ("/shared/messaging/", "shared messaging code"),
    ("/shared/logging", LOGGING),
    ("/structlog/", LOGGING),
    ("/logging/", LOGGING),
    ("/shared/", "shared other (db, web, auth, metrics)"),
    ("/services/", "service code"),
    ("/pydantic", "pydantic"),
    ("/asyncpg/", "asyncpg"),
    ("/aio_pika/", AMQP),
    ("/aiormq/", AMQP),
    ("/pamqp/", AMQP),
    ("/aiohttp/", AIOHTTP),
    ("/multidict/", AIOHTTP),
    ("/yarl/", AIOHTTP),
    ("/jwt/", CRYPTO),
    ("/cryptography/", CRYPTO),
    ("/prometheus_client/", "metrics (prometheus_client)"),
    ("/json/", "json"),
    ("/asyncio/", LOOP),
    ("/selectors.py", LOOP),
)
OURS = ("/shared/", "/services/")


@dataclass(frozen=True)
class Frame:
    """One function of the profile."""

    name: str
    file: str
    line: int

    @property
    def area(self) -> str:
        """Return the area this frame's file (and function) belongs to."""
        where = f"{self.file}:{self.name}"
        return next((label for part, label in AREAS if part in where), "other")

    @property
    def ours(self) -> bool:
        """Tell whether the frame is in this repository's code."""
        return any(part in self.file for part in OURS) and "/site-packages/" not in self.file

    def __str__(self) -> str:
        tail = re.sub(r".*/lib/python3\.\d+/", "", self.file.rsplit("/site-packages/", 1)[-1])
        for part in OURS:
            if part in tail:
                tail = part.strip("/") + "/" + tail.split(part, 1)[1]
        return f"{self.name} ({tail}:{self.line})"


def stacks(path: Path) -> Iterator[list[Frame]]:
    """Yield each sampled stack, outermost frame first (py-spy samples at a fixed rate)."""
    doc = json.loads(path.read_text())
    frames = [Frame(f["name"], f.get("file") or "", int(f.get("line") or 0))
              for f in doc["shared"]["frames"]]
    for profile in doc["profiles"]:
        for sample in profile["samples"]:
            yield task_step([frames[i] for i in sample])


def task_step(stack: list[Frame]) -> list[Frame]:
    """Return the frames below the event loop's running callback (the task step), or only the
    innermost frame when the loop itself was running."""
    steps = [n for n, f in enumerate(stack) if f.name == "Handle._run" and "/asyncio/" in f.file]
    return (stack[steps[-1] + 1:] if steps else []) or stack[-1:]


def entry(step: list[Frame]) -> str:
    """Name what a task step was doing: its outermost function of ours, else the area of its
    outermost frame (the loop itself, a library's protocol callback)."""
    ours = next((f for f in step if f.ours), None)
    if ours is None:
        return f"{step[0].area} (no frame of ours)"
    return str(ours).rsplit(":", 1)[0] + ")"


@dataclass
class Summary:
    """Sample weights of one profile, by area and by function."""

    total: int = 0
    area_self: Counter[str] = field(default_factory=Counter)
    area_incl: Counter[str] = field(default_factory=Counter)
    ours_incl: Counter[Frame] = field(default_factory=Counter)
    lib_self: Counter[Frame] = field(default_factory=Counter)
    entries: Counter[str] = field(default_factory=Counter)


def summarise(path: Path) -> Summary:
    """Add up one profile's samples."""
    out = Summary()
    for stack in stacks(path):
        if not stack:
            continue
        out.total += 1
        out.area_self[stack[-1].area] += 1
        out.area_incl.update({frame.area for frame in stack})
        out.ours_incl.update({frame for frame in stack if frame.ours})
        out.entries[entry(stack)] += 1
        if not stack[-1].ours:
            out.lib_self[stack[-1]] += 1
    return out


def show(path: Path, top: int) -> list[str]:
    """Return the printed summary of one profile."""
    s = summarise(path)
    pct = 100 / s.total if s.total else 0.0
    lines = [f"== {path.name}: {s.total:,.0f} samples", f"  {'area':<45} {'self':>6} {'incl.':>6}"]
    for area, weight in s.area_self.most_common():
        lines.append(f"  {area:<45} {weight * pct:5.1f}% {s.area_incl[area] * pct:5.1f}%")
    lines.append("  task steps by what they run (outermost function of ours):")
    lines += [f"    {w * pct:5.1f}%  {name}" for name, w in s.entries.most_common(top)]
    lines.append("  our functions by inclusive share:")
    lines += [f"    {w * pct:5.1f}%  {f}" for f, w in s.ours_incl.most_common(top)]
    lines.append("  library functions by self share:")
    lines += [f"    {w * pct:5.1f}%  {f}" for f, w in s.lib_self.most_common(top)]
    return lines


def start_profilers(directory: Path, pids: dict[str, int]) -> list[asyncio.Task[int]]:
    """Record each process with py-spy (speedscope format) until stop_profilers."""
    directory.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")

    async def record(name: str, pid: int) -> int:
        proc = await asyncio.create_subprocess_exec(
            spy, "record", "--pid", str(pid), "--format", "speedscope", "--rate", "100", "--gil",
            "--output", str(directory / f"{name}.speedscope.json"),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            return await proc.wait()
        except asyncio.CancelledError:
            proc.send_signal(signal.SIGINT)  # py-spy writes the file when interrupted
            return await proc.wait()

    return [asyncio.create_task(record(name, pid)) for name, pid in pids.items()]


async def stop_profilers(tasks: list[asyncio.Task[int]]) -> None:
    """Stop the profilers; they write their files."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    """Print the summary of every profile named on the command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    for path in args.files:
        print("\n".join(show(path, args.top)))


if __name__ == "__main__":
    main()
