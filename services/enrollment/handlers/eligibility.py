"""Check the eligibility rules; set course rules, exceptions, birth date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from services.enrollment.commands_fair import (
    GrantException,
    SetBirthDate,
    SetCourseRules,
)
from services.enrollment.deps import Deps
from services.enrollment.domain.eligibility import (
    CourseRules,
    Facts,
    Refusal,
    birth_date_of_id,
    refusals,
    require_eligible,
)
from services.enrollment.repository import Row
from services.enrollment.repository import eligibility as repo
from services.enrollment.repository import users as user_repo
from services.enrollment.views.models.fair import (
    CourseRulesOut,
    EligibilityOut,
    ExceptionList,
    ExceptionOut,
    RefusalOut,
)
from shared.auth import Principal
from shared.db import Conn
from shared.errors import NotFound, ValidationFailed
from shared.ids import new_id
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


def _rules(row: Row | None) -> CourseRules | None:
    if row is None:
        return None
    return CourseRules(
        subsidised=row["subsidised"], min_age=row["min_age"], max_age=row["max_age"],
        max_subsidised_per_year=row["max_subsidised_per_year"],
        no_repeat_level=row["no_repeat_level"], no_lower_level=row["no_lower_level"],
        level=row["level"],
    )


def _birth_date(row: Row, deps: Deps) -> date | None:
    """The date in the ID number when it carries one (checked when it was given), else the one
    the trainee declared."""
    from_id = None
    if row["id_number_encrypted"]:
        from_id = birth_date_of_id(row["id_type"], deps.ciphers.open(row["id_number_encrypted"]))
    return from_id or row["birth_date"]


def _facts(row: Row, deps: Deps, *, need_age: bool) -> Facts:
    return Facts(
        union_member=row["union_member"], birth_date=_birth_date(row, deps) if need_age else None,
        subsidised_this_year=row["subsidised_this_year"],
        had_same_occupation_level=row["had_same_occupation_level"],
        held_levels=tuple(row["held_levels"]), exceptions=frozenset(row["exceptions"]),
    )


async def refusals_of(
    conn: Conn, deps: Deps, class_id: UUID, trainee_ids: Sequence[UUID], *,
    union_rule: bool = True, lock: bool = False, moving: UUID | None = None,
) -> dict[UUID, list[Refusal]]:
    """Return each trainee's refusals for a class (`union_rule`: check membership here;
    `moving`: an enrolment moving to this class, not counted as a place taken).

    `lock`, for a caller about to give a place: when the course has rules, first take the
    trainees' place locks (held until commit), so that two transactions giving the same trainee
    places in different subsidised classes do not both read the facts before either commits."""
    cls = await repo.course_of_class(conn, class_id)
    if cls is None:
        raise NotFound("There is no such class.", code="class_not_found")
    rules = _rules(await repo.course_rules(conn, cls["course_id"]))
    union_only = union_rule and cls["union_members_only"]
    if rules is None and not union_only:
        return {t: [] for t in trainee_ids}
    if lock and rules is not None:
        await repo.lock_trainees(conn, trainee_ids)
    need_age = rules is not None and (rules.min_age is not None or rules.max_age is not None)
    rows = await repo.facts(conn, trainee_ids, class_row=cls, moving=moving)
    return {
        r["trainee_id"]: refusals(_facts(r, deps, need_age=need_age), rules=rules,
                                  union_members_only=union_only, starts_on=cls["starts_on"])
        for r in rows
    }


async def assess(
    conn: Conn, deps: Deps, class_id: UUID, trainee_ids: Sequence[UUID]
) -> dict[UUID, tuple[list[Refusal], int]]:
    """Return each trainee's refusals for a class and their subsidised places this year, read
    under the trainees' place locks (held until commit: the draw gives places)."""
    cls = await repo.course_of_class(conn, class_id)
    assert cls is not None
    rules = _rules(await repo.course_rules(conn, cls["course_id"]))
    if rules is not None:
        await repo.lock_trainees(conn, trainee_ids)
    need_age = rules is not None and (rules.min_age is not None or rules.max_age is not None)
    assessed = {}
    for r in await repo.facts(conn, trainee_ids, class_row=cls):
        facts = _facts(r, deps, need_age=need_age)
        found = refusals(facts, rules=rules, union_members_only=cls["union_members_only"],
                         starts_on=cls["starts_on"])
        assessed[r["trainee_id"]] = (found, facts.subsidised_this_year)
    return assessed


async def require_eligible_for(
    conn: Conn, deps: Deps, class_id: UUID, trainee_id: UUID, *, union_rule: bool = True,
    lock: bool = False, moving: UUID | None = None,
) -> None:
    """Refuse with the first rule the trainee fails for this class (`lock`, `moving`: see
    refusals_of)."""
    found = await refusals_of(conn, deps, class_id, [trainee_id], union_rule=union_rule,
                              lock=lock, moving=moving)
    require_eligible(found.get(trainee_id, []))


async def check(class_id: UUID, *, deps: Deps, actor: Principal) -> EligibilityOut:
    """Tell the caller, before they apply, whether they meet the class's rules and why not."""
    async with deps.pool.acquire() as conn:
        found = (await refusals_of(conn, deps, class_id, [actor.user_id])).get(actor.user_id, [])
    return EligibilityOut(class_id=class_id, eligible=not found,
                          reasons=[RefusalOut(code=r.code.value, detail=r.detail) for r in found])


async def set_course_rules(course_id: UUID, cmd: SetCourseRules, *, deps: Deps) -> CourseRulesOut:
    """Set a course's eligibility rules."""
    if cmd.min_age is not None and cmd.max_age is not None and cmd.min_age > cmd.max_age:
        raise ValidationFailed("min_age must not exceed max_age.", code="invalid_age_range")

    async def work(uow: UnitOfWork) -> CourseRulesOut:
        if not await repo.course_exists(uow.conn, course_id):
            raise NotFound("There is no such course.", code="course_not_found")
        await repo.upsert_rules(uow.conn, course_id, cmd.model_dump(), deps.clock.now())
        return CourseRulesOut(course_id=course_id, **cmd.model_dump())

    return await in_transaction(deps.uows, work)


async def get_course_rules(course_id: UUID, *, deps: Deps) -> CourseRulesOut:
    """Return a course's rules (404 when it has none)."""
    async with deps.pool.acquire() as conn:
        row = await repo.course_rules(conn, course_id)
    if row is None:
        raise NotFound("This course has no eligibility rules.", code="no_course_rules")
    return CourseRulesOut(course_id=course_id, **{f: row[f] for f in repo.RULE_FIELDS})


async def grant_exception(
    trainee_id: UUID, cmd: GrantException, *, deps: Deps, actor: Principal
) -> ExceptionOut:
    """Record an administrator's exception for one trainee and rule (audited, never edited)."""
    exception_id, now = new_id(), deps.clock.now()

    async def work(uow: UnitOfWork) -> None:
        if not await repo.is_trainee(uow.conn, trainee_id):
            raise NotFound("There is no such trainee.", code="unknown_trainee")
        await repo.insert_exception(
            uow.conn, exception_id=exception_id, trainee_id=trainee_id, rule=cmd.rule,
            course_id=cmd.course_id, reason=cmd.reason, granted_by=actor.user_id, now=now)

    await in_transaction(deps.uows, work)
    log.info("eligibility_exception_granted", trainee_id=str(trainee_id), rule=cmd.rule,
             granted_by=str(actor.user_id))
    return ExceptionOut(id=exception_id, trainee_id=trainee_id, rule=cmd.rule,
                        course_id=cmd.course_id, reason=cmd.reason, granted_by=actor.user_id,
                        granted_at=now)


async def list_exceptions(trainee_id: UUID, *, deps: Deps) -> ExceptionList:
    """Return a trainee's exceptions."""
    async with deps.pool.acquire() as conn:
        rows = await repo.exceptions_of(conn, trainee_id)
    return ExceptionList(items=[ExceptionOut(**dict(r)) for r in rows])


async def set_birth_date(cmd: SetBirthDate, *, deps: Deps, actor: Principal) -> None:
    """Record the caller's birth date, unless their ID number carries one (that one counts)."""

    async def work(uow: UnitOfWork) -> None:
        user = await user_repo.user_by_id(uow.conn, actor.user_id)
        if user is not None and user["id_number_encrypted"] and birth_date_of_id(
                user["id_type"], deps.ciphers.open(user["id_number_encrypted"])) is not None:
            raise ValidationFailed("Your ID number carries your birth date; it cannot be set "
                                   "apart from it.", code="id_carries_birth_date")
        await repo.set_birth_date(uow.conn, actor.user_id, cmd.birth_date)

    await in_transaction(deps.uows, work)
