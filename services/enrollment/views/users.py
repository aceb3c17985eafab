"""Profiles and the user list."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.enrollment.views.catalogue import like_pattern
from services.enrollment.views.cursor import decode_cursor, encode_cursor
from services.enrollment.views.models import ProfileOut, UserList, UserOut, UserQuery
from shared.db import Conn
from shared.errors import ValidationFailed
from shared.masking import mask_phone


async def profile(conn: Conn | asyncpg.Pool, user_id: UUID) -> ProfileOut | None:
    """Return a user's own profile."""
    r = await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
    if r is None:
        return None
    return ProfileOut(
        id=r["id"], role=r["role"], name=r["name"], phone=r["phone"], email=r["email"],
        locale=r["locale"], union_member=r["union_member"], employer=r["employer"],
        id_type=r["id_type"], id_number_masked=r["id_number_masked"],
        profile_complete=bool(r["name"]), created_at=r["created_at"],
    )


async def revoked_users(pool: asyncpg.Pool) -> list[tuple[UUID, int, bool]]:
    """Return (user_id, token_version, disabled) of every user with a revocation on record."""
    rows = await pool.fetch(
        """SELECT id, token_version, disabled_at IS NOT NULL AS disabled FROM users
           WHERE token_version > 0 OR disabled_at IS NOT NULL""")
    return [(r["id"], r["token_version"], r["disabled"]) for r in rows]


def _user_out(r: asyncpg.Record) -> UserOut:
    return UserOut(
        id=r["id"], role=r["role"], name=r["name"], phone_masked=mask_phone(r["phone"]),
        union_member=r["union_member"], employer=r["employer"],
        signed_up=r["claimed_at"] is not None, created_at=r["created_at"],
        disabled=r["disabled_at"] is not None,
        must_change_password=r["must_change_password"],
    )


async def user(conn: Conn | asyncpg.Pool, user_id: UUID) -> UserOut | None:
    """Return a user as administrators see them (phone masked)."""
    r = await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
    return None if r is None else _user_out(r)


async def list_users(conn: Conn | asyncpg.Pool, query: UserQuery) -> UserList:
    """Return a page of users, optionally by role or by name / phone digits."""
    after = None
    if query.cursor is not None:
        try:
            after = UUID(decode_cursor(query.cursor, 1)[0])
        except ValueError:
            raise ValidationFailed("The cursor is not valid.", code="invalid_cursor") from None
    digits = "".join(ch for ch in query.q or "" if ch.isdigit())
    rows = await conn.fetch(
        """SELECT * FROM users
           WHERE ($1::text IS NULL OR role = $1)
             AND ($2::text IS NULL OR name ILIKE $2 OR ($3 <> '' AND phone LIKE $4))
             AND ($5::uuid IS NULL OR id > $5)
           ORDER BY id LIMIT $6""",
        query.role, like_pattern(query.q) if query.q else None, digits, f"%{digits}%", after,
        query.limit + 1,
    )
    page = rows[: query.limit]
    return UserList(
        items=[_user_out(r) for r in page],
        next_cursor=encode_cursor(page[-1]["id"]) if len(rows) > query.limit else None,
    )
