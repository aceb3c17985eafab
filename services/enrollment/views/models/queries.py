"""Query-string parameters of the list and export endpoints."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


SearchText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(_no_nul)
]
Cursor = Annotated[str, StringConstraints(max_length=200)]
Limit = Annotated[int, Field(ge=1, le=100)]


class Query(BaseModel):
    """Query-string parameters (always strings on the wire, so lax parsing)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class CourseQuery(Query):
    """Filter courses."""

    category: SearchText | None = None
    q: SearchText | None = None
    cursor: Cursor | None = None
    limit: Limit = 20


class ClassQuery(Query):
    """Filter classes."""

    course_id: UUID | None = None
    category: SearchText | None = None
    open: bool | None = None
    q: SearchText | None = None
    trainer_id: UUID | None = None
    include_cancelled: bool = False
    cursor: Cursor | None = None
    limit: Limit = 20


class UserQuery(Query):
    """Filter users (administrators)."""

    role: Literal["trainee", "trainer", "examiner", "admin"] | None = None
    q: SearchText | None = None
    cursor: Cursor | None = None
    limit: Limit = 50


class ExportQuery(Query):
    """Roster export options."""

    unmasked: bool = False
    lang: Literal["zh-CN", "en"] = Field(
        "zh-CN", description="headers and values in Chinese (default) or English, as ?lang=en "
        "of the verification page")


class ClaimPackQuery(Query):
    """Which city template lays the document out; full personal data (administrators)."""

    template: str = Field("default", max_length=64, pattern=r"^[a-z0-9_-]+$")
    unmasked: bool = False


class IdentityChangeQuery(Query):
    """Which recorded identity changes (administrators)."""

    unconfirmed: bool = True
