"""Moving a seat to another class of the same course (改期)."""

from __future__ import annotations

from services.enrollment.api.base import deps, routes
from services.enrollment.commands import MoveEnrolment
from services.enrollment.handlers import moving
from services.enrollment.views.models import EnrolmentDetail
from shared.web.api import ApiRequest

TAGS = ("enrolment",)


@routes.post("/api/v1/enrollments/{enrollment_id}/move", body=MoveEnrolment,
             response=EnrolmentDetail, roles={"trainee", "admin"}, tags=TAGS,
             extra_statuses=(403, 404, 409, 422))
async def move_enrolment(req: ApiRequest[MoveEnrolment, None]) -> EnrolmentDetail:
    """Move a confirmed seat to another class of the same course with a free seat (改期),
    until the course's cut-off; the freed seat goes to the old class's waitlist."""
    return await moving.move_enrolment(req.path_uuid("enrollment_id"), req.body,
                                       deps=deps(req), actor=req.user)
