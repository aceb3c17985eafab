"""Read-side queries of the notification service and the response models they return."""

from __future__ import annotations

from services.notification.views.inbox import inbox
from services.notification.views.models import (
    Inbox,
    InboxMessage,
    MyNotification,
    MyNotificationList,
    NotificationItem,
    NotificationList,
    PreferencesOut,
    Stats,
)
from services.notification.views.notifications import (
    notifications_for,
    notifications_of_user,
    stats,
    stats_of_today,
)

__all__ = [
    "Inbox",
    "InboxMessage",
    "MyNotification",
    "MyNotificationList",
    "NotificationItem",
    "NotificationList",
    "PreferencesOut",
    "Stats",
    "inbox",
    "notifications_for",
    "notifications_of_user",
    "stats",
    "stats_of_today",
]
