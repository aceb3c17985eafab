"""Four-eyes issuance: who releases, who approves, who may undo a certificate.

A trainer releases results; a second staff member (an admin or an examiner) who does not teach
the class, and who neither released the results, nor entered or changed any of the scores, nor
marked the trainee's attendance (it decides the hours), approves before anything is signed.
Single-step issuance is a per-course choice for training certificates only. Trainers may
suspend; only an admin reinstates, revokes or reissues, and a reissue (a new number, the
holder's data anew) is a new issuance: held for an approver other than its requester.
Re-signing the same content in another encoding is not one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from shared.errors import Forbidden, InvalidState
from shared.events.catalog import CourseInfo, EnrollmentCompleted

APPROVERS = ("admin", "examiner")
ADMIN_ONLY = ("revoke", "reinstate", "reissue")


def single_step(course: CourseInfo) -> bool:
    """Tell whether a passing result is issued at once (training certificates, when allowed)."""
    return course.issue_policy == "auto" and course.certificate_kind == "training"


def effective_policy(course: CourseInfo) -> Literal["auto", "approval"]:
    """Return the policy that applies: anything but an allowed single step needs approval."""
    return "auto" if single_step(course) else "approval"


def check_approver(role: str, user_id: UUID, trainer_ids: list[UUID]) -> None:
    """Raise Forbidden unless this person may approve the certificates of a class so taught."""
    if user_id in trainer_ids:
        raise Forbidden("a trainer of the class cannot approve its certificates",
                        code="approver_is_class_trainer")
    if role not in APPROVERS:
        raise Forbidden("only an examiner or an admin approves certificates",
                        code="approver_role_required")


@dataclass(frozen=True, slots=True)
class Authors:
    """Who made what an approval would sign; none of them may approve it (empty: unknown)."""

    released_by: frozenset[UUID] = frozenset()
    scored_by: frozenset[UUID] = frozenset()  # everyone who entered or changed a score
    attendance_by: frozenset[UUID] = frozenset()  # everyone who marked the trainee's attendance
    requested_by: frozenset[UUID] = frozenset()  # of a reissue


def authors_of(
    result: EnrollmentCompleted | None, *, requested_by: UUID | None = None
) -> Authors:
    """Return who made a certificate held for approval: its result's releaser, scorers and
    attendance markers (a result from before enrollment named them names fewer or nobody)
    and, for a reissue, its requester."""
    requester = _known(requested_by)
    if result is None:
        return Authors(requested_by=requester)
    return Authors(released_by=_known(result.released_by),
                   scored_by=_known(result.scored_by, *result.scorers),
                   attendance_by=_known(*result.attendance_markers), requested_by=requester)


def _known(*ids: UUID | None) -> frozenset[UUID]:
    return frozenset(i for i in ids if i is not None)


_AUTHORED = (
    ("released_by", "approver_released_results",
     "whoever released the results cannot approve their certificates"),
    ("scored_by", "approver_entered_scores",
     "whoever entered or changed a score cannot approve the certificate"),
    ("attendance_by", "approver_marked_attendance",
     "whoever marked the trainee's attendance cannot approve the certificate"),
    ("requested_by", "approver_requested_reissue",
     "whoever asked for a reissue cannot approve it"),
)


def check_not_author(user_id: UUID, authors: Authors) -> None:
    """Raise Forbidden when the approver is one of the people who made what they would sign."""
    for field, code, detail in _AUTHORED:
        if user_id in getattr(authors, field):
            raise Forbidden(detail, code=code)


def check_identity_confirmed(unconfirmed_changes: int) -> None:
    """Raise InvalidState while the holder's name or ID changed without an admin's confirmation."""
    if unconfirmed_changes:
        raise InvalidState("the holder's name or ID changed after enrolment; an admin confirms "
                           "the change first", code="identity_change_unconfirmed")


def check_admin_only(action: str, role: str) -> None:
    """Raise Forbidden when anyone but an admin reinstates, revokes or reissues."""
    if action in ADMIN_ONLY and role != "admin":
        raise Forbidden(f"only an admin may {action} a certificate", code="admin_only")
