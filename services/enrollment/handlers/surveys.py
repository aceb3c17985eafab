"""Invite trainees to rate a class they completed, take their answers, ask the six-month
employment question; results per class and per trainer."""

from __future__ import annotations

from uuid import UUID

from services.enrollment.commands_fair import AnswerEmployment, AnswerSurvey
from services.enrollment.deps import Deps
from services.enrollment.domain import survey as rules
from services.enrollment.handlers.access import require_class_staff_of
from services.enrollment.handlers.events import class_info, recipient
from services.enrollment.repository import Row
from services.enrollment.repository import surveys as repo
from services.enrollment.views import surveys as views
from services.enrollment.views.models.fair import SurveyOut, SurveyResults
from shared.auth import Principal
from shared.errors import NotFound
from shared.events.catalog import SurveyEvent, SurveyFollowUpDue, SurveyInvited
from shared.ids import new_id
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)
BATCH = 500


def _event(cls: type[SurveyEvent], row: Row, tz: str, seq: int) -> SurveyEvent:
    return cls(survey_id=row["survey_id"], enrollment_id=row["enrollment_id"], seq=seq,
               trainee=recipient(row, tz), class_info=class_info(row, tz), code=row["code"])


async def invite_completed(*, deps: Deps) -> int:
    """Invite every completed enrolment not invited yet (once, whichever instance is first)."""

    async def work(uow: UnitOfWork) -> int:
        done = await repo.uninvited(uow.conn, BATCH)
        if not done:
            return 0
        ids = await repo.insert_invitations(
            uow.conn, ids=[new_id() for _ in done], enrollment_ids=[r["id"] for r in done],
            class_ids=[r["class_id"] for r in done], trainee_ids=[r["trainee_id"] for r in done],
            codes=[rules.new_code() for _ in done],
            due=[rules.followup_due(r["updated_at"]) for r in done], now=deps.clock.now())
        rows = await repo.event_rows(uow.conn, ids)
        await uow.publish(*(_event(SurveyInvited, r, deps.tz, 1) for r in rows))
        return len(ids)

    invited = await in_transaction(deps.uows, work)
    if invited:
        log.info("surveys_invited", count=invited)
    return invited


async def send_followups(*, deps: Deps) -> int:
    """Ask the employment question of every survey whose six months have passed."""

    async def work(uow: UnitOfWork) -> int:
        ids = await repo.claim_followups(uow.conn, deps.clock.now(), BATCH)
        rows = await repo.event_rows(uow.conn, ids)
        await uow.publish(*(_event(SurveyFollowUpDue, r, deps.tz, 2) for r in rows))
        return len(ids)

    sent = await in_transaction(deps.uows, work)
    if sent:
        log.info("survey_followups_sent", count=sent)
    return sent


async def jobs(*, deps: Deps) -> None:
    """Run both survey jobs."""
    await invite_completed(deps=deps)
    await send_followups(deps=deps)


def _not_found() -> NotFound:
    return NotFound("There is no survey with this code.", code="survey_not_found")


def _out(row: Row) -> SurveyOut:
    return SurveyOut(
        code=row["code"], course_title_zh=row["course_title_zh"],
        course_title_en=row["course_title_en"], starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        questions=[{"key": k, "zh": zh, "en": en} for k, zh, en in rules.QUESTIONS],
        answered=row["answered_at"] is not None,
        followup_open=row["followup_sent_at"] is not None,
        followup_answered=row["followup_answered_at"] is not None,
    )


async def get(code: str, *, deps: Deps) -> SurveyOut:
    """Return the survey a code opens."""
    async with deps.pool.acquire() as conn:
        row = await repo.by_code(conn, rules.normalise_code(code))
    if row is None:
        raise _not_found()
    return _out(row)


async def answer(code: str, cmd: AnswerSurvey, *, deps: Deps) -> SurveyOut:
    """Take the one answer of an enrolment's survey."""

    async def work(uow: UnitOfWork) -> SurveyOut:
        row = await repo.by_code(uow.conn, rules.normalise_code(code), lock=True)
        if row is None:
            raise _not_found()
        rules.check_can_answer(row["answered_at"])
        await repo.save_answer(uow.conn, row["id"], cmd.model_dump(), deps.clock.now())
        changed = await repo.by_code(uow.conn, row["code"])
        assert changed is not None
        return _out(changed)

    return await in_transaction(deps.uows, work)


async def answer_employment(code: str, cmd: AnswerEmployment, *, deps: Deps) -> SurveyOut:
    """Take the optional six-month answer: working in this occupation or not."""

    async def work(uow: UnitOfWork) -> SurveyOut:
        row = await repo.by_code(uow.conn, rules.normalise_code(code), lock=True)
        if row is None:
            raise _not_found()
        rules.check_can_answer_followup(sent_at=row["followup_sent_at"],
                                        answered_at=row["followup_answered_at"])
        await repo.save_employment(uow.conn, row["id"], cmd.working_in_occupation,
                                   deps.clock.now())
        changed = await repo.by_code(uow.conn, row["code"])
        assert changed is not None
        return _out(changed)

    return await in_transaction(deps.uows, work)


async def class_results(class_id: UUID, *, deps: Deps, actor: Principal) -> SurveyResults:
    """Return a class's results to its trainers and administrators."""
    async with deps.pool.acquire() as conn:
        await require_class_staff_of(conn, class_id, actor)
    return await views.by_class(deps.pool, class_id)
