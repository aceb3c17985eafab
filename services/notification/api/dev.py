"""The dev inbox: what the sink captured, sign-in codes included (local runs only)."""

from __future__ import annotations

from aiohttp import web

from services.notification import views
from services.notification.api.base import InboxQuery, deps, routes
from services.notification.api.pages import inbox_page
from services.notification.domain.contacts import normalise_email, normalise_phone
from services.notification.domain.rules import zone
from services.notification.keys import DEV_INBOX
from shared.errors import NotFound, ValidationFailed
from shared.web.api import ApiRequest


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
    return await views.inbox(deps(req).pool, recipient=recipient, contains=contains,
                             limit=req.query.limit)


def digits_of(text: str) -> str | None:
    """Return the 3-10 digits of a partial phone search (spaces and dashes dropped), or None."""
    digits = "".join(ch for ch in text if ch not in " -")
    return digits if digits.isdigit() and 3 <= len(digits) <= 10 else None


@routes.get("/dev/inbox", query=InboxQuery, content_types=("text/html",), tags=("dev",))
async def dev_inbox(req: ApiRequest[None, InboxQuery]) -> web.Response:
    """Show what the sink captured, newest first (local runs: dev_inbox and the sink only)."""
    page = inbox_page(await _inbox(req), en=req.query.lang == "en", phone=req.query.phone or "",
                      tz=zone(deps(req).policy.default_timezone))
    return web.Response(text=page, content_type="text/html")


@routes.get("/dev/inbox.json", query=InboxQuery, response=views.Inbox, tags=("dev",))
async def dev_inbox_json(req: ApiRequest[None, InboxQuery]) -> views.Inbox:
    """Return what the sink captured as JSON; `?phone=` finds a sign-in code."""
    return await _inbox(req)


@routes.get("/dev/inbox/messages", query=InboxQuery, response=views.Inbox, tags=("dev",))
async def dev_inbox_messages(req: ApiRequest[None, InboxQuery]) -> views.Inbox:
    """Same as /dev/inbox.json, at a path the gateway routes under /dev/inbox/."""
    return await _inbox(req)
