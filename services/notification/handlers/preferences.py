"""Read and change channel preferences; one-click unsubscribe from email."""

from __future__ import annotations

from uuid import UUID

from services.notification import repository
from services.notification.commands import Unsubscribe, UpdatePreferences
from services.notification.deps import Deps
from services.notification.domain.model import Channel, Preferences
from shared.errors import NotFound
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


async def get_preferences(user_id: UUID, *, deps: Deps) -> Preferences:
    """Return a user's preferences (defaults when none were stored)."""

    async def work(uow: UnitOfWork) -> Preferences:
        return await _stored(uow, user_id)

    return await in_transaction(deps.uows, work)


async def update_preferences(cmd: UpdatePreferences, user_id: UUID, *, deps: Deps) -> Preferences:
    """Change the fields given and keep the others."""

    async def work(uow: UnitOfWork) -> Preferences:
        current = await _stored(uow, user_id)
        updated = Preferences(
            sms=current.sms if cmd.sms is None else cmd.sms,
            email=current.email if cmd.email is None else cmd.email,
            preferred=current.preferred if cmd.preferred is None else Channel(cmd.preferred),
        )
        await repository.save_preferences(
            uow.conn, f"user:{user_id}", updated, user_id=user_id, now=deps.clock.now()
        )
        return updated

    return await in_transaction(deps.uows, work)


async def unsubscribe(cmd: Unsubscribe, *, deps: Deps) -> None:
    """Turn email off for the person who received the message carrying this token."""

    async def work(uow: UnitOfWork) -> None:
        row = await repository.find_by_unsubscribe_token(uow.conn, cmd.token)
        if row is None:
            raise NotFound("this unsubscribe link is not known", code="unsubscribe_token_unknown")
        current = await repository.load_preferences(uow.conn, [row.pref_key]) or Preferences()
        updated = Preferences(sms=current.sms, email=False, preferred=Channel.SMS)
        await repository.save_preferences(
            uow.conn, row.pref_key, updated, user_id=row.recipient_user_id, now=deps.clock.now()
        )
        log.info("email_unsubscribed", recipient=row.recipient_masked)

    await in_transaction(deps.uows, work)


async def _stored(uow: UnitOfWork, user_id: UUID) -> Preferences:
    return await repository.load_preferences(uow.conn, [f"user:{user_id}"]) or Preferences()
