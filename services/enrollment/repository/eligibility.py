"""Course rules, recorded skill certificates, exceptions, and the facts the rules read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from shared.db import Conn

RULE_FIELDS = ("subsidised", "min_age", "max_age", "max_subsidised_per_year", "no_repeat_level",
               "no_lower_level")
# Places that count as a subsidised training taken (waitlisted and cancelled ones do not).
_TAKEN = "('confirmed', 'offered', 'attended', 'completed')"
# The namespace of the trainees' advisory locks (see `lock_trainees`); the other advisory locks
# of this database use 7-10, 21 and 22.
_PLACES_LOCK = 31

# Per trainee: what the rules need, for one course's class starting on $2 (set-based, so the
# draw reads thousands of applicants in one statement). $1 trainee ids, $3 class id,
# $4 course id, $5 occupation key, $6 level, $7 an enrolment left out (one being moved here).
_FACTS = f"""
SELECT u.id AS trainee_id, u.union_member, u.birth_date, u.id_type, u.id_number_encrypted,
  (SELECT count(*) FROM enrollments e JOIN classes c ON c.id = e.class_id
     JOIN course_rules r ON r.course_id = c.course_id AND r.subsidised
   WHERE e.trainee_id = u.id AND e.class_id <> $3 AND e.status IN {_TAKEN}
     AND e.id IS DISTINCT FROM $7::uuid
     AND extract(year FROM c.starts_on) = extract(year FROM $2::date)) AS subsidised_this_year,
  EXISTS (SELECT 1 FROM enrollments e JOIN classes c ON c.id = e.class_id
     JOIN courses co ON co.id = c.course_id
     JOIN course_rules r ON r.course_id = co.id AND r.subsidised
   WHERE e.trainee_id = u.id AND e.class_id <> $3 AND e.status IN {_TAKEN}
     AND e.id IS DISTINCT FROM $7::uuid
     AND coalesce(co.occupation_code, co.occupation_name) = $5
     AND co.level IS NOT DISTINCT FROM $6::smallint) AS had_same_occupation_level,
  ARRAY(SELECT co.level FROM certificates ce JOIN enrollments e ON e.id = ce.enrollment_id
          JOIN classes c ON c.id = e.class_id JOIN courses co ON co.id = c.course_id
        WHERE e.trainee_id = u.id AND ce.status = 'valid' AND co.level IS NOT NULL
          AND coalesce(co.occupation_code, co.occupation_name) = $5
        UNION ALL
        SELECT s.level FROM skill_certificates s
        WHERE s.trainee_id = u.id
          AND coalesce(s.occupation_code, s.occupation_name) = $5) AS held_levels,
  ARRAY(SELECT x.rule FROM eligibility_exceptions x
        WHERE x.trainee_id = u.id AND (x.course_id IS NULL OR x.course_id = $4)) AS exceptions
FROM users u WHERE u.id = ANY($1::uuid[])
"""


async def course_rules(conn: Conn, course_id: UUID) -> asyncpg.Record | None:
    """Return a course's rules with its occupation and level (None: no rules set)."""
    return await conn.fetchrow(
        """SELECT r.*, co.level, coalesce(co.occupation_code, co.occupation_name) AS occupation
           FROM course_rules r JOIN courses co ON co.id = r.course_id WHERE r.course_id = $1""",
        course_id,
    )


async def course_of_class(conn: Conn, class_id: UUID) -> asyncpg.Record | None:
    """Return a class's course, start date and union rule."""
    return await conn.fetchrow(
        """SELECT c.id AS class_id, c.course_id, c.starts_on, c.union_members_only,
                  co.level, coalesce(co.occupation_code, co.occupation_name) AS occupation
           FROM classes c JOIN courses co ON co.id = c.course_id WHERE c.id = $1""",
        class_id,
    )


async def lock_trainees(conn: Conn, trainee_ids: Sequence[UUID]) -> None:
    """Hold, until commit, the lock on these trainees' subsidised places: whoever reads the
    facts under it and then takes a place commits before the next reader reads (always taken
    in key order, so two holders of several never deadlock on each other)."""
    await conn.execute(
        f"""SELECT count(pg_advisory_xact_lock(k)) FROM (
              SELECT DISTINCT hashtextextended(t::text, {_PLACES_LOCK}) AS k
              FROM unnest($1::uuid[]) AS t ORDER BY k) AS keys""",
        list(trainee_ids),
    )


async def facts(
    conn: Conn, trainee_ids: Sequence[UUID], *, class_row: Any, moving: UUID | None = None
) -> list[asyncpg.Record]:
    """Return the rules' facts of these trainees for a class (see `course_of_class`); the
    enrolment `moving` (to this class) counts as no place taken."""
    return await conn.fetch(
        _FACTS, list(trainee_ids), class_row["starts_on"], class_row["class_id"],
        class_row["course_id"], class_row["occupation"], class_row["level"], moving,
    )


async def upsert_rules(
    conn: Conn, course_id: UUID, values: dict[str, Any], now: datetime
) -> None:
    """Set a course's rules."""
    cols = ", ".join(RULE_FIELDS)
    params = ", ".join(f"${i}" for i in range(3, len(RULE_FIELDS) + 3))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in RULE_FIELDS)
    await conn.execute(
        f"INSERT INTO course_rules (course_id, updated_at, {cols}) VALUES ($1, $2, {params}) "
        f"ON CONFLICT (course_id) DO UPDATE SET updated_at = EXCLUDED.updated_at, {updates}",
        course_id, now, *(values[c] for c in RULE_FIELDS),
    )


async def insert_exception(
    conn: Conn, *, exception_id: UUID, trainee_id: UUID, rule: str, course_id: UUID | None,
    reason: str, granted_by: UUID, now: datetime,
) -> None:
    """Record an administrator's exception (append-only)."""
    await conn.execute(
        """INSERT INTO eligibility_exceptions (id, trainee_id, rule, course_id, reason,
                                               granted_by, granted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        exception_id, trainee_id, rule, course_id, reason, granted_by, now,
    )


async def exceptions_of(conn: Conn, trainee_id: UUID) -> list[asyncpg.Record]:
    """Return a trainee's exceptions, newest first."""
    return await conn.fetch(
        "SELECT * FROM eligibility_exceptions WHERE trainee_id = $1 ORDER BY granted_at DESC",
        trainee_id,
    )


async def insert_skill_certificate(
    conn: Conn, *, certificate_id: UUID, trainee_id: UUID, occupation_name: str,
    occupation_code: str | None, level: int, number: str, recorded_at: datetime,
) -> bool:
    """Keep a skill certificate a trainee holds from elsewhere (recorded in certification);
    False when it is known already or the user is not ours."""
    inserted = await conn.fetchval(
        """INSERT INTO skill_certificates (id, trainee_id, occupation_name, occupation_code,
                                           level, number, recorded_at)
           SELECT $1, u.id, $3, $4, $5, $6, $7 FROM users u WHERE u.id = $2
           ON CONFLICT (id) DO NOTHING RETURNING id""",
        certificate_id, trainee_id, occupation_name, occupation_code, level, number,
        recorded_at,
    )
    return inserted is not None


async def set_birth_date(conn: Conn, trainee_id: UUID, birth_date: date | None) -> None:
    """Record a trainee's birth date (for IDs that do not carry one)."""
    await conn.execute("UPDATE users SET birth_date = $2 WHERE id = $1", trainee_id, birth_date)


async def course_exists(conn: Conn, course_id: UUID) -> bool:
    """Tell whether a course exists."""
    return bool(await conn.fetchval("SELECT true FROM courses WHERE id = $1", course_id))


async def is_trainee(conn: Conn, user_id: UUID) -> bool:
    """Tell whether a user is a trainee."""
    return bool(await conn.fetchval(
        "SELECT true FROM users WHERE id = $1 AND role = 'trainee'", user_id))
