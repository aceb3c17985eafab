"""The events the certification service consumes, each translated into a command."""

from __future__ import annotations

from services.certification import handlers
from services.certification.commands import (
    RecordClassTrainers,
    RecordIdentityReview,
    RecordResult,
)
from services.certification.deps import Deps
from shared.errors import DomainError, PermanentFailure
from shared.events.catalog import (
    ClassTrainersChanged,
    EnrollmentCompleted,
    TraineeIdentityReviewed,
    UserAccessChanged,
)
from shared.messaging.subscriptions import HandlerContext, Subscriptions
from shared.user_access import ORDERING as ACCESS_ORDERING
from shared.user_access import on_user_access_changed

# A result is a full snapshot of the enrolment's outcome: the newest version alone decides.
RESULT_ORDERING = (
    "By `result_version` per enrolment. The highest version decides at once: a certificate is "
    "valid iff it passes (issued, held for approval, or, if our own correction revoked it, "
    "replaced: at once where the course allows one step, else by a replacement held for approval"
    " while the revoked one stays as it is), and one issued for an earlier pass is revoked (a "
    "pending one withdrawn) when it fails. An equal or older version arriving later is ignored: "
    "recorded in the inbox, no effect. A gap is not waited for (version 3 applies though 2 never"
    " came): each version is a full snapshot, and waiting would only show the trainee an "
    "issued-then-revoked history. At most one live certificate per enrolment (a unique index), "
    "never two issued for one version."
)
TRAINERS_ORDERING = (
    "By `seq` per class (the full list of trainers). A larger seq replaces the list at once; "
    "an equal or older one arriving later is ignored. A gap is not waited for: each list is "
    "complete."
)

REVIEW_ORDERING = (
    "By `seq` per trainee (the count of unconfirmed changes). A larger seq replaces the count at "
    "once; an equal or older one arriving later is ignored."
)


subscriptions = Subscriptions()


@subscriptions.on(EnrollmentCompleted, ordering=RESULT_ORDERING)
async def on_enrollment_completed(event: EnrollmentCompleted, ctx: HandlerContext[Deps]) -> None:
    """Apply a released or corrected result to the enrolment's certificate."""
    try:
        await handlers.record_result(RecordResult.from_event(event), uow=ctx.uow, deps=ctx.deps)
    except DomainError as exc:  # e.g. a used-up serial range: retrying cannot help
        raise PermanentFailure(f"{exc.code}: {exc.detail}") from exc


@subscriptions.on(ClassTrainersChanged, ordering=TRAINERS_ORDERING)
async def on_class_trainers_changed(
    event: ClassTrainersChanged, ctx: HandlerContext[Deps]
) -> None:
    """Remember who may manage the class's certificates."""
    await handlers.record_class_trainers(RecordClassTrainers.from_event(event), uow=ctx.uow)


@subscriptions.on(TraineeIdentityReviewed, ordering=REVIEW_ORDERING)
async def on_trainee_identity_reviewed(
    event: TraineeIdentityReviewed, ctx: HandlerContext[Deps]
) -> None:
    """Hold or free approval of the trainee's certificates."""
    await handlers.record_identity_review(RecordIdentityReview.from_event(event), uow=ctx.uow)


# Revoked tokens: the user_access table shared/access.py reads.
subscriptions.add(UserAccessChanged, on_user_access_changed, ordering=ACCESS_ORDERING)
