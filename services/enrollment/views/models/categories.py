"""Responses of the catalogue's categories."""

from __future__ import annotations

from pydantic import Field

from services.enrollment.views.models.base import Out


class CategoryOut(Out):
    """A category of courses, named in both languages, with its classes open now."""

    code: str = Field(description="what courses.category and ?category= hold")
    name_zh: str
    name_en: str
    open_classes: int = Field(description="classes of this category open for enrolment now")


class CategoryList(Out):
    """Every category that has a course, most open classes first."""

    items: list[CategoryOut]
