"""Staff account lifecycle: disable, enable, change role, reset or change a password.

Each change raises the user's token version (ending every older token here at once) and
announces `user.access_changed`, so the other services refuse those tokens too.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from services.enrollment.commands import ChangePassword, UpdateUser
from services.enrollment.deps import Deps
from services.enrollment.domain.identity import check_password_strength
from services.enrollment.domain.phones import normalise_phone
from services.enrollment.handlers import passwords
from services.enrollment.handlers.identity import token_for
from services.enrollment.repository import users as repo
from services.enrollment.views import users as views
from services.enrollment.views.models import TokenOut, UserOut
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from shared.events.catalog import UserAccessChanged
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)

Reason = Literal["disabled", "enabled", "password_changed", "password_reset", "role_changed"]


async def set_disabled(user_id: UUID, disabled: bool, *, deps: Deps,
                       actor_id: UUID | None) -> UserOut:
    """Disable an account (its tokens stop working everywhere) or enable it again."""
    if disabled and actor_id == user_id:
        raise Conflict("You cannot disable your own account.", code="own_account")
    return await _change(user_id, "disabled" if disabled else "enabled", deps=deps,
                         actor_id=actor_id, disabled=disabled)


async def set_role(user_id: UUID, role: str, *, deps: Deps, actor_id: UUID | None) -> UserOut:
    """Make a staff account a trainer or an administrator; its older tokens stop working."""
    _check_not_own_role(user_id, actor_id)
    return await _change(user_id, "role_changed", deps=deps, actor_id=actor_id, staff_only=True,
                         role=role)


async def reset_password(user_id: UUID, password: str, *, deps: Deps,
                         actor_id: UUID | None) -> UserOut:
    """Set a temporary password the user must replace at next sign-in; end their tokens."""
    check_password_strength(password)
    password_hash = await deps.passwords.hash(password)
    return await _change(user_id, "password_reset", deps=deps, actor_id=actor_id,
                         staff_only=True, password_hash=password_hash,
                         must_change_password=True)


async def change_password(cmd: ChangePassword, *, deps: Deps, client: str) -> TokenOut:
    """Replace one's own password (the current one proves who asks, within the sign-in
    limits); every older token ends and the answer is a new sign-in."""
    check_password_strength(cmd.new_password)
    if cmd.new_password == cmd.password:
        raise ValidationFailed("Choose a password different from the current one.",
                               code="same_password")
    phone = normalise_phone(cmd.phone)
    user = await passwords.check_password(phone, cmd.password, client=client, deps=deps)
    if user["disabled_at"] is not None:
        raise Forbidden("This account is disabled.", code="account_disabled")
    password_hash = await deps.passwords.hash(cmd.new_password)
    await _change(user["id"], "password_changed", deps=deps, actor_id=user["id"],
                  password_hash=password_hash, must_change_password=False)
    async with deps.pool.acquire() as conn:
        changed = await repo.user_by_id(conn, user["id"])
    return token_for(deps, changed)


async def update_user(user_id: UUID, cmd: UpdateUser, *, deps: Deps,
                      actor: Principal) -> UserOut:
    """Record a user's union membership (administrators vouch for it, trainees cannot) and/or
    staff role (as set_role), both or neither."""
    if cmd.role is not None:
        _check_not_own_role(user_id, actor.user_id)

    async def work(uow: UnitOfWork) -> None:
        if cmd.union_member is not None and not await repo.set_union_member(
                uow.conn, user_id, cmd.union_member, deps.clock.now()):
            raise NotFound("There is no such user.", code="user_not_found")
        if cmd.role is not None:
            await _change_in(uow, user_id, "role_changed", deps=deps, staff_only=True,
                             role=cmd.role)

    await in_transaction(deps.uows, work)
    log.info("user_updated", user_id=str(user_id), member=cmd.union_member, role=cmd.role,
             by=str(actor.user_id))
    return await _user(deps, user_id)


def _check_not_own_role(user_id: UUID, actor_id: UUID | None) -> None:
    if actor_id == user_id:
        raise Conflict("You cannot change your own role.", code="own_account")


async def _change(user_id: UUID, reason: Reason, *, deps: Deps, actor_id: UUID | None,
                  staff_only: bool = False, **changes: Any) -> UserOut:
    async def work(uow: UnitOfWork) -> None:
        await _change_in(uow, user_id, reason, deps=deps, staff_only=staff_only, **changes)

    await in_transaction(deps.uows, work)
    log.info("user_access_changed", user_id=str(user_id), reason=reason,
             by=str(actor_id) if actor_id else "operator")
    return await _user(deps, user_id)


async def _change_in(uow: UnitOfWork, user_id: UUID, reason: Reason, *, deps: Deps,
                     staff_only: bool, **changes: Any) -> None:
    """Change a user's access in this unit of work: new token version, announced."""
    user = await repo.user_by_id(uow.conn, user_id)
    if user is None:
        raise NotFound("There is no such user.", code="user_not_found")
    if staff_only and user["role"] == "trainee":
        raise InvalidState("Only trainer and administrator accounts have this.",
                           code="not_staff")
    row = await repo.change_access(uow.conn, user_id, now=deps.clock.now(), **changes)
    assert row is not None
    await uow.publish(UserAccessChanged(
        user_id=user_id, token_version=row["token_version"],
        disabled=row["disabled_at"] is not None, reason=reason))


async def _user(deps: Deps, user_id: UUID) -> UserOut:
    out = await views.user(deps.pool, user_id)
    if out is None:
        raise NotFound("There is no such user.", code="user_not_found")
    return out
