"""Failed password sign-ins and locks, per phone (keyed hash) and per client address."""

from __future__ import annotations

from datetime import datetime

from services.enrollment.domain.identity import Standing
from shared.db import Conn


async def lock_keys(conn: Conn, *, phone_key: str, client_ip: str) -> None:
    """Serialise the bookkeeping of one phone and one address (always in this order)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 21))", phone_key)
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 22))", client_ip)


async def standings(
    conn: Conn, *, phone_key: str, client_ip: str, since: datetime
) -> tuple[Standing, Standing]:
    """Return the phone's and the address's failures since `since` (or their last lock's end)."""
    r = await conn.fetchrow(
        """SELECT pl.locked_until AS phone_until, il.locked_until AS ip_until,
                  (SELECT count(*) FROM password_failures WHERE phone_key = $1
                     AND failed_at > greatest($3::timestamptz, pl.locked_until)) AS phone_failures,
                  (SELECT count(*) FROM password_failures WHERE client_ip = $2
                     AND failed_at > greatest($3::timestamptz, il.locked_until)) AS ip_failures
           FROM (SELECT 1) AS one
           LEFT JOIN password_locks pl ON pl.scope = 'phone' AND pl.key = $1
           LEFT JOIN password_locks il ON il.scope = 'ip' AND il.key = $2""",
        phone_key, client_ip, since,
    )
    assert r is not None
    return (Standing(r["phone_failures"], r["phone_until"]),
            Standing(r["ip_failures"], r["ip_until"]))


async def record_attempt(conn: Conn, *, phone_key: str, client_ip: str, now: datetime) -> int:
    """Count an attempt as failed until its password is known to match; return its id."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        """INSERT INTO password_failures (phone_key, client_ip, failed_at) VALUES ($1, $2, $3)
           RETURNING id""",
        phone_key, client_ip, now,
    )


async def forget_attempt(conn: Conn, attempt_id: int) -> None:
    """Uncount an attempt whose password was never checked."""
    await conn.execute("DELETE FROM password_failures WHERE id = $1", attempt_id)


async def lock(conn: Conn, *, scope: str, key: str, until: datetime) -> None:
    """Refuse password sign-in of a phone or an address until `until`."""
    await conn.execute(
        """INSERT INTO password_locks (scope, key, locked_until) VALUES ($1, $2, $3)
           ON CONFLICT (scope, key) DO UPDATE SET locked_until = excluded.locked_until""",
        scope, key, until,
    )


async def forget_phone(conn: Conn, phone_key: str, *, now: datetime) -> None:
    """Clear a phone's failures and its lock, unless that lock is still running."""
    await conn.execute("DELETE FROM password_failures WHERE phone_key = $1", phone_key)
    await conn.execute(
        "DELETE FROM password_locks WHERE scope = 'phone' AND key = $1 AND locked_until <= $2",
        phone_key, now,
    )


async def purge(conn: Conn, before: datetime) -> int:
    """Forget failures and locks that ended before `before`; return how many failures."""
    status = await conn.execute("DELETE FROM password_failures WHERE failed_at < $1", before)
    await conn.execute("DELETE FROM password_locks WHERE locked_until < $1", before)
    return int(status.split()[-1])
