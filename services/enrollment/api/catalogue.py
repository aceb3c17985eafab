"""Courses and classes."""

from __future__ import annotations

from services.enrollment.api.base import ADMIN, STAFF, deps, routes
from services.enrollment.commands import (
    CancelClass,
    CreateClass,
    CreateCourse,
    RescheduleClass,
    UpdateClass,
)
from services.enrollment.handlers import catalogue as handlers
from services.enrollment.views import catalogue as views
from services.enrollment.views.models import (
    ClassList,
    ClassOut,
    ClassQuery,
    CourseList,
    CourseOut,
    CourseQuery,
)
from shared.errors import NotFound
from shared.web.api import ApiRequest

TAGS = ("catalogue",)


@routes.get("/api/v1/courses", query=CourseQuery, response=CourseList, tags=TAGS)
async def list_courses(req: ApiRequest[None, CourseQuery]) -> CourseList:
    """List courses (filter by category or text; cursor pagination)."""
    return await views.list_courses(deps(req).pool, req.query)


@routes.post("/api/v1/courses", body=CreateCourse, response=CourseOut, status=201, roles=ADMIN,
             tags=TAGS, extra_statuses=(409,))
async def create_course(req: ApiRequest[CreateCourse, None]) -> CourseOut:
    """Publish a course (level 1-5, or none for a training certificate)."""
    return await handlers.create_course(req.body, deps=deps(req))


@routes.get("/api/v1/courses/{course_id}", response=CourseOut, tags=TAGS)
async def get_course(req: ApiRequest[None, None]) -> CourseOut:
    """Return one course."""
    course = await views.get_course(deps(req).pool, req.path_uuid("course_id"))
    if course is None:
        raise NotFound("There is no such course.", code="course_not_found")
    return course


@routes.get("/api/v1/classes", query=ClassQuery, response=ClassList, tags=TAGS)
async def list_classes(req: ApiRequest[None, ClassQuery]) -> ClassList:
    """List classes by start date (filter by course, category, open=true, text, trainer)."""
    d = deps(req)
    return await views.list_classes(d.pool, req.query, d.clock.now())


@routes.post("/api/v1/classes", body=CreateClass, response=ClassOut, status=201, roles=ADMIN,
             tags=TAGS)
async def create_class(req: ApiRequest[CreateClass, None]) -> ClassOut:
    """Schedule a class; enrolment opens now and closes at the start unless given."""
    return await handlers.create_class(req.body, deps=deps(req))


@routes.get("/api/v1/classes/{class_id}", response=ClassOut, tags=TAGS)
async def get_class(req: ApiRequest[None, None]) -> ClassOut:
    """Return a class with schedule days, venue, seats_left and waitlist_length."""
    d = deps(req)
    out = await views.get_class(d.pool, req.path_uuid("class_id"), d.clock.now())
    if out is None:
        raise NotFound("There is no such class.", code="class_not_found")
    return out


@routes.patch("/api/v1/classes/{class_id}", body=UpdateClass, response=ClassOut, roles=ADMIN,
              tags=TAGS, extra_statuses=(409,))
async def update_class(req: ApiRequest[UpdateClass, None]) -> ClassOut:
    """Change a class; growing the capacity promotes (or offers to) the waitlist at once."""
    return await handlers.update_class(req.path_uuid("class_id"), req.body, deps=deps(req))


@routes.post("/api/v1/classes/{class_id}/cancel", body=CancelClass, response=ClassOut,
             roles=ADMIN, tags=TAGS)
async def cancel_class(req: ApiRequest[CancelClass, None]) -> ClassOut:
    """Cancel a class; every live enrolment is cancelled and each trainee told."""
    return await handlers.cancel_class(req.path_uuid("class_id"), req.body, deps=deps(req),
                                       actor=req.user)


@routes.post("/api/v1/classes/{class_id}/reschedule", body=RescheduleClass, response=ClassOut,
             roles=ADMIN, tags=TAGS)
async def reschedule_class(req: ApiRequest[RescheduleClass, None]) -> ClassOut:
    """Move a class to new days or venue; each trainee is told."""
    return await handlers.reschedule_class(req.path_uuid("class_id"), req.body, deps=deps(req),
                                           actor=req.user)


@routes.get("/api/v1/me/classes", query=ClassQuery, response=ClassList, roles=STAFF, tags=TAGS)
async def my_classes(req: ApiRequest[None, ClassQuery]) -> ClassList:
    """List the classes the caller teaches (cancelled ones with include_cancelled=true)."""
    d = deps(req)
    query = req.query.model_copy(update={"trainer_id": req.user.user_id})
    return await views.list_classes(d.pool, query, d.clock.now())
