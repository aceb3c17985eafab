"""Apply for a place in a lottery class, withdraw before the close, list one's applications."""

from __future__ import annotations

from uuid import UUID

from services.enrollment.deps import Deps
from services.enrollment.domain.lottery import LotteryWindow, check_can_apply, check_can_withdraw
from services.enrollment.handlers.access import class_not_found
from services.enrollment.handlers.eligibility import require_eligible_for
from services.enrollment.handlers.events import class_info, recipient
from services.enrollment.repository import Row
from services.enrollment.repository import lottery as repo
from services.enrollment.views import lottery as views
from services.enrollment.views.models.fair import ApplicationList, ApplicationOut
from shared.auth import Principal
from shared.db import Conn
from shared.errors import InvalidState, NotFound
from shared.events.catalog import ApplicationSubmitted
from shared.ids import new_id
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


def window_of(row: Row) -> LotteryWindow:
    """Return a lottery row's window."""
    return LotteryWindow(opens_at=row["enroll_opens_at"], closes_at=row["enroll_closes_at"],
                         drawn=row["drawn_at"] is not None,
                         cancelled=row["class_status"] == "cancelled")


async def lottery_of(conn: Conn, class_id: UUID, *, share: bool = False) -> Row:
    """Return a class's lottery (held against the draw with `share`), or refuse."""
    row = await repo.window(conn, class_id, share=share)
    if row is None:
        if await repo.class_exists(conn, class_id):
            raise InvalidState("This class allocates its seats first come, first served: "
                               "enrol instead.", code="not_a_lottery_class")
        raise class_not_found()
    return row


async def apply(class_id: UUID, *, deps: Deps, actor: Principal) -> ApplicationOut:
    """Apply for a place; applying again while applied returns the same application."""

    async def work(uow: UnitOfWork) -> ApplicationOut:
        now = deps.clock.now()
        lot = await lottery_of(uow.conn, class_id, share=True)  # the draw waits for us
        check_can_apply(window_of(lot), now=now)
        await require_eligible_for(uow.conn, deps, class_id, actor.user_id, lock=True)
        row, created = await repo.insert_application(
            uow.conn, application_id=new_id(), class_id=class_id, trainee_id=actor.user_id,
            now=now)
        if not row["trainee_name"]:
            raise InvalidState("Add your name to your profile before applying.",
                               code="profile_incomplete")
        if created:
            await uow.publish(ApplicationSubmitted(
                application_id=row["id"], seq=1, trainee=recipient(row, deps.tz),
                class_info=class_info(row, deps.tz), closes_at=lot["enroll_closes_at"]))
        return views.application_out(row, closes_at=lot["enroll_closes_at"])

    out = await in_transaction(deps.uows, work)
    log.info("application_recorded", application_id=str(out.id), class_id=str(class_id))
    return out


async def withdraw(application_id: UUID, *, deps: Deps, actor: Principal) -> ApplicationOut:
    """Withdraw one's application before the window closes."""

    async def work(uow: UnitOfWork) -> ApplicationOut:
        row = await repo.application(uow.conn, application_id)
        if row is None or row["trainee_id"] != actor.user_id:
            raise NotFound("There is no such application.", code="application_not_found")
        lot = await lottery_of(uow.conn, row["class_id"], share=True)
        check_can_withdraw(window_of(lot), now=deps.clock.now())
        if not await repo.withdraw(uow.conn, application_id, deps.clock.now()):
            raise InvalidState("This application was withdrawn already.",
                               code="application_withdrawn")
        changed = await repo.application(uow.conn, application_id)
        assert changed is not None
        return views.application_out(changed, closes_at=lot["enroll_closes_at"])

    return await in_transaction(deps.uows, work)


async def my_applications(*, deps: Deps, actor: Principal) -> ApplicationList:
    """Return the caller's applications, newest first."""
    return await views.trainee_applications(deps.pool, actor.user_id)
