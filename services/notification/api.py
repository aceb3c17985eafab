"""HTTP routes of the notification service: parse -> command -> handler -> response."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.notification import views
from services.notification.commands import RecordReceipts, Unsubscribe, UpdatePreferences
from services.notification.domain.contacts import normalise_email, normalise_phone
from services.notification.domain.model import Preferences
from services.notification.domain.rules import zone
from services.notification.handlers import preferences, receipts
from services.notification.handlers.deps import Deps
from services.notification.pages import inbox_page, unsubscribe_page
from services.notification.providers import aliyun, tencent
from shared.errors import NotFound, Unauthorized, ValidationFailed
from shared.web.api import ANY_ROLE, ApiRequest, ApiRoutes
from shared.web.keys import POOL, UOW

routes = ApiRoutes()
DEPS = web.AppKey("notification_deps", Deps)
DEV_INBOX = web.AppKey("notification_dev_inbox", bool)
RECEIPT_TOKEN = web.AppKey("notification_receipt_token", str)


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
    token: str | None = None


class PreferencesOut(BaseModel):
    """Which channels the person accepts, and which comes first."""

    sms: bool
    email: bool
    preferred: str


class AliyunAck(BaseModel):
    code: int = 0
    msg: str = "接收成功"


class TencentAck(BaseModel):
    result: int = 0
    errmsg: str = "OK"


def _prefs_out(prefs: Preferences) -> PreferencesOut:
    return PreferencesOut(sms=prefs.sms, email=prefs.email, preferred=prefs.preferred.value)


@routes.get("/api/v1/me/notifications", query=Page, response=views.MyNotificationList,
            roles=ANY_ROLE, tags=("me",))
async def my_notifications(req: ApiRequest[None, Page]) -> views.MyNotificationList:
    """List the messages sent to the signed-in person."""
    return await views.notifications_of_user(req.app[POOL], req.user.user_id, limit=req.query.limit)


@routes.get("/api/v1/me/preferences", response=PreferencesOut, roles=ANY_ROLE, tags=("me",))
async def get_my_preferences(req: ApiRequest[None, None]) -> PreferencesOut:
    """Show which channels the signed-in person accepts."""
    async with req.app[UOW]() as uow:
        return _prefs_out(await preferences.get_preferences(req.user.user_id, uow=uow))


@routes.put("/api/v1/me/preferences", body=UpdatePreferences, response=PreferencesOut,
            roles=ANY_ROLE, tags=("me",))
async def put_my_preferences(req: ApiRequest[UpdatePreferences, None]) -> PreferencesOut:
    """Change which channels the signed-in person accepts."""
    async with req.app[UOW]() as uow:
        prefs = await preferences.update_preferences(
            req.body, req.user.user_id, uow=uow, deps=req.app[DEPS]
        )
    return _prefs_out(prefs)


@routes.get("/api/v1/notifications", query=RecipientQuery, response=views.NotificationList,
            roles={"admin"}, tags=("admin",))
async def list_notifications(req: ApiRequest[None, RecipientQuery]) -> views.NotificationList:
    """List messages to one phone number or email address (admin), newest first."""
    recipient = None
    if req.query.recipient:
        raw = req.query.recipient
        recipient = normalise_email(raw) if "@" in raw else normalise_phone(raw)
        if recipient is None:
            raise ValidationFailed("recipient is neither a phone number nor an email address",
                                   code="invalid_recipient")
    return await views.notifications_for(
        req.app[POOL], recipient=recipient, status=req.query.status, limit=req.query.limit
    )


@routes.get("/api/v1/notifications/stats", response=views.Stats, roles={"admin"},
            tags=("admin",))
async def notification_stats(req: ApiRequest[None, None]) -> views.Stats:
    """Count today's messages by outcome (admin dashboard)."""
    deps = req.app[DEPS]
    tz = zone(deps.policy.default_timezone)
    today = deps.clock.now().astimezone(tz).date()
    start = datetime.combine(today, time(0), tzinfo=tz).astimezone(UTC)
    return await views.stats(req.app[POOL], day=today, start=start, end=start + timedelta(days=1))


def _check_receipt_token(req: ApiRequest[Any, ReceiptQuery]) -> None:
    expected = req.app[RECEIPT_TOKEN]
    if expected and not hmac.compare_digest(req.query.token or "", expected):
        raise Unauthorized("receipt token missing or wrong", code="receipt_token_invalid")


@routes.post("/api/v1/receipts/aliyun", body=aliyun.AliyunReports, query=ReceiptQuery,
             response=AliyunAck, tags=("receipts",))
async def aliyun_receipts(req: ApiRequest[aliyun.AliyunReports, ReceiptQuery]) -> AliyunAck:
    """Take Aliyun delivery reports (JSON array); reply {"code":0}."""
    _check_receipt_token(req)
    cmd = RecordReceipts(provider=aliyun.NAME, receipts=aliyun.receipts(req.body))
    async with req.app[UOW]() as uow:
        await receipts.record_receipts(cmd, uow=uow, deps=req.app[DEPS])
    return AliyunAck()


@routes.post("/api/v1/receipts/tencent", body=tencent.TencentReports, query=ReceiptQuery,
             response=TencentAck, tags=("receipts",))
async def tencent_receipts(req: ApiRequest[tencent.TencentReports, ReceiptQuery]) -> TencentAck:
    """Take Tencent delivery reports (JSON array); reply {"result":0}."""
    _check_receipt_token(req)
    cmd = RecordReceipts(provider=tencent.NAME, receipts=tencent.receipts(req.body))
    async with req.app[UOW]() as uow:
        await receipts.record_receipts(cmd, uow=uow, deps=req.app[DEPS])
    return TencentAck()


UNSUBSCRIBE = "/api/v1/notifications/unsubscribe/{token}"


@routes.get(UNSUBSCRIBE, content_types=("text/html",), tags=("email",))
async def unsubscribe_form(req: ApiRequest[None, None]) -> web.Response:
    """Ask a person who clicked the opt-out link to confirm."""
    return web.Response(text=unsubscribe_page(token=req.path("token"), done=False),
                        content_type="text/html")


@routes.post(UNSUBSCRIBE, content_types=("text/html",), tags=("email",))
async def unsubscribe(req: ApiRequest[None, None]) -> web.Response:
    """Stop non-critical email (RFC 8058 one-click POST or the confirmation form)."""
    async with req.app[UOW]() as uow:
        await preferences.unsubscribe(Unsubscribe(req.path("token")), uow=uow, deps=req.app[DEPS])
    return web.Response(text=unsubscribe_page(token=req.path("token"), done=True),
                        content_type="text/html")


def _require_dev_inbox(req: ApiRequest[None, InboxQuery]) -> None:
    if not req.app[DEV_INBOX]:
        raise NotFound("the dev inbox is served only with dev_inbox on and the sink provider")


async def _inbox(req: ApiRequest[None, InboxQuery]) -> views.Inbox:
    _require_dev_inbox(req)
    recipient = contains = None
    if req.query.phone:
        # Fewer digits than a mobile number: part of one, searched for anywhere in it.
        contains = digits_of(req.query.phone)
        if contains is None:
            recipient = normalise_phone(req.query.phone)
    elif req.query.email:
        recipient = normalise_email(req.query.email)
    if (req.query.phone or req.query.email) and recipient is None and contains is None:
        raise ValidationFailed("not a phone number, part of one or an email address",
                               code="invalid_recipient")
    return await views.inbox(req.app[POOL], recipient=recipient, contains=contains,
                             limit=req.query.limit)


def digits_of(text: str) -> str | None:
    """Return the 3-10 digits of a partial phone search (spaces and dashes dropped), or None."""
    digits = "".join(ch for ch in text if ch not in " -")
    return digits if digits.isdigit() and 3 <= len(digits) <= 10 else None


@routes.get("/dev/inbox", query=InboxQuery, content_types=("text/html",), tags=("dev",))
async def dev_inbox(req: ApiRequest[None, InboxQuery]) -> web.Response:
    """Show what the sink captured, newest first (local runs: dev_inbox and the sink only)."""
    page = inbox_page(await _inbox(req), en=req.query.lang == "en", phone=req.query.phone or "",
                      tz=zone(req.app[DEPS].policy.default_timezone))
    return web.Response(text=page, content_type="text/html")


@routes.get("/dev/inbox.json", query=InboxQuery, response=views.Inbox, tags=("dev",))
async def dev_inbox_json(req: ApiRequest[None, InboxQuery]) -> views.Inbox:
    """Return what the sink captured as JSON; `?phone=` finds a sign-in code."""
    return await _inbox(req)


@routes.get("/dev/inbox/messages", query=InboxQuery, response=views.Inbox, tags=("dev",))
async def dev_inbox_messages(req: ApiRequest[None, InboxQuery]) -> views.Inbox:
    """Same as /dev/inbox.json, at a path the gateway routes under /dev/inbox/."""
    return await _inbox(req)

