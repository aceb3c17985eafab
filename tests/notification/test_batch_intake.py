"""Events waiting together are taken in by one consumer batch (two statements for all of
them) with the same effects, once each, as one at a time: rate limits, duplicates, poison."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from services.notification import repository
from services.notification.domain.model import Channel, Preferences
from services.notification.repository import IntakeKey
from services.notification.subscriptions import subscriptions
from shared.events.envelope import Envelope, Event
from shared.ids import new_id
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.transport import OutgoingMessage
from shared.service import topology_for
from tests.notification.conftest import StartService, settings_for
from tests.notification.harness import Service, class_info, confirmed, otp, recipient
from tests.support.infra import AMQP_URL, eventually
from tests.support.metrics import consumer_batches


async def _queue_up(
    pg_dsn: str, namespace: str, key_files: Path, envelopes: list[Envelope]
) -> None:
    """Publish to the work queue before any instance consumes it, so the events form batches."""
    settings = settings_for(pg_dsn, namespace, key_files)
    transport = RabbitTransport(AMQP_URL, exchange=settings.exchange_name)
    await transport.connect()
    try:
        await transport.declare(topology_for(settings, subscriptions))
        for env in envelopes:
            await transport.publish(
                OutgoingMessage(body=env.model_dump_json().encode(), message_id=str(env.message_id),
                                type=env.routing_key, headers=env.headers()),
                routing_key=env.routing_key,
            )

        async def queued() -> bool:
            return await transport.message_count(settings.queue_name) == len(envelopes)

        await eventually(queued)
    finally:
        await transport.close()


def _wrap(event: Event) -> Envelope:
    return Envelope.wrap(event, producer="test", correlation_id=str(new_id()))



async def _until_settled(service: Service, count: int) -> None:
    """Wait until `count` source events have rows and none of them is still to go."""
    async def settled() -> bool:
        return await service.pool.fetchval(
            "SELECT count(DISTINCT source_message_id) FILTER (WHERE status NOT IN "
            "('queued', 'sending')) = $1 AND count(*) FILTER (WHERE status IN "
            "('queued', 'sending')) = 0 FROM notifications", count) is True

    await service.until(settled)


async def test_waiting_events_are_taken_in_by_batches_and_each_sends_one_sms(
    start_service: StartService, pg_dsn: str, namespace: str, key_files: Path
) -> None:
    events = [_wrap(confirmed(trainee=recipient(phone=f"+86138{i:08d}"))) for i in range(40)]
    await _queue_up(pg_dsn, namespace, key_files, events)
    service = await start_service()
    await _until_settled(service, 40)
    batches, messages = consumer_batches(service.settings.queue_name)
    assert batches < messages == 40  # the batches committed with their prepare, not one by one
    rows = await service.rows()
    assert Counter(r["source_message_id"] for r in rows) == {e.message_id: 1 for e in events}
    assert {(r["channel"], r["status"]) for r in rows} == {("sms", "delivered")}
    assert all(r["params"] and r["variables"] and r["fallbacks"] for r in rows)
    sunk = await service.pool.fetch("SELECT recipient, count(*) AS n FROM sink_messages "
                                    "GROUP BY recipient")
    assert len(sunk) == 40
    assert {r["n"] for r in sunk} == {1}


async def test_rate_limits_in_a_batch_see_earlier_sends_and_each_other(
    start_service: StartService, pg_dsn: str, namespace: str, key_files: Path
) -> None:
    person = recipient()
    service = await start_service(same_template_per_day=2)
    for title in ("育婴员", "养老护理员"):
        sent = await service.publish(confirmed(trainee=person,
                                               class_info=class_info(course_title_zh=title)))
        await service.until_status(sent.message_id, "delivered")
    await service.client.close()  # nobody consumes while the next events queue up
    third = _wrap(confirmed(trainee=person, class_info=class_info(course_title_zh="咖啡师")))
    codes = [_wrap(otp(phone="+8613900139000", code=c)) for c in ("111111", "222222")]
    others = [_wrap(confirmed(trainee=recipient(phone=f"+86137{i:08d}"))) for i in range(20)]
    await _queue_up(pg_dsn, namespace, key_files, [third, *codes, *others])
    service = await start_service(same_template_per_day=2)
    rows = await service.until_status(third.message_id, "delivered")
    assert [(r["channel"], r["status"], r["error_code"]) for r in rows] == [
        ("sms", "suppressed", "template_daily_limit"), ("email", "delivered", None)]
    first, second = [await service.until_status(c.message_id, "delivered", "deferred")
                     for c in codes]
    assert sorted((r["status"], r["error_code"]) for r in [*first, *second]) == [
        ("deferred", "otp_minute_limit"), ("delivered", None)]
    for other in others:
        await service.until_status(other.message_id, "delivered")


async def test_duplicates_and_a_poison_event_in_batches_of_two_instances_change_nothing_else(
    start_service: StartService, pg_dsn: str, namespace: str, key_files: Path
) -> None:
    events = [_wrap(confirmed(trainee=recipient(phone=f"+86136{i:08d}"))) for i in range(60)]
    poison = _wrap(confirmed(class_info=class_info(venue="  ")))
    # Every event twice (a redelivery or a relay's duplicate), the poison in the middle.
    await _queue_up(pg_dsn, namespace, key_files, [*events[:30], poison, *events, *events[30:]])
    first = await start_service()
    await start_service()
    error_queue = f"{first.settings.queue_name}.error"

    async def parked() -> bool:
        return await first.transport.message_count(error_queue) == 1

    await first.until(parked)
    await _until_settled(first, 60)
    rows = await first.rows()
    assert Counter(r["source_message_id"] for r in rows) == {e.message_id: 1 for e in events}
    assert {(r["channel"], r["status"]) for r in rows} == {("sms", "delivered")}
    assert await first.rows(poison.message_id) == []
    assert await first.pool.fetchval("SELECT count(*) FROM sink_messages") == 60
    faults = [e for e in await first.drain_announced() if e["type"] == "message.faulted.v1"]
    assert [f["data"]["message_id"] for f in faults] == [str(poison.message_id)]


async def test_opening_intakes_together_answers_and_changes_what_one_by_one_would(
    start_service: StartService,
) -> None:
    service = await start_service(run_dispatcher=False)
    now = service.clock.now()
    keys = [
        IntakeKey(aggregate_id="a", seq=3, event_type="enrollment.cancelled", by=new_id(),
                  now=now, pref_keys=["user:x", "phone:+8613800000001"],
                  lock_address="+8613800000001"),
        IntakeKey(aggregate_id="b", seq=1, event_type="enrollment.reminder_due", by=new_id(),
                  now=now, pref_keys=["user:y"], lock_address=None),
        IntakeKey(aggregate_id="c", seq=None, event_type="auth.otp_requested", by=new_id(),
                  now=now, pref_keys=["anonymous"], lock_address="+8613800000002"),
    ]

    async def arrange(conn: Any) -> None:
        await conn.execute("DELETE FROM notifications; DELETE FROM aggregate_news; "
                           "DELETE FROM preferences")
        # b's reminder is stale behind its cancellation (5), not behind a promotion (7).
        await conn.execute("INSERT INTO aggregate_news VALUES ('a', 'enrollment.confirmed', 2), "
                           "('b', 'enrollment.cancelled', 5), ('b', 'enrollment.promoted', 7)")
        for key, prefs in (("phone:+8613800000001", Preferences(sms=False)),
                           ("user:y", Preferences(preferred=Channel.EMAIL))):
            await repository.save_preferences(conn, key, prefs, user_id=None, now=now)
        for seq, kind, status in ((1, "confirmed", "queued"), (2, "confirmed", "deferred"),
                                  (2, "confirmed", "delivered"), (4, "confirmed", "queued"),
                                  (1, "cancelled", "queued")):
            await conn.execute(
                "INSERT INTO notifications (id, source_message_id, source_type, aggregate_id, "
                "seq, channel, recipient, recipient_masked, pref_key, locale, timezone, status, "
                "not_before, body, content_hash, created_at, updated_at) VALUES ($1, $2, $3, "
                "'a', $4, 'sms', $5, 'm', 'k', 'zh-CN', 'Asia/Shanghai', $6, $7, '', '', $7, $7)",
                new_id(), new_id(), f"enrollment.{kind}", seq, f"+86138{seq:08d}{status}{kind}",
                status, now)

    async def state(conn: Any) -> list[Any]:
        return [
            *await conn.fetch("SELECT * FROM aggregate_news ORDER BY aggregate_id, event_type"),
            *await conn.fetch("SELECT seq, source_type, status, error_code, related_id "
                              "FROM notifications ORDER BY seq, source_type, status"),
        ]

    async with service.pool.acquire() as conn:
        async with conn.transaction():
            await arrange(conn)
            alone = [await repository.begin_intake(conn, key) for key in keys]
            after_alone = await state(conn)
        async with conn.transaction():
            await arrange(conn)
            together = await repository.begin_intake_many(conn, keys)
            after_together = await state(conn)
    assert together == alone == [(None, Preferences(sms=False)),
                                 (5, Preferences(preferred=Channel.EMAIL)), (None, None)]
    assert after_together == after_alone
    assert [(r["aggregate_id"], r["event_type"], r["seq"]) for r in after_alone[:5]] == [
        ("a", "enrollment.cancelled", 3), ("a", "enrollment.confirmed", 2),
        ("b", "enrollment.cancelled", 5), ("b", "enrollment.promoted", 7),
        ("b", "enrollment.reminder_due", 1)]
    # The cancellation (3) supersedes the older pending confirmations only: not a delivered
    # one, not a newer one, not an older message it does not make pointless.
    assert [(r["seq"], r["source_type"], r["status"]) for r in after_alone[5:]] == [
        (1, "enrollment.cancelled", "queued"), (1, "enrollment.confirmed", "superseded"),
        (2, "enrollment.confirmed", "delivered"), (2, "enrollment.confirmed", "superseded"),
        (4, "enrollment.confirmed", "queued")]
