"""Users and sign-in codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from shared.db import Conn
from shared.ids import new_id

_USER_COLUMNS = """id, role, phone, name, email, locale, union_member, employer, id_type,
    id_number_encrypted, id_number_masked, password_hash, claimed_at, created_at, token_version,
    disabled_at, must_change_password"""


async def user_by_phone(conn: Conn, phone: str) -> asyncpg.Record | None:
    """Return the user with this E.164 number."""
    return await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE phone = $1", phone)


async def user_by_id(conn: Conn, user_id: UUID) -> asyncpg.Record | None:
    """Return a user."""
    return await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE id = $1", user_id)


async def insert_user(
    conn: Conn,
    *,
    role: str,
    phone: str,
    name: str,
    now: datetime,
    password_hash: str | None = None,
    claimed: bool = True,
    locale: str = "zh-CN",
) -> UUID | None:
    """Create a user; return None when the phone number is taken."""
    user_id = new_id()
    return await conn.fetchval(  # type: ignore[no-any-return]
        """INSERT INTO users (id, role, phone, name, password_hash, locale, claimed_at,
                              created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
           ON CONFLICT (phone) DO NOTHING RETURNING id""",
        user_id, role, phone, name, password_hash, locale, now if claimed else None, now,
    )


async def replace_password_hash(conn: Conn, user_id: UUID, *, old: str, new: str) -> None:
    """Store a password's new hash, unless the password changed meanwhile."""
    await conn.execute(
        "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2",
        user_id, old, new,
    )


async def change_access(
    conn: Conn,
    user_id: UUID,
    *,
    now: datetime,
    disabled: bool | None = None,
    role: str | None = None,
    password_hash: str | None = None,
    must_change_password: bool | None = None,
) -> asyncpg.Record | None:
    """Change what the user may do and raise their token version (ending older tokens); return
    the user's new (role, token_version, disabled_at), or None without such a user."""
    return await conn.fetchrow(
        """UPDATE users SET token_version = token_version + 1, updated_at = $2,
                  disabled_at = CASE WHEN $3::boolean IS NULL THEN disabled_at
                                     WHEN $3 THEN coalesce(disabled_at, $2) END,
                  role = coalesce($4, role),
                  password_hash = coalesce($5, password_hash),
                  must_change_password = coalesce($6, must_change_password)
           WHERE id = $1
           RETURNING id, role, token_version, disabled_at""",
        user_id, now, disabled, role, password_hash, must_change_password,
    )


async def claim_user(conn: Conn, user_id: UUID, now: datetime) -> None:
    """Mark an account created by a roster import as taken over by its owner."""
    await conn.execute(
        "UPDATE users SET claimed_at = $2, updated_at = $2 WHERE id = $1 AND claimed_at IS NULL",
        user_id, now,
    )


async def update_profile(
    conn: Conn, user_id: UUID, changes: dict[str, Any], now: datetime
) -> None:
    """Write the given profile columns (names come from our own code, never from input)."""
    allowed = {"name", "email", "locale", "employer", "id_type", "id_number_encrypted",
               "id_number_masked"}
    columns = [c for c in changes if c in allowed]
    if not columns:
        return
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=3))
    await conn.execute(
        f"UPDATE users SET updated_at = $2, {sets} WHERE id = $1",
        user_id, now, *(changes[c] for c in columns),
    )


async def set_union_member(conn: Conn, user_id: UUID, member: bool, now: datetime) -> bool:
    """Record a user's union membership (administrators only); return False if no such user."""
    status = await conn.execute(
        "UPDATE users SET union_member = $2, updated_at = $3 WHERE id = $1", user_id, member, now
    )
    return status != "UPDATE 0"


async def ensure_trainee(
    conn: Conn, *, phone: str, name: str, union_member: bool,
    employer: str | None, email: str | None, id_type: str | None,
    id_number_encrypted: str | None, id_number_masked: str | None, now: datetime,
) -> asyncpg.Record:
    """Return the account of a phone number (id, role, name, created), creating an unclaimed
    trainee with the given details if there is none.

    An existing account is never changed, claimed or not: its details are its owner's, and
    whoever enrols a phone number cannot know (or vouch) that they are the same person's. An
    account created by an earlier import and never claimed keeps that import's details too:
    a later importer (perhaps another class's trainer) must not rename someone already on
    other rosters; the trainee corrects their own details after signing in."""
    row = await conn.fetchrow(
        """INSERT INTO users (id, role, phone, name, union_member, employer, email, id_type,
                              id_number_encrypted, id_number_masked, created_at, updated_at)
           VALUES ($1, 'trainee', $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
           ON CONFLICT (phone) DO NOTHING
           RETURNING id, role, name, true AS created""",
        new_id(), phone, name, union_member, employer, email, id_type,
        id_number_encrypted, id_number_masked, now,
    )
    if row is None:
        # A separate statement: its snapshot sees an account committed while the insert waited.
        row = await conn.fetchrow(
            "SELECT id, role, name, false AS created FROM users WHERE phone = $1", phone
        )
    assert row is not None  # the insert found this phone taken; accounts are never deleted
    return row


# --- sign-in codes ------------------------------------------------------------------------


async def lock_phone(conn: Conn, phone: str) -> None:
    """Serialise code requests and checks of one number until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", phone)


async def lock_client(conn: Conn, client_ip: str) -> None:
    """Serialise code requests of one client address until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 8))", client_ip)


async def lock_block(conn: Conn, block: str) -> None:
    """Serialise code requests to one block of numbers until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 10))", block)


async def nth_newest_otp_of_block(
    conn: Conn, block: str, *, n: int, since: datetime
) -> datetime | None:
    """Return when the n-th newest code since a moment was sent to a block of numbers."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT created_at FROM otp_codes WHERE left(phone, -4) = $1 AND created_at > $2 "
        "ORDER BY created_at DESC OFFSET $3 LIMIT 1",
        block, since, n - 1,
    )


async def lock_otp_ceiling(conn: Conn) -> None:
    """Serialise the issuing of codes to everybody (taken last, held briefly: until commit)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('otp-ceiling', 9))")


async def nth_newest_otp_of_client(
    conn: Conn, client_ip: str, *, n: int, since: datetime
) -> datetime | None:
    """Return when the n-th newest code since a moment was sent to a client address, if any."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT created_at FROM otp_codes WHERE client_ip = $1 AND created_at > $2 "
        "ORDER BY created_at DESC OFFSET $3 LIMIT 1",
        client_ip, since, n - 1,
    )


async def nth_newest_otp(conn: Conn, *, n: int, since: datetime) -> datetime | None:
    """Return when the n-th newest code of everybody since a moment was sent, if any."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT created_at FROM otp_codes WHERE created_at > $1 "
        "ORDER BY created_at DESC OFFSET $2 LIMIT 1",
        since, n - 1,
    )


async def otp_sent_times(conn: Conn, phone: str, since: datetime) -> list[datetime]:
    """Return when codes were sent to a number since a moment, newest first."""
    rows = await conn.fetch(
        "SELECT created_at FROM otp_codes WHERE phone = $1 AND created_at > $2 "
        "ORDER BY created_at DESC",
        phone, since,
    )
    return [r["created_at"] for r in rows]


async def insert_otp(
    conn: Conn, *, phone: str, code_hash: str, now: datetime, expires_at: datetime,
    client_ip: str,
) -> None:
    """Store a new code's hash and who asked; earlier unused codes of the number stop working."""
    await conn.execute(
        "UPDATE otp_codes SET used_at = $2 WHERE phone = $1 AND used_at IS NULL", phone, now
    )
    await conn.execute(
        "INSERT INTO otp_codes (phone, code_hash, created_at, expires_at, client_ip) "
        "VALUES ($1, $2, $3, $4, $5)",
        phone, code_hash, now, expires_at, client_ip,
    )


async def latest_otp(conn: Conn, phone: str) -> asyncpg.Record | None:
    """Return the newest code of a number."""
    return await conn.fetchrow(
        "SELECT id, code_hash, expires_at, attempts, used_at FROM otp_codes "
        "WHERE phone = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
        phone,
    )


async def count_otp_attempt(conn: Conn, otp_id: int) -> int:
    """Record a wrong try; return the attempts so far."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "UPDATE otp_codes SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts", otp_id
    )


async def use_otp(conn: Conn, otp_id: int, now: datetime) -> None:
    """Spend a code."""
    await conn.execute("UPDATE otp_codes SET used_at = $2 WHERE id = $1", otp_id, now)


async def purge_otps(conn: Conn, before: datetime) -> int:
    """Delete codes older than the longest rate-limit window."""
    result = await conn.execute("DELETE FROM otp_codes WHERE created_at < $1", before)
    return int(result.split()[-1])
