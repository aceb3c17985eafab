"""Check the eligibility rules; set course rules, exceptions, birth date."""

from __future__ import annotations

from collections.abc import Sequence
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


def _facts(row: Row, deps: Deps, *, need_age: bool) -> Facts:
    birth = row["birth_date"]
    if birth is None and need_age and row["id_number_encrypted"]:
        birth = birth_date_of_id(row["id_type"], deps.ciphers.open(row["id_number_encrypted"]))
    return Facts(
        union_member=row["union_member"], birth_date=birth,
        subsidised_this_year=row["subsidised_this_year"],
        had_same_occupation_level=row["had_same_occupation_level"],
        held_levels=tuple(row["held_levels"]), exceptions=frozenset(row["exceptions"]),
    )


async def refusals_of(
    conn: Conn, deps: Deps, class_id: UUID, trainee_ids: Sequence[UUID], *,
    union_rule: bool = True,
) -> dict[UUID, list[Refusal]]:
    """Return each trainee's refusals for a class (`union_rule`: check membership here)."""
    cls = await repo.course_of_class(conn, class_id)
    if cls is None:
        raise NotFound("There is no such class.", code="class_not_found")
    rules = _rules(await repo.course_rules(conn, cls["course_id"]))
    union_only = union_rule and cls["union_members_only"]
    if rules is None and not union_only:
        return {t: [] for t in trainee_ids}
    need_age = rules is not None and (rules.min_age is not None or rules.max_age is not None)
    rows = await repo.facts(conn, trainee_ids, class_row=cls)
    return {
        r["trainee_id"]: refusals(_facts(r, deps, need_age=need_age), rules=rules,
                                  union_members_only=union_only, starts_on=cls["starts_on"])
        for r in rows
    }


async def assess(
    conn: Conn, deps: Deps, class_id: UUID, trainee_ids: Sequence[UUID]
) -> dict[UUID, tuple[list[Refusal], int]]:
    """Return each trainee's refusals for a class and their subsidised places this year."""
    cls = await repo.course_of_class(conn, class_id)
    assert cls is not None
    rules = _rules(await repo.course_rules(conn, cls["course_id"]))
    need_age = rules is not None and (rules.min_age is not None or rules.max_age is not None)
    assessed = {}
    for r in await repo.facts(conn, trainee_ids, class_row=cls):
        facts = _facts(r, deps, need_age=need_age)
        found = refusals(facts, rules=rules, union_members_only=cls["union_members_only"],
                         starts_on=cls["starts_on"])
        assessed[r["trainee_id"]] = (found, facts.subsidised_this_year)
    return assessed


async def require_eligible_for(
    conn: Conn, deps: Deps, class_id: UUID, trainee_id: UUID, *, union_rule: bool = True
) -> None:
    """Refuse with the first rule the trainee fails for this class."""
    found = await refusals_of(conn, deps, class_id, [trainee_id], union_rule=union_rule)
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
    """Record the caller's birth date."""

    async def work(uow: UnitOfWork) -> None:
        await repo.set_birth_date(uow.conn, actor.user_id, cmd.birth_date)

    await in_transaction(deps.uows, work)
