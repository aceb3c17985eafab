"""Eligibility rules for subsidised places: each refuses with its own code, before applying, at
application and at enrolment; an administrator's exception lets one trainee through."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from services.enrollment.domain.enrollment import Actor
from services.enrollment.domain.identity import resident_id_check_char
from services.enrollment.handlers import draws, projections
from shared.events.catalog import HeldCertificateRecorded
from shared.ids import new_id
from shared.web.keys import UOW
from tests.enrollment.support import Service
from tests.enrollment.test_lottery import apply, document, lottery_class
from tests.support.locks import holding, until_waiting


def resident_id(birth: str) -> str:
    """Return a valid 18-character mainland ID number with this birth date (YYYYMMDD)."""
    first17 = f"110105{birth}123"
    return first17 + resident_id_check_char(first17)


async def ruled_course(svc: Service, admin: str, **rules: Any) -> dict[str, Any]:
    """Publish a course with eligibility rules."""
    course = await svc.create_course(admin, **{k: rules.pop(k) for k in
                                               ("occupation_name", "level") if k in rules})
    reply = await svc.call("PUT", f"/api/v1/courses/{course['id']}/rules", token=admin,
                           json_body=rules)
    assert reply.status == 200, reply.body
    return course


async def eligibility(svc: Service, token: str, class_id: str) -> list[str]:
    """Return the codes of the rules the trainee fails, as shown before applying."""
    reply = await svc.call("GET", f"/api/v1/classes/{class_id}/eligibility", token=token)
    assert reply.status == 200, reply.body
    return [r["code"] for r in reply.body["reasons"]]


async def grant(svc: Service, admin: str, trainee_id: UUID, rule: str, **extra: Any) -> Any:
    """Grant an exception."""
    return await svc.call("POST", f"/api/v1/users/{trainee_id}/eligibility-exceptions",
                          token=admin, json_body={"rule": rule, "reason": "经工会审批", **extra})


async def test_union_members_only_refuses_an_application_until_an_exception_is_granted(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await lottery_class(svc, admin, union_members_only=True)
    trainee_id, token = await svc.add_user(name="非会员")
    assert await eligibility(svc, token, cls["id"]) == ["union_members_only"]
    refused = await apply(svc, token, cls["id"])
    assert (refused.status, refused.body["code"]) == (403, "union_members_only")
    assert (await grant(svc, admin, trainee_id, "union_members_only")).status == 201
    assert await eligibility(svc, token, cls["id"]) == []
    assert (await apply(svc, token, cls["id"])).status == 201


async def test_the_age_range_reads_the_id_number_or_the_recorded_birth_date(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    course = await ruled_course(svc, admin, min_age=16, max_age=60)
    cls = await svc.create_class(admin, course_id=course["id"])  # starts 2025-06-09
    _, unknown = await svc.add_user(name="没填身份证")
    assert await eligibility(svc, unknown, cls["id"]) == ["age_unknown"]
    refused = await svc.enrol(unknown, cls["id"])
    assert (refused.status, refused.body["code"]) == (403, "age_unknown")

    _, old = await svc.add_user(name="老师傅")
    profile = await svc.call("PATCH", "/api/v1/me", token=old, json_body={
        "id_type": "resident_id", "id_number": resident_id("19640609")})
    assert profile.status == 200, profile.body
    assert await eligibility(svc, old, cls["id"]) == ["age_out_of_range"]  # 61 on 2025-06-09

    _, exactly = await svc.add_user(name="刚满六十")
    await svc.call("PATCH", "/api/v1/me", token=exactly, json_body={
        "id_type": "resident_id", "id_number": resident_id("19650609")})
    assert await eligibility(svc, exactly, cls["id"]) == []  # turns 60 that day

    recorded = await svc.call("PUT", "/api/v1/me/birth-date", token=unknown,
                              json_body={"birth_date": "2000-01-01"})
    assert recorded.status == 204
    assert (await svc.enrol(unknown, cls["id"])).status == 201


async def test_a_declared_birth_date_never_overrides_the_one_in_the_id_number(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    course = await ruled_course(svc, admin, min_age=16, max_age=60)
    cls = await svc.create_class(admin, course_id=course["id"])  # starts 2025-06-09
    _, old = await svc.add_user(name="老师傅")
    await svc.call("PATCH", "/api/v1/me", token=old, json_body={
        "id_type": "resident_id", "id_number": resident_id("19640609")})
    younger = await svc.call("PUT", "/api/v1/me/birth-date", token=old,
                             json_body={"birth_date": "2000-01-01"})
    assert younger.status == 422, younger.body
    assert younger.body["code"] == "id_carries_birth_date"
    assert await eligibility(svc, old, cls["id"]) == ["age_out_of_range"]

    # A date declared before the ID number was added gives way to the ID's.
    _, early = await svc.add_user(name="先填生日")
    assert (await svc.call("PUT", "/api/v1/me/birth-date", token=early,
                           json_body={"birth_date": "2000-01-01"})).status == 204
    assert await eligibility(svc, early, cls["id"]) == []
    await svc.call("PATCH", "/api/v1/me", token=early, json_body={
        "id_type": "resident_id", "id_number": resident_id("19640609")})
    assert await eligibility(svc, early, cls["id"]) == ["age_out_of_range"]
    refused = await svc.enrol(early, cls["id"])
    assert (refused.status, refused.body["code"]) == (403, "age_out_of_range")


async def test_at_most_n_subsidised_trainings_a_calendar_year(svc: Service) -> None:
    admin = await svc.admin_token()
    one = await ruled_course(svc, admin, occupation_name="育婴员", max_subsidised_per_year=1)
    two = await ruled_course(svc, admin, occupation_name="咖啡师", max_subsidised_per_year=1)
    free = await svc.create_course(admin, occupation_name="礼仪")  # no rules: not subsidised
    first = await svc.create_class(admin, course_id=one["id"])
    second = await svc.create_class(admin, course_id=two["id"])
    other = await svc.create_class(admin, course_id=free["id"])
    trainee_id, token = await svc.add_user(name="赵六")
    assert (await svc.enrol(token, other["id"])).status == 201
    assert (await svc.enrol(token, first["id"])).status == 201
    assert await eligibility(svc, token, second["id"]) == ["subsidy_yearly_limit"]
    refused = await svc.enrol(token, second["id"])
    assert (refused.status, refused.body["code"]) == (403, "subsidy_yearly_limit")
    await grant(svc, admin, trainee_id, "subsidy_yearly_limit", course_id=two["id"])
    assert (await svc.enrol(token, second["id"])).status == 201


async def test_no_second_subsidised_training_in_the_same_occupation_and_level(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    course = await ruled_course(svc, admin, occupation_name="养老护理员", level=4)
    again = await ruled_course(svc, admin, occupation_name="养老护理员", level=4)
    higher = await ruled_course(svc, admin, occupation_name="养老护理员", level=3)
    first = await svc.create_class(admin, course_id=course["id"])
    _, token = await svc.add_user(name="钱七")
    assert (await svc.enrol(token, first["id"])).status == 201
    repeat = await svc.create_class(admin, course_id=again["id"])
    up = await svc.create_class(admin, course_id=higher["id"])
    assert await eligibility(svc, token, repeat["id"]) == ["subsidy_repeat_level"]
    assert await eligibility(svc, token, up["id"]) == []


async def test_nothing_below_a_level_held_from_our_certificates_or_a_recorded_one(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    level3 = await ruled_course(svc, admin, occupation_name="中式烹调师", level=3)
    level4 = await ruled_course(svc, admin, occupation_name="中式烹调师", level=4)
    other = await ruled_course(svc, admin, occupation_name="家政服务员", level=5)
    done = await svc.create_class(admin, course_id=level3["id"])
    lower = await svc.create_class(admin, course_id=level4["id"])
    unrelated = await svc.create_class(admin, course_id=other["id"])
    trainee_id, token = await svc.add_user(name="孙八")
    enrolled = await svc.enrol(token, done["id"])
    # Certification issued a level-3 certificate for it (as the projection records the event).
    await svc.pool.execute(
        "INSERT INTO certificates (certificate_id, enrollment_id, number, status, seq, "
        "issued_on) VALUES ($1, $2, 'S000011010000125300001', 'valid', 1, '2025-06-01')",
        new_id(), UUID(enrolled.body["id"]))
    assert "level_below_held" in await eligibility(svc, token, lower["id"])
    assert await eligibility(svc, token, unrelated["id"]) == []

    # A certificate recorded in certification arrives as held_certificate.recorded (through
    # RabbitMQ in tests/enrollment/test_subscriptions.py; here through the real handler).
    recorder_id, recorder = await svc.add_user(name="周九")
    await record_held(svc, recorder_id, "家政服务员", 4, "Y000011010000124400007")
    await record_held(svc, recorder_id, "育婴员", None, "3601012008000123")  # no level: no rule
    assert await eligibility(svc, recorder, unrelated["id"]) == ["level_below_held"]
    refused = await svc.enrol(recorder, unrelated["id"])
    assert (refused.status, refused.body["code"]) == (403, "level_below_held")
    assert await svc.pool.fetchval(
        "SELECT count(*) FROM skill_certificates WHERE trainee_id = $1", recorder_id) == 1
    # Recorded in one place only: enrollment no longer takes them itself.
    gone = await svc.call("POST", "/api/v1/me/skill-certificates", token=recorder, json_body={
        "occupation_name": "家政服务员", "level": 4, "number": "Y000011010000124400007"})
    assert gone.status == 404
    del trainee_id


async def record_held(
    svc: Service, user_id: UUID, occupation: str, level: int | None, number: str
) -> HeldCertificateRecorded:
    """Apply certification's held_certificate.recorded through enrollment's real handler, twice
    (a redelivery changes nothing)."""
    event = HeldCertificateRecorded(
        held_id=new_id(), user_id=user_id, number=number,
        number_format="legacy" if number.isdigit() else "national", occupation_name=occupation,
        level=level)
    for _ in range(2):
        async with svc.app[UOW]() as uow:
            await projections.record_held_certificate(event, occurred_at=svc.clock.now(),
                                                      uow=uow)
    return event


async def test_an_exception_is_recorded_with_its_reason_and_never_edited(svc: Service) -> None:
    admin = await svc.admin_token()
    trainee_id, _ = await svc.add_user(name="吴十")
    granted = await grant(svc, admin, trainee_id, "age_out_of_range")
    assert granted.status == 201
    listed = await svc.call("GET", f"/api/v1/users/{trainee_id}/eligibility-exceptions",
                            token=admin)
    assert [(e["rule"], e["reason"]) for e in listed.body["items"]] == [
        ("age_out_of_range", "经工会审批")]
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await svc.pool.execute("UPDATE eligibility_exceptions SET reason = 'x' "
                               "WHERE trainee_id = $1", trainee_id)
    _, trainee = await svc.add_user(name="学员")
    forbidden = await svc.call("POST", f"/api/v1/users/{trainee_id}/eligibility-exceptions",
                               token=trainee, json_body={"rule": "age_out_of_range",
                                                         "reason": "我自己批"})
    assert forbidden.status == 403


async def test_the_draw_skips_the_ineligible_and_draws_the_unsubsidised_first(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    earlier = await ruled_course(svc, admin, occupation_name="网络营销")
    course = await ruled_course(svc, admin, occupation_name="直播销售员",
                                max_subsidised_per_year=2)
    had = await svc.create_class(admin, course_id=earlier["id"])
    cls = await lottery_class(svc, admin, capacity=3, priority=True, course_id=course["id"])
    trainees = await svc.add_trainees(8)
    subsidised = {t for t, _ in trainees[:4]}
    for trainee_id, token in trainees:
        if trainee_id in subsidised:
            assert (await svc.enrol(token, had["id"])).status == 201
        assert (await apply(svc, token, cls["id"])).status == 201
    # One applicant took a second subsidised place after applying: ineligible at the draw.
    late_id, late_token = trainees[0]
    extra = await svc.create_class(admin, course_id=(await ruled_course(
        svc, admin, occupation_name="咖啡师"))["id"])
    assert (await svc.enrol(late_token, extra["id"])).status == 201
    svc.clock.set(cls["closes_at"])
    out = await draws.draw(UUID(cls["id"]), deps=svc.deps, actor=Actor.system())
    assert (out.offers, out.waitlisted, out.ineligible) == (3, 4, 1)
    entries = (await document(svc, cls["id"]))["entries"]
    assert [e["group"] for e in entries] == [0] * 4 + [1] * 4  # the unsubsidised first
    assert [e["outcome"] for e in entries[:4]] == ["offered"] * 3 + ["waitlisted"]
    owner = {UUID(r["id"]): r["trainee_id"] for r in await svc.pool.fetch(
        "SELECT id::text, trainee_id FROM applications WHERE class_id = $1", UUID(cls["id"]))}
    ineligible = [e for e in entries if e["outcome"] == "ineligible"]
    assert [owner[UUID(e["application_id"])] for e in ineligible] == [late_id]


async def _full_class(svc: Service, admin: str, course: dict[str, Any], **fields: Any) -> tuple[
        dict[str, Any], str, str]:
    """A class of one seat, taken; return (class, the holder's enrolment id and token)."""
    cls = await svc.create_class(admin, course_id=course["id"], capacity=1, **fields)
    _, token = await svc.add_user(name="占座的学员")
    held = await svc.enrol(token, cls["id"])
    assert held.body["status"] == "confirmed", held.body
    return cls, held.body["id"], token


async def _cancel(svc: Service, enrollment_id: str, token: str) -> None:
    reply = await svc.call("POST", f"/api/v1/enrollments/{enrollment_id}/cancel", token=token)
    assert reply.status == 200, reply.body


async def test_waitlists_in_two_subsidised_classes_give_one_place_when_the_limit_is_one(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    one = await ruled_course(svc, admin, occupation_name="育婴员", max_subsidised_per_year=1)
    two = await ruled_course(svc, admin, occupation_name="咖啡师", max_subsidised_per_year=1)
    first, first_holder, first_token = await _full_class(svc, admin, one)
    second, second_holder, second_token = await _full_class(svc, admin, two)
    _, token = await svc.add_user(name="排两个候补")
    queued = [(await svc.enrol(token, c["id"])).body for c in (first, second)]
    assert [q["status"] for q in queued] == ["waitlisted", "waitlisted"]  # waiting is no place
    _, next_token = await svc.add_user(name="排在后面")
    behind = (await svc.enrol(next_token, second["id"])).body

    await _cancel(svc, first_holder, first_token)
    await _cancel(svc, second_holder, second_token)

    assert await svc.status_of(queued[0]["id"]) == ("confirmed", None)
    assert await svc.status_of(queued[1]["id"]) == ("cancelled", None)
    assert await svc.status_of(behind["id"]) == ("confirmed", None)  # the seat went on
    seen = await svc.call("GET", f"/api/v1/enrollments/{queued[1]['id']}", token=token)
    assert seen.body["cancel_reason"] == "subsidy_yearly_limit"
    last = (await svc.events(queued[1]["id"]))[-1]
    assert (last["type"], last["data"]["reason"], last["data"]["note"]) == (
        "enrollment.cancelled", "ineligible", "subsidy_yearly_limit")
    detail = (await svc.call("GET", f"/api/v1/classes/{second['id']}")).body
    assert (detail["seats_left"], detail["waitlist_length"]) == (0, 0)


async def test_an_offer_is_not_accepted_once_the_rules_refuse_the_trainee(svc: Service) -> None:
    admin = await svc.admin_token()
    course = await ruled_course(svc, admin, occupation_name="家政服务员",
                                max_subsidised_per_year=2)
    other = await ruled_course(svc, admin, occupation_name="养老护理员")
    cls, holder, holder_token = await _full_class(svc, admin, course, waitlist_policy="offer")
    trainee_id, token = await svc.add_user(name="等名额")
    queued = (await svc.enrol(token, cls["id"])).body
    await _cancel(svc, holder, holder_token)
    assert await svc.status_of(queued["id"]) == ("offered", None)
    elsewhere = await svc.create_class(admin, course_id=other["id"])
    assert (await svc.enrol(token, elsewhere["id"])).status == 201  # 1 offer + 1 place: fine
    limited = await svc.call("PUT", f"/api/v1/courses/{course['id']}/rules", token=admin,
                             json_body={"max_subsidised_per_year": 1})
    assert limited.status == 200, limited.body

    refused = await svc.call("POST", f"/api/v1/enrollments/{queued['id']}/accept", token=token)

    assert (refused.status, refused.body["code"]) == (403, "subsidy_yearly_limit")
    assert await svc.status_of(queued["id"]) == ("offered", None)
    del trainee_id


async def test_two_bookings_at_once_into_subsidised_classes_give_one_place_at_the_limit(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    one = await ruled_course(svc, admin, occupation_name="中式烹调师", max_subsidised_per_year=1)
    two = await ruled_course(svc, admin, occupation_name="礼仪培训", max_subsidised_per_year=1)
    classes = [await svc.create_class(admin, course_id=c["id"]) for c in (one, two)]
    trainee_id, token = await svc.add_user(name="同时报两个")

    # Both bookings wait at their class's row, after the rules were read, before booking:
    # without a lock on the trainee's places both read "none taken yet".
    async with holding(svc.pool, "SELECT 1 FROM classes WHERE id = ANY($1::uuid[]) FOR UPDATE",
                       [UUID(c["id"]) for c in classes]):
        replies = [asyncio.ensure_future(svc.enrol(token, c["id"])) for c in classes]
        await until_waiting(svc.pool, 2)
    answers = sorted((r.status, r.body.get("code")) for r in await asyncio.gather(*replies))

    assert answers == [(201, None), (403, "subsidy_yearly_limit")]
    assert await svc.pool.fetchval(
        "SELECT count(*) FROM enrollments WHERE trainee_id = $1 AND status = 'confirmed'",
        trainee_id) == 1
