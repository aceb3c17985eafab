"""Response models (and list query parameters) of the enrollment API."""

from __future__ import annotations

from services.enrollment.views.models.base import Out
from services.enrollment.views.models.catalogue import (
    ClassList,
    ClassOut,
    CourseBrief,
    CourseList,
    CourseOut,
    TrainerRef,
)
from services.enrollment.views.models.classroom import (
    AttendanceOut,
    ImportOut,
    ImportRowOut,
    ReleaseOut,
    RosterEntry,
    RosterOut,
    StatsOut,
)
from services.enrollment.views.models.enrollment import (
    ClassBrief,
    EnrolmentDetail,
    EnrolmentList,
    EnrolmentOut,
    HistoryEntry,
    ResultOut,
)
from services.enrollment.views.models.identity import (
    ConfirmedOut,
    CreatedOut,
    IdentityChangeList,
    IdentityChangeOut,
    OtpOut,
    ProfileOut,
    TokenOut,
    UserList,
    UserOut,
    UserRef,
)
from services.enrollment.views.models.queries import (
    ClassQuery,
    CourseQuery,
    ExportQuery,
    IdentityChangeQuery,
    Query,
    UserQuery,
)

__all__ = [
    "AttendanceOut",
    "ClassBrief",
    "ClassList",
    "ClassOut",
    "ClassQuery",
    "ConfirmedOut",
    "CourseBrief",
    "CourseList",
    "CourseOut",
    "CourseQuery",
    "CreatedOut",
    "EnrolmentDetail",
    "EnrolmentList",
    "EnrolmentOut",
    "ExportQuery",
    "HistoryEntry",
    "IdentityChangeList",
    "IdentityChangeOut",
    "IdentityChangeQuery",
    "ImportOut",
    "ImportRowOut",
    "OtpOut",
    "Out",
    "ProfileOut",
    "Query",
    "ReleaseOut",
    "ResultOut",
    "RosterEntry",
    "RosterOut",
    "StatsOut",
    "TokenOut",
    "TrainerRef",
    "UserList",
    "UserOut",
    "UserQuery",
    "UserRef",
]
