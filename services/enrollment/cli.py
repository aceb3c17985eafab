"""`jiangxin` sub-commands of the enrollment service: user (create, disable, enable, set-role,
reset-password), import-roster, seed-demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeAlias
from uuid import UUID

from tqdm import tqdm

from services.enrollment import accounts_cli, lottery_cli
from services.enrollment.app import command_deps
from services.enrollment.commands import CreateUser
from services.enrollment.config import Settings
from services.enrollment.domain.enrollment import Actor
from services.enrollment.domain.roster_import import parse_roster
from services.enrollment.handlers import bulk, identity
from services.enrollment.handlers.demo import ADMIN, TRAINEES, TRAINER, seed_demo
from services.enrollment.handlers.identity import StaffAccount
from shared.errors import DomainError

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(commands: Commands) -> None:
    """Add this service's commands to the `jiangxin` parser."""
    user = commands.add_parser("user", help="manage staff accounts")
    actions = user.add_subparsers(dest="user_action", required=True)
    create = actions.add_parser("create", help="create a trainer or administrator")
    create.add_argument("--role", choices=("trainer", "examiner", "admin"), required=True)
    create.add_argument("--phone", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password", required=True)
    create.set_defaults(func=lambda a: _run(_create_user(a)))
    accounts_cli.register(actions)

    roster = commands.add_parser("import-roster", help="enrol trainees of a CSV file in a class")
    roster.add_argument("class_id", type=UUID)
    roster.add_argument("file", type=Path)
    roster.set_defaults(func=lambda a: _run(_import_roster(a.class_id, a.file)))

    seed = commands.add_parser("seed-demo", help="load the demo catalogue and staff accounts")
    seed.add_argument("--force", action="store_true",
                      help="load it even into a database holding other courses, classes or "
                           "staff (existing accounts are never changed)")
    seed.set_defaults(func=lambda a: _run(_seed_demo(force=a.force)))
    lottery_cli.register(commands)


def _run(work: Coroutine[Any, Any, int]) -> int:
    try:
        return asyncio.run(work)
    except DomainError as exc:
        print(f"error: {exc.detail} ({exc.code})", file=sys.stderr)
        return 1


async def _create_user(args: argparse.Namespace) -> int:
    cmd = CreateUser(role=args.role, phone=args.phone, name=args.name, password=args.password)
    async with command_deps(Settings()) as deps:
        user_id = await identity.create_user(cmd, deps=deps)
    print(f"created {args.role} {user_id}")
    return 0


async def _import_roster(class_id: UUID, file: Path) -> int:
    rows = parse_roster(await asyncio.to_thread(file.read_bytes))
    async with command_deps(Settings()) as deps:
        with tqdm(total=len(rows), unit="row", desc="import", file=sys.stderr) as bar:
            result = await bulk.import_roster(class_id, rows, deps=deps, actor=Actor(None, "admin"),
                                              progress=bar.update)
    print(f"created {result.created}, already enrolled {result.already_enrolled}, "
          f"refused {result.refused}")
    for row in result.rows:
        if row.detail:  # refused, or enrolled with a note (an existing account kept its details)
            print(f"  line {row.row} {row.phone_masked}: {row.code} - {row.detail}")
    return 0


async def _seed_demo(*, force: bool) -> int:
    async with command_deps(Settings()) as deps:
        seeded = await seed_demo(deps=deps, force=force)
    if seeded.other_data:
        print("--force: demo data loaded beside other data", file=sys.stderr)
    print(f"demo catalogue: {seeded.courses} course(s) and {seeded.classes} class(es) added")
    print(_account_line("administrator:", ADMIN, seeded.admin))
    print(_account_line("trainer:      ", TRAINER, seeded.trainer))
    print("trainees of the class running today (sign in with the code in the dev inbox): "
          + ", ".join(phone for phone, _ in TRAINEES))
    return 0


def _account_line(label: str, demo: tuple[str, str, str], account: StaffAccount) -> str:
    phone, _, password = demo
    if account.created:
        return f"{label} phone {phone} password {password} (created)"
    if account.password_works:
        return f"{label} phone {phone} password {password} (existing {account.role} account)"
    return (f"{label} phone {phone} belongs to an existing {account.role} account with its own "
            "password; it was left unchanged")
