"""Who may see or change what: trainees their own, trainers their classes, admins all."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from services.enrollment.domain.enrollment import Actor
from services.enrollment.repository import catalogue as class_repo
from shared.auth import Principal
from shared.db import Conn
from shared.errors import Forbidden, InvalidState, NotFound


def require_class_staff(actor: Principal | Actor, trainer_ids: Sequence[UUID]) -> None:
    """Allow administrators and the class's own trainers."""
    if actor.role == "admin":
        return
    user_id = actor.id if isinstance(actor, Actor) else actor.user_id
    if actor.role == "trainer" and user_id in trainer_ids:
        return
    raise Forbidden("Only this class's trainers or an administrator may do this.",
                    code="not_class_trainer")


def require_enrollment_reader(
    actor: Principal, *, trainee_id: UUID, trainer_ids: Sequence[UUID]
) -> None:
    """Allow the trainee, the class's trainers and administrators; others see nothing."""
    if actor.role == "admin" or actor.user_id == trainee_id:
        return
    if actor.role == "trainer" and actor.user_id in trainer_ids:
        return
    raise NotFound("There is no such enrolment.", code="enrollment_not_found")


def class_not_found() -> NotFound:
    """Return the refusal for an unknown class."""
    return NotFound("There is no such class.", code="class_not_found")


async def require_class_staff_of(
    conn: Conn, class_id: UUID, actor: Principal | Actor, *, lock: bool = False,
    open_only: bool = False,
) -> asyncpg.Record:
    """Return a class to its trainers and administrators (404 when unknown): with `lock`,
    the whole row locked for the transaction (else its id, trainers and status); with
    `open_only`, refuse a cancelled class."""
    cls = await (class_repo.lock_class(conn, class_id) if lock
                 else class_repo.class_access(conn, class_id))
    if cls is None:
        raise class_not_found()
    require_class_staff(actor, cls["trainer_ids"])
    if open_only and cls["status"] == "cancelled":
        raise InvalidState("This class has been cancelled.", code="class_cancelled")
    return cls
