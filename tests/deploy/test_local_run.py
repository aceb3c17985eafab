"""`make run`'s supervisor with the real services, nginx, PostgreSQL and RabbitMQ.

Each run gets free ports, its own databases and broker namespace, and a scratch working
directory with its own keys, so it never meets another run (or a developer's `make run`).
"""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import aiohttp
import pytest

from services import SERVICE_NAMES
from tests.deploy.manifests import free_port, process_alive
from tests.support.infra import eventually, eventually_sync
from tests.support.platform import (
    PORT_STEP,
    READY_LINE,
    descendants,
    instance_pid,
    leftovers,
    start_run,
)
from tests.support.platform import databases as databases  # the fixture

pytestmark = pytest.mark.e2e


async def test_run_serves_every_service_behind_one_origin_and_ctrl_c_stops_them_all(
    tmp_path: Path, namespace: str, databases: dict[str, str]
) -> None:
    run = await start_run(tmp_path, namespace, databases)
    try:
        await run.wait_for_line(READY_LINE)
        children = descendants(run.process.pid)
        base = f"http://127.0.0.1:{run.gateway_port}"
        async with aiohttp.ClientSession() as http:
            for name in SERVICE_NAMES:
                async with http.get(f"{base}/ops/{name}/readyz") as response:
                    assert response.status == 200
                    checks = (await response.json())["checks"]
                    assert {"database", "broker"} <= checks.keys()
                    assert all(checks.values()), checks
                async with http.get(f"{base}/ops/{name}/openapi.json") as response:
                    assert response.status == 200
                    assert (await response.json())["openapi"].startswith("3.")
            async with http.get(f"{base}/") as response:
                assert response.status == 200
                assert "text/html" in response.headers["Content-Type"]
            # make run turns the dev inbox on (it is off unless configured).
            for path in ("/dev/inbox", "/dev/inbox.json", "/dev/inbox/messages"):
                async with http.get(f"{base}{path}") as response:
                    assert response.status == 200, path
        assert len(children) >= 5, children  # three services, nginx master and worker
        assert len(leftovers(namespace, tmp_path)) >= 5  # the check below can see them
        run.process.send_signal(signal.SIGINT)
        assert await run.finish() == 0
        assert [pid for pid in children if process_alive(pid)] == []
        assert leftovers(namespace, tmp_path) == []
    finally:
        await run.stop_if_running(namespace, tmp_path)
    output = "\n".join(run.lines)
    for name in [*SERVICE_NAMES, "gateway"]:
        assert f"\n{name}" in output, f"no line prefixed {name}"
    assert "http://localhost:" in output
    assert "/dev/inbox" in output
    assert run.lines[-1].endswith("stopped")


async def test_a_service_that_dies_at_start_stops_the_whole_run_with_an_error(
    tmp_path: Path, namespace: str, databases: dict[str, str]
) -> None:
    broken = {**databases, "notification": f"postgresql://postgres@127.0.0.1:{free_port()}/x"}
    run = await start_run(tmp_path, namespace, broken)
    try:
        assert await run.finish(within_s=90) == 1
        assert leftovers(namespace, tmp_path) == []
    finally:
        await run.stop_if_running(namespace, tmp_path)
    output = "\n".join(run.lines)
    assert "notification exited with code" in output
    assert READY_LINE not in output


async def test_run_refuses_to_start_when_a_port_is_taken(
    tmp_path: Path, namespace: str, databases: dict[str, str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        run = await start_run(
            tmp_path, namespace, databases, JIANGXIN_ENROLLMENT_HTTP_PORT=str(busy.getsockname()[1])
        )
        try:
            assert await run.finish() == 1
            assert leftovers(namespace, tmp_path) == []
        finally:
            await run.stop_if_running(namespace, tmp_path)
    assert "already in use" in "\n".join(run.lines)


async def test_scale_2_runs_two_processes_of_each_service_and_the_gateway_uses_both(
    tmp_path: Path, namespace: str, databases: dict[str, str]
) -> None:
    run = await start_run(tmp_path, namespace, databases, scale=2, args=["--restart"])
    try:
        await run.wait_for_line(READY_LINE)
        base = f"http://127.0.0.1:{run.gateway_port}"
        async with aiohttp.ClientSession() as http:
            for name, port in run.ports.items():
                for instance in (port, port + PORT_STEP):
                    async with http.get(f"http://127.0.0.1:{instance}/readyz") as response:
                        assert response.status == 200, (name, instance)
            for _ in range(6):
                async with http.get(f"{base}/ops/enrollment/readyz") as response:
                    assert response.status == 200
            port = run.ports["enrollment"]

            def both_used() -> bool:
                served = {line for line in run.lines if "/ops/enrollment/readyz" in line}
                return all(any(f"upstream=127.0.0.1:{p} " in s for s in served)
                           for p in (port, port + PORT_STEP))

            eventually_sync(both_used, timeout=10)
            # --restart: a process that dies is started again; the others never stopped. While
            # one is down the gateway uses the other, and once it is back it is used at once:
            # killing the other one then leaves the service reachable.
            async def through_gateway() -> list[int]:
                statuses = []
                for _ in range(4):
                    async with http.get(f"{base}/ops/enrollment/readyz") as response:
                        statuses.append(response.status)
                return statuses

            for killed in (port + PORT_STEP, port):
                os.kill(instance_pid(run, "enrollment", killed), signal.SIGKILL)
                assert await through_gateway() == [200] * 4

                async def back(instance: int = killed) -> bool:
                    try:
                        async with http.get(f"http://127.0.0.1:{instance}/readyz") as reply:
                            return reply.status == 200
                    except aiohttp.ClientError:
                        return False

                await eventually(back, timeout=60)
            restarts = [line for line in run.lines if "restarting enrollment-" in line]
            assert len(restarts) == 2, [line for line in run.lines if "exited" in line]
        run.process.send_signal(signal.SIGINT)
        assert await run.finish() == 0
        assert leftovers(namespace, tmp_path) == []
    finally:
        await run.stop_if_running(namespace, tmp_path)
    output = "\n".join(run.lines)
    for name in ("enrollment-1", "enrollment-2", "notification-2", "certification-2"):
        assert f"\n{name}" in output, f"no line prefixed {name}"
