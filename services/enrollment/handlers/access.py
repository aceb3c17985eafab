"""Who may see or change what: trainees their own, trainers their classes, admins all."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from services.enrollment.domain.enrollment import Actor
from shared.auth import Principal
from shared.errors import Forbidden, NotFound


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
