"""Places for several bookings of one class at once: seats first, then the waitlist, in order."""

from __future__ import annotations

from services.enrollment.domain.seats import Counters, Place, allocate


def test_bookings_take_the_free_seats_then_queue_in_order() -> None:
    places, after = allocate(Counters(capacity=3, seats_taken=1, waitlist_length=0,
                                      bookings=4), 4)

    assert places == [Place(5, None), Place(6, None), Place(7, 1), Place(8, 2)]
    assert after == Counters(capacity=3, seats_taken=3, waitlist_length=2, bookings=8)


def test_nobody_takes_a_free_seat_while_others_wait() -> None:
    places, after = allocate(Counters(capacity=3, seats_taken=2, waitlist_length=2,
                                      bookings=9), 2)

    assert places == [Place(10, 3), Place(11, 4)]
    assert after == Counters(capacity=3, seats_taken=2, waitlist_length=4, bookings=11)


def test_a_class_over_capacity_gives_no_seat() -> None:
    places, after = allocate(Counters(capacity=2, seats_taken=3, waitlist_length=0,
                                      bookings=3), 1)

    assert places == [Place(4, 1)]
    assert after.seats_taken == 3
