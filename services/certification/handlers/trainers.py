"""Use cases keeping who may approve: each class's current trainers (who may not), and each
holder's identity changes awaiting confirmation (which hold approval)."""

from __future__ import annotations

from services.certification.commands import RecordClassTrainers, RecordIdentityReview
from services.certification.repository import class_trainers, identity_reviews
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork

log = get_logger(__name__)


async def record_class_trainers(cmd: RecordClassTrainers, *, uow: UnitOfWork) -> bool:
    """Store a class's trainers unless a later list is known; True when it was stored."""
    stored = await class_trainers.record_class_trainers(
        uow.conn, class_id=cmd.class_id, trainer_ids=list(cmd.trainer_ids), seq=cmd.seq)
    if stored:
        log.info("class_trainers_recorded", class_id=str(cmd.class_id), seq=cmd.seq,
                 trainers=len(cmd.trainer_ids))
    else:
        log.info("class_trainers_not_newer_ignored", class_id=str(cmd.class_id), seq=cmd.seq)
    return stored


async def record_identity_review(cmd: RecordIdentityReview, *, uow: UnitOfWork) -> bool:
    """Store a holder's unconfirmed identity changes unless a later count is known."""
    stored = await identity_reviews.record_review(
        uow.conn, user_id=cmd.user_id, unconfirmed=cmd.unconfirmed, seq=cmd.seq)
    log.info("identity_review_recorded" if stored else "identity_review_not_newer_ignored",
             user_id=str(cmd.user_id), seq=cmd.seq, unconfirmed=cmd.unconfirmed)
    return stored
