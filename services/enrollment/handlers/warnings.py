"""Early warning: tell trainees (and their trainers' roster) when their hours are at risk."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from services.enrollment.deps import Deps
from services.enrollment.domain.enrollment import Actor
from services.enrollment.domain.hours import hours_at_risk
from services.enrollment.domain.schedule import local_today
from services.enrollment.handlers.events import emit
from services.enrollment.repository import catalogue as class_repo
from services.enrollment.repository import enrollments as enrollment_repo
from services.enrollment.repository import warnings as repo
from services.enrollment.views.hours import class_evidence
from shared.events.catalog import EnrollmentHoursAtRisk
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)
_WATCHED = ["confirmed", "attended"]


async def warn_hours_at_risk(*, deps: Deps) -> int:
    """Emit one enrollment.hours_at_risk per trainee and new reason: the minimum is out of
    reach, or the last two sessions were missed (classes taught with check-ins)."""
    now = deps.clock.now()
    today = local_today(now, deps.tz)
    async with deps.pool.acquire() as conn:
        class_ids = await repo.classes_in_progress(conn, since=today - timedelta(days=1),
                                                   today=today)
    warned = 0
    for class_id in class_ids:

        async def work(uow: UnitOfWork, class_id: UUID = class_id) -> int:
            return await _warn_class(uow, class_id, deps)

        warned += await in_transaction(deps.uows, work)
    if warned:
        log.info("hours_warnings_sent", count=warned)
    return warned


async def _warn_class(uow: UnitOfWork, class_id: UUID, deps: Deps) -> int:
    now = deps.clock.now()
    await class_repo.lock_class(uow.conn, class_id)  # one instance at a time per class
    evidence = await class_evidence(uow.conn, class_id)
    if evidence is None:
        return 0
    sent = 0
    for row in await enrollment_repo.class_event_rows(uow.conn, class_id, _WATCHED):
        hours = evidence.hours_of(row["id"], tz=deps.tz)
        risk = hours_at_risk(hours, evidence.sessions, now=now, tz=deps.tz,
                             required=evidence.required, min_ratio=evidence.min_ratio)
        if risk is None:
            continue
        missed = sorted({m.day for m in risk.missed})
        new = await repo.claim_warnings(uow.conn, row["id"], list(risk.reasons), missed, now)
        if not new:
            continue
        await emit(uow, row, EnrollmentHoursAtRisk, to_status=row["status"],
                   actor=Actor.system(), now=now, tz=deps.tz, reason="hours_at_risk", fields={
                       "reasons": new, "missed_dates": missed,
                       "minutes_attended": hours.minutes, "required_minutes": evidence.required,
                       "min_attendance_ratio": float(evidence.min_ratio)})
        sent += 1
    return sent
