"""Outbox -> relay -> consumer: every event has exactly one effect."""

from __future__ import annotations

from shared.messaging.transport import Transport
from tests.messaging.harness import ThingHappened, pipeline
from tests.support.infra import eventually


async def test_every_committed_event_has_exactly_one_effect(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        p.start_relay()
        await p.start_consumer()
        await p.emit(*(ThingHappened(thing_id=f"t{i}", n=i) for i in range(200)))

        async def all_done() -> bool:
            return await p.effects() == 200

        await eventually(all_done)
        assert set((await p.effects_per_message()).values()) == {1}

        async def outbox_drained() -> bool:
            return await p.pending() == 0

        await eventually(outbox_drained)
