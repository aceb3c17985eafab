"""Keep a service's `user_access` table from `user.access_changed` (disabled users, versions).

Certification and notification each hold this table (their migration 0060) and refuse revoked
tokens from it (shared/access.py reads it); enrollment owns the accounts and reads its own
users table instead.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.db import Conn
from shared.events.catalog import UserAccessChanged
from shared.logging import get_logger
from shared.messaging.subscriptions import HandlerContext
from shared.messaging.uow import UnitOfWork

log = get_logger(__name__)

# Each event is the user's whole access state, so the newest version alone decides.
ORDERING = (
    "By `token_version` per user: a higher version replaces the stored state at once; an "
    "equal or older one arriving later is ignored. A gap is not waited for: each event is the "
    "user's whole access state."
)


async def record_user_access(conn: Conn, *, user_id: UUID, token_version: int,
                             disabled: bool) -> bool:
    """Store a user's access unless a newer version is stored; return True if it applied."""
    applied = await conn.fetchval(
        """INSERT INTO user_access (user_id, token_version, disabled, updated_at)
           VALUES ($1, $2, $3, now())
           ON CONFLICT (user_id) DO UPDATE
               SET token_version = EXCLUDED.token_version, disabled = EXCLUDED.disabled,
                   updated_at = now()
               WHERE user_access.token_version < EXCLUDED.token_version
           RETURNING true""",
        user_id, token_version, disabled,
    )
    return bool(applied)


async def record_access(event: UserAccessChanged, *, uow: UnitOfWork) -> bool:
    """Store a user's token version and disabled flag unless a newer one is known."""
    stored = await record_user_access(uow.conn, user_id=event.user_id,
                                      token_version=event.token_version, disabled=event.disabled)
    log.info("user_access_recorded" if stored else "user_access_not_newer_ignored",
             user_id=str(event.user_id), token_version=event.token_version,
             disabled=event.disabled)
    return stored


async def on_user_access_changed(event: UserAccessChanged, ctx: HandlerContext[Any]) -> None:
    """Refuse the user's older tokens (or all, while disabled) from now on."""
    await record_access(event, uow=ctx.uow)
