"""Enrol a trainee: take a seat or a waitlist place (self-service, bulk and admin alike)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from services.enrollment.commands import AdminEnrol
from services.enrollment.deps import Deps
from services.enrollment.domain.enrollment import Actor, Status, Via
from services.enrollment.domain.phones import normalise_phone
from services.enrollment.domain.places import PlaceRequest, already_enrolled
from services.enrollment.handlers.events import audit_of, class_info, recipient
from services.enrollment.handlers.places import check_place
from services.enrollment.repository import Row
from services.enrollment.repository import enrollments as repo
from services.enrollment.repository import users as user_repo
from services.enrollment.views.models import EnrolmentOut
from shared.auth import Principal
from shared.errors import InvalidState, NotFound, Unauthorized, ValidationFailed
from shared.events.catalog import EnrollmentConfirmed, EnrollmentWaitlisted
from shared.events.envelope import Event
from shared.ids import new_id
from shared.messaging.uow import UnitOfWork, in_transaction

_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


@dataclass(frozen=True, slots=True)
class Answer:
    """A response body as stored for an Idempotency-Key, and whether it was replayed."""

    body: str
    status: int
    replayed: bool


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A caller's Idempotency-Key and the fingerprint of the request it came with."""

    user_id: UUID
    key: str
    fingerprint: str


def idempotency_key(
    header: str | None, *, user_id: UUID, method: str, path: str, body: BaseModel
) -> IdempotencyKey | None:
    """Validate an Idempotency-Key header and fingerprint the request it belongs to."""
    if header is None:
        return None
    if not _KEY.match(header):
        raise ValidationFailed(
            "Idempotency-Key must be 1-200 visible ASCII characters.",
            code="invalid_idempotency_key",
        )
    digest = hashlib.sha256(f"{method} {path}\n{body.model_dump_json()}".encode()).hexdigest()
    return IdempotencyKey(user_id, header, digest)


async def replay(uow: UnitOfWork, key: IdempotencyKey) -> Answer:
    """Answer a retry with what the request holding its Idempotency-Key stored."""
    stored = await repo.stored_response(uow.conn, user_id=key.user_id, key=key.key)
    if stored.fingerprint != key.fingerprint:
        raise ValidationFailed(
            "This Idempotency-Key was already used for a different request.",
            code="idempotency_key_reused",
        )
    # Stored by the database as JSON; re-serialised so a replay reads the same.
    replay = EnrolmentOut.model_validate_json(stored.body).model_dump_json()
    return Answer(replay, stored.status, replayed=True)


async def enrol_by_admin(
    class_id: UUID, cmd: AdminEnrol, *, deps: Deps, actor: Principal
) -> EnrolmentOut:
    """Enrol a trainee chosen by an administrator (by account, or by phone creating one)."""
    phone = normalise_phone(cmd.phone, require_mobile=True) if cmd.phone is not None else None

    async def work(uow: UnitOfWork) -> EnrolmentOut:
        trainee_id = cmd.trainee_id
        if phone is not None:
            user = await user_repo.ensure_trainee(
                uow.conn, phone=phone, name=cmd.name or "", union_member=False, employer=None,
                email=None, id_type=None, id_number_encrypted=None, id_number_masked=None,
                now=deps.clock.now(),
            )
            if user["created"] and not user["name"]:
                # Rolled back with the rest: no nameless account is left behind.
                raise ValidationFailed(
                    "No account has this number yet: give the trainee's name.",
                    code="name_required",
                )
            trainee_id = user["id"]
        assert trainee_id is not None
        if cmd.union_member is not None:
            # An unknown trainee_id changes nothing here; book() then names it.
            await user_repo.set_union_member(uow.conn, trainee_id, cmd.union_member,
                                             deps.clock.now())
        return await book(
            uow, deps, class_id=class_id, trainee_id=trainee_id, via="admin",
            actor=Actor(actor.user_id, actor.role), key=None,
        )

    return await in_transaction(deps.uows, work)


async def book(
    uow: UnitOfWork, deps: Deps, *, class_id: UUID, trainee_id: UUID, via: Via, actor: Actor,
    key: IdempotencyKey | None,
) -> EnrolmentOut:
    """Check eligibility, take a seat or waitlist place under the class lock, record, announce."""
    ctx = await repo.booking_context(uow.conn, class_id, trainee_id)
    return await book_in_context(uow, deps, ctx, class_id=class_id, trainee_id=trainee_id,
                                 via=via, actor=actor, key=key)


async def book_in_context(
    uow: UnitOfWork, deps: Deps, ctx: Row | None, *, class_id: UUID, trainee_id: UUID, via: Via,
    actor: Actor, key: IdempotencyKey | None,
) -> EnrolmentOut:
    """Book with the class, course and trainee already read (None: one of them is missing)."""
    ctx = await check_booking(uow, deps, ctx, trainee_id=trainee_id, via=via)
    enrollment_id = new_id()
    try:
        seat = await repo.book_seat(
            uow.conn, enrollment_id=enrollment_id, class_id=class_id,
            trainee_id=trainee_id, via=via, now=deps.clock.now(), audit=audit_of(actor),
            idempotency=(key.user_id, key.key) if key else None,
        )
    except asyncpg.UniqueViolationError:
        raise already_enrolled(None) from None
    if seat is None:
        raise class_cancelled()
    out = EnrolmentOut(
        id=enrollment_id, class_id=class_id,
        status=(Status.CONFIRMED if seat.confirmed else Status.WAITLISTED).value,
        waitlist_position=None if seat.confirmed else seat.waitlist_length,
    )
    await uow.publish(booked_event(deps, ctx, out, via=via, actor=actor))
    return out


async def check_booking(
    uow: UnitOfWork, deps: Deps, ctx: Row | None, *, trainee_id: UUID, via: Via
) -> Row:
    """Refuse a booking the rules forbid (reads only, writes nothing); return its context."""
    if ctx is None:
        await _explain_missing(uow, trainee_id, via)
        raise NotFound("There is no such class.", code="class_not_found")
    await check_place(uow.conn, deps, ctx, PlaceRequest(via=via, now=deps.clock.now()),
                      lock=True)
    return ctx


def booked_event(deps: Deps, ctx: Row, out: EnrolmentOut, *, via: Via, actor: Actor) -> Event:
    """Return the event announcing a new booking: confirmed, or waitlisted with its place."""
    trainee, info = recipient(ctx, deps.tz), class_info(ctx, deps.tz)
    if out.waitlist_position is None:
        return EnrollmentConfirmed(enrollment_id=out.id, seq=1, trainee=trainee,
                                   class_info=info, actor=actor.role, via=via)
    return EnrollmentWaitlisted(enrollment_id=out.id, seq=1, trainee=trainee, class_info=info,
                                actor=actor.role, waitlist_position=out.waitlist_position)


def class_cancelled() -> InvalidState:
    """Return the refusal of a booking in a cancelled class."""
    return InvalidState("This class has been cancelled.", code="class_cancelled")


async def _explain_missing(uow: UnitOfWork, trainee_id: UUID, via: Via) -> None:
    if await user_repo.user_by_id(uow.conn, trainee_id) is not None:
        return
    if via == "self":
        raise Unauthorized("Your account no longer exists; sign in again.", code="unknown_user")
    raise ValidationFailed("There is no such trainee.", code="unknown_trainee")
