"""Lotteries and their applications: set up, apply, withdraw, claim and record the draw."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from shared.db import Conn

# An application with everything its events carry (same column names as enrolment rows).
_APPLICATION_ROW = """
SELECT a.id, a.class_id, a.trainee_id, a.status, a.rank, a.outcome, a.priority_group,
       a.created_at,
       u.name AS trainee_name, u.phone AS trainee_phone, u.email AS trainee_email,
       u.locale AS trainee_locale,
       c.course_id, c.starts_on, c.ends_on, c.session_start, c.venue, c.online,
       co.code AS course_code, co.title_zh AS course_title_zh, co.title_en AS course_title_en
FROM applications a
JOIN users u ON u.id = a.trainee_id
JOIN classes c ON c.id = a.class_id
JOIN courses co ON co.id = c.course_id
"""

_WINDOW = """
SELECT l.class_id, l.commitment, l.seed_encrypted, l.priority_unsubsidised, l.drawn_at,
       l.seats, l.early_reason, c.enroll_opens_at, c.enroll_closes_at, c.status AS class_status
FROM lotteries l JOIN classes c ON c.id = l.class_id WHERE l.class_id = $1
"""


async def insert_lottery(
    conn: Conn, *, class_id: UUID, seed_encrypted: str, commitment: str, priority: bool,
    now: datetime, by: UUID | None,
) -> bool:
    """Make a class a lottery class with its committed seed; False if it is one already."""
    inserted = await conn.fetchval(
        """INSERT INTO lotteries (class_id, seed_encrypted, commitment, priority_unsubsidised,
                                  created_at, created_by)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
        class_id, seed_encrypted, commitment, priority, now, by,
    )
    return bool(inserted)


async def set_priority(conn: Conn, class_id: UUID, priority: bool) -> None:
    """Change an undrawn lottery's priority option."""
    await conn.execute(
        "UPDATE lotteries SET priority_unsubsidised = $2 WHERE class_id = $1 "
        "AND drawn_at IS NULL", class_id, priority,
    )


async def window(conn: Conn, class_id: UUID, *, share: bool = False) -> asyncpg.Record | None:
    """Return a lottery with its class's window; `share` holds it against a draw until commit."""
    return await conn.fetchrow(_WINDOW + (" FOR SHARE OF l" if share else ""), class_id)


async def claim_for_draw(conn: Conn, class_id: UUID) -> asyncpg.Record | None:
    """Lock an undrawn lottery for its draw; None when it is drawn (or being drawn elsewhere,
    then after that draw commits)."""
    return await conn.fetchrow(
        _WINDOW + " AND l.drawn_at IS NULL FOR UPDATE OF l", class_id
    )


async def insert_application(
    conn: Conn, *, application_id: UUID, class_id: UUID, trainee_id: UUID, now: datetime
) -> tuple[asyncpg.Record, bool]:
    """Record an application unless the trainee has a live one; return it and whether new."""
    created = await conn.fetchval(
        """INSERT INTO applications (id, class_id, trainee_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING RETURNING true""",
        application_id, class_id, trainee_id, now,
    )
    row = await conn.fetchrow(
        _APPLICATION_ROW + " WHERE a.class_id = $1 AND a.trainee_id = $2 "
        "AND a.status <> 'withdrawn'", class_id, trainee_id,
    )
    assert row is not None
    return row, bool(created)


async def application(conn: Conn, application_id: UUID) -> asyncpg.Record | None:
    """Return an application with what its events carry."""
    return await conn.fetchrow(_APPLICATION_ROW + " WHERE a.id = $1", application_id)


async def withdraw(conn: Conn, application_id: UUID, now: datetime) -> bool:
    """Withdraw an applied application; False when it is not applied any more."""
    done = await conn.fetchval(
        "UPDATE applications SET status = 'withdrawn', updated_at = $2 "
        "WHERE id = $1 AND status = 'applied' RETURNING true", application_id, now,
    )
    return bool(done)


async def applied(conn: Conn, class_id: UUID) -> list[asyncpg.Record]:
    """Return a (claimed) lottery's applications still in the draw."""
    return await conn.fetch(
        "SELECT id, trainee_id FROM applications WHERE class_id = $1 AND status = 'applied'",
        class_id,
    )


async def due(conn: Conn, now: datetime) -> list[UUID]:
    """Return the undrawn lotteries whose window has closed (scheduled classes)."""
    rows = await conn.fetch(
        """SELECT l.class_id FROM lotteries l JOIN classes c ON c.id = l.class_id
           WHERE l.drawn_at IS NULL AND c.enroll_closes_at <= $1 AND c.status = 'scheduled'""",
        now,
    )
    return [r["class_id"] for r in rows]


async def record_places(
    conn: Conn, *, ids: Sequence[UUID], groups: Sequence[int], ranks: Sequence[int],
    outcomes: Sequence[str], refusals: Sequence[str | None], now: datetime,
) -> None:
    """Write every application's draw result."""
    await conn.execute(
        """UPDATE applications a SET status = 'drawn', priority_group = t.g, rank = t.r,
                  outcome = t.o, refusal_code = t.f, updated_at = $6
           FROM unnest($1::uuid[], $2::smallint[], $3::int[], $4::text[], $5::text[])
                AS t(i, g, r, o, f)
           WHERE a.id = t.i""",
        list(ids), list(groups), list(ranks), list(outcomes), list(refusals), now,
    )


async def insert_enrollments(
    conn: Conn, *, class_id: UUID, ids: Sequence[UUID], trainee_ids: Sequence[UUID],
    statuses: Sequence[str], first_booking: int, offer_expires_at: datetime, now: datetime,
) -> None:
    """Create the draw's enrolments (same ids as their applications) in draw order, with
    their first audit row (`lottery.drawn`: the trainee hears of it through the application's
    own `application.drawn` event, so the ledger check expects no enrolment message here)."""
    await conn.execute(
        """WITH t AS (
               SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::text[]) WITH ORDINALITY
                   AS t(i, tr, s, n)
           ), e AS (
               INSERT INTO enrollments (id, class_id, trainee_id, status, via, booking_no,
                                        offer_expires_at, seq, created_at, updated_at)
               SELECT t.i, $1, t.tr, t.s, 'self', $5 + t.n - 1,
                      CASE WHEN t.s = 'offered' THEN $6::timestamptz END, 1, $7, $7
               FROM t RETURNING id, status
           )
           INSERT INTO enrollment_history (enrollment_id, seq, event_type, from_status,
                                           to_status, actor_id, actor_role, reason, at)
           SELECT id, 1, 'lottery.drawn', NULL, status, NULL, 'system', 'lottery', $7
           FROM e""",
        class_id, list(ids), list(trainee_ids), list(statuses), first_booking,
        offer_expires_at, now,
    )


async def add_bookings(
    conn: Conn, class_id: UUID, *, offers: int, waitlisted: int
) -> int:
    """Count the draw's places on a locked class; return the first booking number."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        """UPDATE classes SET bookings = bookings + $2 + $3, seats_taken = seats_taken + $2,
                  waitlist_length = waitlist_length + $3
           WHERE id = $1 RETURNING bookings - $2 - $3 + 1""",
        class_id, offers, waitlisted,
    )


async def mark_drawn(
    conn: Conn, class_id: UUID, *, now: datetime, by: UUID | None, reason: str | None,
    seats: int, offers: int, waitlisted: int, ineligible: int,
) -> bool:
    """Record the draw, once: False when the lottery was drawn already."""
    done = await conn.fetchval(
        """UPDATE lotteries SET drawn_at = $2, drawn_by = $3, early_reason = $4, seats = $5,
                  offers = $6, waitlisted = $7, ineligible = $8
           WHERE class_id = $1 AND drawn_at IS NULL RETURNING true""",
        class_id, now, by, reason, seats, offers, waitlisted, ineligible,
    )
    return bool(done)


async def rows_of(conn: Conn, ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Return applications with what their events carry."""
    return await conn.fetch(_APPLICATION_ROW + " WHERE a.id = ANY($1::uuid[])", list(ids))


async def has_enrollments(conn: Conn, class_id: UUID) -> bool:
    """Tell whether a class has any enrolment (a lottery must start before the first)."""
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM enrollments WHERE class_id = $1)", class_id))


async def force_offer_policy(conn: Conn, class_id: UUID) -> None:
    """Make freed seats of a lottery class go down the list as offers with a deadline."""
    await conn.execute("UPDATE classes SET waitlist_policy = 'offer' WHERE id = $1", class_id)


async def class_exists(conn: Conn, class_id: UUID) -> bool:
    """Tell whether a class exists."""
    return bool(await conn.fetchval("SELECT true FROM classes WHERE id = $1", class_id))
