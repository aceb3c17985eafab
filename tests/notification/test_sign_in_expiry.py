"""A sign-in code held back by a provider limit, a retry or an outage never goes out expired."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.notification.keys import DISPATCHER
from tests.notification.conftest import StartService
from tests.notification.fakes import FakeSms
from tests.notification.harness import Service, otp


async def _sms_service(
    start_service: StartService, provider: str, fake: FakeSms, **changes: Any
) -> Service:
    return await start_service(
        sms_providers=(provider,), **{f"{provider}_endpoint": fake.url}, **changes
    )


async def _dispatched(service: Service) -> None:
    """Wake the dispatcher and wait until no row is due or mid-send: a row wrongly due after
    the clock moved has been sent by then, and the provider's calls show it."""
    service.client.app[DISPATCHER].wake()

    async def nothing_due() -> bool:
        due = await service.pool.fetchval(
            "SELECT count(*) FROM notifications WHERE status = 'sending'"
            " OR (status IN ('queued', 'deferred') AND not_before <= $1)",
            service.clock.now())
        return int(due) == 0

    await service.until(nothing_due)


async def _failed_reasons(service: Service, source: object) -> list[str]:
    # The failure is announced through the outbox and the relay, a moment after the row fails.
    async def reasons() -> list[str]:
        events = await service.drain_announced()
        return [e["data"]["reason"] for e in events if e["type"] == "notification.failed.v1"
                and e["data"]["source_message_id"] == str(source)]

    async def announced() -> bool:
        return bool(await reasons())

    await service.until(announced)
    return await reasons()


@pytest.mark.parametrize(
    ("provider", "answer", "code"),
    [
        # No known wait (Aliyun's own flow control): never wait for the next morning.
        ("aliyun", "limit", "isv.BUSINESS_LIMIT_CONTROL"),
        # A known wait, but the code expires within it.
        ("tencent", "LimitExceeded.PhoneNumberOneHourLimit", "expired"),
    ],
)
async def test_a_rate_limited_sign_in_code_fails_at_once_and_never_goes_out_later(
    start_service: StartService, aliyun: FakeSms, tencent: FakeSms, provider: str, answer: str,
    code: str,
) -> None:
    fake = aliyun if provider == "aliyun" else tencent
    fake.behaviour.script.append(answer)
    service = await _sms_service(start_service, provider, fake)
    envelope = await service.publish(otp(at=service.clock.now()))
    rows = await service.until_status(envelope.message_id, "failed")
    assert [(r["status"], r["error_code"]) for r in rows] == [("failed", code)]
    assert rows[0]["expires_at"] is not None
    service.clock.advance(timedelta(days=1))  # past the next morning and any limit
    await _dispatched(service)
    assert len(fake.calls) == 1
    assert [r["status"] for r in await service.rows(envelope.message_id)] == ["failed"]
    assert await _failed_reasons(service, envelope.message_id) == [code]


async def test_a_sign_in_code_limited_for_less_than_its_life_waits_and_goes(
    start_service: StartService, tencent: FakeSms
) -> None:
    tencent.behaviour.script.append("LimitExceeded.PhoneNumberThirtySecondLimit")
    service = await _sms_service(start_service, "tencent", tencent)
    envelope = await service.publish(otp(at=service.clock.now()))
    rows = await service.until_status(envelope.message_id, "deferred")
    assert rows[0]["not_before"] <= rows[0]["expires_at"]
    service.clock.advance(timedelta(minutes=1))
    await service.until_status(envelope.message_id, "submitted")
    assert [c["answer"] for c in tencent.calls] == [
        "LimitExceeded.PhoneNumberThirtySecondLimit", "ok"]


async def test_a_retry_that_would_come_after_the_expiry_is_given_up_at_once(
    start_service: StartService, aliyun: FakeSms
) -> None:
    aliyun.behaviour.script.append("down")
    service = await _sms_service(start_service, "aliyun", aliyun, retry_backoff_s=(600.0,))
    envelope = await service.publish(otp(at=service.clock.now()))
    rows = await service.until_status(envelope.message_id, "failed")
    assert [(r["error_code"], r["attempts"]) for r in rows] == [("expired", 1)]
    service.clock.advance(timedelta(minutes=10))
    await _dispatched(service)
    assert len(aliyun.calls) == 1
    assert await _failed_reasons(service, envelope.message_id) == ["expired"]


async def test_a_retry_due_before_the_expiry_but_picked_up_after_it_is_not_sent(
    start_service: StartService, aliyun: FakeSms
) -> None:
    aliyun.behaviour.script.append("down")
    service = await _sms_service(start_service, "aliyun", aliyun, retry_backoff_s=(60.0,))
    envelope = await service.publish(otp(at=service.clock.now()))

    async def retry_queued() -> bool:
        rows = await service.rows(envelope.message_id)
        return [(r["status"], r["attempts"]) for r in rows] == [("queued", 1)]

    await service.until(retry_queued)
    [row] = await service.rows(envelope.message_id)
    assert row["not_before"] < row["expires_at"]
    service.clock.advance(timedelta(minutes=10))  # e.g. the dispatcher was down meanwhile
    rows = await service.until_status(envelope.message_id, "failed")
    assert [(r["error_code"], r["attempts"]) for r in rows] == [("expired", 2)]
    await _dispatched(service)
    assert len(aliyun.calls) == 1
    assert await _failed_reasons(service, envelope.message_id) == ["expired"]
