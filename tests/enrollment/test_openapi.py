"""The OpenAPI document describes the HTTP contract the web and mobile clients use."""

from __future__ import annotations

from tests.enrollment.support import Service

CONTRACT = {
    ("post", "/api/v1/auth/otp"), ("post", "/api/v1/auth/token"), ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"), ("get", "/api/v1/courses"), ("post", "/api/v1/courses"),
    ("get", "/api/v1/courses/{course_id}"), ("post", "/api/v1/users"),
    ("get", "/api/v1/classes"), ("post", "/api/v1/classes"),
    ("get", "/api/v1/classes/{class_id}"), ("post", "/api/v1/enrollments"),
    ("get", "/api/v1/enrollments/{enrollment_id}"), ("get", "/api/v1/me/enrollments"),
    ("post", "/api/v1/enrollments/{enrollment_id}/cancel"),
    ("post", "/api/v1/enrollments/{enrollment_id}/accept"),
    ("get", "/api/v1/classes/{class_id}/roster"),
    ("put", "/api/v1/classes/{class_id}/attendance/{date}"),
    ("put", "/api/v1/enrollments/{enrollment_id}/result"),
    ("post", "/api/v1/classes/{class_id}/release-results"),
}


async def test_every_contract_operation_is_documented(svc: Service) -> None:
    doc = (await svc.call("GET", "/openapi.json")).body
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert documented >= CONTRACT
    enrol = doc["components"]["schemas"]["EnrolmentOut"]["properties"]
    assert {"id", "status", "waitlist_position"} <= set(enrol)
    cls = doc["components"]["schemas"]["ClassOut"]["properties"]
    assert {"capacity", "seats_left", "waitlist_length", "schedule_days"} <= set(cls)
    token = doc["components"]["schemas"]["TokenOut"]["properties"]
    assert {"access_token", "token_type", "expires_in", "user"} <= set(token)
