"""python -m services.notification: settings -> logging -> run the app."""

from __future__ import annotations

from services.notification.app import create_app
from services.notification.config import Settings
from shared.errors import StartupRefused
from shared.logging import configure_logging
from shared.service import run_service


def main() -> None:
    """Run the notification service until SIGINT or SIGTERM."""
    settings = Settings()
    configure_logging(
        level=settings.log_level, fmt=settings.log_format, service=settings.service_name
    )
    try:
        app = create_app(settings)
    except StartupRefused as exc:
        raise SystemExit(f"notification: refusing to start: {exc}") from None
    run_service(app, settings)


if __name__ == "__main__":
    main()
