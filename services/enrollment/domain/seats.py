"""Places for several bookings of one class at once, in arrival order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Counters:
    """A class's place counters (as held under its row lock)."""

    capacity: int
    seats_taken: int
    waitlist_length: int
    bookings: int


@dataclass(frozen=True, slots=True)
class Place:
    """One booking's place: a seat (no waitlist position) or a waitlist position."""

    booking_no: int
    waitlist_position: int | None


def allocate(counters: Counters, count: int) -> tuple[list[Place], Counters]:
    """Give `count` bookings, in order, the free seats and then the next waitlist places; a seat
    is free only while nobody waits (nobody jumps the queue). Return them and the new counters."""
    c = counters
    free = max(c.capacity - c.seats_taken, 0) if c.waitlist_length == 0 else 0
    seats = min(free, count)
    places = [
        Place(c.bookings + k + 1, None if k < seats else c.waitlist_length + k - seats + 1)
        for k in range(count)
    ]
    after = Counters(c.capacity, c.seats_taken + seats, c.waitlist_length + count - seats,
                     c.bookings + count)
    return places, after
