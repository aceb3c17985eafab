"""Both sides of every rule of the superseding table (domain/superseding.py), for every pair of
message types of one enrolment or certificate: a newer event supersedes a pending message
exactly when the table makes it pointless, an older one arriving late is stale exactly then, and
the dispatcher's claim overtakes exactly then (a row intake could not see)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import product

from services.notification import repository
from services.notification.commands import Notify
from services.notification.domain.superseding import POINTLESS_ONCE, pointless_once
from services.notification.handlers import intake
from services.notification.keys import DEPS
from services.notification.templates.variables import SPECS
from shared.events import catalog as c
from shared.events.envelope import Event
from shared.ids import new_id
from shared.web.keys import UOW
from tests.notification.conftest import StartService
from tests.notification.harness import Service
from tests.notification.histories import (
    APPLICATION_TYPES,
    CERTIFICATE_TYPES,
    ENROLLMENT_TYPES,
    SURVEY_TYPES,
    Aggregate,
    event_of,
    new_aggregate,
)

PAIRS = [*product(ENROLLMENT_TYPES, repeat=2), *product(CERTIFICATE_TYPES, repeat=2),
         *product(APPLICATION_TYPES, repeat=2), *product(SURVEY_TYPES, repeat=2)]
Check = Callable[[Service, Aggregate, str, str], Awaitable[str | None]]


def test_the_table_covers_every_message_with_a_seq_and_names_only_known_event_types() -> None:
    with_seq = {s.event_type for s in SPECS if "seq" in s.event_cls.model_fields}
    assert set(POINTLESS_ONCE) == with_seq == {*ENROLLMENT_TYPES, *CERTIFICATE_TYPES,
                                               *APPLICATION_TYPES, *SURVEY_TYPES}
    assert set().union(*POINTLESS_ONCE.values()) <= with_seq
    assert pointless_once(c.OtpRequested.event_type) == frozenset()


async def _take_in(service: Service, event: Event) -> None:
    app = service.client.app
    async with app[UOW]() as uow:
        await intake.notify(Notify(source_message_id=new_id(), event=event), uow=uow,
                            deps=app[DEPS])


async def _status(service: Service, aggregate: Aggregate, seq: int) -> tuple[str, str | None]:
    row = await service.pool.fetchrow(
        "SELECT status, error_code FROM notifications WHERE aggregate_id = $1 AND seq = $2 "
        "AND fallback_of IS NULL", str(aggregate.id), seq)
    assert row is not None
    return row["status"], row["error_code"]


async def _both_taken_in(
    service: Service, aggregate: Aggregate, older: str, newer: str, *, newer_first: bool
) -> list[tuple[str, str | None]]:
    """Take in `older` (seq 1) and `newer` (seq 2) in the given order; return their rows."""
    events = [event_of(older, aggregate, 1), event_of(newer, aggregate, 2)]
    for event in reversed(events) if newer_first else events:
        await _take_in(service, event)
    return [await _status(service, aggregate, seq) for seq in (1, 2)]


async def _pending_then_newer(
    service: Service, aggregate: Aggregate, older: str, newer: str
) -> str | None:
    got = await _both_taken_in(service, aggregate, older, newer, newer_first=False)
    pointless = newer in pointless_once(older)
    expected = ("superseded", "superseded") if pointless else ("queued", None)
    return f"{older} then {newer}: {got}" if got != [expected, ("queued", None)] else None


async def _newer_then_late_older(
    service: Service, aggregate: Aggregate, older: str, newer: str
) -> str | None:
    got = await _both_taken_in(service, aggregate, older, newer, newer_first=True)
    pointless = newer in pointless_once(older)
    expected = ("superseded", "out_of_order") if pointless else ("queued", None)
    return f"{newer} before {older}: {got}" if got != [expected, ("queued", None)] else None


async def _claimed_after_unseen_newer(
    service: Service, aggregate: Aggregate, older: str, newer: str
) -> str | None:
    # The newer event is known (another instance took it in) but its intake never saw the row.
    await _take_in(service, event_of(older, aggregate, 1))
    await service.pool.execute("INSERT INTO aggregate_news VALUES ($1, $2, 2) ON CONFLICT "
                               "(aggregate_id, event_type) DO UPDATE SET seq = 2",
                               str(aggregate.id), newer)
    async with service.pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE notifications SET not_before = $2 WHERE aggregate_id = $1 "
                           "AND status IN ('queued', 'deferred')", str(aggregate.id),
                           service.clock.now())
        sent, overtaken = await repository.claim_due(conn, now=service.clock.now(), limit=100)
    pointless = newer in pointless_once(older)
    got = ([r.seq for r in sent], [r.seq for r in overtaken])
    if got != (([], [1]) if pointless else ([1], [])):
        return f"claim of {older} after unseen {newer}: {got}"
    return None


async def _every_pair(start_service: StartService, check: Check) -> list[str]:
    service = await start_service(run_dispatcher=False, run_consumers=False)
    wrong = []
    for i, (older, newer) in enumerate(PAIRS):
        problem = await check(service, new_aggregate(i), older, newer)
        if problem:
            wrong.append(problem)
    return wrong


async def test_a_newer_event_supersedes_a_pending_message_exactly_when_the_table_says(
    start_service: StartService,
) -> None:
    assert await _every_pair(start_service, _pending_then_newer) == []


async def test_an_older_event_arriving_after_a_newer_one_is_stale_exactly_when_the_table_says(
    start_service: StartService,
) -> None:
    assert await _every_pair(start_service, _newer_then_late_older) == []


async def test_the_claim_overtakes_a_row_intake_did_not_see_exactly_when_the_table_says(
    start_service: StartService,
) -> None:
    assert await _every_pair(start_service, _claimed_after_unseen_newer) == []
