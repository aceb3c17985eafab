"""A hypothesis state machine drives enrolments over HTTP and compares with a simple model.

Self-service, bulk (CSV import) and admin enrolments, cancellations by trainees and admins,
offer acceptance and expiry and capacity growth, under both waitlist policies: seats never
exceed capacity, the waitlist stays first-come-first-served, and every status and waitlist
position matches the model's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from services.enrollment.handlers.enrollments import expire_offers
from shared.auth import TokenIssuer
from tests.enrollment.conftest import _Instances
from tests.enrollment.support import Service

T = TypeVar("T")
TRAINEES = 6


@dataclass
class Harness:
    """One running service and the loop that drives it, shared by every example."""

    loop: asyncio.AbstractEventLoop
    svc: Service
    admin: str

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)


@dataclass
class Model:
    """What the rules say: seat holders in order, the waitlist in order, live statuses."""

    capacity: int
    policy: str
    holders: list[int] = field(default_factory=list)
    queue: list[int] = field(default_factory=list)
    status: dict[int, str] = field(default_factory=dict)

    def enrol(self, t: int) -> str:
        if t in self.status:
            return "already_enrolled"
        if len(self.holders) < self.capacity and not self.queue:
            self.holders.append(t)
            self.status[t] = "confirmed"
        else:
            self.queue.append(t)
            self.status[t] = "waitlisted"
        return self.status[t]

    def leave(self, t: int) -> None:
        del self.status[t]
        if t in self.holders:
            self.holders.remove(t)
        else:
            self.queue.remove(t)
        self.fill()

    def fill(self) -> None:
        while len(self.holders) < self.capacity and self.queue:
            head = self.queue.pop(0)
            self.holders.append(head)
            self.status[head] = "confirmed" if self.policy == "auto_promote" else "offered"

    def expected(self) -> dict[int, tuple[str, int | None]]:
        return {t: (s, self.queue.index(t) + 1 if s == "waitlisted" else None)
                for t, s in self.status.items()}


class EnrollmentRules(RuleBasedStateMachine):
    """Drive one fresh class per example."""

    harness: Harness
    steps = 0

    def __init__(self) -> None:
        super().__init__()
        self.model = Model(1, "auto_promote")
        self.class_id = ""
        self.trainees: list[tuple[UUID, str, str]] = []
        self.enrollments: dict[int, str] = {}

    @initialize(capacity=st.integers(1, 3), policy=st.sampled_from(["auto_promote", "offer"]))
    def open_class(self, capacity: int, policy: str) -> None:
        h = self.harness
        cls = h.run(h.svc.create_class(h.admin, capacity=capacity, waitlist_policy=policy,
                                       offer_hours=1))
        self.class_id = cls["id"]
        self.model = Model(capacity, policy)
        people = h.run(h.svc.add_trainees(TRAINEES))
        phones = h.run(h.svc.pool.fetch("SELECT id, phone FROM users WHERE id = ANY($1::uuid[])",
                                        [i for i, _ in people]))
        phone_of = {r["id"]: r["phone"] for r in phones}
        self.trainees = [(i, token, phone_of[i]) for i, token in people]

    def _record(self, t: int, status: str, reply_id: str | None) -> None:
        expected = self.model.enrol(t)
        assert status == expected, (status, expected)
        if reply_id is not None and expected != "already_enrolled":
            self.enrollments[t] = reply_id

    @rule(t=st.integers(0, TRAINEES - 1))
    def enrol_self(self, t: int) -> None:
        reply = self.harness.run(self.harness.svc.enrol(self.trainees[t][1], self.class_id))
        assert reply.status in (201, 409), reply.body
        status = reply.body["status"] if reply.status == 201 else reply.body["code"]
        self._record(t, status, reply.body.get("id"))

    @rule(t=st.integers(0, TRAINEES - 1))
    def enrol_by_admin(self, t: int) -> None:
        h = self.harness
        reply = h.run(h.svc.call("POST", f"/api/v1/classes/{self.class_id}/enrollments",
                                 token=h.admin, json_body={"trainee_id": str(self.trainees[t][0])}))
        assert reply.status in (201, 409), reply.body
        status = reply.body["status"] if reply.status == 201 else reply.body["code"]
        self._record(t, status, reply.body.get("id"))

    @rule(t=st.integers(0, TRAINEES - 1))
    def enrol_in_bulk(self, t: int) -> None:
        h = self.harness
        csv = f"phone,name\n{self.trainees[t][2]},学员{t}\n".encode()
        reply = h.run(h.svc.call("POST", f"/api/v1/classes/{self.class_id}/roster/import",
                                 token=h.admin, data=csv, headers={"Content-Type": "text/csv"}))
        assert reply.status == 200, reply.body
        row = reply.body["rows"][0]
        status = row["status"] if row["result"] == "created" else row["code"]
        self._record(t, status, row["enrollment_id"])

    @rule(t=st.integers(0, TRAINEES - 1), by_admin=st.booleans())
    def cancel(self, t: int, by_admin: bool) -> None:
        if t not in self.model.status:
            return
        h = self.harness
        token = h.admin if by_admin else self.trainees[t][1]
        reply = h.run(h.svc.call("POST", f"/api/v1/enrollments/{self.enrollments[t]}/cancel",
                                 token=token))
        assert reply.status == 200, reply.body
        self.model.leave(t)

    @rule(t=st.integers(0, TRAINEES - 1))
    def accept(self, t: int) -> None:
        if t not in self.enrollments:
            return
        h = self.harness
        reply = h.run(h.svc.call("POST", f"/api/v1/enrollments/{self.enrollments[t]}/accept",
                                 token=self.trainees[t][1]))
        if self.model.status.get(t) == "offered":
            assert reply.status == 200, reply.body
            self.model.status[t] = "confirmed"
        else:
            assert reply.status == 409, reply.body

    @rule()
    def let_offers_expire(self) -> None:
        h = self.harness
        h.svc.clock.advance(hours=1, minutes=1)
        # Offers made in quiet hours (the clock keeps moving on) run until an hour after them.
        last = h.run(h.svc.pool.fetchval(
            "SELECT max(offer_expires_at) FROM enrollments WHERE class_id = $1",
            UUID(self.class_id)))
        if last is not None and last >= h.svc.clock.now():
            h.svc.clock.set(last + timedelta(minutes=1))
        h.run(expire_offers(deps=h.svc.deps))
        for t in [t for t in self.model.holders if self.model.status[t] == "offered"]:
            self.model.leave(t)

    @rule(more=st.integers(1, 2))
    def grow_capacity(self, more: int) -> None:
        h = self.harness
        self.model.capacity += more
        reply = h.run(h.svc.call("PATCH", f"/api/v1/classes/{self.class_id}", token=h.admin,
                                 json_body={"capacity": self.model.capacity}))
        assert reply.status == 200, reply.body
        self.model.fill()

    @invariant()
    def matches_the_model(self) -> None:
        if not self.class_id:
            return
        EnrollmentRules.steps += 1
        h = self.harness
        rows = h.run(h.svc.pool.fetch(
            """SELECT e.trainee_id, e.status, CASE WHEN e.status = 'waitlisted' THEN (
                   SELECT count(*) FROM enrollments w WHERE w.class_id = e.class_id
                   AND w.status = 'waitlisted' AND w.booking_no <= e.booking_no) END AS pos
               FROM enrollments e WHERE e.class_id = $1 AND e.status <> 'cancelled'""",
            UUID(self.class_id)))
        index = {i: n for n, (i, _, _) in enumerate(self.trainees)}
        actual = {index[r["trainee_id"]]: (r["status"], r["pos"]) for r in rows}
        assert actual == self.model.expected()
        cls = h.run(h.svc.call("GET", f"/api/v1/classes/{self.class_id}"))
        assert cls.body["capacity"] - cls.body["seats_left"] == len(self.model.holders)
        assert cls.body["waitlist_length"] == len(self.model.queue)
        assert len(self.model.holders) <= self.model.capacity


def test_enrollment_rules_hold_under_mixed_self_bulk_and_admin_enrollment(
    keys: Path, issuer: TokenIssuer,
) -> None:
    loop = asyncio.new_event_loop()
    instances = _Instances(keys, issuer)
    try:
        svc = loop.run_until_complete(instances.start())
        EnrollmentRules.harness = Harness(loop, svc, loop.run_until_complete(svc.admin_token()))
        run_state_machine_as_test(
            EnrollmentRules,
            settings=settings(max_examples=40, stateful_step_count=30, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow]),
        )
        assert EnrollmentRules.steps > 100  # the rules really ran
    finally:
        loop.run_until_complete(instances.close())
        loop.close()
