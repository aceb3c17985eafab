"""Eligibility rules: a course's rules, exceptions, a trainee's birth date, the check.

Certificates held from elsewhere are recorded in certification
(`POST /api/v1/me/held-certificates`); enrollment keeps them from `held_certificate.recorded`.
"""

from __future__ import annotations

from services.enrollment.api.base import ADMIN, deps, routes
from services.enrollment.commands_fair import (
    GrantException,
    SetBirthDate,
    SetCourseRules,
)
from services.enrollment.handlers import eligibility as handlers
from services.enrollment.views.models.fair import (
    CourseRulesOut,
    EligibilityOut,
    ExceptionList,
    ExceptionOut,
)
from shared.web.api import ApiRequest

TAGS = ("eligibility",)


@routes.get("/api/v1/classes/{class_id}/eligibility", response=EligibilityOut,
            roles={"trainee"}, tags=TAGS, extra_statuses=(404,))
async def my_eligibility(req: ApiRequest[None, None]) -> EligibilityOut:
    """Say whether the caller meets the class's rules, and which ones they do not."""
    return await handlers.check(req.path_uuid("class_id"), deps=deps(req), actor=req.user)


@routes.put("/api/v1/courses/{course_id}/rules", body=SetCourseRules, response=CourseRulesOut,
            roles=ADMIN, tags=TAGS, extra_statuses=(404,))
async def set_course_rules(req: ApiRequest[SetCourseRules, None]) -> CourseRulesOut:
    """Set a course's eligibility rules (age, subsidies per year, repeats, lower levels)."""
    return await handlers.set_course_rules(req.path_uuid("course_id"), req.body, deps=deps(req))


@routes.get("/api/v1/courses/{course_id}/rules", response=CourseRulesOut, tags=TAGS,
            extra_statuses=(404,))
async def get_course_rules(req: ApiRequest[None, None]) -> CourseRulesOut:
    """Return a course's eligibility rules (public: shown before applying)."""
    return await handlers.get_course_rules(req.path_uuid("course_id"), deps=deps(req))


@routes.post("/api/v1/users/{user_id}/eligibility-exceptions", body=GrantException,
             response=ExceptionOut, status=201, roles=ADMIN, tags=TAGS, extra_statuses=(404,))
async def grant_exception(req: ApiRequest[GrantException, None]) -> ExceptionOut:
    """Let a trainee pass one rule, with a reason (recorded for good)."""
    return await handlers.grant_exception(req.path_uuid("user_id"), req.body, deps=deps(req),
                                          actor=req.user)


@routes.get("/api/v1/users/{user_id}/eligibility-exceptions", response=ExceptionList,
            roles=ADMIN, tags=TAGS)
async def list_exceptions(req: ApiRequest[None, None]) -> ExceptionList:
    """List the exceptions granted to a trainee, newest first."""
    return await handlers.list_exceptions(req.path_uuid("user_id"), deps=deps(req))


@routes.put("/api/v1/me/birth-date", body=SetBirthDate, status=204, roles={"trainee"},
            tags=TAGS, extra_statuses=(422,))
async def set_birth_date(req: ApiRequest[SetBirthDate, None]) -> None:
    """Record one's birth date when the ID document does not carry it (422
    `id_carries_birth_date` when it does: the ID number's date counts)."""
    await handlers.set_birth_date(req.body, deps=deps(req), actor=req.user)
