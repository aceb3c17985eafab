"""Bad input of every kind gets problem+json with a stable code, never a 500."""

from __future__ import annotations

import io
from typing import Any

import pytest
import pytest_asyncio

from tests.enrollment.support import Service

RANDOM_ID = "0190f3a2-7c4e-7000-8000-000000000000"
COURSE = {"title_zh": "x", "title_en": "x", "category": "c", "required_hours": 10}
CLASS = {"course_id": "$course", "capacity": 10, "starts_on": "2025-07-01",
         "ends_on": "2025-07-02", "venue": "x"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(module_service: Service) -> dict[str, Any]:
    """An admin, a trainer, a trainee, a class and an enrolment to aim bad requests at."""
    svc = module_service
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer")
    _, trainee = await svc.add_user()
    course = await svc.create_course(admin)
    cls = await svc.create_class(admin, course_id=course["id"], trainer_ids=[str(trainer_id)])
    enrollment = (await svc.enrol(trainee, cls["id"])).body["id"]
    return {"admin": admin, "trainer": trainer, "trainee": trainee, "class": cls["id"],
            "course": course["id"], "enrollment": enrollment}


# (who, method, path, body: JSON value or raw bytes, status, code)
CASES: list[tuple[str, str, str, Any, int, str]] = [
    ("trainee", "POST", "/api/v1/enrollments", b"{", 400, "invalid_json"),
    ("trainee", "POST", "/api/v1/enrollments", b"", 400, "body_required"),
    ("trainee", "POST", "/api/v1/enrollments", b"\xff\xfe", 400, "invalid_json"),
    ("trainee", "POST", "/api/v1/enrollments", [], 422, "validation_failed"),
    ("trainee", "POST", "/api/v1/enrollments", {"class_id": 5}, 422, "validation_failed"),
    ("trainee", "POST", "/api/v1/enrollments", {"class_id": "abc"}, 422, "validation_failed"),
    ("trainee", "POST", "/api/v1/enrollments", {}, 422, "validation_failed"),
    ("trainee", "POST", "/api/v1/enrollments", {"class_id": RANDOM_ID}, 404, "class_not_found"),
    ("anyone", "GET", "/api/v1/classes/not-a-uuid", None, 404, "not_found"),
    ("anyone", "GET", f"/api/v1/classes/{RANDOM_ID}", None, 404, "class_not_found"),
    ("anyone", "GET", f"/api/v1/courses/{RANDOM_ID}", None, 404, "course_not_found"),
    ("anyone", "GET", "/api/v1/courses/%00", None, 404, "not_found"),
    ("anyone", "GET", "/api/v1/classes?limit=0", None, 422, "validation_failed"),
    ("anyone", "GET", "/api/v1/classes?limit=abc", None, 422, "validation_failed"),
    ("anyone", "GET", "/api/v1/classes?open=maybe", None, 422, "validation_failed"),
    ("anyone", "GET", "/api/v1/classes?course_id=xyz", None, 422, "validation_failed"),
    ("anyone", "GET", "/api/v1/classes?cursor=%%%", None, 422, "invalid_cursor"),
    ("anyone", "GET", "/api/v1/courses?cursor=bm90LWEtdXVpZA", None, 422, "invalid_cursor"),
    ("anyone", "GET", "/api/v1/courses?q=%00", None, 422, "validation_failed"),
    ("anyone", "GET", "/api/v1/nowhere", None, 404, "not_found"),
    ("anyone", "DELETE", "/api/v1/courses", None, 405, "method_not_allowed"),
    ("trainee", "GET", f"/api/v1/enrollments/{RANDOM_ID}", None, 404, "enrollment_not_found"),
    ("trainee", "GET", "/api/v1/enrollments/123", None, 404, "not_found"),
    ("anyone", "POST", "/api/v1/auth/otp", {"phone": "abc"}, 422, "invalid_phone"),
    ("anyone", "POST", "/api/v1/auth/otp", {"phone": 13800138000}, 422, "validation_failed"),
    ("anyone", "POST", "/api/v1/auth/otp", {"phone": "+999 123"}, 422, "invalid_phone"),
    ("anyone", "POST", "/api/v1/auth/otp", {"phone": "1" * 41}, 422, "validation_failed"),
    ("anyone", "POST", "/api/v1/auth/token", {"phone": "13800138000"}, 422, "validation_failed"),
    ("anyone", "POST", "/api/v1/auth/token", {"phone": "13800138000", "code": "1",
                                              "password": "x"}, 422, "validation_failed"),
    ("anyone", "POST", "/api/v1/auth/token", {"phone": "x", "code": "123456"}, 422,
     "invalid_phone"),
    ("trainee", "PATCH", "/api/v1/me", {"email": "not-an-email"}, 422, "validation_failed"),
    ("trainee", "PATCH", "/api/v1/me", {"name": "a\u0000b"}, 422, "validation_failed"),
    ("trainee", "PATCH", "/api/v1/me", {"locale": "fr"}, 422, "validation_failed"),
    ("trainee", "PATCH", "/api/v1/me", {"id_number": "110105194912310021"}, 422,
     "validation_failed"),
    ("trainee", "PATCH", "/api/v1/me", {"id_type": "passport", "id_number": "!!"}, 422,
     "invalid_id_number"),
    ("admin", "POST", "/api/v1/courses", {"code": "X1", "title_zh": "x", "title_en": "x",
                                          "category": "c", "required_hours": -1}, 422,
     "validation_failed"),
    ("admin", "POST", "/api/v1/courses", {"code": "X2", "title_zh": "x", "title_en": "x",
                                          "category": "c", "required_hours": 10, "level": 6},
     422, "validation_failed"),
    ("admin", "POST", "/api/v1/courses", {"code": "bad code!", "title_zh": "x", "title_en": "x",
                                          "category": "c", "required_hours": 10}, 422,
     "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {"course_id": RANDOM_ID, "capacity": 10,
                                          "starts_on": "2025-07-01", "ends_on": "2025-07-02",
                                          "venue": "x"}, 422, "unknown_course"),
    ("admin", "POST", "/api/v1/classes", {"course_id": "$course", "capacity": "10",
                                          "starts_on": "2025-07-01", "ends_on": "2025-07-02",
                                          "venue": "x"}, 422, "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {"course_id": "$course", "capacity": 10 ** 12,
                                          "starts_on": "2025-07-01", "ends_on": "2025-07-02",
                                          "venue": "x"}, 422, "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {"course_id": "$course", "capacity": 10,
                                          "starts_on": "2025-07-05", "ends_on": "2025-07-02",
                                          "venue": "x"}, 422, "invalid_schedule"),
    ("admin", "POST", "/api/v1/classes", {"course_id": "$course", "capacity": 10,
                                          "starts_on": "2025-02-30", "ends_on": "2025-07-02",
                                          "venue": "x"}, 422, "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {"course_id": "$course", "capacity": 10,
                                          "starts_on": "2025-07-01", "ends_on": "2025-07-02",
                                          "venue": "x", "enroll_opens_at": "2025-06-01T00:00"},
     422, "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {"course_id": "$course", "capacity": 10,
                                          "starts_on": "2025-07-01", "ends_on": "2025-07-02",
                                          "venue": "x", "trainer_ids": [RANDOM_ID]}, 422,
     "unknown_trainer"),
    ("admin", "POST", "/api/v1/classes", {"course_id": "$course", "capacity": 10,
                                          "starts_on": "2025-07-01", "ends_on": "2025-07-02",
                                          "venue": "x",
                                          "enroll_opens_at": "2025-06-20T00:00:00+08:00",
                                          "enroll_closes_at": "2025-06-10T00:00:00+08:00"},
     422, "invalid_enrolment_window"),
    ("admin", "POST", "/api/v1/courses", {**COURSE, "code": "X3", "required_hours": 0.04}, 422,
     "validation_failed"),  # numeric(7, 1) would round it to 0
    ("admin", "POST", "/api/v1/courses", {**COURSE, "code": "X4", "required_hours": 0.4}, 422,
     "validation_failed"),
    ("admin", "POST", "/api/v1/courses", {**COURSE, "code": "X5", "required_hours": 12.25},
     422, "validation_failed"),  # one decimal at most
    ("admin", "POST", "/api/v1/courses", {**COURSE, "code": "X6", "required_hours": 10_000.5},
     422, "validation_failed"),
    ("admin", "POST", "/api/v1/courses", {**COURSE, "code": "X7", "theory_pass": 59.95}, 422,
     "validation_failed"),  # numeric(5, 1) would round it to 60
    ("admin", "POST", "/api/v1/courses", {**COURSE, "code": "X8", "category": "a\u0000b"}, 422,
     "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {**CLASS, "enroll_closes_at": "9999-12-31T23:30:00-05:00"},
     422, "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {**CLASS, "enroll_opens_at": "0001-01-01T00:00:00Z"},
     422, "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {**CLASS, "starts_on": "0001-01-01",
                                          "ends_on": "0001-01-02"}, 422, "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {**CLASS, "starts_on": "9999-12-30",
                                          "ends_on": "9999-12-31"}, 422, "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {**CLASS, "schedule_days": ["2025-07-01", "1999-12-31",
                                                                     "2025-07-02"]}, 422,
     "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {**CLASS, "session_start": "09:00:00+08:00"}, 422,
     "validation_failed"),
    ("admin", "POST", "/api/v1/classes", {**CLASS, "name": "班" * 201}, 422, "validation_failed"),
    ("admin", "PATCH", "/api/v1/classes/$class", {"enroll_closes_at": "9999-12-31T23:30:00-05:00"},
     422, "validation_failed"),
    ("admin", "PATCH", "/api/v1/classes/$class", {"enroll_opens_at": "0001-01-01T00:00:00+08:00"},
     422, "validation_failed"),
    ("admin", "PATCH", "/api/v1/classes/$class", {"session_start": "09:00:00+08:00"}, 422,
     "validation_failed"),
    ("admin", "POST", "/api/v1/classes/$class/reschedule", {"starts_on": "2101-01-01",
                                                            "ends_on": "2101-01-02"}, 422,
     "validation_failed"),
    ("admin", "POST", "/api/v1/classes/$class/reschedule", {"starts_on": "0001-01-01",
                                                            "ends_on": "0001-01-02"}, 422,
     "validation_failed"),
    ("admin", "POST", "/api/v1/classes/$class/cancel", {"reason": "x" * 201}, 422,
     "validation_failed"),
    ("trainer", "PUT", "/api/v1/classes/$class/attendance/0001-01-01",
     {"records": [{"enrollment_id": "$enrollment", "status": "present"}]}, 422, "invalid_date"),
    ("trainer", "PUT", "/api/v1/classes/$class/attendance/9999-12-31",
     {"records": [{"enrollment_id": "$enrollment", "status": "present"}]}, 422, "invalid_date"),
    ("admin", "PATCH", "/api/v1/classes/$class", {"capacity": 0}, 422, "validation_failed"),
    ("admin", "PATCH", "/api/v1/classes/$class", {"waitlist_policy": "lottery"}, 422,
     "validation_failed"),
    ("admin", "POST", "/api/v1/classes/$class/enrollments", {}, 422, "validation_failed"),
    ("admin", "POST", "/api/v1/classes/$class/enrollments", {"trainee_id": RANDOM_ID}, 422,
     "unknown_trainee"),
    ("admin", "POST", "/api/v1/classes/$class/enrollments", {"phone": "010-12345678"}, 422,
     "phone_not_mobile"),
    ("trainer", "PUT", "/api/v1/enrollments/$enrollment/result",
     {"theory_score": 101, "practical_score": 50}, 422, "validation_failed"),
    ("trainer", "PUT", "/api/v1/enrollments/$enrollment/result",
     {"theory_score": -0.5, "practical_score": 50}, 422, "validation_failed"),
    ("trainer", "PUT", "/api/v1/enrollments/$enrollment/result",
     {"theory_score": "90", "practical_score": 50}, 422, "validation_failed"),
    ("trainer", "PUT", f"/api/v1/enrollments/{RANDOM_ID}/result",
     {"theory_score": 90, "practical_score": 50}, 404, "enrollment_not_found"),
    ("trainer", "PUT", "/api/v1/classes/$class/attendance/2025-13-01",
     {"records": [{"enrollment_id": "$enrollment", "status": "present"}]}, 422, "invalid_date"),
    ("trainer", "PUT", "/api/v1/classes/$class/attendance/2025-06-03",
     {"records": [{"enrollment_id": "$enrollment", "status": "sleeping"}]}, 422,
     "validation_failed"),
    ("trainer", "PUT", "/api/v1/classes/$class/attendance/2025-06-03", {"records": []}, 422,
     "validation_failed"),
    ("trainer", "PUT", "/api/v1/classes/$class/attendance/2025-06-03",
     {"records": [{"enrollment_id": "$enrollment", "status": "present"}]}, 422,
     "not_a_class_day"),
    ("trainer", "PUT", f"/api/v1/classes/{RANDOM_ID}/attendance/2025-06-03",
     {"records": [{"enrollment_id": "$enrollment", "status": "present"}]}, 404,
     "class_not_found"),
    ("trainee", "POST", "/api/v1/enrollments/$enrollment/accept", None, 409, "no_offer"),
    ("admin", "POST", "/api/v1/classes/$class/roster/import", b"phone,name\n", 415,
     "unsupported_media_type"),
    ("admin", "POST", "/api/v1/classes/$class/roster/import", ("text/csv", b"a,b\n1,2\n"), 422,
     "invalid_csv"),
    ("admin", "POST", "/api/v1/classes/$class/roster/import", ("text/csv", b""), 422,
     "invalid_csv"),
    ("admin", "POST", "/api/v1/classes/$class/roster/import",
     ("text/csv", b"phone,name\n\x00\x01\x02,x\n"), 422, "invalid_csv"),
    ("admin", "POST", f"/api/v1/classes/{RANDOM_ID}/roster/import",
     ("text/csv", b"phone,name\n13800138000,x\n"), 404, "class_not_found"),
    ("admin", "GET", f"/api/v1/classes/{RANDOM_ID}/roster", None, 404, "class_not_found"),
    ("admin", "GET", "/api/v1/users?role=king", None, 422, "validation_failed"),
]


def _fill(value: Any, world: dict[str, Any]) -> Any:
    if isinstance(value, str):
        for key in ("class", "course", "enrollment"):
            value = value.replace(f"${key}", str(world[key]))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "code"), CASES,
                         ids=[f"{c[1]} {c[2][:40]} -> {c[5]}" for c in CASES])
async def test_bad_input_gets_a_problem_with_a_stable_code(
    svc: Service, world: dict[str, Any], who: str, method: str, path: str, body: Any,
    status: int, code: str,
) -> None:
    token = world.get(who)
    headers: dict[str, str] = {}
    data = None
    json_body = None
    if isinstance(body, tuple):
        headers["Content-Type"], data = body
    elif isinstance(body, bytes):
        data = body
        headers["Content-Type"] = "application/json"
    else:
        json_body = _fill(body, world)
    reply = await svc.call(method, _fill(path, world), token=token, json_body=json_body,
                           data=data, headers=headers)
    assert reply.content_type == "application/problem+json", reply.body
    assert (reply.status, reply.body["code"]) == (status, code), reply.body


async def test_a_body_over_one_megabyte_is_refused(svc: Service, world: dict[str, Any]) -> None:
    reply = await svc.call("PATCH", "/api/v1/me", token=world["trainee"],
                           data=io.BytesIO(b'{"name": "' + b"x" * (2 << 20) + b'"}'),
                           headers={"Content-Type": "application/json"})
    assert reply.status == 413


async def test_a_malformed_idempotency_key_is_refused_and_none_is_fine(
    svc: Service, world: dict[str, Any],
) -> None:
    admin = world["admin"]
    cls = await svc.create_class(admin)
    _, token = await svc.add_user()
    bad = await svc.enrol(token, cls["id"], key="k" * 201)
    assert bad.status == 422
    assert bad.body["code"] == "invalid_idempotency_key"
    assert (await svc.enrol(token, cls["id"])).status == 201
