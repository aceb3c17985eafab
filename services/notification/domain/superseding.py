"""Which newer news makes a message about an enrolment or a certificate pointless to send.

Events of one aggregate carry a `seq` (enrolment or certificate transitions, in the order they
happened); delivery may mix them up. A message is never sent once a newer event of its aggregate
(larger `seq`) whose type is listed against it here has been taken in, whatever the order they
arrived in: such a message is `superseded`, before or instead of being sent. Everything else
goes out. The rule in one line: a newer event makes a message pointless when it ends what the
message is about (the seat is gone, the class is over) or replaces the state the message
announces; news that is still true and still useful is never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

_CANCELLED = "enrollment.cancelled"
_COMPLETED = "enrollment.completed"
_RESCHEDULED = "enrollment.rescheduled"
_OVER = frozenset({_CANCELLED, _COMPLETED})  # the seat is gone or the class is over
_CERTIFICATE_CHANGES = frozenset({"certificate.revoked", "certificate.suspended",
                                  "certificate.reinstated"})

# message type -> the newer event types that make it pointless to send.
POINTLESS_ONCE: Mapping[str, frozenset[str]] = {
    # A confirmation says where and when to come. A reschedule or a reminder leaves it true and
    # needed; once the seat is gone or the class is over (results released, which also tells
    # the trainee they took part), "you are booked" no longer helps anyone.
    "enrollment.confirmed": _OVER,
    "enrollment.promoted": _OVER,  # the confirmation of a waitlisted or offered trainee
    "enrollment.waitlisted": frozenset({"enrollment.offered", "enrollment.promoted",
                                        _CANCELLED}),
    "enrollment.offered": frozenset({"enrollment.promoted", _CANCELLED}),
    "enrollment.cancelled": frozenset(),  # the last word about an enrolment
    "enrollment.completed": frozenset({_COMPLETED}),  # a corrected result replaces it
    # A schedule that changed again, or an enrolment that ended, makes the old news wrong.
    "enrollment.rescheduled": _OVER | {_RESCHEDULED},
    "enrollment.reminder_due": _OVER | {_RESCHEDULED},
    # A newer warning names every date missed so far; once the class is over or the seat is gone
    # a warning about hours helps nobody.
    "enrollment.hours_at_risk": _OVER | {"enrollment.hours_at_risk"},
    # Each certificate message names the certificate and its standing now: a later change of
    # standing replaces an earlier one. A revocation is final.
    "certificate.issued": _CERTIFICATE_CHANGES,
    "certificate.suspended": _CERTIFICATE_CHANGES,
    "certificate.reinstated": _CERTIFICATE_CHANGES,
    "certificate.revoked": frozenset(),
    # "You applied" is pointless once the draw's result is known; the result is the last word.
    "application.submitted": frozenset({"application.drawn"}),
    "application.drawn": frozenset(),
    # Survey messages ask for an answer; a later one never makes an earlier one wrong.
    "survey.invited": frozenset(),
    "survey.followup_due": frozenset(),
}


def pointless_once(message_type: str) -> frozenset[str]:
    """Return the newer event types that make a message of this type pointless."""
    return POINTLESS_ONCE.get(message_type, frozenset())


def made_pointless_by(event_type: str) -> frozenset[str]:
    """Return the older message types that an event of this type makes pointless."""
    return frozenset(t for t, newer in POINTLESS_ONCE.items() if event_type in newer)


@cache
def pairs() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the table as two columns (message type, newer event type), e.g. for SQL."""
    flat = sorted((t, n) for t, newer in POINTLESS_ONCE.items() for n in newer)
    return tuple(t for t, _ in flat), tuple(n for _, n in flat)


def is_pointless(message_type: str, seq: int, newer: Mapping[str, int]) -> bool:
    """Tell whether a message about `seq` is pointless given each event type's highest seq."""
    return any(newer.get(t, 0) > seq for t in pointless_once(message_type))
