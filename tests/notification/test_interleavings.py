"""Enrolment and certificate histories delivered in any order, duplicated and redelivered
through two or three racing notification instances end as in-order delivery ends.

In-order delivery (with nothing sent in between) leaves each event's message waiting unless a
later event of its aggregate makes it pointless (the superseding table): then it is
`superseded`. That state does not depend on the order, so it is the canonical one every
interleaving must reach: one ledger row per event, `queued` exactly for the messages the table
leaves to go and `superseded` for the others, and the dispatcher's claim then sends exactly
the queued ones and finds nothing more to overtake; nothing is parked in `.error`.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from services.notification import repository
from services.notification.app import create_app
from services.notification.subscriptions import subscriptions
from shared.events.envelope import Event
from shared.messaging.memory import InMemoryTransport
from shared.service import Overrides, topology_for
from tests.notification.conftest import settings_for
from tests.notification.harness import SHANGHAI_DAY
from tests.notification.histories import (
    Aggregate,
    canonical_to_send,
    new_aggregate,
    random_history,
)
from tests.support.clock import FakeClock
from tests.support.interleaving import (
    AiohttpClient,
    Brokers,
    Deliverer,
    Plan,
    plan_of,
    rabbitmq_brokers,
    run_plans,
    start_apps,
    wrap_all,
)
from tests.support.interleaving import (
    memory_broker as memory_broker,  # the fixture
)

_NUMBERS = itertools.count(1)  # a phone number per aggregate: no rate limit is shared
Made = list[tuple[Aggregate, list[Event]]]


def plan_for(seed: int) -> tuple[Plan, Made]:
    """Return one interleaving of the histories of 1-3 enrolments or certificates."""
    rng = random.Random(seed ^ 0x5EED)
    made: Made = []
    for _ in range(rng.randint(1, 3)):
        aggregate = new_aggregate(next(_NUMBERS))
        made.append((aggregate, random_history(rng, aggregate, certificate=rng.random() < 0.3)))
    events = [e for _, history in made for e in history]
    return plan_of(seed, wrap_all(events, producer="enrollment", seed=seed)), made


async def problems_of(pool: asyncpg.Pool, made: Made) -> list[str]:
    """Return how the ledger differs from the canonical state (empty: it does not)."""
    found = []
    for aggregate, history in made:
        rows = await pool.fetch(
            "SELECT seq, status FROM notifications WHERE aggregate_id = $1 "
            "AND fallback_of IS NULL ORDER BY seq", str(aggregate.id))
        to_send = canonical_to_send(history)
        wanted = [(e.seq, "queued" if e.seq in to_send else "superseded")  # type: ignore[attr-defined]
                  for e in history if e.event_type != "enrollment.attended"]
        got = [(r["seq"], r["status"]) for r in rows]
        if got != wanted:
            kinds = [e.event_type.split(".")[1] for e in history]
            found.append(f"{kinds}: rows {got}, expected {wanted}")
    return found


async def claim_problems(pool: asyncpg.Pool, clock: FakeClock, made: Made) -> list[str]:
    """Claim every due row as the dispatcher would; it must send exactly the canonical ones."""
    async with pool.acquire() as conn, conn.transaction():
        sent, overtaken = await repository.claim_due(
            conn, now=clock.now() + timedelta(seconds=1), limit=100_000)
    ours = {str(a.id): canonical_to_send(h) for a, h in made}
    claimed: dict[str, set[int]] = {key: set() for key in ours}
    for row in sent:
        claimed.setdefault(row.aggregate_id, set()).add(row.seq or 0)
    wrong = [f"claimed {claimed[k]} of {k}, canonical {v}" for k, v in ours.items()
             if claimed[k] != v]
    return wrong + [f"claim overtook {row.aggregate_id} seq {row.seq}" for row in overtaken]


async def start_instances(
    count: int, brokers: Brokers, *, clock: FakeClock, pg_dsn: str, namespace: str,
    key_files: Path, aiohttp_client: AiohttpClient,
) -> Deliverer:
    """Start `count` notification instances (no dispatcher), the i-th on brokers[i]."""
    settings = settings_for(pg_dsn, namespace, key_files, run_dispatcher=False, run_relay=False,
                            delay_tiers_ms=(50, 100, 200), immediate_retries=10)
    return await start_apps(
        count, brokers, topology=topology_for(settings, subscriptions),
        make_app=lambda transport: create_app(
            settings, overrides=Overrides(transport=transport), clock=clock),
        aiohttp_client=aiohttp_client)


async def run(deliverer: Deliverer, clock: FakeClock, count: int, *, per_round: int) -> None:
    """Deliver `count` interleavings; each plan's ledger, then each round's claim, must be
    canonical."""

    async def check(_plan: Plan, made: Made) -> list[str]:
        return await problems_of(deliverer.pool, made)

    async def claim(of_round: Sequence[Made]) -> list[str]:
        return await claim_problems(deliverer.pool, clock, [p for m in of_round for p in m])

    await run_plans(deliverer, plan_for, count, check=check, per_round=per_round,
                    after_round=claim)


@pytest.mark.parametrize("instances", [2, 3])
async def test_histories_in_any_order_through_racing_instances_end_as_in_order_delivery(
    instances: int, pg_dsn: str, namespace: str, key_files: Path, memory_broker: InMemoryTransport,
    aiohttp_client: AiohttpClient,
) -> None:
    clock = FakeClock(SHANGHAI_DAY, flowing=True)
    deliverer = await start_instances(instances, [memory_broker], clock=clock, pg_dsn=pg_dsn,
                                      namespace=namespace, key_files=key_files,
                                      aiohttp_client=aiohttp_client)
    await run(deliverer, clock, 100, per_round=20)


@pytest.mark.long
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("instances", [2, 3])
async def test_histories_in_any_order_through_racing_instances_on_rabbitmq_end_as_in_order(
    instances: int, pg_dsn: str, namespace: str, key_files: Path,
    aiohttp_client: AiohttpClient,
) -> None:
    async with rabbitmq_brokers(namespace, instances) as brokers:
        clock = FakeClock(SHANGHAI_DAY, flowing=True)
        deliverer = await start_instances(instances, brokers, clock=clock, pg_dsn=pg_dsn,
                                          namespace=namespace, key_files=key_files,
                                          aiohttp_client=aiohttp_client)
        try:
            await run(deliverer, clock, 1_000, per_round=50)
        finally:
            await deliverer.stop_instances()
