"""Settings of the certification service (environment variables are read here only)."""

from __future__ import annotations

from typing import ClassVar

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    """`JIANGXIN_CERTIFICATION_<FIELD>` or `JIANGXIN_<FIELD>`."""

    service_name: ClassVar[str] = "certification"
    default_port: ClassVar[int] = 8082
