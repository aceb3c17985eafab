"""Build the events a certificate's changes announce."""

from __future__ import annotations

from uuid import UUID

from services.certification.deps import Deps
from services.certification.domain.levels import kind_of, shown_level
from services.certification.repository.certificates import CertificateRow
from shared.auth import Principal
from shared.events.catalog import CertificateEvent, CertificateIssued


def event_fields(row: CertificateRow, deps: Deps, *, seq: int,
                 actor: Principal | None) -> dict[str, object]:
    """Return the fields every certificate event carries."""
    assert row.number is not None
    assert row.code is not None
    assert row.issued_on is not None
    return {
        "certificate_id": row.id, "seq": seq, "enrollment_id": row.enrollment_id,
        "number": row.number, "code": row.code, "verify_url": deps.verify_url(row.code),
        "holder": row.holder, "course_title_zh": row.course.title_zh,
        "course_title_en": row.course.title_en,
        # Only a skill-level certificate states a level; a training one reads as training.
        "level": shown_level(kind_of(row.course.certificate_kind, row.number), row.level),
        "issued_on": row.issued_on,
        "expires_on": row.expires_on, "actor_id": actor.user_id if actor else None,
    }


def issued_event(row: CertificateRow, deps: Deps, *, seq: int, actor: Principal | None,
                 replaces: UUID | None = None) -> CertificateEvent:
    """Return the CertificateIssued event of a just-issued certificate."""
    return CertificateIssued(**event_fields(row, deps, seq=seq, actor=actor),
                             replaces=replaces)
