"""Where the platform's enrol-to-SMS time goes, from the timestamps its tables already keep.

- client send -> enrol transaction: HTTP, token check, request parsing (outbox.created_at is the
  enrol transaction's now());
- -> relay claim: the outbox row waits for the relay (outbox.sent_at is the claiming
  transaction's now());
- -> consumer transaction: publish, confirm, broker, consumer batch (notification's
  inbox.processed_at);
- -> sink: intake commit, dispatcher wake-up and claim, the send (sink_messages.created_at).
"""

from __future__ import annotations

from itertools import pairwise
from uuid import UUID

from bench.common import percentile
from bench.pipeline_measure import Marks, Side

_NOTIFICATION = """
SELECT s.recipient, n.source_message_id, extract(epoch FROM i.processed_at)::float8 AS consumed,
       extract(epoch FROM s.created_at)::float8 AS sunk
FROM sink_messages s JOIN notifications n ON n.id = s.notification_id
     JOIN inbox i ON i.message_id = n.source_message_id
WHERE s.id > $1
"""
_OUTBOX = """
SELECT message_id, extract(epoch FROM created_at)::float8 AS committed,
       extract(epoch FROM sent_at)::float8 AS claimed
FROM outbox WHERE message_id = ANY($1::uuid[])
"""
STAGES = ("HTTP -> enrol tx", "-> relay claim", "-> consumer tx", "-> sink")


async def stages(side: Side, start: Marks, sent_at: dict[str, float]) -> dict[str, list[float]]:
    """Return each stage's durations (ms) for the platform's SMS since `start`."""
    rows = await side.sink.fetch(_NOTIFICATION, start.sink_id)
    ids: list[UUID] = [r["source_message_id"] for r in rows]
    outbox = {r["message_id"]: r for r in await side.enrol.fetch(_OUTBOX, ids)}
    out: dict[str, list[float]] = {name: [] for name in STAGES}
    for row in rows:
        source = outbox.get(row["source_message_id"])
        if source is None or row["recipient"] not in sent_at:
            continue
        marks = (sent_at[row["recipient"]], source["committed"], source["claimed"],
                 row["consumed"], row["sunk"])
        for name, (a, b) in zip(STAGES, pairwise(marks), strict=True):
            out[name].append((b - a) * 1000)
    return out


def describe(durations: dict[str, list[float]]) -> str:
    """Return the stages' p50 / p99 as one line."""
    return ", ".join(f"{name} {percentile(v, 50):.0f}/{percentile(v, 99):.0f}"
                     for name, v in durations.items())
