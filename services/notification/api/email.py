"""The opt-out link of every non-critical email (RFC 8058 one-click, or a confirmation form)."""

from __future__ import annotations

from aiohttp import web

from services.notification.api.base import deps, routes
from services.notification.api.pages import unsubscribe_page
from services.notification.commands import Unsubscribe
from services.notification.handlers import preferences
from shared.web.api import ApiRequest

UNSUBSCRIBE = "/api/v1/notifications/unsubscribe/{token}"


@routes.get(UNSUBSCRIBE, content_types=("text/html",), tags=("email",))
async def unsubscribe_form(req: ApiRequest[None, None]) -> web.Response:
    """Ask a person who clicked the opt-out link to confirm."""
    return web.Response(text=unsubscribe_page(token=req.path("token"), done=False),
                        content_type="text/html")


@routes.post(UNSUBSCRIBE, content_types=("text/html",), tags=("email",))
async def unsubscribe(req: ApiRequest[None, None]) -> web.Response:
    """Stop non-critical email (RFC 8058 one-click POST or the confirmation form)."""
    await preferences.unsubscribe(Unsubscribe(req.path("token")), deps=deps(req))
    return web.Response(text=unsubscribe_page(token=req.path("token"), done=True),
                        content_type="text/html")
