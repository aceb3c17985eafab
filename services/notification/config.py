"""Settings of the notification service (environment variables are read here only)."""

from __future__ import annotations

from typing import ClassVar

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    """`JIANGXIN_NOTIFICATION_<FIELD>` or `JIANGXIN_<FIELD>`."""

    service_name: ClassVar[str] = "notification"
    default_port: ClassVar[int] = 8083
