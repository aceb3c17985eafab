"""Responses of sign-in, profiles and users."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from services.enrollment.views.models.base import Out


class UserRef(Out):
    """Who signed in."""

    id: UUID
    role: Literal["trainee", "trainer", "admin"]
    name: str


class TokenOut(Out):
    """An access token for the Authorization header."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    user: UserRef


class OtpOut(Out):
    """A code is on its way."""

    expires_in: int = Field(description="seconds the code stays valid")
    resend_after: int = Field(description="seconds before another code may be requested")


class ProfileOut(Out):
    """One's own profile (ID number only masked)."""

    id: UUID
    role: Literal["trainee", "trainer", "admin"]
    name: str
    phone: str
    email: str | None
    locale: Literal["zh-CN", "en"]
    union_member: bool
    employer: str | None
    id_type: str | None
    id_number_masked: str | None
    profile_complete: bool
    created_at: datetime


class UserOut(Out):
    """A user as administrators see them in lists (phone masked)."""

    id: UUID
    role: Literal["trainee", "trainer", "admin"]
    name: str
    phone_masked: str
    union_member: bool
    employer: str | None
    signed_up: bool = Field(description="false for accounts made by a roster import")
    created_at: datetime
    disabled: bool = Field(False, description="a disabled account cannot sign in")
    must_change_password: bool = Field(
        False, description="reset by an administrator: sign-in needs a new password first")


class UserList(Out):
    """A page of users."""

    items: list[UserOut]
    next_cursor: str | None


class CreatedOut(Out):
    """The id of what was created."""

    id: UUID
