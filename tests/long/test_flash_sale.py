"""A flash sale through the gateway: ten thousand trainees, one class of 200 seats.

Every trainee signs in with the SMS code from the dev inbox and enrols from an address of
their own; one in ten gives up waiting after a few tens of milliseconds and sends the same
request again with the same Idempotency-Key. Then fifty seat holders cancel.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp
import pytest

from tests.long.conftest import Record
from tests.long.crowd import (
    DevInbox,
    Tally,
    Trainee,
    each,
    people,
    persist,
    send,
    session_of,
    sign_in,
)
from tests.long.platform import LongPlatform, found, long_platform
from tests.support.http import open_class
from tests.support.private import PrivateServers

pytestmark = [pytest.mark.long, pytest.mark.timeout(3600)]

TRAINEES, SEATS, CANCELLATIONS = 10_000, 200, 50
RETRYING = 0.10  # the share of clients that time out and retry
CONCURRENCY = 200  # requests in flight at once: a crowd arriving within seconds


async def test_a_flash_sale_seats_exactly_200_keeps_the_queue_in_order_and_texts_each_once(
    tmp_path: Path, private: PrivateServers, record: Record
) -> None:
    async with long_platform(tmp_path, private) as platform:
        room = await open_class(platform.api, platform.admin, capacity=SEATS,
                                phone="+8613700000001", in_days=7)
        crowd = people(TRAINEES)
        signed = Tally()
        async with aiohttp.ClientSession() as http:
            inbox = DevInbox(http, platform.base)
            signed.seconds = await each(
                crowd, lambda t: sign_in(platform.base, t, inbox.code_of, signed),
                concurrency=CONCURRENCY,
            )
        record("flash sale: sign-in", trainees=TRAINEES, seconds=round(signed.seconds, 1),
               server_errors=signed.server_errors, retries=signed.retries)

        sale = await flash_sale(platform, crowd, room.class_id)
        answers = [t.enrollments[room.class_id] for t in crowd]
        confirmed = [a for a in answers if a["status"] == "confirmed"]
        waitlisted = [a for a in answers if a["status"] == "waitlisted"]
        assert (len(confirmed), len(waitlisted)) == (SEATS, TRAINEES - SEATS)
        assert sorted(a["waitlist_position"] for a in waitlisted) == list(
            range(1, TRAINEES - SEATS + 1)
        )
        assert len({a["id"] for a in answers}) == TRAINEES
        assert sale.server_errors == 0, sale.statuses
        texted_s, first, report = await platform.balanced(
            also=lambda r: r["counts"].get("enrolment messages sent") == TRAINEES
        )
        record("flash sale: enrol", requests=sum(sale.statuses.values()),
               seconds=round(sale.seconds, 1), per_s=round(TRAINEES / sale.seconds),
               statuses=dict(sale.statuses), client_timeouts=sale.timeouts,
               replayed=sale.replayed, server_errors=sale.server_errors,
               all_texted_after_s=round(sale.seconds + texted_s, 1),
               ledger_first=found(first), ledger=found(report))

        promoted = await cancel_and_promote(platform, crowd, room.class_id)
        settle_s, first, report = await platform.balanced(
            also=lambda r: r["counts"].get("enrolment messages sent", 0)
            + r["counts"].get("enrolment messages accounted", 0)
            == TRAINEES + 2 * CANCELLATIONS
        )
        record("flash sale: 50 cancellations", promoted=promoted, ledger_after_s=round(settle_s, 1),
               ledger_first=found(first), ledger=found(report))


async def flash_sale(platform: LongPlatform, crowd: list[Trainee], class_id: str) -> Tally:
    """Everyone enrols at once; return what came back."""
    rng = random.Random(2025)
    retrying = {t.phone for t in rng.sample(crowd, int(len(crowd) * RETRYING))}
    tally = Tally()
    url = f"{platform.base}/api/v1/enrollments"

    async def enrol(trainee: Trainee) -> None:
        request: dict[str, Any] = {
            "token": trainee.token, "body": {"class_id": class_id},
            "headers": {"Idempotency-Key": str(uuid4())},
        }
        async with session_of(trainee) as http:
            if trainee.phone in retrying:  # gives up first, then tries again
                await send(http, "POST", url, tally, timeout=rng.uniform(0.01, 0.1), **request)
            status, answer = await persist(http, "POST", url, tally, **request)
        assert status == 201, (status, answer)
        trainee.enrollments[class_id] = answer

    tally.seconds = await each(crowd, enrol, concurrency=CONCURRENCY)
    return tally


async def cancel_and_promote(platform: LongPlatform, crowd: list[Trainee], class_id: str) -> int:
    """Fifty seat holders cancel; the first fifty on the waitlist, and only they, get a seat."""
    holders = [t for t in crowd if t.enrollments[class_id]["status"] == "confirmed"]
    queue = sorted((t for t in crowd if t.enrollments[class_id]["status"] == "waitlisted"),
                   key=lambda t: t.enrollments[class_id]["waitlist_position"])
    tally = Tally()

    async def cancel(trainee: Trainee) -> None:
        enrollment = trainee.enrollments[class_id]["id"]
        async with session_of(trainee) as http:
            status, _ = await persist(
                http, "POST", f"{platform.base}/api/v1/enrollments/{enrollment}/cancel", tally,
                token=trainee.token,
            )
        assert status == 200, status

    await each(holders[:CANCELLATIONS], cancel, concurrency=CANCELLATIONS)
    statuses = [await _status(platform, t, class_id) for t in queue[:CANCELLATIONS + 1]]
    assert statuses == ["confirmed"] * CANCELLATIONS + ["waitlisted"], statuses
    klass = await platform.api.call("GET", f"/api/v1/classes/{class_id}")
    assert (klass["seats_left"], klass["waitlist_length"]) == (
        0, TRAINEES - SEATS - CANCELLATIONS
    ), klass
    assert tally.server_errors == 0
    return CANCELLATIONS


async def _status(platform: LongPlatform, trainee: Trainee, class_id: str) -> str:
    enrollment = trainee.enrollments[class_id]["id"]
    detail = await platform.api.call("GET", f"/api/v1/enrollments/{enrollment}",
                                     token=trainee.token)
    return str(detail["status"])
