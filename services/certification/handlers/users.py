"""Use case keeping the revoked access enrollment announces (disabled users, token versions)."""

from __future__ import annotations

from shared.access import record_user_access
from shared.events.catalog import UserAccessChanged
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork

log = get_logger(__name__)

# Each event is the user's whole access state, so the newest version alone decides.
ORDERING = (
    "By `token_version` per user: a higher version replaces the stored state at once; an "
    "equal or older one arriving later is ignored. A gap is not waited for: each event is the "
    "user's whole access state."
)


async def record_access(event: UserAccessChanged, *, uow: UnitOfWork) -> bool:
    """Store a user's token version and disabled flag unless a newer one is known."""
    stored = await record_user_access(uow.conn, user_id=event.user_id,
                                      token_version=event.token_version, disabled=event.disabled)
    log.info("user_access_recorded" if stored else "user_access_not_newer_ignored",
             user_id=str(event.user_id), token_version=event.token_version,
             disabled=event.disabled)
    return stored
