"""python -m services.enrollment: settings -> logging -> run the app."""

from __future__ import annotations

from services.enrollment.app import create_app
from services.enrollment.config import Settings
from shared.logging import configure_logging
from shared.service import run_service


def main() -> None:
    """Run the enrollment service until SIGINT or SIGTERM."""
    settings = Settings()
    configure_logging(
        level=settings.log_level, fmt=settings.log_format, service=settings.service_name
    )
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
