"""Build the events of enrolment transitions and emit them with their audit row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.enrollment.domain.enrollment import Actor
from services.enrollment.domain.schedule import first_session_at
from services.enrollment.repository import Row
from services.enrollment.repository import enrollments as repo
from shared.events.catalog import ClassInfo, EnrollmentEvent, Recipient
from shared.masking import mask_phone
from shared.messaging.uow import UnitOfWork


def recipient(row: Row, tz: str) -> Recipient:
    """Return the trainee of an enrolment row as an event recipient."""
    return Recipient(
        user_id=row["trainee_id"],
        name=row["trainee_name"] or mask_phone(row["trainee_phone"]),
        phone=row["trainee_phone"],
        email=row["trainee_email"],
        locale=row["trainee_locale"],
        timezone=tz,
    )


def class_info(row: Row, tz: str) -> ClassInfo:
    """Return the class of an enrolment row as events describe it."""
    return ClassInfo(
        class_id=row["class_id"],
        course_id=row["course_id"],
        course_code=row["course_code"],
        course_title_zh=row["course_title_zh"],
        course_title_en=row["course_title_en"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        first_session_at=first_session_at(row["starts_on"], row["session_start"], tz),
        venue=row["venue"],
        online=row["online"],
    )


def audit_of(actor: Actor, reason: str | None = None) -> repo.Audit:
    """Return the audit record of an actor."""
    return repo.Audit(actor_id=actor.id, actor_role=actor.role, reason=reason)


async def emit(
    uow: UnitOfWork,
    row: Row,
    event_cls: type[EnrollmentEvent],
    *,
    to_status: str,
    actor: Actor,
    now: datetime,
    tz: str,
    reason: str | None = None,
    offer_expires_at: datetime | None = None,
    fields: Mapping[str, Any] | None = None,
) -> int:
    """Move an enrolment (audited, seq + 1) and publish exactly one event for it."""
    if offer_expires_at is None and to_status == "offered":
        offer_expires_at = row["offer_expires_at"]  # a reminder or reschedule keeps the offer
    seq = await repo.transition(
        uow.conn, row, to_status=to_status, event_type=event_cls.event_type,
        audit=audit_of(actor, reason), now=now, offer_expires_at=offer_expires_at,
        cancel_reason=reason if to_status == "cancelled" else None,
    )
    await uow.publish(
        event_cls(
            enrollment_id=row["id"], seq=seq, trainee=recipient(row, tz),
            class_info=class_info(row, tz), actor=actor.role, **(fields or {}),
        )
    )
    return seq
