"""HTTP routes of the notification service: parse -> command -> handler -> response."""

from __future__ import annotations

from services.notification.api import admin, dev, email, me, receipts
from services.notification.api.base import routes

__all__ = ["admin", "dev", "email", "me", "receipts", "routes"]
