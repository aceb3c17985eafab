"""Bulk work of a class's staff: import a roster (with accounts to be claimed), export one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from services.enrollment.commands import Email, Name
from services.enrollment.deps import Deps
from services.enrollment.domain.claim_pack import person_category
from services.enrollment.domain.enrollment import Actor
from services.enrollment.domain.identity import ID_TYPES, normalise_id_number
from services.enrollment.domain.phones import normalise_phone
from services.enrollment.domain.roster_import import RosterRow
from services.enrollment.handlers.access import require_class_staff_of
from services.enrollment.handlers.enrol import book
from services.enrollment.repository import claim_pack as claim_repo
from services.enrollment.repository import users as user_repo
from services.enrollment.views import roster as roster_views
from services.enrollment.views.models import EnrolmentOut, ImportOut, ImportRowOut, RosterOut
from services.enrollment.views.roster_export import (
    WORDS,
    ExportLang,
    header_of,
    line_of,
    write_csv,
)
from shared.auth import Principal
from shared.errors import Conflict, DomainError, InvalidState, ValidationFailed
from shared.masking import mask_id_number, mask_phone
from shared.messaging.uow import UnitOfWork, in_transaction

Progress = Callable[[int], object]
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)
_NAME: TypeAdapter[str] = TypeAdapter(Name)


async def require_importer(class_id: UUID, *, deps: Deps, actor: Actor) -> None:
    """Allow an administrator, or a trainer of the class, to import into it."""
    async with deps.pool.acquire() as conn:
        await require_class_staff_of(conn, class_id, actor)


async def import_roster(
    class_id: UUID, rows: list[RosterRow], *, deps: Deps, actor: Actor,
    progress: Progress | None = None,
) -> ImportOut:
    """Enrol each row's trainee (creating unclaimed accounts); one transaction per row, so one
    bad row never undoes the others. Capacity holds: rows past it join the waitlist.

    The file's details (name, email, employer, ID) go only into accounts the import creates;
    an existing account is enrolled as it is, and its row says so. Administrators and the
    class's trainers may import; union membership in the file is recorded only from an
    administrator's import (administrators vouch for it, on any account)."""
    await require_importer(class_id, deps=deps, actor=actor)
    results = []
    for row in rows:
        results.append(await _import_row(class_id, row, deps=deps, actor=actor))
        if progress is not None:
            progress(1)
    count = {k: sum(1 for r in results if r.result == k)
             for k in ("created", "already_enrolled", "refused")}
    return ImportOut(class_id=class_id, created=count["created"],
                     already_enrolled=count["already_enrolled"], refused=count["refused"],
                     rows=results)


async def _import_row(class_id: UUID, row: RosterRow, *, deps: Deps, actor: Actor) -> ImportRowOut:
    masked = mask_phone(row.phone)
    union_member = row.union_member and actor.role == "admin"
    try:
        phone = normalise_phone(row.phone, require_mobile=True)
        masked = mask_phone(phone)
        name = _name(row)
        # Checked even when the account exists (and the values go unused): a bad cell is the
        # importer's to fix, and they learn of it now rather than when it would matter.
        email = _email(row)
        id_fields = _id_fields(deps, row)
        category = person_category(row.person_category)

        async def work(uow: UnitOfWork) -> tuple[EnrolmentOut, bool]:
            now = deps.clock.now()
            user = await user_repo.ensure_trainee(
                uow.conn, phone=phone, name=name, union_member=union_member,
                employer=row.employer, email=email, now=now, **id_fields)
            if user["role"] != "trainee":
                raise InvalidState("This number belongs to a staff account.",
                                   code="not_a_trainee")
            if user["created"] and category:  # a detail of the file, like its ID
                await claim_repo.set_person_category(uow.conn, user["id"], category)
            if union_member and not user["created"]:
                # Not a profile detail: administrators vouch for membership on any account.
                await user_repo.set_union_member(uow.conn, user["id"], True, now)
            out = await book(uow, deps, class_id=class_id, trainee_id=user["id"], via="bulk",
                             actor=actor, key=None)
            return out, user["created"]

        out, created = await in_transaction(deps.uows, work)
    except Conflict as exc:
        if exc.code != "already_enrolled":
            return _refused(row, masked, exc)
        return ImportRowOut(row=row.line, phone_masked=masked, result="already_enrolled",
                            enrollment_id=exc.extra.get("enrollment_id"), code=exc.code)
    except DomainError as exc:
        return _refused(row, masked, exc)
    return ImportRowOut(row=row.line, phone_masked=masked, result="created",
                        enrollment_id=out.id, status=out.status,
                        waitlist_position=out.waitlist_position,
                        code=None if created else "existing_account_kept",
                        detail=None if created else _kept_detail(union_member))


def _kept_detail(union_recorded: bool) -> str:
    detail = ("This number already has an account: it was enrolled and kept its own details "
              "(the file's name, email, employer and ID were not applied)")
    return detail + ("; its union membership was recorded." if union_recorded else ".")


def _refused(row: RosterRow, masked: str, exc: DomainError) -> ImportRowOut:
    return ImportRowOut(row=row.line, phone_masked=masked, result="refused", code=exc.code,
                        detail=exc.detail)


def _name(row: RosterRow) -> str:
    if not row.name:
        raise ValidationFailed("The name is missing.", code="name_required")
    try:
        return _NAME.validate_python(row.name)  # the rule of PATCH /api/v1/me
    except PydanticValidationError:
        raise ValidationFailed("The name must be at most 100 characters.",
                               code="invalid_name") from None


def _email(row: RosterRow) -> str | None:
    if row.email is None:
        return None
    try:
        return _EMAIL.validate_python(row.email)  # the rule of PATCH /api/v1/me
    except PydanticValidationError:
        raise ValidationFailed("The email address is not valid.", code="invalid_email") from None


def _id_fields(deps: Deps, row: RosterRow) -> dict[str, str | None]:
    if not row.id_number:
        return {"id_type": None, "id_number_encrypted": None, "id_number_masked": None}
    id_type = row.id_type or "resident_id"
    if id_type not in ID_TYPES:
        raise ValidationFailed("Unknown ID type.", code="invalid_id_type")
    number = normalise_id_number(id_type, row.id_number)  # the rule of PATCH /api/v1/me
    return {"id_type": id_type, "id_number_encrypted": deps.ciphers.seal(number),
            "id_number_masked": mask_id_number(number)}


async def get_roster(class_id: UUID, *, deps: Deps, actor: Principal) -> RosterOut:
    """Return a class's roster to its trainers or an administrator."""
    return (await _roster(class_id, deps=deps, actor=actor)).out


async def _roster(class_id: UUID, *, deps: Deps, actor: Principal) -> roster_views.Roster:
    async with deps.pool.acquire() as conn:
        await require_class_staff_of(conn, class_id, actor)
        roster = await roster_views.class_roster(conn, class_id)
    assert roster is not None
    return roster


async def export_roster(
    class_id: UUID, *, deps: Deps, actor: Principal, unmasked: bool, lang: ExportLang = "zh-CN"
) -> bytes:
    """Return a class's roster, attendance per day, scores and certificate numbers as CSV.

    Personal data is masked unless an administrator asks for the full numbers."""
    roster = await _roster(class_id, deps=deps, actor=actor)
    full = unmasked and actor.role == "admin"
    days: list[date] = roster.out.schedule_days
    words = WORDS[lang]
    lines = []
    for r in roster.rows:
        e = r.entry
        if e.status in ("waitlisted", "offered"):
            continue
        number = (deps.ciphers.open(r.id_number_encrypted)
                  if full and r.id_number_encrypted else r.id_number_masked)
        lines.append(line_of(words, e, phone=r.phone if full else e.phone_masked,
                             id_type=r.id_type, id_number=number, days=days))
    return write_csv(header_of(words, days), lines)
