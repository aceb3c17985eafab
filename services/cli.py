"""The `jiangxin` command: platform commands plus each service's own."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ops.ledger import cli as ledger
from services import SERVICE_NAMES
from services.apidocs import write_api_docs
from shared import cli as platform
from shared.logging import configure_logging

# Which service publishes which event types (for the AsyncAPI catalogue).
PUBLISHES = {
    "enrollment": ("auth.", "enrollment.", "class.", "application.", "survey.", "user."),
    "certification": ("certificate.",),
    "notification": ("notification.",),
}


def services() -> dict[str, platform.ServiceInfo]:
    """Describe every service for the platform commands."""
    infos = {}
    for name in SERVICE_NAMES:
        config = importlib.import_module(f"services.{name}.config")
        subs = importlib.import_module(f"services.{name}.subscriptions")
        app = importlib.import_module(f"services.{name}.app")
        infos[name] = platform.ServiceInfo(
            name=name,
            settings=config.Settings,
            subscriptions=subs.subscriptions,
            migrations=app.MIGRATIONS,
            publishes=PUBLISHES[name],
        )
    return infos


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every command."""
    parser = argparse.ArgumentParser(prog="jiangxin", description="Jiangxin operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    infos = services()
    platform.register(commands, infos)
    ledger.register(commands, infos)
    api = commands.add_parser("api-docs", help="write docs/api.md and docs/api/*.openapi.json")
    api.set_defaults(func=lambda _args: write_api_docs())
    for name in SERVICE_NAMES:
        importlib.import_module(f"services.{name}.cli").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Run one `jiangxin` command."""
    configure_logging(level="WARNING", fmt="console")
    args = build_parser().parse_args(argv)
    result = args.func(args)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
