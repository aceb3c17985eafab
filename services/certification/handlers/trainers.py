"""Use case keeping each class's current trainers (who may approve, revoke, suspend, reissue)."""

from __future__ import annotations

from services.certification.commands import RecordClassTrainers
from services.certification.repository import class_trainers
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
