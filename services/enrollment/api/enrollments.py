"""Enrolling, cancelling, accepting offers; one's own enrolments."""

from __future__ import annotations

from aiohttp import web

from services.enrollment.api.base import ADMIN, ANYONE, deps, routes
from services.enrollment.commands import AdminEnrol, Enrol
from services.enrollment.handlers import enrollments as handlers
from services.enrollment.handlers.enrol import enrol_by_admin, idempotency_key
from services.enrollment.handlers.self_enrol import enrol_self
from services.enrollment.views.models import EnrolmentDetail, EnrolmentList, EnrolmentOut
from shared.web.api import ApiRequest

TAGS = ("enrolment",)
# A route function's name is its operationId in the published OpenAPI document:
# get_enrolment, my_enrolments and cancel_enrolment keep that spelling.


@routes.post("/api/v1/enrollments", body=Enrol, response=EnrolmentOut, status=201,
             roles={"trainee"}, tags=TAGS, extra_statuses=(403, 404, 409, 422))
async def enrol(req: ApiRequest[Enrol, None]) -> web.Response:
    """Enrol in a class: confirmed while seats last, else waitlisted with a position.

    Send an Idempotency-Key header to retry safely: the same key returns the same answer."""
    key = idempotency_key(
        req.header("Idempotency-Key"), user_id=req.user.user_id, method="POST",
        path="/api/v1/enrollments", body=req.body,
    )
    answer = await enrol_self(req.body, deps=deps(req), actor=req.user, key=key)
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return web.Response(body=answer.body.encode(), status=answer.status,
                        content_type="application/json", headers=headers)


@routes.post("/api/v1/classes/{class_id}/enrollments", body=AdminEnrol, response=EnrolmentOut,
             status=201, roles=ADMIN, tags=TAGS)
async def enrol_trainee(req: ApiRequest[AdminEnrol, None]) -> EnrolmentOut:
    """Enrol a trainee by account id or phone number (outside the window; never past capacity)."""
    return await enrol_by_admin(req.path_uuid("class_id"), req.body, deps=deps(req),
                                actor=req.user)


@routes.get("/api/v1/enrollments/{enrollment_id}", response=EnrolmentDetail, roles=ANYONE,
            tags=TAGS)
async def get_enrolment(req: ApiRequest[None, None]) -> EnrolmentDetail:
    """Return an enrolment now: status, waitlist position, offer deadline, result, history."""
    return await handlers.get_enrollment(req.path_uuid("enrollment_id"), deps=deps(req),
                                        actor=req.user)


@routes.get("/api/v1/me/enrollments", response=EnrolmentList, roles=ANYONE, tags=TAGS)
async def my_enrolments(req: ApiRequest[None, None]) -> EnrolmentList:
    """List the caller's enrolments with class details, newest first."""
    return await handlers.my_enrollments(deps=deps(req), actor=req.user)


@routes.post("/api/v1/enrollments/{enrollment_id}/cancel", response=EnrolmentDetail,
             roles={"trainee", "admin"}, tags=TAGS, extra_statuses=(404, 409))
async def cancel_enrolment(req: ApiRequest[None, None]) -> EnrolmentDetail:
    """Cancel an enrolment (or decline an offer); the seat goes to the head of the waitlist."""
    return await handlers.cancel(req.path_uuid("enrollment_id"), deps=deps(req), actor=req.user)


@routes.post("/api/v1/enrollments/{enrollment_id}/accept", response=EnrolmentDetail,
             roles={"trainee"}, tags=TAGS, extra_statuses=(403, 404, 409))
async def accept_offer(req: ApiRequest[None, None]) -> EnrolmentDetail:
    """Accept a seat offered from the waitlist before its deadline (403 with the rule's code
    when the course's eligibility rules refuse the trainee by now)."""
    return await handlers.accept(req.path_uuid("enrollment_id"), deps=deps(req), actor=req.user)
