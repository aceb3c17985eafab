"""Apply ordered SQL migrations: the messaging tables first, then the service's own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import asyncpg

from shared.logging import get_logger

MESSAGING_MIGRATIONS = Path(__file__).parent / "messaging" / "migrations"
_LOCK_KEY = 0x4A58_4D49  # "JXMI": one migrator at a time per database

log = get_logger(__name__)


def migration_files(directories: Sequence[Path]) -> list[tuple[str, Path]]:
    """List (name, path) for every .sql file, directory by directory, in file-name order."""
    files: list[tuple[str, Path]] = []
    for directory in directories:
        for path in sorted(directory.glob("*.sql")):
            files.append((f"{directory.parent.name}/{path.name}", path))
    return files


async def migrate(dsn: str, directories: Sequence[Path]) -> list[str]:
    """Apply the migrations not yet applied, each in its own transaction; return their names."""
    conn = await asyncpg.connect(dsn)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, path in migration_files(directories):
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied_now.append(name)
            log.info("migration_applied", migration=name)
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()
    return applied_now
