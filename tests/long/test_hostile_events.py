"""Hostile messages published straight onto the bus: parked, and nothing else changes.

Unreadable JSON, a known event type in a version nobody speaks, and a copy of a real event
padded past the size limit (read, it would be a second SMS and a second certificate attempt)
go to `.error` or `.skipped` of every service bound to them; the ledger check then names
exactly those messages and nothing else, and balances once an operator discards them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import pytest

from shared.events.envelope import Envelope
from shared.ids import new_id
from tests.long.conftest import Record
from tests.long.platform import LongPlatform, found, long_platform
from tests.support.http import cli, discrepancies, enrol_by_admin, open_class, pass_and_release
from tests.support.infra import eventually
from tests.support.private import PrivateServers

pytestmark = [pytest.mark.long, pytest.mark.timeout(1800)]

UNCHANGED = ("ledger rows", "enrolments", "enrolment messages sent", "certificate messages sent",
             "released passing results")


async def test_malformed_wrong_version_and_oversized_messages_are_parked_and_change_nothing(
    tmp_path: Path, private: PrivateServers, record: Record
) -> None:
    async with long_platform(tmp_path, private) as platform:
        room = await open_class(platform.api, platform.admin, capacity=3, phone="+8613700000002")
        enrollments = [
            await enrol_by_admin(platform.api, platform.admin, room.class_id,
                                 phone=f"+861340000000{i}", name=f"学员{i}")
            for i in range(5)
        ]
        await pass_and_release(platform.api, room, [enrollments[0]["id"]])
        _, _, before = await platform.balanced(
            also=lambda r: r["counts"].get("certificate messages sent") == 1
        )
        hostile = await publish_hostile(platform, private)
        started = time.monotonic()

        async def all_parked() -> bool:
            _, report = await platform.ledger()
            parked = {d["queue"]: set(d["messages"].split(","))
                      for d in discrepancies(report, "parked_messages")}
            return parked == hostile

        await eventually(all_parked, timeout=120, interval=1.0)
        parked_s = time.monotonic() - started
        code, after = await platform.ledger()
        assert code == 1
        assert {d["kind"] for d in after["discrepancies"]} == {"parked_messages"}
        assert {k: after["counts"].get(k) for k in UNCHANGED} == {
            k: before["counts"].get(k) for k in UNCHANGED
        }
        for queue, ids in hostile.items():
            for message_id in ids:
                code, out = await cli(tmp_path, platform.run.env, "dlq", "discard", queue,
                                      "--message-id", message_id)
                assert code == 0, out
        code, cleared = await platform.ledger()
    assert code == 0, cleared
    record("hostile events", published=len(set().union(*hostile.values())),
           parked=sum(len(v) for v in hostile.values()), queues=sorted(hostile),
           parked_after_s=round(parked_s, 1),
           ledger_with_them=found(after), ledger_after_discard=found(cleared))


async def publish_hostile(platform: LongPlatform, private: PrivateServers) -> dict[str, set[str]]:
    """Publish the hostile messages; return the message ids each parking queue should get."""
    namespace = platform.run.env["JIANGXIN_NAMESPACE"]
    dsn = platform.run.env["JIANGXIN_ENROLLMENT_DATABASE_URL"]
    confirmed, completed = await _real_envelopes(dsn)
    unreadable = str(new_id())
    future = confirmed.model_copy(update={"message_id": new_id(), "version": 2})
    padded = completed.model_copy(update={
        "message_id": new_id(), "data": {**completed.data, "padding": "x" * (2 << 20)},
    })
    connection = await aio_pika.connect(private.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{namespace}.events")
        messages: list[tuple[bytes, str, str]] = [
            (b'{"type": "certificate.issued", "version": 1, "data": {', unreadable,
             "certificate.issued.v1"),
            (future.model_dump_json().encode(), str(future.message_id), "enrollment.confirmed.v1"),
            (padded.model_dump_json().encode(), str(padded.message_id), "enrollment.completed.v1"),
        ]
        for body, message_id, routing_key in messages:
            await exchange.publish(
                aio_pika.Message(body, message_id=message_id, type=routing_key,
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=routing_key,
            )
    return {
        # certificate.issued is bound to enrollment and notification
        f"{namespace}.enrollment.error": {unreadable},
        f"{namespace}.notification.error": {unreadable, str(padded.message_id)},
        f"{namespace}.notification.skipped": {str(future.message_id)},
        f"{namespace}.certification.error": {str(padded.message_id)},
    }


async def _real_envelopes(dsn: str) -> tuple[Envelope, Envelope]:
    """Return a confirmation and a completion the platform really published."""
    conn = await asyncpg.connect(dsn)
    try:
        rows: dict[str, Any] = {
            key: await conn.fetchval(
                "SELECT body FROM outbox WHERE routing_key = $1 ORDER BY id LIMIT 1", key
            )
            for key in ("enrollment.confirmed.v1", "enrollment.completed.v1")
        }
    finally:
        await conn.close()
    return (Envelope.model_validate_json(rows["enrollment.confirmed.v1"]),
            Envelope.model_validate_json(rows["enrollment.completed.v1"]))
