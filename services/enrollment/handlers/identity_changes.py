"""Changes to a trainee's name or ID after enrolment: recorded (who, when, why), announced to
certification, and confirmed by an administrator before any certificate is approved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from services.enrollment.deps import Deps
from services.enrollment.domain.identity_changes import changed_fields
from services.enrollment.repository import identity_changes as repo
from services.enrollment.views import users as views
from services.enrollment.views.models import IdentityChangeList
from shared.auth import Principal
from shared.errors import NotFound
from shared.events.catalog import TraineeIdentityReviewed
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


async def record_identity_change(
    uow: UnitOfWork, before: Mapping[str, Any], changes: Mapping[str, Any], *,
    actor: Principal, reason: str | None, now: datetime, old_number: str | None,
    new_number: str | None,
) -> None:
    """Record a name or ID change of an enrolled trainee and tell certification (in the
    profile update's transaction)."""
    fields = changed_fields(before, changes, old_number=old_number, new_number=new_number)
    user_id: UUID = before["id"]
    if not fields or not await repo.has_enrolment(uow.conn, user_id):
        return
    await repo.insert_change(uow.conn, user_id, fields, reason=reason, actor_id=actor.user_id,
                             actor_role=actor.role, now=now)
    await _announce(uow, user_id)
    log.info("identity_change_recorded", user_id=str(user_id), fields=fields)


async def _announce(uow: UnitOfWork, user_id: UUID) -> None:
    unconfirmed, seq = await repo.review_state(uow.conn, user_id)
    await uow.publish(TraineeIdentityReviewed(user_id=user_id, unconfirmed=unconfirmed, seq=seq))


async def confirm_identity_changes(user_id: UUID, *, deps: Deps, actor: Principal) -> int:
    """Confirm every unconfirmed change of a trainee (administrators); return how many."""

    async def work(uow: UnitOfWork) -> int:
        # The lock a profile update holds while it records a change: a change being recorded
        # commits first and is confirmed here too, and the count and seq this announces come
        # after its own (else a later seq could say 'none unconfirmed' beside that change).
        if not await repo.lock_user(uow.conn, user_id):
            raise NotFound("There is no such user.", code="user_not_found")
        count = await repo.confirm_all(uow.conn, user_id, actor_id=actor.user_id,
                                       now=deps.clock.now())
        if count:
            await _announce(uow, user_id)
        return count

    count = await in_transaction(deps.uows, work)
    log.info("identity_changes_confirmed", user_id=str(user_id), count=count,
             by=str(actor.user_id))
    return count


async def list_identity_changes(deps: Deps, *, unconfirmed_only: bool) -> IdentityChangeList:
    """Return recorded identity changes, newest first (administrators)."""
    return await views.identity_changes(deps.pool, unconfirmed_only=unconfirmed_only)
