"""`jiangxin user disable|enable|set-role|reset-password`: the staff account lifecycle for
operators (no token needed: the command reaches the database with the service's settings)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias
from uuid import UUID

from services.enrollment.app import command_deps
from services.enrollment.config import Settings
from services.enrollment.deps import Deps
from services.enrollment.domain.phones import normalise_phone
from services.enrollment.handlers import accounts
from services.enrollment.repository import users
from services.enrollment.views.models import UserOut
from shared.errors import DomainError, NotFound, ValidationFailed

Actions: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Change = Callable[[UUID, Deps], Awaitable[UserOut]]


def register(actions: Actions) -> None:
    """Add the lifecycle actions to `jiangxin user`."""
    p = actions.add_parser("disable", help="disable an account and end its tokens everywhere")
    p.add_argument("user", help="user id or phone number")
    p.set_defaults(func=lambda a: _run(a.user, _disable))
    p = actions.add_parser("enable", help="enable a disabled account again")
    p.add_argument("user", help="user id or phone number")
    p.set_defaults(func=lambda a: _run(a.user, _enable))
    p = actions.add_parser("set-role", help="make a staff account a trainer or an administrator")
    p.add_argument("user", help="user id or phone number")
    p.add_argument("role", choices=("trainer", "admin"))
    p.set_defaults(func=_set_role)
    p = actions.add_parser(
        "reset-password",
        help="set a temporary password the user must change at next sign-in (read from a "
             "prompt, or the first line of stdin when it is not a terminal)")
    p.add_argument("user", help="user id or phone number")
    p.set_defaults(func=_reset_password)


async def _disable(user_id: UUID, deps: Deps) -> UserOut:
    return await accounts.set_disabled(user_id, True, deps=deps, actor_id=None)


async def _enable(user_id: UUID, deps: Deps) -> UserOut:
    return await accounts.set_disabled(user_id, False, deps=deps, actor_id=None)


def _set_role(args: argparse.Namespace) -> int:
    async def change(user_id: UUID, deps: Deps) -> UserOut:
        return await accounts.set_role(user_id, args.role, deps=deps, actor_id=None)

    return _run(args.user, change)


def _reset_password(args: argparse.Namespace) -> int:
    try:
        password = read_password()
    except ValidationFailed as exc:
        print(f"error: {exc.detail} ({exc.code})", file=sys.stderr)
        return 1

    async def change(user_id: UUID, deps: Deps) -> UserOut:
        return await accounts.reset_password(user_id, password, deps=deps, actor_id=None)

    return _run(args.user, change)


def read_password() -> str:
    """Return a new password typed twice at a prompt, or the first line of piped stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("temporary password: ")
    if getpass.getpass("again: ") != first:
        raise ValidationFailed("The two passwords differ.", code="passwords_differ")
    return first


def _run(user: str, change: Change) -> int:
    try:
        out = asyncio.run(_change(user, change))
    except DomainError as exc:
        print(f"error: {exc.detail} ({exc.code})", file=sys.stderr)
        return 1
    state = "disabled" if out.disabled else "enabled"
    extra = ", must change password" if out.must_change_password else ""
    print(f"{out.id} {out.role} {state}{extra}")
    return 0


async def _change(user: str, change: Change) -> Any:
    async with command_deps(Settings()) as deps:
        return await change(await _user_id(user, deps), deps)


async def _user_id(user: str, deps: Deps) -> UUID:
    try:
        return UUID(user)
    except ValueError:
        pass
    async with deps.pool.acquire() as conn:
        row = await users.user_by_phone(conn, normalise_phone(user))
    if row is None:
        raise NotFound("There is no user with this phone number.", code="user_not_found")
    return row["id"]  # type: ignore[no-any-return]
