"""Who may manage a class's certificates: an admin, or a current trainer of the class."""

from __future__ import annotations

from uuid import UUID

from services.certification.repository import class_trainers
from shared.auth import Principal
from shared.db import Conn
from shared.errors import Forbidden


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
    current = await class_trainers.class_trainers(conn, class_id)
    require_manager(actor, fallback if current is None else current)


def role_of(actor: Principal | None) -> str:
    """Return the audit role of an actor (the system when there is none)."""
    return actor.role if actor else "system"
