"""python -m services.certification: settings -> logging -> run the app."""

from __future__ import annotations

from services.certification.app import create_app
from services.certification.config import Settings
from shared.logging import configure_logging
from shared.service import run_service


def main() -> None:
    """Run the certification service until SIGINT or SIGTERM."""
    settings = Settings()
    configure_logging(
        level=settings.log_level, fmt=settings.log_format, service=settings.service_name
    )
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
