"""Background work: reminders the day before a class, housekeeping of old keys and codes."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from services.enrollment.deps import Deps
from services.enrollment.domain.enrollment import Actor
from services.enrollment.domain.schedule import local_today
from services.enrollment.handlers.events import emit
from services.enrollment.repository import catalogue as class_repo
from services.enrollment.repository import checkins as checkin_repo
from services.enrollment.repository import enrollments as repo
from services.enrollment.repository import passwords as password_repo
from services.enrollment.repository import users as user_repo
from shared.events.catalog import EnrollmentReminderDue
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


async def send_reminders(*, deps: Deps) -> int:
    """Emit one reminder per confirmed enrolment of the classes starting tomorrow (local time).

    The reminder row's primary key (enrolment, date) makes a second instance a no-op."""
    now = deps.clock.now()
    tomorrow = local_today(now, deps.tz) + timedelta(days=1)
    async with deps.pool.acquire() as conn:
        class_ids = await repo.classes_starting_on(conn, tomorrow)
    sent = 0
    for class_id in class_ids:

        async def work(uow: UnitOfWork, class_id: UUID = class_id) -> int:
            await class_repo.lock_class(uow.conn, class_id)
            ids = await repo.claim_reminders(uow.conn, class_id, tomorrow)
            for row in await repo.event_rows(uow.conn, ids):
                await emit(uow, row, EnrollmentReminderDue, to_status=row["status"],
                           actor=Actor.system(), now=now, tz=deps.tz, reason="class_tomorrow")
            return len(ids)

        sent += await in_transaction(deps.uows, work)
    if sent:
        log.info("reminders_sent", count=sent, day=tomorrow.isoformat())
    return sent


async def housekeeping(*, deps: Deps) -> None:
    """Forget idempotency keys past their retention, sign-in codes older than a day,
    password failures and locks that no longer count, and check-in codes used a day ago."""
    now = deps.clock.now()
    s = deps.settings
    async with deps.pool.acquire() as conn:
        keys = await repo.purge_idempotency_keys(
            conn, now - timedelta(hours=s.idempotency_retention_hours))
        codes = await user_repo.purge_otps(conn, now - timedelta(days=2))
        failures = await password_repo.purge(
            conn, now - timedelta(seconds=max(s.password_failure_window_s, s.password_lock_s)))
        # Check-in codes live 30 s; after a day a used one can no longer be replayed.
        codes_used = await checkin_repo.purge_used_tokens(conn, now - timedelta(days=1))
    log.info("housekeeping_done", idempotency_keys=keys, otp_codes=codes,
             password_failures=failures, checkin_codes=codes_used)
