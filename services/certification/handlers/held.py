"""Skill certificates a trainee already holds from elsewhere: checked, recorded, announced.

Certification is the one place a trainee records them (it owns the national-number rules);
enrollment's eligibility rules learn of each from `held_certificate.recorded`.
"""

from __future__ import annotations

from services.certification.commands import HeldCertificateBody
from services.certification.deps import Deps
from services.certification.domain.numbers import NumberingError, level_of_held, validate_held
from services.certification.repository import held
from services.certification.views import certificates as views
from services.certification.views.models import HeldCertificateOut
from shared.auth import Principal
from shared.errors import Conflict, ValidationFailed
from shared.events.catalog import HeldCertificateRecorded
from shared.ids import new_id
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


def _checked(body: HeldCertificateBody, actor: Principal) -> HeldCertificateRecorded:
    number = body.number.strip().upper()
    try:
        number_format = validate_held(number, level=body.level)
    except NumberingError as exc:
        raise ValidationFailed(str(exc), code=exc.code) from exc
    return HeldCertificateRecorded(
        held_id=new_id(), user_id=actor.user_id, number=number, number_format=number_format,
        occupation_name=body.occupation, occupation_code=body.occupation_code,
        level=level_of_held(number, number_format, level=body.level), issued_on=body.issued_on)


async def record_held(
    body: HeldCertificateBody, *, deps: Deps, actor: Principal
) -> list[HeldCertificateOut]:
    """Record a national (or legacy) skill certificate the caller holds, announce it; return
    all theirs."""
    recorded = _checked(body, actor)

    async def work(uow: UnitOfWork) -> None:
        if not await held.insert_held(uow.conn, recorded, issuer=body.issuer,
                                      now=deps.clock.now()):
            raise Conflict("this certificate is recorded already", code="already_recorded")
        await uow.publish(recorded)

    await in_transaction(deps.uows, work)
    log.info("held_certificate_recorded", user_id=str(actor.user_id),
             format=recorded.number_format)
    return await views.held_certificates(deps.pool, actor.user_id)
