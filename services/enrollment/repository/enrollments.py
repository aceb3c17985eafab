"""Enrolments: seat booking, transitions with their audit row, idempotency keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import asyncpg

from services.enrollment.repository import Row
from shared.db import Conn
from shared.errors import Conflict

# Everything an event about an enrolment needs (trainee, class, course), in one row.
_EVENT_ROW = """
SELECT e.id, e.class_id, e.trainee_id, e.status, e.seq, e.booking_no, e.via,
       e.offer_expires_at, e.theory_score, e.practical_score, e.result_version,
       e.result_fingerprint, e.scored_by,
       u.name AS trainee_name, u.phone AS trainee_phone, u.email AS trainee_email,
       u.locale AS trainee_locale, u.id_type, u.id_number_encrypted, u.id_number_masked,
       c.course_id, c.starts_on, c.ends_on, c.session_start, c.venue, c.online,
       co.code AS course_code, co.title_zh AS course_title_zh, co.title_en AS course_title_en
FROM enrollments e
JOIN users u ON u.id = e.trainee_id
JOIN classes c ON c.id = e.class_id
JOIN courses co ON co.id = c.course_id
"""

_BOOKING_CONTEXT = """
SELECT c.id AS class_id, c.status AS class_status, c.enroll_opens_at, c.enroll_closes_at,
       c.union_members_only, c.results_released_at, c.course_id, c.starts_on, c.ends_on,
       c.session_start, c.venue, c.online,
       co.code AS course_code, co.title_zh AS course_title_zh, co.title_en AS course_title_en,
       u.id AS trainee_id, u.role AS trainee_role, u.name AS trainee_name,
       u.phone AS trainee_phone, u.email AS trainee_email, u.locale AS trainee_locale,
       u.union_member,
       (SELECT e.id FROM enrollments e WHERE e.class_id = c.id AND e.trainee_id = u.id
          AND e.status <> 'cancelled') AS existing_id,
       (SELECT l.drawn_at IS NOT NULL FROM lotteries l WHERE l.class_id = c.id)
          AS lottery_drawn,
       EXISTS (SELECT 1 FROM course_rules r WHERE r.course_id = c.course_id)
          AS has_course_rules
FROM classes c JOIN courses co ON co.id = c.course_id CROSS JOIN users u
WHERE c.id = $1 AND u.id = $2
"""

# The key's claim runs whether or not the class and trainee exist (a data-modifying WITH
# always runs to completion); the LEFT JOIN returns one row either way.
_CLAIM_AND_CONTEXT = f"""
WITH claim AS (
    INSERT INTO idempotency_keys (user_id, key, fingerprint) VALUES ($3, $4, $5)
    ON CONFLICT DO NOTHING RETURNING true AS claimed
)
SELECT coalesce((SELECT claimed FROM claim), false) AS claimed, ctx.*
FROM (SELECT 1) AS one LEFT JOIN ({_BOOKING_CONTEXT}) AS ctx ON true
"""

# Seats and waitlist change only under the class row lock taken by this statement's UPDATE
# and held until commit, so booking numbers follow the commit order. A seat is free only when
# nobody waits: nobody jumps the queue. One statement books, records the enrolment, its first
# audit row and the idempotent response, to keep the lock short.
_BOOK = """
WITH seat AS (
    UPDATE classes SET
        bookings = bookings + 1,
        seats_taken = seats_taken
            + CASE WHEN seats_taken < capacity AND waitlist_length = 0 THEN 1 ELSE 0 END,
        waitlist_length = waitlist_length
            + CASE WHEN seats_taken < capacity AND waitlist_length = 0 THEN 0 ELSE 1 END
    WHERE id = $2 AND status = 'scheduled'
    RETURNING bookings, waitlist_length,
        CASE WHEN waitlist_length = 0 THEN 'confirmed' ELSE 'waitlisted' END AS status
), e AS (
    INSERT INTO enrollments (id, class_id, trainee_id, status, via, booking_no, seq,
                             created_at, updated_at)
    SELECT $1, $2, $3, seat.status, $4, seat.bookings, 1, $5, $5 FROM seat
    RETURNING id, status
), h AS (
    INSERT INTO enrollment_history (enrollment_id, seq, event_type, from_status, to_status,
                                    actor_id, actor_role, reason, at)
    SELECT id, 1, 'enrollment.' || status, NULL, status, $6, $7, $4, $5 FROM e
), i AS (
    UPDATE idempotency_keys SET status = 201, response = jsonb_build_object(
        'id', $1::uuid, 'class_id', $2::uuid, 'status', seat.status,
        'waitlist_position', CASE WHEN seat.status = 'waitlisted' THEN seat.waitlist_length END
    )::text
    FROM seat WHERE user_id = $8 AND key = $9
)
SELECT bookings, waitlist_length FROM seat
"""

_TRANSITION = """
WITH u AS (
    UPDATE enrollments SET status = $2, seq = seq + 1, updated_at = $3,
        offer_expires_at = $4, cancel_reason = coalesce($5, cancel_reason)
    WHERE id = $1
    RETURNING id, seq
)
INSERT INTO enrollment_history (enrollment_id, seq, event_type, from_status, to_status,
                                actor_id, actor_role, reason, at)
SELECT id, seq, $6, $7, $2, $8, $9, $5, $3 FROM u
RETURNING seq
"""


@dataclass(frozen=True, slots=True)
class Seat:
    """The outcome of taking a place in a class."""

    booking_no: int
    waitlist_length: int

    @property
    def confirmed(self) -> bool:
        """Tell whether a seat was booked (else the trainee is last on the waitlist)."""
        return self.waitlist_length == 0


@dataclass(frozen=True, slots=True)
class Audit:
    """Who did something to an enrolment, and why."""

    actor_id: UUID | None
    actor_role: str
    reason: str | None = None


async def booking_context(
    conn: Conn, class_id: UUID, trainee_id: UUID
) -> asyncpg.Record | None:
    """Return the class, course and trainee of a booking, with any live enrolment."""
    return await conn.fetchrow(_BOOKING_CONTEXT, class_id, trainee_id)


async def book_seat(
    conn: Conn, *, enrollment_id: UUID, class_id: UUID, trainee_id: UUID, via: str,
    now: datetime, audit: Audit, idempotency: tuple[UUID, str] | None,
) -> Seat | None:
    """Take a seat or the next waitlist place and record the enrolment (and the response of
    its Idempotency-Key); None when the class is cancelled."""
    user_id, key = idempotency or (None, None)
    row = await conn.fetchrow(
        _BOOK, enrollment_id, class_id, trainee_id, via, now, audit.actor_id, audit.actor_role,
        user_id, key,
    )
    return Seat(row["bookings"], row["waitlist_length"]) if row else None


async def transition(
    conn: Conn, row: Row, *, to_status: str, event_type: str,
    audit: Audit, now: datetime, offer_expires_at: datetime | None = None,
    cancel_reason: str | None = None,
) -> int:
    """Move an enrolment to a state (or stay, for reminders), audit it; return the new seq."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        _TRANSITION, row["id"], to_status, now, offer_expires_at, cancel_reason, event_type,
        row["status"], audit.actor_id, audit.actor_role,
    )


async def owner(conn: Conn, enrollment_id: UUID) -> asyncpg.Record | None:
    """Return an enrolment's class and trainee (unlocked)."""
    return await conn.fetchrow(
        "SELECT class_id, trainee_id FROM enrollments WHERE id = $1", enrollment_id
    )


async def event_rows(conn: Conn, ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Return enrolments with everything their events carry, in booking order."""
    return await conn.fetch(
        _EVENT_ROW + " WHERE e.id = ANY($1::uuid[]) ORDER BY e.booking_no", list(ids)
    )


async def class_event_rows(
    conn: Conn, class_id: UUID, statuses: Sequence[str], *, limit: int | None = None
) -> list[asyncpg.Record]:
    """Return a class's enrolments in these states, in booking order (waitlist: FIFO)."""
    return await conn.fetch(
        _EVENT_ROW + " WHERE e.class_id = $1 AND e.status = ANY($2::text[]) "
        "ORDER BY e.booking_no LIMIT $3",
        class_id, list(statuses), limit,
    )


async def expired_offer_rows(
    conn: Conn, class_id: UUID, now: datetime
) -> list[asyncpg.Record]:
    """Return a class's offers whose deadline has passed."""
    return await conn.fetch(
        _EVENT_ROW + " WHERE e.class_id = $1 AND e.status = 'offered' "
        "AND e.offer_expires_at <= $2 ORDER BY e.booking_no",
        class_id, now,
    )


async def classes_with_expired_offers(conn: Conn, now: datetime) -> list[UUID]:
    """Return the classes that have at least one expired offer."""
    rows = await conn.fetch(
        "SELECT DISTINCT class_id FROM enrollments "
        "WHERE status = 'offered' AND offer_expires_at <= $1",
        now,
    )
    return [r["class_id"] for r in rows]


async def classes_starting_on(conn: Conn, day: date) -> list[UUID]:
    """Return the scheduled classes whose first day is `day`."""
    rows = await conn.fetch(
        "SELECT id FROM classes WHERE starts_on = $1 AND status = 'scheduled'", day
    )
    return [r["id"] for r in rows]


async def claim_reminders(conn: Conn, class_id: UUID, day: date) -> list[UUID]:
    """Record a reminder for each confirmed enrolment not yet reminded; return those ids."""
    rows = await conn.fetch(
        """INSERT INTO reminders (enrollment_id, class_date)
           SELECT id, $2 FROM enrollments WHERE class_id = $1 AND status = 'confirmed'
           ON CONFLICT DO NOTHING RETURNING enrollment_id""",
        class_id, day,
    )
    return [r["enrollment_id"] for r in rows]


# --- idempotency keys ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """A response kept for an Idempotency-Key."""

    fingerprint: str
    status: int
    body: str


async def claim_key_and_read_context(
    conn: Conn, *, user_id: UUID, key: str, fingerprint: str, class_id: UUID, trainee_id: UUID
) -> tuple[bool, asyncpg.Record | None]:
    """Claim an Idempotency-Key for this transaction and read the booking context, in one
    round trip: (claimed, context). Not claimed: an earlier request holds the key (see
    `stored_response`); the context is then not to be used.

    A concurrent request with the same key waits on the primary key until the first one
    commits (then it is not claimed) or rolls back (then this one does the work)."""
    row = await conn.fetchrow(_CLAIM_AND_CONTEXT, class_id, trainee_id, user_id, key,
                              fingerprint)
    assert row is not None
    return bool(row["claimed"]), row if row["class_id"] is not None else None


async def stored_response(conn: Conn, *, user_id: UUID, key: str) -> StoredResponse:
    """Return what the request that claimed this key stored under it."""
    row = await conn.fetchrow(
        "SELECT fingerprint, status, response FROM idempotency_keys "
        "WHERE user_id = $1 AND key = $2",
        user_id, key,
    )
    if row is None or row["response"] is None:  # committed with the work, so never expected
        raise Conflict("This Idempotency-Key is in use; retry shortly.",
                       code="idempotency_key_busy")
    return StoredResponse(row["fingerprint"], row["status"], row["response"])


async def purge_idempotency_keys(conn: Conn, before: datetime) -> int:
    """Forget keys older than the retention."""
    result = await conn.execute("DELETE FROM idempotency_keys WHERE created_at < $1", before)
    return int(result.split()[-1])
