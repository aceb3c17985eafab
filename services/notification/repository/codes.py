"""Sign-in codes at rest: masked in the ledger and the sink once nobody needs them (issue 15)."""

from __future__ import annotations

from datetime import datetime

from shared.db import Conn

MASK = "******"

# The WHERE clause repeats the predicate of the partial index notifications_unmasked_codes
# (migration 0040) literally, so that even a generic plan uses it.
# A row stops needing its code once it is settled (delivered, failed, or never to be sent) or
# the code has expired. The body, the provider's template parameters, the variables and the
# content hash (a hash of a six-digit code is a code) are all rewritten without it.
_MASK_LEDGER = """
UPDATE notifications SET
    body = replace(body, variables->>'code', $2),
    params = coalesce((SELECT jsonb_agg(CASE WHEN p->>0 = 'code' THEN jsonb_build_array('code', $2)
                                             ELSE p END ORDER BY i)
                       FROM jsonb_array_elements(params) WITH ORDINALITY AS e(p, i)), '[]'),
    variables = variables || jsonb_build_object('code', $2::text),
    content_hash = encode(sha256(convert_to(
        channel || '|' || recipient || '|' || replace(body, variables->>'code', $2), 'UTF8')),
        'hex')
WHERE variables ? 'code' AND variables->>'code' <> '******'
  AND (status IN ('delivered', 'failed', 'superseded', 'coalesced', 'suppressed')
       OR expires_at <= $1)
"""
# The sink stands in for the phone: it keeps the code (for the dev inbox) until it expires.
_MASK_SINK = """
UPDATE sink_messages s SET body = replace(s.body, s.code, $2), code = NULL
FROM notifications n
WHERE s.code IS NOT NULL AND n.id = s.notification_id AND n.expires_at <= $1
"""


async def mask_spent_codes(conn: Conn, *, now: datetime) -> tuple[int, int]:
    """Mask codes no message needs any more; return (ledger rows, sink rows) changed."""
    ledger = await conn.execute(_MASK_LEDGER, now, MASK)
    sink = await conn.execute(_MASK_SINK, now, MASK)
    return int(ledger.split()[-1]), int(sink.split()[-1])


def mask_code(text: str, code: str | None) -> str:
    """Return a message's text with its code masked."""
    return text.replace(code, MASK) if code else text
