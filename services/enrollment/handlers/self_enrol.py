"""Self-service enrolment; concurrent bookings of one class in this process share a transaction.

In a flash sale every booking wants the same class row lock. A booking that finds none of its
class waiting runs at once in its caller's task; otherwise a runner (`deps.bookings`,
shared/combiner.py) takes every booking of that class waiting, in arrival order, and books them
together: each is read and checked on its own (refusals reach only their caller and write
nothing), then one row lock, one statement and one outbox insert take all their places.
Anything unexpected falls back to one transaction per booking, which is also how a lone
booking runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from uuid import UUID

from services.enrollment.commands import Enrol
from services.enrollment.deps import Deps
from services.enrollment.domain.enrollment import Actor, Status
from services.enrollment.domain.places import already_enrolled
from services.enrollment.domain.seats import allocate
from services.enrollment.handlers.enrol import (
    Answer,
    IdempotencyKey,
    book_in_context,
    booked_event,
    check_booking,
    class_cancelled,
    replay,
)
from services.enrollment.repository import Row
from services.enrollment.repository import bookings as batch_repo
from services.enrollment.repository import enrollments as repo
from services.enrollment.views.models import EnrolmentOut
from shared.auth import Principal
from shared.errors import DomainError, ValidationFailed
from shared.ids import new_id
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SelfBooking:
    """One caller's request to enrol themselves."""

    cmd: Enrol
    actor: Principal
    key: IdempotencyKey | None


async def enrol_self(
    cmd: Enrol, *, deps: Deps, actor: Principal, key: IdempotencyKey | None
) -> Answer:
    """Enrol the caller in a class; a retry with the same Idempotency-Key gets the same answer."""
    answer: Answer = await deps.bookings.submit(
        cmd.class_id, SelfBooking(cmd, actor, key), partial(_enrol_batch, deps))
    return answer


async def _enrol_batch(deps: Deps, batch: Sequence[SelfBooking]) -> list[Answer | Exception]:
    if len(batch) == 1:
        return [await in_transaction(deps.uows, partial(_enrol_one, deps, batch[0]))]
    try:
        return await in_transaction(deps.uows, partial(_enrol_together, deps, batch))
    except Exception as exc:  # e.g. a unique violation raced in from another process
        log.warning("booking_batch_split", size=len(batch), error=type(exc).__name__)
    return [await _alone(deps, booking) for booking in batch]


async def _alone(deps: Deps, booking: SelfBooking) -> Answer | Exception:
    try:
        return await in_transaction(deps.uows, partial(_enrol_one, deps, booking))
    except Exception as exc:
        return exc


async def _enrol_one(deps: Deps, booking: SelfBooking, uow: UnitOfWork) -> Answer:
    cmd, actor, key = booking.cmd, booking.actor, booking.key
    claimed, ctx = await _claim_and_read(uow, booking)
    if not claimed:
        assert key is not None
        return await replay(uow, key)
    out = await book_in_context(
        uow, deps, ctx, class_id=cmd.class_id, trainee_id=actor.user_id, via="self",
        actor=Actor(actor.user_id, actor.role), key=key,
    )
    return Answer(out.model_dump_json(), 201, replayed=False)


async def _claim_and_read(uow: UnitOfWork, booking: SelfBooking) -> tuple[bool, Row | None]:
    """Claim the booking's key (if any) and read its context: (claimed, context); not
    claimed: an earlier request holds the key."""
    cmd, actor, key = booking.cmd, booking.actor, booking.key
    if key is None:
        return True, await repo.booking_context(uow.conn, cmd.class_id, actor.user_id)
    return await repo.claim_key_and_read_context(
        uow.conn, user_id=key.user_id, key=key.key, fingerprint=key.fingerprint,
        class_id=cmd.class_id, trainee_id=actor.user_id,
    )


@dataclass
class _Together:
    """A batch's progress: answers by position, the bookings to place, the keys to forget."""

    answers: list[Answer | Exception | None]
    placing: list[tuple[int, Row]] = field(default_factory=list)
    refused_keys: list[tuple[UUID, str]] = field(default_factory=list)
    key_holder: dict[tuple[UUID, str], int] = field(default_factory=dict)
    trainees: set[UUID] = field(default_factory=set)


async def _enrol_together(
    deps: Deps, batch: Sequence[SelfBooking], uow: UnitOfWork
) -> list[Answer | Exception]:
    t = _Together([None] * len(batch))
    for n, booking in enumerate(batch):
        key = (booking.key.user_id, booking.key.key) if booking.key else None
        if key is not None and key in t.key_holder:
            continue  # a repeat of a key claimed in this batch: answered as its holder, below
        try:
            await _check_one(deps, uow, t, n, booking, key)
        except DomainError as exc:  # raised before anything of this booking was written
            t.answers[n] = exc
            if key is not None and t.key_holder.get(key) == n:
                t.refused_keys.append(key)
    await _place(deps, uow, t, batch)
    await batch_repo.forget_keys(uow.conn, t.refused_keys)
    return [_answer_of(t, n, batch) for n in range(len(batch))]


async def _check_one(deps: Deps, uow: UnitOfWork, t: _Together, n: int, booking: SelfBooking,
                     key: tuple[UUID, str] | None) -> None:
    claimed, ctx = await _claim_and_read(uow, booking)
    if not claimed:
        assert booking.key is not None
        t.answers[n] = await replay(uow, booking.key)
        return
    if key is not None:
        t.key_holder[key] = n
    trainee = booking.actor.user_id
    checked = await check_booking(uow, deps, ctx, trainee_id=trainee, via="self")
    if trainee in t.trainees:  # booked earlier in this batch
        raise already_enrolled(None)
    t.trainees.add(trainee)
    t.placing.append((n, checked))


async def _place(deps: Deps, uow: UnitOfWork, t: _Together, batch: Sequence[SelfBooking]) -> None:
    """Take the places of the checked bookings under one class row lock, in arrival order."""
    if not t.placing:
        return
    class_id = batch[0].cmd.class_id
    counters = await batch_repo.lock_class(uow.conn, class_id)
    if counters is None:
        for n, _ in t.placing:
            t.answers[n] = class_cancelled()
            if (k := batch[n].key) is not None:
                t.refused_keys.append((k.user_id, k.key))
        return
    places, after = allocate(counters, len(t.placing))
    rows, events = [], []
    for (n, ctx), place in zip(t.placing, places, strict=True):
        booking = batch[n]
        seat = place.waitlist_position is None
        out = EnrolmentOut(id=new_id(), class_id=class_id,
                           status=(Status.CONFIRMED if seat else Status.WAITLISTED).value,
                           waitlist_position=place.waitlist_position)
        actor = Actor(booking.actor.user_id, booking.actor.role)
        body = out.model_dump_json()
        rows.append(batch_repo.NewBooking(
            id=out.id, trainee_id=booking.actor.user_id, status=out.status,
            booking_no=place.booking_no, actor_id=booking.actor.user_id, actor_role=actor.role,
            response=body,
            key=(booking.key.user_id, booking.key.key) if booking.key else None))
        events.append(booked_event(deps, ctx, out, via="self", actor=actor))
        t.answers[n] = Answer(body, 201, replayed=False)
    await batch_repo.book_many(uow.conn, class_id=class_id, counters=after, via="self",
                               now=deps.clock.now(), bookings=rows)
    await uow.publish(*events)


def _answer_of(t: _Together, n: int, batch: Sequence[SelfBooking]) -> Answer | Exception:
    answer, key = t.answers[n], batch[n].key
    if answer is not None:
        return answer
    assert key is not None  # only repeats of a key held in this batch are left
    holder = t.key_holder[(key.user_id, key.key)]
    held, held_key = t.answers[holder], batch[holder].key
    assert held is not None
    assert held_key is not None
    if key.fingerprint != held_key.fingerprint:
        return ValidationFailed("This Idempotency-Key was already used for a different request.",
                                code="idempotency_key_reused")
    if isinstance(held, Answer):
        return Answer(held.body, held.status, replayed=True)
    return held  # the holder was refused and its key forgotten: so is this repeat
