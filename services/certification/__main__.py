"""python -m services.certification: settings -> logging -> run the app."""

from __future__ import annotations

from services.certification.app import create_app
from services.certification.config import Settings
from shared.errors import StartupRefused
from shared.logging import configure_logging
from shared.service import run_service


def main() -> None:
    """Run the certification service until SIGINT or SIGTERM."""
    settings = Settings()
    configure_logging(
        level=settings.log_level, fmt=settings.log_format, service=settings.service_name
    )
    try:
        run_service(create_app(settings), settings)
    except StartupRefused as exc:
        raise SystemExit(f"certification: refusing to start: {exc}") from None


if __name__ == "__main__":
    main()
