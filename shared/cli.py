"""Platform commands of `jiangxin`: migrate, topology, keys, token, schemas, asyncapi, dlq."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeAlias
from uuid import UUID

from aiormq.exceptions import ChannelPreconditionFailed

from shared.accounts_cli import broker_users, own_role
from shared.auth import ROLES, TokenIssuer
from shared.config import ServiceSettings
from shared.db import ensure_database
from shared.events.asyncapi import asyncapi_document
from shared.events.schemas import write_schemas
from shared.keyfiles import KEYS_DIR, PRIVATE_JWT, holdings
from shared.keyfiles import make_keys as make_key_files
from shared.messaging import dlq
from shared.messaging.subscriptions import Subscriptions
from shared.messaging.transport import Transport
from shared.migrations import MESSAGING_MIGRATIONS, migrate

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


@dataclass(frozen=True)
class ServiceInfo:
    """What platform commands need to know of one service."""

    name: str
    settings: type[ServiceSettings]
    subscriptions: Subscriptions
    migrations: Path
    publishes: tuple[str, ...]


def register(commands: Commands, services: Mapping[str, ServiceInfo]) -> None:
    """Add the platform commands."""
    p = commands.add_parser("migrate", help="create each service's database and apply migrations")
    p.add_argument("service", nargs="*", choices=[*services, []], help="default: all")
    p.set_defaults(func=lambda a: asyncio.run(_migrate(services, a.service)))

    p = commands.add_parser("topology", help="declare every service's queues and bindings")
    p.set_defaults(func=lambda a: asyncio.run(_declare_topology(services)))

    p = commands.add_parser(
        "keys", help="create missing key files in var/keys/<service>/, each service's own")
    p.add_argument("--dir", type=Path, default=KEYS_DIR)
    p.set_defaults(func=lambda a: make_keys(a.dir, services))

    p = commands.add_parser(
        "broker-users",
        help="give each service its own broker user: its own queues and the events exchange")
    p.set_defaults(func=lambda a: asyncio.run(broker_users(services)))

    p = commands.add_parser("token", help="mint an access token (operators and tests)")
    p.add_argument("--role", choices=ROLES, required=True)
    p.add_argument("--sub", type=UUID, required=True, help="user id")
    p.add_argument("--name", default="")
    p.add_argument("--ttl", type=int, default=3600, help="seconds")
    p.add_argument("--key", type=Path, default=KEYS_DIR / _signer(services) / PRIVATE_JWT)
    p.set_defaults(func=_token)

    p = commands.add_parser("schemas", help="write the JSON Schema of every event version")
    p.set_defaults(func=lambda a: _schemas())

    p = commands.add_parser("asyncapi", help="print the AsyncAPI 3.0 event catalogue")
    p.add_argument("-o", "--output", type=Path)
    p.set_defaults(func=lambda a: _asyncapi(services, a.output))

    p = commands.add_parser("events-doc", help="write docs/events.md and docs/asyncapi.json")
    p.add_argument("--dir", type=Path, default=Path("docs"))
    p.set_defaults(func=lambda a: _events_doc(services, a.dir))

    p = commands.add_parser(
        "dlq", help="inspect, replay or discard a service's .error/.skipped messages"
    )
    dlq_commands = p.add_subparsers(dest="action", required=True)
    q = dlq_commands.add_parser("list", help="show parked messages (they stay parked)")
    q.add_argument("queue", help="e.g. jiangxin.notification.error")
    q.add_argument("--limit", type=int, default=50)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=lambda a: asyncio.run(_dlq_list(services, a.queue, a.limit, a.json)))
    q = dlq_commands.add_parser("replay", help="send parked messages back to their work queue")
    q.add_argument("queue")
    q.add_argument("--limit", type=int)
    q.add_argument("--message-id")
    q.set_defaults(
        func=lambda a: asyncio.run(_dlq_replay(services, a.queue, a.limit, a.message_id))
    )
    q = dlq_commands.add_parser("discard", help="delete a parked message that can never succeed")
    q.add_argument("queue")
    q.add_argument("--message-id", required=True)
    q.set_defaults(func=lambda a: asyncio.run(_dlq_discard(services, a.queue, a.message_id)))


async def _migrate(services: Mapping[str, ServiceInfo], names: Sequence[str]) -> None:
    for name in names or list(services):
        info = services[name]
        settings = info.settings()
        if settings.admin_database_url:
            settings = await own_role(info, settings)
        created = await ensure_database(settings.database_url)
        applied = await migrate(settings.database_url, [MESSAGING_MIGRATIONS, info.migrations])
        state = "created" if created else "ok"
        print(f"{name}: database {state}, {len(applied)} migration(s) applied")


async def _declare_topology(services: Mapping[str, ServiceInfo]) -> None:
    from shared.service import new_transport, topology_for

    for info in services.values():
        if not info.subscriptions.routing_keys:
            continue
        settings = info.settings()
        transport = new_transport(settings, role="cli")
        await transport.connect()
        try:
            topology = topology_for(settings, info.subscriptions)
            try:
                await transport.declare(topology)
            except ChannelPreconditionFailed as exc:
                raise SystemExit(
                    f"{topology.queue}: the broker keeps these queues with other arguments "
                    f"({exc}); see 'Changing the delay tiers or the delivery limit' in "
                    "docs/operations.md"
                ) from None
            print(f"{topology.queue}: {len(topology.bindings)} binding(s)")
        finally:
            await transport.close()


def key_holdings(services: Mapping[str, ServiceInfo]) -> dict[str, set[str]]:
    """Return {service: the key files its settings read from its own folder}."""
    return holdings({name: info.settings for name, info in services.items()})


def _signer(services: Mapping[str, ServiceInfo]) -> str:
    return next((s for s, names in key_holdings(services).items() if PRIVATE_JWT in names), "")


def make_keys(directory: Path, services: Mapping[str, ServiceInfo]) -> None:
    """Create every missing key file in each service's folder (never overwrite one)."""
    done = make_key_files(directory, key_holdings(services))
    for line in done:
        print(line)
    print(f"keys: {len(done)} change(s) in {directory}/<service>/" if done else
          f"keys: every service's key files are in {directory}/<service>/")


def _token(args: argparse.Namespace) -> None:
    issuer = TokenIssuer(args.key.read_bytes(), issuer="jiangxin", audience="jiangxin")
    print(issuer.mint(args.sub, args.role, name=args.name, ttl_s=args.ttl))


def _schemas() -> None:
    changed = write_schemas()
    print(f"{len(changed)} schema file(s) written" if changed else "schemas are up to date")


def asyncapi_for(services: Mapping[str, ServiceInfo]) -> dict[str, Any]:
    """Return the AsyncAPI document of the whole platform."""
    producers = {prefix: info.name for info in services.values() for prefix in info.publishes}
    consumers = {info.name: info.subscriptions.routing_keys for info in services.values()}
    orderings = {
        info.name: {k: rule for k in info.subscriptions.routing_keys
                    if (rule := info.subscriptions.ordering_of(k))}
        for info in services.values()
    }
    return asyncapi_document(producers=producers, consumers=consumers, orderings=orderings)


def _asyncapi(services: Mapping[str, ServiceInfo], output: Path | None) -> None:
    text = json.dumps(asyncapi_for(services), indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def event_docs(services: Mapping[str, ServiceInfo]) -> dict[str, str]:
    """Return the generated catalogue files (name -> text)."""
    from shared.events.catalogue_doc import render_markdown

    doc = asyncapi_for(services)
    return {
        "asyncapi.json": json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
        "events.md": render_markdown(doc),
    }


def _events_doc(services: Mapping[str, ServiceInfo], directory: Path) -> None:
    for name, text in event_docs(services).items():
        (directory / name).write_text(text, encoding="utf-8")
        print(f"wrote {directory / name}")


def _service_of_queue(services: Mapping[str, ServiceInfo], queue: str) -> ServiceInfo:
    for info in services.values():
        if queue.split(".")[1:2] == [info.name]:
            return info
    return next(iter(services.values()))


@asynccontextmanager
async def _broker_for(services: Mapping[str, ServiceInfo], queue: str) -> AsyncIterator[Transport]:
    """Connect to the broker as the service owning this parking queue; close afterwards."""
    from shared.service import new_transport

    transport = new_transport(_service_of_queue(services, queue).settings(), role="cli")
    await transport.connect()
    try:
        yield transport
    finally:
        await transport.close()


async def _dlq_list(
    services: Mapping[str, ServiceInfo], queue: str, limit: int, as_json: bool
) -> None:
    async with _broker_for(services, queue) as transport:
        parked = await dlq.list_parked(transport, queue, limit=limit)
    if as_json:
        print(json.dumps([asdict(m) for m in parked], ensure_ascii=False, indent=2))
        return
    print(f"{len(parked)} message(s) in {queue}")
    for m in parked:
        print(f"- {m.message_id} {m.type} attempts={m.attempts} at {m.failed_at or '?'}")
        if m.skip_reason:
            print(f"    skipped: {m.skip_reason}")
        elif m.exception_type:
            print(f"    {m.exception_type}: {m.exception_message}")


async def _dlq_replay(
    services: Mapping[str, ServiceInfo], queue: str, limit: int | None, message_id: str | None
) -> None:
    async with _broker_for(services, queue) as transport:
        count = await dlq.replay(transport, queue, limit=limit, message_id=message_id)
    print(f"replayed {count} message(s) from {queue}")


async def _dlq_discard(services: Mapping[str, ServiceInfo], queue: str, message_id: str) -> int:
    async with _broker_for(services, queue) as transport:
        count = await dlq.discard(transport, queue, message_id=message_id)
    print(f"discarded {count} message(s) from {queue}")
    return 0 if count else 1
