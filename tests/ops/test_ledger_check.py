"""`jiangxin ledger check` against the platform as `make run` starts it, on the real servers.

Each discrepancy is made the way it happens in production: a consumer that does not run, a
relay that does not run, a producer that publishes one change twice, a message nobody can read.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import asyncpg
import pytest

from shared.events.envelope import Envelope
from shared.ids import new_id
from shared.messaging.outbox import OutboxWriter
from tests.support.http import (
    Classroom,
    PlatformClient,
    admin_token,
    cli,
    discrepancies,
    enrol_by_admin,
    ledger_check,
    open_class,
    pass_and_release,
)
from tests.support.infra import AMQP_URL, eventually
from tests.support.platform import READY_LINE, Run, start_run
from tests.support.platform import databases as databases  # the fixture

pytestmark = pytest.mark.e2e


@asynccontextmanager
async def platform(
    tmp_path: Path, namespace: str, databases: dict[str, str], **env: str
) -> AsyncIterator[tuple[Run, PlatformClient, str]]:
    """Run the platform; yield it, a client of its gateway and an administrator's token.

    Every queue is declared first, as `make run` does: a consumer switched off still has one."""
    code, out = await cli(tmp_path, {**os.environ, "JIANGXIN_NAMESPACE": namespace}, "topology")
    assert code == 0, out
    run = await start_run(tmp_path, namespace, databases, scale=1, **env)
    try:
        await run.wait_for_line(READY_LINE)
        async with aiohttp.ClientSession() as http:
            api = PlatformClient(http, f"http://127.0.0.1:{run.gateway_port}")
            yield run, api, admin_token(tmp_path / "var" / "keys")
    finally:
        await run.stop_if_running(namespace, tmp_path)


async def settled(
    tmp_path: Path, run: Run, done: Callable[[dict[str, Any]], bool], *, timeout: float = 90
) -> dict[str, Any]:
    """Run the check until its report satisfies `done`; return that report."""
    reports: list[dict[str, Any]] = []

    async def check() -> bool:
        reports[:] = [(await ledger_check(tmp_path, run.env))[1]]
        return done(reports[0])

    try:
        await eventually(check, timeout=timeout, interval=1.0)
    except AssertionError:
        raise AssertionError(json.dumps(reports[-1], indent=2)) from None
    return reports[0]


async def enrol_one(api: PlatformClient, admin: str, n: int) -> tuple[Classroom, dict[str, Any]]:
    """Open a class of five and enrol one trainee in it as an administrator."""
    room = await open_class(api, admin, capacity=5, phone=f"+86139000011{n:02d}")
    enrollment = await enrol_by_admin(api, admin, room.class_id, phone=f"+86138001380{n:02d}",
                                     name=f"学员{n}")
    return room, enrollment


def balanced(report: dict[str, Any]) -> bool:
    return bool(report["ok"])


async def test_a_platform_where_every_effect_happened_balances(
    tmp_path: Path, namespace: str, databases: dict[str, str]
) -> None:
    survey_soon = {"JIANGXIN_ENROLLMENT_SURVEY_CHECK_INTERVAL_S": "1"}
    async with platform(tmp_path, namespace, databases, **survey_soon) as (run, api, admin):
        room = await open_class(api, admin, capacity=1, phone="+8613900001111")
        first = await enrol_by_admin(api, admin, room.class_id, phone="+8613800138001",
                                     name="李一")
        second = await enrol_by_admin(api, admin, room.class_id, phone="+8613800138002",
                                      name="李二")
        assert (first["status"], second["status"]) == ("confirmed", "waitlisted")
        await api.call("POST", f"/api/v1/enrollments/{first['id']}/cancel", token=admin)
        await pass_and_release(api, room, [second["id"]])

        report = await settled(
            tmp_path, run,
            lambda r: r["ok"] and r["counts"].get("certificate messages sent") == 1
            and r["counts"].get("survey messages sent") == 1,  # the completed one's invitation
        )
    counts = report["counts"]
    # confirmed and cancelled (first), waitlisted, promoted and completed (second)
    assert counts["enrolment messages sent"] + counts.get("enrolment messages accounted", 0) == 5
    assert counts["released passing results"] == 1
    code, _ = await ledger_check(tmp_path, run.env)
    assert code == 0


async def test_a_missing_sms_and_a_passing_result_without_certificate_are_named(
    tmp_path: Path, namespace: str, databases: dict[str, str]
) -> None:
    async with platform(
        tmp_path, namespace, databases,
        JIANGXIN_NOTIFICATION_RUN_CONSUMERS="false", JIANGXIN_CERTIFICATION_RUN_CONSUMERS="false",
    ) as (run, api, admin):
        room, enrollment = await enrol_one(api, admin, 3)
        await pass_and_release(api, room, [enrollment["id"]])

        def named(report: dict[str, Any]) -> bool:
            kinds = {d["kind"] for d in report["discrepancies"]}
            return {"missing_notification", "result_without_certificate"} <= kinds

        report = await settled(tmp_path, run, named)
        code, _ = await ledger_check(tmp_path, run.env)
    assert code == 1
    missing = discrepancies(report, "missing_notification")
    assert {"enrollment": enrollment["id"], "event": "enrollment.confirmed", "seq": "1"} in missing
    assert {d["event"] for d in missing} == {"enrollment.confirmed", "enrollment.completed"}
    assert discrepancies(report, "result_without_certificate") == [
        {"enrollment": enrollment["id"]}
    ]
    assert "13800138003" not in json.dumps(report)  # the trainee's number, masked


async def test_an_outbox_row_the_relay_never_sent_is_named_and_its_sms_not_called_missing(
    tmp_path: Path, namespace: str, databases: dict[str, str]
) -> None:
    async with platform(
        tmp_path, namespace, databases, JIANGXIN_ENROLLMENT_RUN_RELAY="false"
    ) as (run, api, admin):
        _, enrollment = await enrol_one(api, admin, 4)
        code, report = await ledger_check(tmp_path, run.env)
    assert code == 1
    assert {d["kind"] for d in report["discrepancies"]} == {"stuck_outbox_row"}
    stuck = discrepancies(report, "stuck_outbox_row")
    assert {d["service"] for d in stuck} == {"enrollment"}
    assert enrollment["id"] in {d["aggregate"] for d in stuck}
    assert report["counts"]["enrolment messages held_in_outbox"] == 1


async def test_one_change_published_twice_is_named_as_a_double_sms_and_an_inbox_duplicate(
    tmp_path: Path, namespace: str, databases: dict[str, str]
) -> None:
    async with platform(
        tmp_path, namespace, databases, JIANGXIN_NOTIFICATION_SAME_CONTENT_WINDOW_S="0"
    ) as (run, api, admin):
        _, enrollment = await enrol_one(api, admin, 5)
        await settled(tmp_path, run, balanced)
        copy = await publish_again(databases["enrollment"], enrollment["id"])

        def named(report: dict[str, Any]) -> bool:
            return bool(discrepancies(report, "duplicate_notification"))

        report = await settled(tmp_path, run, named)
    (double,) = discrepancies(report, "duplicate_notification")
    assert (double["aggregate"], double["event"], double["channel"]) == (
        enrollment["id"], "enrollment.confirmed", "sms"
    )
    assert str(copy) in double["source_messages"]
    (twice,) = discrepancies(report, "inbox_duplicate")
    assert (twice["aggregate"], twice["event"]) == (enrollment["id"], "enrollment.confirmed.v1")
    assert str(copy) in twice["messages"]


async def publish_again(dsn: str, enrollment_id: str) -> object:
    """Write an enrolment's confirmation into the outbox once more under a new message id, as
    a producer that publishes one change twice would; return the new id."""
    conn = await asyncpg.connect(dsn)
    try:
        body = await conn.fetchval(
            "SELECT body FROM outbox WHERE aggregate_id = $1 AND routing_key = $2",
            enrollment_id, "enrollment.confirmed.v1",
        )
        again = Envelope.model_validate_json(body).model_copy(update={"message_id": new_id()})
        async with conn.transaction():
            await OutboxWriter("enrollment").add_envelopes(conn, [again])
        return again.message_id
    finally:
        await conn.close()


async def test_a_message_parked_in_error_is_named_with_its_id(
    tmp_path: Path, namespace: str, databases: dict[str, str]
) -> None:
    async with platform(tmp_path, namespace, databases) as (run, _api, _admin):
        message_id = str(new_id())
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(f"{namespace}.events")
            await exchange.publish(
                aio_pika.Message(b"{not json", message_id=message_id,
                                 type="enrollment.confirmed"),
                routing_key="enrollment.confirmed.v1",
            )

        def named(report: dict[str, Any]) -> bool:
            return bool(discrepancies(report, "parked_messages"))

        report = await settled(tmp_path, run, named)
    assert discrepancies(report, "parked_messages") == [
        {"queue": f"{namespace}.notification.error", "messages": message_id}
    ]
    assert len(report["discrepancies"]) == 1
