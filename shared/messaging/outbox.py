"""Write integration events into the outbox inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence

from shared.db import Conn
from shared.events.envelope import Envelope, Event
from shared.messaging.context import child_traceparent, current_context

# Headers travel as JSON text and become jsonb objects here (a jsonb[] parameter would go
# through the pool's jsonb codec and store each already-encoded header as a JSON string).
_INSERT = """
INSERT INTO outbox (message_id, aggregate_id, routing_key, body, headers)
SELECT m, a, r, b, h::jsonb
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(m, a, r, b, h)
"""


class OutboxWriter:
    """Turn events into envelopes of one producer and insert them in the open transaction."""

    def __init__(self, producer: str) -> None:
        self.producer = producer

    def envelope(self, event: Event) -> Envelope:
        """Wrap an event with the current journey's correlation data."""
        ctx = current_context()
        return Envelope.wrap(
            event,
            producer=self.producer,
            correlation_id=ctx.correlation_id,
            causation_id=ctx.causation_id,
            traceparent=child_traceparent(ctx.traceparent),
        )

    async def add(self, conn: Conn, *events: Event) -> list[Envelope]:
        """Insert events into the outbox; the caller's transaction decides if they exist."""
        envelopes = [self.envelope(e) for e in events]
        await self.add_envelopes(conn, envelopes)
        return envelopes

    async def add_envelopes(self, conn: Conn, envelopes: Sequence[Envelope]) -> None:
        """Insert ready-made envelopes (replays and tests)."""
        if not envelopes:
            return
        if not conn.is_in_transaction():
            raise RuntimeError("the outbox is written only inside the business transaction")
        await conn.execute(
            _INSERT,
            [e.message_id for e in envelopes],
            [e.aggregate_id or str(e.message_id) for e in envelopes],
            [e.routing_key for e in envelopes],
            [e.model_dump_json() for e in envelopes],
            [json.dumps(e.headers()) for e in envelopes],
        )
