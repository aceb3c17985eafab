"""What a trainee's class page knows before enrolment opens."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from services.enrollment.views.models.base import Out


class ReadinessOut(Out):
    """Whether the caller could enrol in the class once (or while) enrolment is open."""

    ready: bool = Field(description="true: one tap enrols once enrolment is open")
    code: str | None = Field(description="the refusal the enrolment would meet, e.g. "
                             "profile_incomplete, union_members_only, enrolment_closed, "
                             "already_enrolled")
    detail: str | None
    open_now: bool = Field(description="true: enrolment is open now and one tap enrols")
    enroll_opens_at: datetime
    enroll_closes_at: datetime
    server_time: datetime = Field(description="the service's clock, for a countdown that does "
                                  "not trust the phone's")
    enrollment_id: UUID | None = Field(description="the caller's live enrolment in the class")
