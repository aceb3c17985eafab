"""Certificate histories, certificates held from elsewhere and delivery reports arriving in any
order, duplicated and redelivered through two or three racing enrollment consumers end as
in-order delivery ends.

In-order delivery leaves each certificate as its largest seq says (number, status, reason),
dated by its `issued` event and linked to what it replaces; a certificate replaced by a
reissue is revoked. Each certificate a trainee recorded in certification is kept once (none
without a level), also when certification re-sends it as a new message. Each trainee's channel
shows the report with the largest (occurred_at, message_id); reports here often share an
occurred_at, so the tie-break is tested too. That state does not depend on the order: it is the
canonical one every interleaving must reach, with nothing parked in `.error`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from services.enrollment.app import MIGRATIONS
from services.enrollment.subscriptions import subscriptions
from shared.db import create_pool
from shared.events import catalog as c
from shared.events.envelope import Envelope
from shared.ids import new_id
from shared.messaging.consumer import Consumer, ConsumerSettings
from shared.messaging.memory import InMemoryTransport
from shared.messaging.outbox import OutboxWriter
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import Transport
from shared.migrations import migrate
from shared.service import migration_dirs
from tests.support.interleaving import (
    Chaos,
    ChaosTransport,
    Deliverer,
    Plan,
    plan_of,
    rabbitmq_brokers,
    run_plans,
    wrap_all,
)
from tests.support.interleaving import (
    memory_broker as memory_broker,  # the fixture
)

MORNING = datetime(2026, 3, 20, 1, 0, tzinfo=UTC)
HOLDER = UUID(int=0x4E1D)  # the trainee who records certificates held from elsewhere
_STATUS: dict[type[c.CertificateEvent], str] = {
    c.CertificateIssued: "valid", c.CertificateReinstated: "valid",
    c.CertificateRevoked: "revoked", c.CertificateSuspended: "suspended",
}


@dataclass
class Made:
    """One plan's events with what in-order delivery makes of them."""

    certificates: list[c.CertificateEvent] = field(default_factory=list)
    reports: list[Envelope] = field(default_factory=list)  # with chosen occurred_at
    held: list[c.HeldCertificateRecorded] = field(default_factory=list)

    def certificate_envelopes(self, seed: int) -> list[Envelope]:
        """Wrap the certificate events; an `issued` one occurs at a moment of its own."""
        out = wrap_all(self.certificates, producer="certification", seed=seed)
        return [e.model_copy(update={"occurred_at": MORNING + timedelta(minutes=i)})
                for i, e in enumerate(out)]


def _certificate(
    cls: type[c.CertificateEvent], cert: UUID, enrollment: UUID, seq: int, number: str,
    **extra: Any,
) -> c.CertificateEvent:
    return cls(certificate_id=cert, seq=seq, enrollment_id=enrollment, number=number,
               code="K7Q2M9", verify_url="https://v/x", holder=c.Recipient(name="张三"),
               course_title_zh="直播销售员", course_title_en="Livestream", level=4,
               issued_on=date(2026, 3, 20), **extra)


def certificate_history(rng: random.Random, enrollment: UUID) -> list[c.CertificateEvent]:
    """Return the changes of one enrolment's certificates (reissues make new ones)."""
    cert, seq, serial = new_id(), 1, rng.randrange(10**6)
    number = f"Y000044010001254{serial:07d}"
    events = [_certificate(c.CertificateIssued, cert, enrollment, 1, number)]
    status = "valid"
    for _ in range(rng.randint(0, 4)):
        seq += 1
        step = rng.choice({"valid": ["suspend", "revoke", "correct", "reissue"],
                           "suspended": ["reinstate", "revoke"],
                           "corrected": ["reissue"]}.get(status, ["stop"]))
        if step == "stop":
            break
        if step in ("suspend", "revoke", "correct"):
            cls = c.CertificateSuspended if step == "suspend" else c.CertificateRevoked
            events.append(_certificate(cls, cert, enrollment, seq, number, reason=step))
            status = {"suspend": "suspended", "revoke": "revoked", "correct": "corrected"}[step]
        elif step == "reinstate":
            events.append(_certificate(c.CertificateReinstated, cert, enrollment, seq, number))
            status = "valid"
        else:  # a new certificate replaces this one, which is revoked (if it was not already)
            new_number = f"{number[:-7]}{(serial := serial + 1):07d}"
            if status == "valid":
                events.append(_certificate(c.CertificateRevoked, cert, enrollment, seq, number,
                                           reason=f"reissued as {new_number}"))
            old, cert, seq, number, status = cert, new_id(), 1, new_number, "valid"
            events.append(_certificate(c.CertificateIssued, cert, enrollment, 1, number,
                                       replaces=old))
    return events


def reports(rng: random.Random, user: UUID) -> list[Envelope]:
    """Return delivery reports of one trainee's channels, often at the same moment."""
    out: list[Envelope] = []
    for _ in range(rng.randint(1, 5)):
        channel = rng.choice(["sms", "email"])
        common = {"notification_id": new_id(), "source_message_id": new_id(),
                  "source_type": "enrollment.confirmed", "channel": channel,
                  "recipient_user_id": user, "recipient_masked": "138****0000",
                  "provider": "aliyun"}
        event = (c.NotificationDelivered(**common, delivered_at=MORNING) if rng.random() < 0.5
                 else c.NotificationFailed(**common, reason=f"r{len(out)}",
                                           permanent=rng.random() < 0.5))
        [envelope] = wrap_all([event], producer="notification", seed=0)
        at = MORNING + timedelta(seconds=rng.randint(0, 2))
        out.append(envelope.model_copy(update={"occurred_at": at}))
    return out


def held_certificates(rng: random.Random) -> list[c.HeldCertificateRecorded]:
    """Return 0-2 certificates the holder recorded in certification (some without a level)."""
    return [c.HeldCertificateRecorded(
        held_id=new_id(), user_id=HOLDER, number=f"Y00001101000012{level or 4}{n:06d}",
        number_format="national", occupation_name=rng.choice(["育婴员", "咖啡师"]), level=level)
        for n, level in enumerate(rng.choice([None, 3, 4]) for _ in range(rng.randint(0, 2)))]


def plan_for(seed: int) -> tuple[Plan, Made]:
    """Return one interleaving of 1-2 enrolments' certificates, held certificates (some re-sent
    as new messages) and one trainee's reports."""
    rng = random.Random(seed ^ 0x5EED)
    made = Made()
    for _ in range(rng.randint(1, 2)):
        made.certificates += certificate_history(rng, new_id())
    made.reports = reports(rng, new_id())
    made.held = held_certificates(rng)
    resent = [h for h in made.held if rng.random() < 0.3]
    held = wrap_all([*made.held, *resent], producer="certification", seed=seed)
    return plan_of(seed, [*made.certificate_envelopes(seed), *made.reports, *held]), made


def expected_certificates(envelopes: Sequence[Envelope]) -> dict[UUID, tuple[Any, ...]]:
    """Return each certificate as in-order delivery leaves it."""
    latest: dict[UUID, c.CertificateEvent] = {}
    issued: dict[UUID, tuple[datetime, UUID | None]] = {}
    for envelope in envelopes:
        event = c.CertificateEvent.model_validate(envelope.data)
        kind = _KINDS[envelope.type]
        full = kind.model_validate(envelope.data)
        if event.certificate_id not in latest or latest[event.certificate_id].seq < event.seq:
            latest[event.certificate_id] = full
        if isinstance(full, c.CertificateIssued):
            issued[event.certificate_id] = (envelope.occurred_at, full.replaces)
    return {cid: (e.number, _STATUS[type(e)], getattr(e, "reason", None), e.seq, *issued[cid])
            for cid, e in latest.items()}


_KINDS: dict[str, type[c.CertificateEvent]] = {cls.event_type: cls for cls in _STATUS}


def expected_reachability(envelopes: Sequence[Envelope]) -> dict[str, tuple[Any, ...]]:
    """Return each channel's report with the largest (occurred_at, message_id)."""
    best: dict[str, Envelope] = {}
    for envelope in envelopes:
        channel = envelope.data["channel"]
        if channel not in best or (best[channel].occurred_at, best[channel].message_id) < (
                envelope.occurred_at, envelope.message_id):
            best[channel] = envelope
    return {ch: (e.type == "notification.delivered", e.data.get("permanent", False),
                 e.data.get("reason"), e.occurred_at) for ch, e in best.items()}


async def problems_of(pool: asyncpg.Pool, plan: Plan, made: Made) -> list[str]:
    """Return how the projections differ from in-order delivery (empty: they do not)."""
    certificates = [e for e in plan.envelopes if e.type.startswith("certificate.")]
    wanted = expected_certificates(certificates)
    rows = await pool.fetch(
        "SELECT certificate_id, number, status, reason, seq, issued_at, replaces "
        "FROM certificates WHERE certificate_id = ANY($1::uuid[])", list(wanted))
    got = {r["certificate_id"]: tuple(r)[1:] for r in rows}
    found = [f"certificate {k}: {got.get(k)} != {v}" for k, v in wanted.items()
             if got.get(k) != v]
    user = made.reports[0].data["recipient_user_id"]
    rows = await pool.fetch("SELECT channel, delivered, permanent, reason, occurred_at "
                            "FROM reachability WHERE user_id = $1", UUID(user))
    reach = {r["channel"]: tuple(r)[1:] for r in rows}
    if reach != expected_reachability(made.reports):
        found.append(f"reachability {reach} != {expected_reachability(made.reports)}")
    rows = await pool.fetch(
        "SELECT id, trainee_id, occupation_name, level, number FROM skill_certificates "
        "WHERE id = ANY($1::uuid[])", [h.held_id for h in made.held])
    kept = sorted(tuple(r) for r in rows)
    wanted_held = sorted((h.held_id, h.user_id, h.occupation_name, h.level, h.number)
                         for h in made.held if h.level is not None)
    if kept != wanted_held:
        found.append(f"held certificates {kept} != {wanted_held}")
    return found


@dataclass
class Instances:
    """Enrollment consumers on their own pools, as separate processes would be."""

    deliverer: Deliverer
    consumers: list[Consumer]
    pools: list[asyncpg.Pool]

    async def stop(self) -> None:
        """Stop every consumer and close its pool."""
        for consumer in self.consumers:
            await consumer.stop(grace_s=5)
        for pool in self.pools:
            await pool.close()


async def start_instances(
    count: int, brokers: Sequence[Transport], *, pg_dsn: str, namespace: str
) -> Instances:
    """Start `count` enrollment consumers on the database, the i-th on brokers[i]."""
    await migrate(pg_dsn, migration_dirs(MIGRATIONS))
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(
            """INSERT INTO users (id, role, phone, name, claimed_at, created_at, updated_at)
               VALUES ($1, 'trainee', '+8613800004321', '周九', $2, $2, $2)""", HOLDER, MORNING)
    finally:
        await conn.close()
    topology = QueueTopology(queue=f"{namespace}.enrollment", bindings=subscriptions.routing_keys,
                             delay_tiers_ms=(50, 100, 200))
    chaos, pools, consumers, transports = Chaos(), [], [], []
    for i in range(count):
        pools.append(await create_pool(pg_dsn, min_size=1, max_size=4))
        transports.append(ChaosTransport(brokers[i % len(brokers)], chaos))
        consumers.append(Consumer(service="enrollment", transport=transports[-1],
                                  topology=topology, subscriptions=subscriptions, pool=pools[-1],
                                  outbox=OutboxWriter("enrollment"), settings=ConsumerSettings()))
        await consumers[-1].start()
    deliverer = Deliverer(brokers[0], topology, chaos, pools[0], transports)
    return Instances(deliverer, consumers, pools)


async def run(deliverer: Deliverer, count: int, *, per_round: int) -> None:
    """Deliver `count` interleavings; each plan must end in the canonical state."""

    async def check(plan: Plan, made: Made) -> list[str]:
        return await problems_of(deliverer.pool, plan, made)

    await run_plans(deliverer, plan_for, count, check=check, per_round=per_round)


@pytest.mark.parametrize("count", [2, 3])
async def test_certificates_and_reports_in_any_order_through_racing_consumers_end_as_in_order(
    count: int, pg_dsn: str, namespace: str, memory_broker: InMemoryTransport,
) -> None:
    instances = await start_instances(count, [memory_broker], pg_dsn=pg_dsn, namespace=namespace)
    try:
        await run(instances.deliverer, 100, per_round=20)
    finally:
        await instances.stop()


@pytest.mark.long
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("count", [2, 3])
async def test_certificates_and_reports_in_any_order_on_rabbitmq_end_as_in_order(
    count: int, pg_dsn: str, namespace: str,
) -> None:
    async with rabbitmq_brokers(namespace, count) as brokers:
        instances = await start_instances(count, brokers, pg_dsn=pg_dsn, namespace=namespace)
        try:
            await run(instances.deliverer, 1_000, per_round=50)
        finally:
            await instances.stop()
