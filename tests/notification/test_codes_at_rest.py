"""Once delivered or expired, a sign-in code is readable in no table (issue 15)."""

from __future__ import annotations

from services.notification.handlers.outcomes import content_hash
from services.notification.keys import DISPATCHER
from tests.notification.conftest import StartService
from tests.notification.fakes import FakeSms
from tests.notification.harness import Service, otp

PHONE = "+8613900139000"


async def readable_copies(service: Service, code: str) -> list[str]:
    """Return every row of every table of the service's database that shows the code."""
    tables = await service.pool.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
    hits = []
    for table in (t["table_name"] for t in tables):
        rows = await service.pool.fetch(f'SELECT t::text AS row FROM "{table}" t')
        hits += [f"{table}: {r['row']}" for r in rows if code in r["row"]]
    return hits


async def reconcile(service: Service) -> None:
    """Run the dispatcher's reconcile pass now (it runs every reconcile_interval_s)."""
    await service.client.app[DISPATCHER].reconcile_now()


async def test_a_delivered_code_is_readable_nowhere_and_its_sms_is_kept_masked(
    start_service: StartService,
) -> None:
    service = await start_service()
    envelope = await service.publish(otp(code="482913"))
    await service.until_status(envelope.message_id, "delivered")
    await reconcile(service)
    assert await readable_copies(service, "482913") == []
    [row] = await service.rows(envelope.message_id)
    assert "******" in row["body"]
    assert row["content_hash"] == content_hash(row["channel"], row["recipient"], row["body"])
    [sunk] = await service.pool.fetch("SELECT body, code FROM sink_messages")
    assert ("******" in sunk["body"], sunk["code"]) == (True, None)


async def test_the_dev_inbox_shows_a_code_until_it_expires_then_it_is_masked_there_too(
    start_service: StartService,
) -> None:
    service = await start_service(dev_inbox=True)
    envelope = await service.publish(otp(code="739104"))
    await service.until_status(envelope.message_id, "delivered")
    await reconcile(service)
    inbox = await (await service.client.get("/dev/inbox.json", params={"phone": PHONE})).json()
    assert [item["code"] for item in inbox["items"]] == ["739104"]
    assert [table.split(":")[0] for table in await readable_copies(service, "739104")] == [
        "sink_messages"]
    service.clock.advance(minutes=6)
    await reconcile(service)
    assert await readable_copies(service, "739104") == []
    inbox = await (await service.client.get("/dev/inbox.json", params={"phone": PHONE})).json()
    assert [item["code"] for item in inbox["items"]] == [None]


async def test_a_code_a_provider_still_holds_is_kept_until_it_expires(
    start_service: StartService, aliyun: FakeSms
) -> None:
    service = await start_service(sms_providers=("aliyun",), aliyun_endpoint=aliyun.url)
    envelope = await service.publish(otp(code="615283"))
    await service.until_status(envelope.message_id, "submitted")
    await reconcile(service)
    assert await readable_copies(service, "615283") != []  # a lookup may still resend it
    service.clock.advance(minutes=6)
    await reconcile(service)
    assert await readable_copies(service, "615283") == []
