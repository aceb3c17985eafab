"""The route table every API module adds to, the query models and small request helpers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.notification.deps import Deps
from services.notification.domain.contacts import normalise_email, normalise_phone
from services.notification.keys import DEPS
from shared.errors import ValidationFailed
from shared.web.api import ApiRequest, ApiRoutes

routes = ApiRoutes()


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=500)


class RecipientQuery(Page):
    recipient: str | None = Field(None, description="phone number or email address")
    status: str | None = None


class InboxQuery(Page):
    phone: str | None = Field(None, description="a number, or 3-10 of its digits to search")
    email: str | None = None
    lang: Literal["zh-CN", "en"] = "zh-CN"


class ReceiptQuery(BaseModel):
    token: str | None = Field(
        None, description="the shared receipt token (JIANGXIN_NOTIFICATION_RECEIPT_TOKEN), checked"
        " before the body is read: without it every request is 401 receipt_token_invalid")


def deps(req: ApiRequest[Any, Any]) -> Deps:
    """Return the service's dependencies."""
    return req.app[DEPS]


def recipient_of(raw: str) -> str:
    """Return a phone number or email address in its stored form."""
    recipient = normalise_email(raw) if "@" in raw else normalise_phone(raw)
    if recipient is None:
        raise ValidationFailed("recipient is neither a phone number nor an email address",
                               code="invalid_recipient")
    return recipient
