"""The response models of the notification service's read side and HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel

from services.notification.domain.model import Preferences


class NotificationItem(BaseModel):
    """One message as an administrator sees it."""

    id: UUID
    event_type: str
    channel: str
    recipient_masked: str
    status: str
    attempts: int
    created_at: datetime
    body: str
    subject: str | None = None
    provider: str | None = None
    error_code: str | None = None
    not_before: datetime | None = None
    segments: int | None = None
    chars: int | None = None


class NotificationList(BaseModel):
    """A page of notifications, newest first."""

    items: list[NotificationItem]


class MyNotification(BaseModel):
    """One message as its recipient sees it."""

    id: UUID
    event_type: str
    channel: str
    recipient_masked: str
    status: str
    created_at: datetime
    subject: str | None = None
    body: str


class MyNotificationList(BaseModel):
    """The signed-in person's messages, newest first."""

    items: list[MyNotification]


class Stats(BaseModel):
    """Today's numbers for the admin dashboard (day in the platform's time zone)."""

    day: date
    sent: int
    delivered: int
    failed: int
    queued: int
    deferred: int
    unknown: int
    suppressed: int


class InboxMessage(BaseModel):
    """A message the sink captured."""

    id: int
    notification_id: UUID
    channel: str
    recipient: str
    event_type: str
    subject: str | None
    body: str
    code: str | None
    created_at: datetime


class Inbox(BaseModel):
    """Captured messages, newest first."""

    items: list[InboxMessage]


class PreferencesOut(BaseModel):
    """Which channels the person accepts, and which comes first."""

    sms: bool
    email: bool
    preferred: str

    @classmethod
    def of(cls, prefs: Preferences) -> PreferencesOut:
        """Return the preferences as the API shows them."""
        return cls(sms=prefs.sms, email=prefs.email, preferred=prefs.preferred.value)


class AliyunAck(BaseModel):
    code: int = 0
    msg: str = "接收成功"


class TencentAck(BaseModel):
    result: int = 0
    errmsg: str = "OK"
