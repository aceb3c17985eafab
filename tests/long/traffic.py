"""Steady traffic through the gateway while faults happen: enrolments and cancellations.

Each request is retried until the platform answers something other than a 5xx or a lost
connection (the same Idempotency-Key for an enrolment), as a patient client would; what came
back is tallied per phase so a fault's 5xx can be told from the rest.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from uuid import uuid4

from tests.long.crowd import Tally, Trainee, persist, session_of


@dataclass
class Traffic:
    """Enrol someone every `1 / rate` seconds; now and then someone cancels instead."""

    base: str
    crowd: list[Trainee]
    class_ids: list[str]
    rate: float = 5.0
    cancel_share: float = 0.15
    tallies: dict[str, Tally] = field(default_factory=dict)
    phase: str = "warm-up"
    _rng: random.Random = field(default_factory=lambda: random.Random(7))
    _running: set[asyncio.Task[None]] = field(default_factory=set)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def tally(self) -> Tally:
        """Return the tally of the current phase."""
        return self.tallies.setdefault(self.phase, Tally())

    async def run(self) -> None:
        """Send requests at the rate until `stop`."""
        while not self._stop.is_set():
            task = asyncio.create_task(self._one())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            await asyncio.sleep(1 / self.rate)

    async def stop(self) -> None:
        """Stop sending and wait for every request still on its way."""
        self._stop.set()
        await asyncio.gather(*self._running)

    def requests(self) -> Counter[int]:
        """Return every status seen, all phases together."""
        total: Counter[int] = Counter()
        for tally in self.tallies.values():
            total.update(tally.statuses)
        return total

    async def _one(self) -> None:
        trainee = self._rng.choice(self.crowd)
        held = [c for c, a in trainee.enrollments.items() if a["status"] != "cancelled"]
        free = [c for c in self.class_ids if c not in trainee.enrollments]
        if held and (not free or self._rng.random() < self.cancel_share):
            await self._cancel(trainee, self._rng.choice(held))
        elif free:
            await self._enrol(trainee, self._rng.choice(free))

    async def _enrol(self, trainee: Trainee, class_id: str) -> None:
        trainee.enrollments[class_id] = {"status": "pending"}
        async with session_of(trainee) as http:
            status, answer = await persist(
                http, "POST", f"{self.base}/api/v1/enrollments", self.tally,
                token=trainee.token, body={"class_id": class_id},
                headers={"Idempotency-Key": str(uuid4())},
            )
        assert status == 201, (status, answer)
        trainee.enrollments[class_id] = answer

    async def _cancel(self, trainee: Trainee, class_id: str) -> None:
        enrollment = trainee.enrollments[class_id]
        if "id" not in enrollment:
            return  # its enrolment is still on its way
        enrollment["status"] = "cancelled"
        async with session_of(trainee) as http:
            status, answer = await persist(
                http, "POST", f"{self.base}/api/v1/enrollments/{enrollment['id']}/cancel",
                self.tally, token=trainee.token,
            )
            if status == 409:  # an earlier try went through but its answer was lost
                url = f"{self.base}/api/v1/enrollments/{enrollment['id']}"
                status, answer = await persist(http, "GET", url, self.tally, token=trainee.token)
                assert answer["status"] == "cancelled", answer
        assert status == 200, (status, answer)
