"""Several processes of one service can share a port (JIANGXIN_HTTP_REUSE_PORT)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from bench.common import free_port

_SERVE = """
import os, sys
from aiohttp import web
from shared.config import ServiceSettings
from shared.service import run_service

async def whoami(_request):
    return web.Response(text=str(os.getpid()))

app = web.Application()
app.router.add_get("/", whoami)
run_service(app, ServiceSettings(http_port=int(sys.argv[1]),
                                 http_reuse_port=sys.argv[2] == "true"))
"""


@asynccontextmanager
async def served(port: int, reuse: bool) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run run_service with a one-route app in a child process; stop it afterwards."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SERVE, str(port), str(reuse).lower(),
        env={**os.environ, "JIANGXIN_LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 30)


async def answering_pids(port: int, expected: int, *, within_s: float = 30.0) -> set[int]:
    """Ask on new connections until `expected` processes answered (or time runs out)."""
    seen: set[int] = set()
    deadline = asyncio.get_running_loop().time() + within_s
    while len(seen) < expected and asyncio.get_running_loop().time() < deadline:
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(
                    force_close=True)) as http, http.get(f"http://127.0.0.1:{port}/") as resp:
                seen.add(int(await resp.text()))
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)
    return seen


async def test_two_processes_share_a_port_and_both_answer() -> None:
    port = free_port()
    async with served(port, True) as one, served(port, True) as two:
        pids = await answering_pids(port, 2)
        assert pids == {one.pid, two.pid}


async def test_without_the_setting_a_second_process_cannot_bind() -> None:
    port = free_port()
    async with served(port, False) as one:
        assert await answering_pids(port, 1) == {one.pid}
        async with served(port, False) as two:
            assert await asyncio.wait_for(two.wait(), 30) != 0
        assert await answering_pids(port, 1) == {one.pid}
