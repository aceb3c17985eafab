"""Events of one enrolment or certificate of any type and seq, and random histories of them."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from services.notification.domain.superseding import is_pointless
from shared.events import catalog as c
from shared.events.envelope import Event
from shared.ids import new_id
from tests.notification.harness import SHANGHAI_DAY, class_info, recipient

ENROLLMENT_TYPES = (
    "enrollment.confirmed", "enrollment.waitlisted", "enrollment.offered", "enrollment.promoted",
    "enrollment.cancelled", "enrollment.rescheduled", "enrollment.reminder_due",
    "enrollment.hours_at_risk", "enrollment.completed",
)
CERTIFICATE_TYPES = (
    "certificate.issued", "certificate.suspended", "certificate.reinstated", "certificate.revoked",
)
APPLICATION_TYPES = ("application.submitted", "application.drawn")
SURVEY_TYPES = ("survey.invited", "survey.followup_due")
# What may follow each enrolment state (attendance facts are ignored by notification but use a
# seq; reschedules and reminders leave the state as it was).
_NEXT: dict[str, tuple[str, ...]] = {
    "start": ("enrollment.confirmed", "enrollment.waitlisted"),
    "enrollment.waitlisted": ("enrollment.offered", "enrollment.promoted", "enrollment.cancelled",
                              "enrollment.rescheduled"),
    "enrollment.offered": ("enrollment.promoted", "enrollment.cancelled",
                           "enrollment.rescheduled"),
    "enrollment.confirmed": ("enrollment.rescheduled", "enrollment.reminder_due",
                             "enrollment.cancelled", "enrollment.attended",
                             "enrollment.hours_at_risk", "enrollment.completed"),
    "enrollment.completed": ("enrollment.completed",),
    "certificate.start": ("certificate.issued",),
    "certificate.issued": ("certificate.suspended", "certificate.revoked"),
    "certificate.suspended": ("certificate.reinstated", "certificate.revoked"),
}
_SAME_STATE = {"enrollment.rescheduled", "enrollment.reminder_due", "enrollment.attended",
               "enrollment.hours_at_risk"}
_AS_STATE = {"enrollment.promoted": "enrollment.confirmed",
             "certificate.reinstated": "certificate.issued"}


@dataclass(frozen=True)
class Aggregate:
    """One enrolment or certificate of one trainee (own phone: no rate limit is shared)."""

    id: UUID
    trainee: c.Recipient
    info: c.ClassInfo


def new_aggregate(index: int) -> Aggregate:
    """Return an aggregate whose trainee has a phone number of their own."""
    return Aggregate(new_id(), recipient(phone=f"+86139{index % 10**8:08d}"), class_info())


def event_of(kind: str, aggregate: Aggregate, seq: int) -> Event:
    """Return an event of type `kind` about the aggregate, with this seq."""
    if kind.startswith("certificate."):
        return _certificate(kind, aggregate, seq)
    if kind.startswith("application."):
        return _application(kind, aggregate, seq)
    if kind.startswith("survey."):
        cls = c.SurveyInvited if kind == "survey.invited" else c.SurveyFollowUpDue
        return cls(survey_id=aggregate.id, enrollment_id=aggregate.id, seq=seq,
                   trainee=aggregate.trainee, class_info=aggregate.info, code=f"K7P2QX{seq:02d}")
    # A room of its own per seq: no two messages read the same (no twin to coalesce with).
    info = aggregate.info.model_copy(update={"venue": f"{aggregate.info.venue} {seq}室"})
    common = {"enrollment_id": aggregate.id, "seq": seq, "trainee": aggregate.trainee,
              "class_info": info}
    moved = aggregate.info.starts_on + timedelta(days=7 * seq)  # each move says something new
    builders: dict[str, Callable[[], Event]] = {
        "enrollment.confirmed": lambda: c.EnrollmentConfirmed(**common),
        "enrollment.waitlisted": lambda: c.EnrollmentWaitlisted(**common, waitlist_position=seq),
        "enrollment.offered": lambda: c.EnrollmentOffered(
            **common, offer_expires_at=SHANGHAI_DAY + timedelta(days=1)),
        "enrollment.promoted": lambda: c.EnrollmentPromoted(**common),
        "enrollment.cancelled": lambda: c.EnrollmentCancelled(**common, reason="by_trainee"),
        "enrollment.rescheduled": lambda: c.EnrollmentRescheduled(
            **{**common, "class_info": info.model_copy(
                update={"starts_on": moved, "ends_on": moved + timedelta(days=4)})},
            previous_starts_on=aggregate.info.starts_on, previous_ends_on=aggregate.info.ends_on,
            previous_venue=aggregate.info.venue),
        "enrollment.reminder_due": lambda: c.EnrollmentReminderDue(**common),
        "enrollment.attended": lambda: c.EnrollmentAttended(**common),
        "enrollment.hours_at_risk": lambda: c.EnrollmentHoursAtRisk(
            **common, reasons=["missed_two_in_a_row"],
            missed_dates=[aggregate.info.starts_on + timedelta(days=d) for d in range(seq)],
            minutes_attended=60 * seq, required_minutes=2400, min_attendance_ratio=0.9),
        "enrollment.completed": lambda: c.EnrollmentCompleted(
            **common, result_version=seq, course=_course(), theory_score=60 + seq,
            practical_score=70, hours_attended=40, attendance_rate=1, passed=seq % 2 == 1,
            released_at=datetime(2026, 3, 14, tzinfo=UTC)),
    }
    return builders[kind]()


def _course() -> c.CourseInfo:
    return c.CourseInfo(course_id=UUID(int=5), code="YY-01", title_zh="育婴员",
                        title_en="Childcare", category="care", occupation_name="育婴员", level=4,
                        required_hours=40)


def _application(kind: str, aggregate: Aggregate, seq: int) -> Event:
    info = aggregate.info.model_copy(update={"venue": f"{aggregate.info.venue} {seq}室"})
    common = {"application_id": aggregate.id, "seq": seq, "trainee": aggregate.trainee,
              "class_info": info}
    if kind == "application.submitted":
        return c.ApplicationSubmitted(**common, closes_at=SHANGHAI_DAY + timedelta(days=seq))
    return c.ApplicationDrawn(**common, outcome="waitlisted", rank=seq, waitlist_position=seq)


def _certificate(kind: str, aggregate: Aggregate, seq: int) -> Event:
    fields = {
        "certificate_id": aggregate.id, "seq": seq, "enrollment_id": aggregate.info.class_id,
        "number": f"S0000110100001264{seq:05d}", "code": "K7P2QX",  # a number per seq
        "verify_url": "https://verify.example.cn/c/K7P2QX", "holder": aggregate.trainee,
        "course_title_zh": "育婴员", "course_title_en": "Childcare", "level": 4,
        "issued_on": date(2026, 3, 20),
    }
    if kind == "certificate.issued":
        return c.CertificateIssued(**fields)
    if kind == "certificate.revoked":
        return c.CertificateRevoked(**fields, reason="资料不实")
    if kind == "certificate.suspended":
        return c.CertificateSuspended(**fields, reason="核查中")
    return c.CertificateReinstated(**fields)


def random_history(rng: random.Random, aggregate: Aggregate, *, certificate: bool) -> list[Event]:
    """Return a plausible history of one aggregate, seq 1, 2, ... in the order it happened."""
    state, history = ("certificate.start" if certificate else "start"), []
    for seq in range(1, rng.randint(2, 7)):
        options = _NEXT.get(state, ())
        if not options:
            break
        kind = rng.choice(options)
        history.append(event_of(kind, aggregate, seq))
        if kind not in _SAME_STATE:
            state = _AS_STATE.get(kind, kind)
    return history


def canonical_to_send(history: list[Event]) -> set[int]:
    """Return the seqs whose message goes out whatever order the history arrives in."""
    highest: dict[str, int] = {}
    for event in history:
        highest[event.event_type] = max(highest.get(event.event_type, 0), _seq(event))
    return {_seq(e) for e in history if e.event_type in (*ENROLLMENT_TYPES, *CERTIFICATE_TYPES)
            and not is_pointless(e.event_type, _seq(e), highest)}


def _seq(event: Event) -> int:
    return int(event.seq)  # type: ignore[attr-defined]  # every event here has one
