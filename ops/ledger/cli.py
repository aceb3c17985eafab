"""`jiangxin ledger check`: the platform's books, read-only, for operators and tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

import asyncpg

from ops.ledger.broker import BrokerUnreachable
from ops.ledger.check import Platform, check
from shared.cli import Commands, ServiceInfo
from shared.service import topology_for

EXIT_UNBALANCED, EXIT_UNREACHABLE = 1, 2


def register(commands: Commands, services: Mapping[str, ServiceInfo]) -> None:
    """Add `jiangxin ledger check`."""
    ledger = commands.add_parser(
        "ledger", help="check that every effect the platform owes happened exactly once"
    )
    actions = ledger.add_subparsers(dest="action", required=True)
    p = actions.add_parser(
        "check", help="balance enrolments, results, certificates and messages (exit 0 if so)"
    )
    p.add_argument("--older-than", type=float, default=60.0, metavar="SECONDS",
                   help="judge only what is older (younger work may still be on its way)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=lambda a: asyncio.run(_check(services, a.older_than, a.json)))


def platform_of(services: Mapping[str, ServiceInfo]) -> Platform:
    """Describe where the check reads, from each service's own settings."""
    settings = {name: info.settings() for name, info in services.items()}
    topologies = [
        topology_for(settings[name], info.subscriptions)
        for name, info in services.items() if info.subscriptions.routing_keys
    ]
    any_service = next(iter(settings.values()))
    return Platform(
        databases={name: s.database_url for name, s in settings.items()},
        amqp_url=any_service.amqp_url,
        exchange=any_service.exchange_name,
        parking_queues=tuple(q for t in topologies for q in (t.error_queue, t.skipped_queue)),
        work_queues=tuple(t.queue for t in topologies),
    )


async def _check(services: Mapping[str, ServiceInfo], older_than: float, as_json: bool) -> int:
    try:
        report = await check(platform_of(services), older_than_s=older_than)
    except (OSError, asyncpg.PostgresError, BrokerUnreachable) as exc:
        print(f"ledger check: cannot read the platform: {exc}")
        return EXIT_UNREACHABLE
    print(json.dumps(report.as_json(), indent=2) if as_json else report.text())
    return 0 if report.ok else EXIT_UNBALANCED
