"""Who may manage a class's certificates: an admin, or a current trainer of the class."""

from __future__ import annotations

from uuid import UUID

from services.certification.domain.approval import Authors, check_approver, check_not_author
from services.certification.repository import class_trainers
from shared.auth import Principal
from shared.db import Conn
from shared.errors import Forbidden


def oversees(actor: Principal) -> bool:
    """Tell whether the actor reads every class's certificates (admins; examiners approve)."""
    return actor.role in ("admin", "examiner")


def may_manage(actor: Principal, trainer_ids: list[UUID]) -> bool:
    """Tell whether the actor is an admin or a trainer of the class."""
    return actor.is_admin or (actor.role == "trainer" and actor.user_id in trainer_ids)


def require_manager(actor: Principal, trainer_ids: list[UUID]) -> None:
    """Raise Forbidden unless the actor is an admin or a trainer of the class."""
    if not may_manage(actor, trainer_ids):
        raise Forbidden("only a trainer of this class or an admin may do this",
                        code="not_class_trainer")


async def require_class_manager(
    conn: Conn, actor: Principal, *, class_id: UUID, fallback: list[UUID]
) -> None:
    """Raise Forbidden unless the actor is an admin or a current trainer of the class.

    The class's trainers are those of its latest ClassTrainersChanged; `fallback` (the
    completion event's copy) counts only while none has arrived.
    """
    if actor.is_admin:
        return
    require_manager(actor, await trainers_of(conn, class_id, fallback=fallback))


async def trainers_of(conn: Conn, class_id: UUID, *, fallback: list[UUID]) -> list[UUID]:
    """Return a class's current trainers (the completion event's copy until a list arrives)."""
    current = await class_trainers.class_trainers(conn, class_id)
    return fallback if current is None else current


async def require_approver(
    conn: Conn, actor: Principal, *, class_id: UUID, fallback: list[UUID], authors: Authors
) -> None:
    """Raise Forbidden unless the actor is an examiner or admin who does not teach the class
    and made none of what they would sign (released the results, entered the scores)."""
    trainers = await trainers_of(conn, class_id, fallback=fallback)
    check_approver(actor.role, actor.user_id, trainers)
    check_not_author(actor.user_id, authors)


async def require_issuer(
    conn: Conn, actor: Principal, *, class_id: UUID, fallback: list[UUID], one_step: bool,
    authors: Authors,
) -> None:
    """Raise Forbidden unless the actor may issue now: an approver, or (one step) a manager."""
    check_issuer(actor, await trainers_of(conn, class_id, fallback=fallback),
                 one_step=one_step, authors=authors)


def check_issuer(
    actor: Principal, trainers: list[UUID], *, one_step: bool, authors: Authors
) -> None:
    """Raise Forbidden unless the actor may issue now for a class so taught."""
    if not (one_step and may_manage(actor, trainers)):
        check_approver(actor.role, actor.user_id, trainers)
        check_not_author(actor.user_id, authors)


def may_issue(actor: Principal, trainers: list[UUID], *, one_step: bool, authors: Authors) -> bool:
    """Tell whether the actor may issue now (what `check_issuer` allows)."""
    try:
        check_issuer(actor, trainers, one_step=one_step, authors=authors)
    except Forbidden:
        return False
    return True


def role_of(actor: Principal | None) -> str:
    """Return the audit role of an actor (the system when there is none)."""
    return actor.role if actor else "system"
