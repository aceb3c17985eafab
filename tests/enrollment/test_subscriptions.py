"""Certificate and notification events arriving through RabbitMQ reach the roster."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest_asyncio

from shared.events.catalog import (
    CertificateIssued,
    CertificateRevoked,
    NotificationDelivered,
    NotificationFailed,
    Recipient,
)
from shared.events.envelope import Envelope, Event
from shared.ids import new_id
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.transport import OutgoingMessage
from tests.enrollment.conftest import StartService
from tests.enrollment.support import Service
from tests.support.infra import AMQP_URL, eventually


@pytest_asyncio.fixture(loop_scope="module")
async def consuming(start_service: StartService) -> Service:
    """A service instance with its consumer on the test's own queue."""
    svc = await start_service(run_consumers=True)

    async def ready() -> bool:
        return (await svc.call("GET", "/readyz")).status == 200

    await eventually(ready)
    return svc


@pytest_asyncio.fixture(loop_scope="module")
async def broker(consuming: Service) -> AsyncIterator[RabbitTransport]:
    """A publisher on the service's exchange (as certification or notification would be)."""
    transport = RabbitTransport(AMQP_URL, exchange=f"{consuming.deps.settings.namespace}.events",
                                connection_name="test-publisher")
    await transport.connect()
    yield transport
    await transport.close()


async def publish(broker: RabbitTransport, event: Event, producer: str,
                  occurred_at: datetime | None = None) -> None:
    envelope = Envelope.wrap(event, producer=producer, correlation_id="test")
    if occurred_at is not None:
        envelope = envelope.model_copy(update={"occurred_at": occurred_at})
    await broker.publish(
        OutgoingMessage(body=envelope.model_dump_json().encode(),
                        message_id=str(envelope.message_id), type=envelope.type,
                        headers=envelope.headers()),
        routing_key=envelope.routing_key)


def certificate(enrollment_id: UUID, cert_id: UUID, seq: int, cls: type[Event],
                number: str = "Y0000440100012541000001", **extra: object) -> Event:
    return cls(certificate_id=cert_id, seq=seq, enrollment_id=enrollment_id,
               number=number, code="K7Q2M9", verify_url="https://v/x",
               holder=Recipient(name="张三"), course_title_zh="直播销售员",
               course_title_en="Livestream", level=4, issued_on=date(2025, 6, 20), **extra)


async def test_certificate_numbers_and_their_status_reach_the_roster_in_seq_order(
    consuming: Service, broker: RabbitTransport,
) -> None:
    svc = consuming
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    _, token = await svc.add_user(name="张三")
    enrollment = UUID((await svc.enrol(token, cls["id"])).body["id"])
    cert_id = new_id()
    await publish(broker, certificate(enrollment, cert_id, 2, CertificateRevoked,
                                      reason="fraud"), "certification")
    await publish(broker, certificate(enrollment, cert_id, 1, CertificateIssued), "certification")

    async def revoked_shown() -> bool:
        roster = await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster", token=admin)
        entry = roster.body["items"][0]
        return (entry["certificate_number"], entry["certificate_status"]) == (
            "Y0000440100012541000001", "revoked")

    await eventually(revoked_shown)  # the late 'issued' (seq 1) did not undo the revocation
    mine = await svc.call("GET", f"/api/v1/enrollments/{enrollment}", token=token)
    assert mine.body["certificate_status"] == "revoked"


OLD, NEW = "Y0000440100012541000001", "Y0000440100012541000002"
MORNING = datetime(2025, 6, 20, 1, 0, tzinfo=UTC)


async def enrolled(svc: Service) -> tuple[str, str, UUID]:
    """Return (admin token, class id, enrolment id) of a new enrolment."""
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    _, token = await svc.add_user(name="张三")
    return admin, cls["id"], UUID((await svc.enrol(token, cls["id"])).body["id"])


async def shown(svc: Service, admin: str, class_id: str) -> tuple[str, str]:
    roster = await svc.call("GET", f"/api/v1/classes/{class_id}/roster", token=admin)
    entry = roster.body["items"][0]
    return entry["certificate_number"], entry["certificate_status"]


async def stored(svc: Service, *ids: UUID) -> list[tuple[str, str]]:
    rows = await svc.pool.fetch("SELECT certificate_id, number, status FROM certificates "
                                "WHERE certificate_id = ANY($1::uuid[])", list(ids))
    by_id = {r["certificate_id"]: (r["number"], r["status"]) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


async def test_a_reissue_revokes_the_replaced_certificate_issued_the_same_day(
    consuming: Service, broker: RabbitTransport,
) -> None:
    svc = consuming
    admin, class_id, enrollment = await enrolled(svc)
    old, new = new_id(), new_id()
    await publish(broker, certificate(enrollment, old, 1, CertificateIssued, OLD),
                  "certification", MORNING)
    await eventually(lambda: _count(svc, old, new, 1))
    await publish(broker, certificate(enrollment, new, 1, CertificateIssued, NEW, replaces=old),
                  "certification", MORNING + timedelta(hours=2))
    await eventually(lambda: _count(svc, old, new, 2))
    # No CertificateRevoked for the old one has arrived (yet): the reissue alone replaces it.
    assert await stored(svc, old, new) == [(OLD, "revoked"), (NEW, "valid")]
    assert await shown(svc, admin, class_id) == (NEW, "valid")


async def test_a_late_event_of_a_replaced_certificate_leaves_it_revoked(
    consuming: Service, broker: RabbitTransport,
) -> None:
    svc = consuming
    admin, class_id, enrollment = await enrolled(svc)
    old, new = new_id(), new_id()
    await publish(broker, certificate(enrollment, new, 1, CertificateIssued, NEW, replaces=old),
                  "certification", MORNING + timedelta(hours=2))
    await eventually(lambda: _count(svc, old, new, 1))
    await publish(broker, certificate(enrollment, old, 1, CertificateIssued, OLD),
                  "certification", MORNING)
    await eventually(lambda: _count(svc, old, new, 2))
    assert await stored(svc, old, new) == [(OLD, "revoked"), (NEW, "valid")]
    assert await shown(svc, admin, class_id) == (NEW, "valid")


async def test_of_two_certificates_issued_the_same_day_the_later_issued_is_shown(
    consuming: Service, broker: RabbitTransport,
) -> None:
    svc = consuming
    admin, class_id, enrollment = await enrolled(svc)
    first, second = new_id(), new_id()
    await publish(broker, certificate(enrollment, first, 1, CertificateIssued, OLD),
                  "certification", MORNING)
    await eventually(lambda: _count(svc, first, second, 1))
    await publish(broker, certificate(enrollment, second, 1, CertificateIssued, NEW),
                  "certification", MORNING + timedelta(minutes=5))
    await eventually(lambda: _count(svc, first, second, 2))
    assert await shown(svc, admin, class_id) == (NEW, "valid")
    # The later one revoked, the earlier valid one is current.
    await publish(broker, certificate(enrollment, second, 2, CertificateRevoked, NEW,
                                      reason="error"), "certification")

    async def earlier_shown() -> bool:
        return await shown(svc, admin, class_id) == (OLD, "valid")

    await eventually(earlier_shown)


async def _count(svc: Service, a: UUID, b: UUID, expected: int) -> bool:
    return len(await stored(svc, a, b)) == expected


async def test_delivery_outcomes_show_whether_a_trainee_is_reachable(
    consuming: Service, broker: RabbitTransport,
) -> None:
    svc = consuming
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    trainee_id, token = await svc.add_user(name="李四")
    await svc.enrol(token, cls["id"])
    common = {"source_message_id": new_id(), "source_type": "enrollment.confirmed",
              "channel": "sms", "recipient_user_id": trainee_id,
              "recipient_masked": "138****0000", "provider": "aliyun"}
    await publish(broker, NotificationFailed(notification_id=new_id(), reason="empty number",
                                             permanent=True, **common), "notification")

    async def unreachable() -> bool:
        roster = await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster", token=admin)
        entry = roster.body["items"][0]
        return (entry["reachable"], entry["unreachable_reason"]) == (False, "empty number")

    await eventually(unreachable)
    await publish(broker, NotificationDelivered(notification_id=new_id(),
                                                delivered_at=svc.clock.now(), **common),
                  "notification")

    async def reachable() -> bool:
        roster = await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster", token=admin)
        return roster.body["items"][0]["reachable"] is True

    await eventually(reachable)
