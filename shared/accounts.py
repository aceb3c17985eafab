"""Each service's own database role, made through an administrator's connection.

A service's role is the user of its `database_url`: a plain login role (no superuser, no
CREATEDB/CREATEROLE, no replication) that owns the service's database and everything in it, in
a database nobody else may connect to. Run at deploy time by `jiangxin migrate` when
`JIANGXIN_ADMIN_DATABASE_URL` is set; the services themselves never get that URL.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from shared.db import database_name

ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
# Statements that give the role every object of the database's public schema it does not own
# yet (a database migrated by a superuser before roles existed). Sequences that belong to a
# column move with their table.
_TRANSFERS = """
SELECT format('ALTER %s %s OWNER TO %I', CASE c.relkind WHEN 'v' THEN 'VIEW'
                  WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                  WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, c.oid::regclass, $1::text)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND pg_get_userbyid(c.relowner) <> $1
  AND NOT (c.relkind = 'S' AND EXISTS (
      SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, $1::text)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> $1
"""


def _in_database(dsn: str, database: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path="/" + database))


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str | None) -> str:
    row = await conn.fetchrow("SELECT rolsuper FROM pg_roles WHERE rolname = $1", role)
    if row is not None and row["rolsuper"]:
        raise SystemExit(f"role {role} is a superuser: give the service a role of its own")
    verb = "ALTER" if row is not None else "CREATE"
    await conn.execute(await conn.fetchval(
        "SELECT format('%s ROLE %I WITH %s PASSWORD %L', $1::text, $2::text, $3::text, $4::text)",
        verb, role, ROLE_ATTRIBUTES, password))
    return "role kept" if row is not None else "role created"


async def _ensure_database(conn: asyncpg.Connection, database: str, role: str) -> str:
    owner = await conn.fetchval(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", database)
    done = "database kept"
    if owner is None:
        await conn.execute(await conn.fetchval(
            "SELECT format('CREATE DATABASE %I OWNER %I', $1::text, $2::text)", database, role))
        done = "database created"
    elif owner != role:
        await conn.execute(await conn.fetchval(
            "SELECT format('ALTER DATABASE %I OWNER TO %I', $1::text, $2::text)", database, role))
        done = f"database handed over from {owner}"
    # Nobody else (another service's role included) may connect to it.
    await conn.execute(await conn.fetchval(
        "SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', $1::text)", database))
    return done


async def ensure_database_owner(admin_dsn: str, dsn: str) -> list[str]:
    """Make the DSN's user a plain role owning the DSN's database and everything in it."""
    parts = urlsplit(dsn)
    if not parts.username:
        raise SystemExit(f"{database_name(dsn)}: the database URL names no role")
    role, database = unquote(parts.username), database_name(dsn)
    password = unquote(parts.password) if parts.password else None
    conn = await asyncpg.connect(admin_dsn)
    try:
        done = [await _ensure_role(conn, role, password),
                await _ensure_database(conn, database, role)]
    finally:
        await conn.close()
    conn = await asyncpg.connect(_in_database(admin_dsn, database))
    try:
        statements = [r[0] for r in await conn.fetch(_TRANSFERS, role)]
        async with conn.transaction():
            for statement in statements:
                await conn.execute(statement)
    finally:
        await conn.close()
    if statements:
        done.append(f"{len(statements)} object(s) handed over")
    return [f"{line} ({role})" for line in done]
