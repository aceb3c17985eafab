"""What the signed-in person reads and changes: their messages and channel preferences."""

from __future__ import annotations

from services.notification import views
from services.notification.api.base import Page, deps, routes
from services.notification.commands import UpdatePreferences
from services.notification.handlers import preferences
from services.notification.views.models import PreferencesOut
from shared.web.api import ANY_ROLE, ApiRequest


@routes.get("/api/v1/me/notifications", query=Page, response=views.MyNotificationList,
            roles=ANY_ROLE, tags=("me",))
async def my_notifications(req: ApiRequest[None, Page]) -> views.MyNotificationList:
    """List the messages sent to the signed-in person."""
    return await views.notifications_of_user(deps(req).pool, req.user.user_id,
                                             limit=req.query.limit)


@routes.get("/api/v1/me/preferences", response=PreferencesOut, roles=ANY_ROLE, tags=("me",))
async def get_my_preferences(req: ApiRequest[None, None]) -> PreferencesOut:
    """Show which channels the signed-in person accepts."""
    prefs = await preferences.get_preferences(req.user.user_id, deps=deps(req))
    return PreferencesOut.of(prefs)


@routes.put("/api/v1/me/preferences", body=UpdatePreferences, response=PreferencesOut,
            roles=ANY_ROLE, tags=("me",))
async def put_my_preferences(req: ApiRequest[UpdatePreferences, None]) -> PreferencesOut:
    """Change which channels the signed-in person accepts."""
    prefs = await preferences.update_preferences(req.body, req.user.user_id, deps=deps(req))
    return PreferencesOut.of(prefs)
