"""What administrators read: the messages to an address and today's numbers."""

from __future__ import annotations

from services.notification import views
from services.notification.api.base import RecipientQuery, deps, recipient_of, routes
from shared.web.api import ApiRequest


@routes.get("/api/v1/notifications", query=RecipientQuery, response=views.NotificationList,
            roles={"admin"}, tags=("admin",))
async def list_notifications(req: ApiRequest[None, RecipientQuery]) -> views.NotificationList:
    """List messages to one phone number or email address (admin), newest first."""
    recipient = recipient_of(req.query.recipient) if req.query.recipient else None
    return await views.notifications_for(
        deps(req).pool, recipient=recipient, status=req.query.status, limit=req.query.limit
    )


@routes.get("/api/v1/notifications/stats", response=views.Stats, roles={"admin"},
            tags=("admin",))
async def notification_stats(req: ApiRequest[None, None]) -> views.Stats:
    """Count today's messages by outcome (admin dashboard)."""
    d = deps(req)
    return await views.stats_of_today(d.pool, now=d.clock.now(),
                                      timezone=d.policy.default_timezone)
