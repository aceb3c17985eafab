"""A confirmed trainee moves to another class of the same course (改期) in one step: one
enrolment throughout, announced as enrollment.rescheduled with the new class; the freed seat
goes to the old class's waitlist; refused after the cut-off, into a full class or another
course, and for anything but a confirmed seat."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from tests.enrollment.support import Reply, Service, today_plus
from tests.support.locks import holding, until_waiting


@dataclass(frozen=True)
class Course:
    """An 8-hour course an administrator published, to schedule one-day classes of."""

    svc: Service
    admin: str
    body: dict[str, Any]  # as the API answered its creation

    @property
    def id(self) -> str:
        """The course's id."""
        return str(self.body["id"])

    @classmethod
    async def create(cls, svc: Service, admin: str | None = None, **fields: Any) -> Course:
        """Publish a course (by a new administrator unless one is given)."""
        admin = admin or await svc.admin_token()
        return cls(svc, admin, await svc.create_course(admin, required_hours=8, **fields))

    async def new_class(self, *, days: int, capacity: int, **fields: Any) -> dict[str, Any]:
        """Schedule a one-day class of this course `days` from today."""
        day = today_plus(self.svc.clock, days).isoformat()
        return await self.svc.create_class(self.admin, course_id=self.id, capacity=capacity,
                                           starts_on=day, ends_on=day, **fields)


async def _confirmed(svc: Service, class_id: str) -> tuple[str, str]:
    _, token = await svc.add_user()
    reply = await svc.enrol(token, class_id)
    assert reply.body["status"] == "confirmed", reply.body
    return token, reply.body["id"]


async def _move(svc: Service, token: str, enrollment_id: str, class_id: str) -> Reply:
    return await svc.call("POST", f"/api/v1/enrollments/{enrollment_id}/move", token=token,
                          json_body={"class_id": class_id})


async def _refusal(svc: Service, token: str, enrollment_id: str, class_id: str) -> tuple[int, str]:
    """Ask for a move; return the answer's (status, problem code)."""
    reply = await _move(svc, token, enrollment_id, class_id)
    return reply.status, reply.body.get("code", "")


async def test_a_move_keeps_one_enrolment_announces_the_new_class_and_frees_the_old_seat(
    svc: Service,
) -> None:
    course = await Course.create(svc)
    old = await course.new_class(days=7, capacity=1)
    new = await course.new_class(days=10, capacity=2)
    mover, enrollment_id = await _confirmed(svc, old["id"])
    _, waiting = await svc.add_user()
    queued = (await svc.enrol(waiting, old["id"])).body
    assert queued["status"] == "waitlisted"

    moved = await _move(svc, mover, enrollment_id, new["id"])
    assert moved.status == 200, moved.body
    assert (moved.body["id"], moved.body["class_id"], moved.body["status"]) == (
        enrollment_id, new["id"], "confirmed")
    events = await svc.events(enrollment_id)
    assert [e["type"] for e in events] == ["enrollment.confirmed", "enrollment.rescheduled"]
    news = events[-1]["data"]
    assert news["class_info"]["class_id"] == new["id"]
    assert news["previous_starts_on"] == old["starts_on"]
    assert news["seq"] == 2
    assert [e["type"] for e in await svc.events(queued["id"])][-1] == "enrollment.promoted"
    assert await svc.status_of(queued["id"]) == ("confirmed", None)
    seats = {c: (await svc.call("GET", f"/api/v1/classes/{c}")).body
             for c in (old["id"], new["id"])}
    assert (seats[old["id"]]["seats_left"], seats[old["id"]]["waitlist_length"]) == (0, 0)
    assert seats[new["id"]]["seats_left"] == 1
    mine = (await svc.call("GET", "/api/v1/me/enrollments", token=mover)).body["items"]
    assert [(e["class_id"], e["status"]) for e in mine] == [(new["id"], "confirmed")]

    again = await _move(svc, mover, enrollment_id, new["id"])  # a retry changes nothing
    assert (again.status, again.body["class_id"]) == (200, new["id"])
    assert len(await svc.events(enrollment_id)) == 2


async def test_moves_close_the_day_before_the_first_class_day_or_the_courses_cut_off(
    svc: Service,
) -> None:
    course = await Course.create(svc)
    tomorrow = await course.new_class(days=1, capacity=5)
    later = await course.new_class(days=5, capacity=5)
    token, enrollment_id = await _confirmed(svc, tomorrow["id"])
    assert await _refusal(svc, token, enrollment_id, later["id"]) == (409, "move_cutoff_passed")
    token, enrollment_id = await _confirmed(svc, later["id"])
    assert await _refusal(svc, token, enrollment_id, tomorrow["id"]) == (
        409, "move_cutoff_passed")
    day_after = await course.new_class(days=2, capacity=5)
    assert (await _move(svc, token, enrollment_id, day_after["id"])).status == 200

    strict = await Course.create(svc, course.admin, move_cutoff_days=3)
    assert strict.body["move_cutoff_days"] == 3
    in_three = await strict.new_class(days=3, capacity=5)
    in_four = await strict.new_class(days=4, capacity=5)
    token, enrollment_id = await _confirmed(svc, in_four["id"])
    assert await _refusal(svc, token, enrollment_id, in_three["id"]) == (
        409, "move_cutoff_passed")


async def test_a_move_is_refused_into_a_full_class_another_course_or_from_the_waitlist(
    svc: Service,
) -> None:
    course = await Course.create(svc)
    other = await Course.create(svc, course.admin)
    here = await course.new_class(days=6, capacity=1)
    full = await course.new_class(days=8, capacity=1)
    elsewhere = await other.new_class(days=8, capacity=5)
    await _confirmed(svc, full["id"])
    token, enrollment_id = await _confirmed(svc, here["id"])
    assert await _refusal(svc, token, enrollment_id, full["id"]) == (409, "move_class_full")
    assert await _refusal(svc, token, enrollment_id, elsewhere["id"]) == (
        422, "move_other_course")
    _, waiting = await svc.add_user()
    queued = (await svc.enrol(waiting, here["id"])).body
    roomy = await course.new_class(days=9, capacity=5)
    assert await _refusal(svc, waiting, queued["id"], roomy["id"]) == (409, "move_not_confirmed")
    _, stranger = await svc.add_user()
    assert await _refusal(svc, stranger, enrollment_id, roomy["id"]) == (
        404, "enrollment_not_found")
    assert len(await svc.events(enrollment_id)) == 1  # nothing moved


async def test_a_move_follows_the_new_classs_rules_and_one_enrolment_per_class(
    svc: Service,
) -> None:
    course = await Course.create(svc)
    here = await course.new_class(days=6, capacity=5)
    members = await course.new_class(days=8, capacity=5, union_members_only=True)
    token, enrollment_id = await _confirmed(svc, here["id"])
    assert await _refusal(svc, token, enrollment_id, members["id"]) == (
        403, "union_members_only")
    there = await course.new_class(days=9, capacity=5)
    assert (await svc.enrol(token, there["id"])).body["status"] == "confirmed"
    assert await _refusal(svc, token, enrollment_id, there["id"]) == (409, "already_enrolled")
    assert len(await svc.events(enrollment_id)) == 1


async def test_a_move_never_jumps_a_lottery_classs_draw(svc: Service) -> None:
    course = await Course.create(svc)
    here = await course.new_class(days=6, capacity=5)
    drawn = await course.new_class(days=9, capacity=5)
    allocation = await svc.call("PUT", f"/api/v1/classes/{drawn['id']}/allocation",
                                token=course.admin, json_body={"mode": "lottery"})
    assert allocation.status == 200, allocation.body
    token, enrollment_id = await _confirmed(svc, here["id"])
    assert await _refusal(svc, token, enrollment_id, drawn["id"]) == (409, "lottery_class")
    # An administrator moves a trainee as they would enrol one: only after the draw.
    assert await _refusal(svc, course.admin, enrollment_id, drawn["id"]) == (
        409, "lottery_not_drawn")
    done = await svc.call("POST", f"/api/v1/classes/{drawn['id']}/draw", token=course.admin,
                          json_body={"reason": "Nobody applied; the venue is booked already"})
    assert done.status == 200, done.body
    assert await _refusal(svc, token, enrollment_id, drawn["id"]) == (409, "lottery_class")
    moved = await _move(svc, course.admin, enrollment_id, drawn["id"])
    assert (moved.status, moved.body["class_id"]) == (200, drawn["id"]), moved.body


async def test_a_move_honours_the_new_classs_opening_but_not_its_close(svc: Service) -> None:
    """A trainee's move never takes a seat before enrolment opens (it would beat the opening
    rush); their seat was taken in the old class's window, so the new one's close does not
    bind a move (its own cut-off does). An administrator moves as they enrol: at any time."""
    course = await Course.create(svc)
    here = await course.new_class(days=6, capacity=5)
    opening = svc.clock.now() + timedelta(hours=1)
    ahead = await course.new_class(days=9, capacity=5, enroll_opens_at=opening.isoformat())
    closing = await course.new_class(days=9, capacity=5,
                                     enroll_closes_at=opening.isoformat())
    token, enrollment_id = await _confirmed(svc, here["id"])
    assert await _refusal(svc, token, enrollment_id, ahead["id"]) == (
        409, "enrolment_not_open")
    svc.clock.advance(hours=2)
    assert (await svc.enrol(token, closing["id"])).body["code"] == "enrolment_closed"
    assert (await _move(svc, token, enrollment_id, closing["id"])).status == 200
    svc.clock.advance(hours=-2)
    assert (await _move(svc, course.admin, enrollment_id, ahead["id"])).status == 200


async def test_a_move_needs_the_name_enrolling_needs(svc: Service) -> None:
    course = await Course.create(svc)
    here = await course.new_class(days=6, capacity=5)
    there = await course.new_class(days=9, capacity=5)
    token, enrollment_id = await _confirmed(svc, here["id"])
    await svc.pool.execute("UPDATE users u SET name = '' FROM enrollments e "
                           "WHERE e.id = $1 AND u.id = e.trainee_id", UUID(enrollment_id))
    assert await _refusal(svc, token, enrollment_id, there["id"]) == (
        409, "profile_incomplete")
    assert len(await svc.events(enrollment_id)) == 1  # nothing moved


async def _seats_agree(svc: Service, *class_ids: str) -> None:
    """Assert each class's seat counter is its number of confirmed enrolments."""
    for class_id in class_ids:
        row = await svc.pool.fetchrow(
            """SELECT c.seats_taken, (SELECT count(*) FROM enrollments e WHERE e.class_id = c.id
                                      AND e.status = 'confirmed') AS confirmed
               FROM classes c WHERE c.id = $1""", UUID(class_id))
        assert row is not None
        assert row["seats_taken"] == row["confirmed"], class_id


async def _during_a_move(
    svc: Service, token: str, enrollment_id: str, class_id: str, racer: Awaitable[Reply]
) -> tuple[Reply, Reply]:
    """Race `racer` with a move, in the worst order: the move has locked both classes and is
    about to change the enrolment's class when `racer` reads that class and waits for it."""
    async with holding(svc.pool, "SELECT 1 FROM enrollments WHERE id = $1 FOR UPDATE",
                       UUID(enrollment_id)):
        move = asyncio.create_task(_move(svc, token, enrollment_id, class_id))
        await until_waiting(svc.pool, 1)  # the move, at the enrolment's row
        other = asyncio.ensure_future(racer)
        await until_waiting(svc.pool, 2)  # the racer, at the old class's row
    return await move, await other


async def test_a_cancel_racing_a_move_frees_the_seat_of_the_class_the_enrolment_is_in(
    svc: Service,
) -> None:
    course = await Course.create(svc)
    old = await course.new_class(days=7, capacity=1)
    new = await course.new_class(days=10, capacity=2)
    token, enrollment_id = await _confirmed(svc, old["id"])
    _, waiting = await svc.add_user()
    queued = (await svc.enrol(waiting, old["id"])).body
    assert queued["status"] == "waitlisted"

    cancel = svc.call("POST", f"/api/v1/enrollments/{enrollment_id}/cancel", token=token)
    moved, cancelled = await _during_a_move(svc, token, enrollment_id, new["id"], cancel)

    assert (moved.status, cancelled.status) == (200, 200), (moved.body, cancelled.body)
    assert (cancelled.body["class_id"], cancelled.body["status"]) == (new["id"], "cancelled")
    assert await svc.status_of(queued["id"]) == ("confirmed", None)  # the seat the move freed
    await _seats_agree(svc, old["id"], new["id"])
    seats = {c: (await svc.call("GET", f"/api/v1/classes/{c}")).body["seats_left"]
             for c in (old["id"], new["id"])}
    assert seats == {old["id"]: 0, new["id"]: 2}


async def test_two_moves_of_one_enrolment_at_once_leave_it_in_one_class_with_one_seat(
    svc: Service,
) -> None:
    course = await Course.create(svc)
    here = await course.new_class(days=7, capacity=2)
    one = await course.new_class(days=9, capacity=2)
    other = await course.new_class(days=11, capacity=2)
    token, enrollment_id = await _confirmed(svc, here["id"])

    first, second = await _during_a_move(svc, token, enrollment_id, one["id"],
                                         _move(svc, token, enrollment_id, other["id"]))

    assert (first.status, second.status) == (200, 200), (first.body, second.body)
    assert second.body["class_id"] == other["id"]  # moved on from where the first put it
    await _seats_agree(svc, here["id"], one["id"], other["id"])
    events = [e["type"] for e in await svc.events(enrollment_id)]
    assert events == ["enrollment.confirmed"] + ["enrollment.rescheduled"] * 2


async def test_a_trainer_cannot_score_an_enrolment_moved_out_of_their_class_meanwhile(
    svc: Service,
) -> None:
    trainer_id, trainer = await svc.add_user("trainer", name="原班老师")
    course = await Course.create(svc)
    old = await course.new_class(days=7, capacity=2, trainer_ids=[str(trainer_id)])
    new = await course.new_class(days=9, capacity=2)
    token, enrollment_id = await _confirmed(svc, old["id"])

    score = svc.call("PUT", f"/api/v1/enrollments/{enrollment_id}/result", token=trainer,
                     json_body={"theory_score": 80, "practical_score": 80})
    moved, scored = await _during_a_move(svc, token, enrollment_id, new["id"], score)

    assert moved.status == 200, moved.body
    assert (scored.status, scored.body["code"]) == (403, "not_class_trainer")
    assert await svc.pool.fetchval("SELECT theory_score FROM enrollments WHERE id = $1",
                                   UUID(enrollment_id)) is None


async def test_a_move_within_a_subsidised_course_is_not_counted_as_a_second_place(
    svc: Service,
) -> None:
    course = await Course.create(svc, occupation_name="育婴员", level=4)
    rules = await svc.call("PUT", f"/api/v1/courses/{course.id}/rules", token=course.admin,
                           json_body={"max_subsidised_per_year": 1})
    assert rules.status == 200, rules.body
    here = await course.new_class(days=6, capacity=5)
    there = await course.new_class(days=9, capacity=5)
    token, enrollment_id = await _confirmed(svc, here["id"])
    moved = await _move(svc, token, enrollment_id, there["id"])
    assert moved.status == 200, moved.body
