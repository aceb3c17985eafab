"""Several self-service bookings of one class written at once (handlers/self_enrol.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.enrollment.domain.seats import Counters
from shared.db import Conn

_LOCK = """
SELECT status, capacity, seats_taken, waitlist_length, bookings FROM classes WHERE id = $1
FOR NO KEY UPDATE OF classes
"""

# The class's new counters, every enrolment with its first audit row, and the responses kept
# for the bookings' Idempotency-Keys, in one statement under the class row lock.
_BOOK_MANY = """
WITH c AS (
    UPDATE classes SET seats_taken = $2, waitlist_length = $3, bookings = $4 WHERE id = $1
), b AS (
    SELECT * FROM unnest($7::uuid[], $8::uuid[], $9::text[], $10::int[], $11::uuid[],
                         $12::text[])
        AS b(id, trainee_id, status, booking_no, actor_id, actor_role)
), e AS (
    INSERT INTO enrollments (id, class_id, trainee_id, status, via, booking_no, seq,
                             created_at, updated_at)
    SELECT id, $1, trainee_id, status, $5, booking_no, 1, $6, $6 FROM b
    RETURNING id
), h AS (
    INSERT INTO enrollment_history (enrollment_id, seq, event_type, from_status, to_status,
                                    actor_id, actor_role, reason, at)
    SELECT b.id, 1, 'enrollment.' || b.status, NULL, b.status, b.actor_id, b.actor_role, $5, $6
    FROM e JOIN b ON b.id = e.id
)
UPDATE idempotency_keys k SET status = 201, response = r.response
FROM unnest($13::uuid[], $14::text[], $15::text[]) AS r(user_id, key, response)
WHERE k.user_id = r.user_id AND k.key = r.key
"""

_FORGET_KEYS = """
DELETE FROM idempotency_keys k USING unnest($1::uuid[], $2::text[]) AS r(user_id, key)
WHERE k.user_id = r.user_id AND k.key = r.key
"""


@dataclass(frozen=True, slots=True)
class NewBooking:
    """One enrolment of a batch, its status decided."""

    id: UUID
    trainee_id: UUID
    status: str
    booking_no: int
    actor_id: UUID
    actor_role: str
    key: tuple[UUID, str] | None
    response: str


async def lock_class(conn: Conn, class_id: UUID) -> Counters | None:
    """Lock a scheduled class's row until commit; return its counters (None: not scheduled)."""
    row = await conn.fetchrow(_LOCK, class_id)
    if row is None or row["status"] != "scheduled":
        return None
    return Counters(row["capacity"], row["seats_taken"], row["waitlist_length"], row["bookings"])


async def book_many(
    conn: Conn, *, class_id: UUID, counters: Counters, via: str, now: datetime,
    bookings: Sequence[NewBooking],
) -> None:
    """Store a class's new counters and its new enrolments (the class row locked)."""
    keyed = [b for b in bookings if b.key is not None]
    await conn.execute(
        _BOOK_MANY, class_id, counters.seats_taken, counters.waitlist_length, counters.bookings,
        via, now, [b.id for b in bookings], [b.trainee_id for b in bookings],
        [b.status for b in bookings], [b.booking_no for b in bookings],
        [b.actor_id for b in bookings], [b.actor_role for b in bookings],
        [b.key[0] for b in keyed if b.key], [b.key[1] for b in keyed if b.key],
        [b.response for b in keyed],
    )


async def forget_keys(conn: Conn, keys: Sequence[tuple[UUID, str]]) -> None:
    """Drop Idempotency-Keys this transaction claimed for bookings it refused."""
    if keys:
        await conn.execute(_FORGET_KEYS, [k[0] for k in keys], [k[1] for k in keys])
