"""Set a class to lottery, draw the lots once, publish the draw for anyone to re-check."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.enrollment.commands_fair import SetAllocation
from services.enrollment.deps import Deps
from services.enrollment.domain import lottery as rules
from services.enrollment.domain.eligibility import Refusal
from services.enrollment.domain.enrollment import Actor
from services.enrollment.domain.schedule import offer_deadline
from services.enrollment.handlers.access import class_not_found
from services.enrollment.handlers.applications import lottery_of, window_of
from services.enrollment.handlers.eligibility import assess
from services.enrollment.handlers.events import class_info, recipient
from services.enrollment.repository import Row
from services.enrollment.repository import catalogue as class_repo
from services.enrollment.repository import lottery as repo
from services.enrollment.views import lottery as views
from services.enrollment.views.models.fair import AllocationOut, DrawDocument, DrawOut
from shared.auth import Principal
from shared.db import Conn
from shared.errors import Conflict, InvalidState
from shared.events.catalog import ApplicationDrawn
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


async def set_allocation(
    class_id: UUID, cmd: SetAllocation, *, deps: Deps, actor: Principal
) -> AllocationOut:
    """Make a class a lottery class (before anyone enrols); commit to a fresh seed now."""
    seed = rules.new_seed()

    async def work(uow: UnitOfWork) -> AllocationOut:
        cls = await class_repo.lock_class(uow.conn, class_id)
        if cls is None:
            raise class_not_found()
        if cls["status"] == "cancelled":
            raise InvalidState("This class has been cancelled.", code="class_cancelled")
        if deps.clock.now() >= cls["enroll_closes_at"]:
            raise InvalidState("The class's window has closed.", code="applications_closed")
        created = await repo.insert_lottery(
            uow.conn, class_id=class_id, seed_encrypted=deps.ciphers.at_rest.encrypt(seed).decode(),
            commitment=rules.commitment(seed), priority=cmd.priority_unsubsidised,
            now=deps.clock.now(), by=actor.user_id)
        if created and await repo.has_enrollments(uow.conn, class_id):
            raise Conflict("This class already has enrolments: it stays first come, first "
                           "served.", code="enrolments_exist")
        if not created:
            await repo.set_priority(uow.conn, class_id, cmd.priority_unsubsidised)
        await repo.force_offer_policy(uow.conn, class_id)
        return await _allocation(uow.conn, class_id)

    return await in_transaction(deps.uows, work)


async def allocation(class_id: UUID, *, deps: Deps) -> AllocationOut:
    """Return a class's allocation mode (and a lottery's commitment)."""
    async with deps.pool.acquire() as conn:
        if not await repo.class_exists(conn, class_id):
            raise class_not_found()
        return await _allocation(conn, class_id)


async def _allocation(conn: Conn, class_id: UUID) -> AllocationOut:
    row = await repo.window(conn, class_id)
    if row is None:
        return AllocationOut(class_id=class_id, mode="first_come")
    return AllocationOut(class_id=class_id, mode="lottery", commitment=row["commitment"],
                         priority_unsubsidised=row["priority_unsubsidised"])


async def draw(
    class_id: UUID, *, deps: Deps, actor: Actor, reason: str | None = None
) -> DrawOut:
    """Draw a lottery once: rank every application, offer the seats, queue the rest.

    Exactly once across instances: the lottery row is locked and re-read (drawn_at IS NULL)
    under the class lock, and marked drawn in the same transaction; a trigger refuses any
    later change of a drawn lottery."""

    async def work(uow: UnitOfWork) -> DrawOut:
        now = deps.clock.now()
        cls = await class_repo.lock_class(uow.conn, class_id)
        lot = await repo.claim_for_draw(uow.conn, class_id)
        if cls is None or lot is None:
            await lottery_of(uow.conn, class_id)  # names a missing class or lottery
            if actor.role == "system":
                return DrawOut(class_id=class_id, drawn=False)
            raise Conflict("The lots for this class have already been drawn.",
                           code="lottery_drawn")
        rules.check_can_draw(window_of(lot), now=now, early_reason=reason)
        return await _draw(uow, deps, cls, lot, actor=actor, reason=reason)

    out = await in_transaction(deps.uows, work)
    if out.drawn:
        log.info("lots_drawn", class_id=str(class_id), applications=out.applications,
                 offers=out.offers, waitlisted=out.waitlisted, ineligible=out.ineligible,
                 early=reason is not None)
    return out


async def _draw(
    uow: UnitOfWork, deps: Deps, cls: Row, lot: Row, *, actor: Actor, reason: str | None
) -> DrawOut:
    now, class_id = deps.clock.now(), cls["id"]
    trainee_of = {a["id"]: a["trainee_id"] for a in await repo.applied(uow.conn, class_id)}
    assessed = await assess(uow.conn, deps, class_id, list(trainee_of.values()))
    refusal = {a: assessed[t][0][0].code.value for a, t in trainee_of.items() if assessed[t][0]}
    seats = max(0, cls["capacity"] - cls["seats_taken"])
    placed = _place(deps, lot, trainee_of, assessed, seats=seats)
    booked = [p for p in placed if p.outcome != "ineligible"]
    offers = sum(p.outcome == "offered" for p in booked)
    deadline = offer_deadline(now, hours=cls["offer_hours"], quiet=deps.quiet_hours)
    first = await repo.add_bookings(uow.conn, class_id, offers=offers,
                                    waitlisted=len(booked) - offers)
    await repo.insert_enrollments(
        uow.conn, class_id=class_id, ids=[p.entry.application_id for p in booked],
        trainee_ids=[trainee_of[p.entry.application_id] for p in booked],
        statuses=[p.outcome for p in booked], first_booking=first, offer_expires_at=deadline,
        now=now)
    await repo.record_places(
        uow.conn, ids=[p.entry.application_id for p in placed],
        groups=[p.entry.group for p in placed], ranks=[p.rank for p in placed],
        outcomes=[p.outcome for p in placed],
        refusals=[refusal.get(p.entry.application_id) for p in placed], now=now)
    out = DrawOut(class_id=class_id, drawn=True, applications=len(placed), offers=offers,
                  waitlisted=len(booked) - offers, ineligible=len(placed) - len(booked))
    marked = await repo.mark_drawn(
        uow.conn, class_id, now=now, by=actor.id, reason=reason, seats=seats, offers=out.offers,
        waitlisted=out.waitlisted, ineligible=out.ineligible)
    assert marked, "the lottery row is locked and undrawn"
    await _announce(uow, deps, placed, deadline=deadline, refusal=refusal)
    return out


def _place(
    deps: Deps, lot: Row, trainee_of: dict[UUID, UUID],
    assessed: dict[UUID, tuple[list[Refusal], int]], *, seats: int,
) -> list[rules.Placed]:
    """Rank every application by the revealed seed and give the seats to the eligible."""
    seed = deps.ciphers.at_rest.decrypt(lot["seed_encrypted"].encode())
    # With the priority option, applicants with a subsidised place this year are group 1.
    prioritise = lot["priority_unsubsidised"]
    entries = [rules.Entry(a, int(prioritise and assessed[t][1] > 0))
               for a, t in trainee_of.items()]
    eligible = {a for a, t in trainee_of.items() if not assessed[t][0]}
    return rules.allocate(rules.draw_order(seed, entries), seats=seats, eligible=eligible)


async def _announce(
    uow: UnitOfWork, deps: Deps, placed: list[rules.Placed], *, deadline: datetime,
    refusal: dict[UUID, str],
) -> None:
    rows = {r["id"]: r for r in await repo.rows_of(uow.conn,
                                                   [p.entry.application_id for p in placed])}
    await uow.publish(*(
        ApplicationDrawn(
            application_id=p.entry.application_id, seq=2,
            trainee=recipient(rows[p.entry.application_id], deps.tz),
            class_info=class_info(rows[p.entry.application_id], deps.tz), outcome=p.outcome,
            rank=p.rank, offer_expires_at=deadline if p.outcome == "offered" else None,
            waitlist_position=p.waitlist_position,
            refusal_code=refusal.get(p.entry.application_id))
        for p in placed))


async def draw_due(*, deps: Deps) -> int:
    """Draw every lottery whose window has closed (safe on every instance at once)."""
    async with deps.pool.acquire() as conn:
        class_ids = await repo.due(conn, deps.clock.now())
    drawn = 0
    for class_id in class_ids:
        out = await draw(class_id, deps=deps, actor=Actor.system())
        drawn += out.drawn
    return drawn


async def early_draw(
    class_id: UUID, *, reason: str, deps: Deps, actor: Principal
) -> DrawOut:
    """Draw now at an administrator's request; before the close the reason is required."""
    return await draw(class_id, deps=deps, actor=Actor(actor.user_id, actor.role),
                      reason=reason)


async def document(class_id: UUID, *, deps: Deps) -> DrawDocument:
    """Return the public draw document: the commitment, and after the draw the seed and every
    application's rank and outcome."""
    now = deps.clock.now()
    async with deps.pool.acquire() as conn:
        lot = await lottery_of(conn, class_id)
        count = await views.live_count(conn, class_id)
    drawn = lot["drawn_at"] is not None
    status = ("drawn" if drawn else "upcoming" if now < lot["enroll_opens_at"]
              else "open" if now < lot["enroll_closes_at"] else "closed")
    seed = deps.ciphers.at_rest.decrypt(lot["seed_encrypted"].encode()).hex() if drawn else None
    return DrawDocument(
        class_id=class_id, algorithm=rules.ALGORITHM, algorithm_text=rules.ALGORITHM_TEXT,
        commitment=lot["commitment"], seed=seed, status=status,
        opens_at=lot["enroll_opens_at"], closes_at=lot["enroll_closes_at"],
        priority_unsubsidised=lot["priority_unsubsidised"], applications=count,
        seats=lot["seats"], drawn_at=lot["drawn_at"], early_reason=lot["early_reason"],
        entries=await views.drawn_entries(deps.pool, class_id) if drawn else [],
    )
