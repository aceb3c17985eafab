"""Number and sign a certificate being issued (inside its transaction); the row it then has."""

from __future__ import annotations

from uuid import UUID

from services.certification.credentials import vc
from services.certification.credentials.status_list import ListPosition, status_entries
from services.certification.deps import Deps
from services.certification.domain.certificate import expiry
from services.certification.domain.levels import level_name, shown_level, title_of
from services.certification.domain.numbers import NumberingError
from services.certification.repository import numbering
from services.certification.repository.certificates import CertificateRow, Issue
from shared.db import Conn
from shared.errors import InvalidState
from shared.events.catalog import (
    CourseInfo,
    EnrollmentCompleted,
    Recipient,
)


async def issue_fields(
    conn: Conn, deps: Deps, *, certificate_id: UUID, code: str,
    holder: Recipient, course: CourseInfo, status_index: int | None = None,
) -> Issue:
    """Draw a number (and a status index unless given), sign the credential; in the transaction."""
    now = deps.clock.now()
    issued_on = deps.today()
    try:
        key = deps.numbers.counter(kind=course.certificate_kind, year=issued_on.year,
                                   level=course.level)
        if status_index is None:
            status_index = await numbering.next_status_index(conn, size=deps.status_list_size)
        position = ListPosition.of(status_index, deps.status_list_size)
        # The counter row stays locked until commit: draw the serial as late as possible.
        number = deps.numbers.format(key, await numbering.next_serial(conn, key))
    except NumberingError as exc:
        raise InvalidState(str(exc), code=exc.code) from exc
    expires_on = expiry(issued_on, course.certificate_validity_months)
    kind = course.certificate_kind
    level = shown_level(kind, course.level)
    facts = vc.CredentialFacts(
        certificate_id=certificate_id, number=number, kind=kind,
        title_zh=title_of(kind),
        holder_name=holder.name, holder_id=holder.user_id,
        course_code=course.code, course_title_zh=course.title_zh,
        course_title_en=course.title_en, occupation=course.occupation_name,
        work_type=course.work_type, level=level, level_name=level_name(level),
        hours=None if level else course.required_hours, issued_at=now,
        expires_on=expires_on, issuer_did=deps.did, issuer_name=deps.org_name,
        verify_url=deps.verify_url(code), base_url=deps.base_url,
        status=status_entries(deps.base_url, position),
    )
    signing_key = deps.keys.signing_key()
    token = vc.sign_credential(vc.build_credential(facts), signing_key, did=deps.did)
    return Issue(
        number=number, code=code, issued_at=now, issued_on=issued_on, expires_on=expires_on,
        issuer_name=deps.org_name, status_index=position.list_number * deps.status_list_size
        + position.index, kid=signing_key.kid, credential=token,
    )


def issued_row(
    certificate_id: UUID, result: EnrollmentCompleted, issue: Issue, *, replaces: UUID | None
) -> CertificateRow:
    """Return the row a just-inserted valid certificate has (no need to read it back)."""
    identity = result.identity
    return CertificateRow(
        id=certificate_id, enrollment_id=result.enrollment_id,
        class_id=result.class_info.class_id, holder_user_id=result.trainee.user_id,
        trainer_ids=list(result.trainer_ids), status="valid", seq=1,
        result_version=result.result_version, holder=result.trainee,
        id_type=identity.id_type if identity else None,
        id_number_masked=identity.number_masked if identity else None,
        id_number_encrypted=identity.number_encrypted if identity else None,
        course=result.course, level=result.course.level, hours=result.course.required_hours,
        number=issue.number, code=issue.code, issued_at=issue.issued_at,
        issued_on=issue.issued_on, expires_on=issue.expires_on, issuer_name=issue.issuer_name,
        status_index=issue.status_index, kid=issue.kid, credential=issue.credential,
        reason=None, revocation_kind=None, replaces=replaces, replaced_by=None,
    )
