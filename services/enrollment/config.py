"""Settings of the enrollment service (environment variables are read here only)."""

from __future__ import annotations

from typing import ClassVar

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    """`JIANGXIN_ENROLLMENT_<FIELD>` or `JIANGXIN_<FIELD>`."""

    service_name: ClassVar[str] = "enrollment"
    default_port: ClassVar[int] = 8081
