"""Build EnrollmentCompleted events and certification settings for tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from cryptography.fernet import Fernet

from services.certification.config import Settings
from shared.events.catalog import (
    ClassInfo,
    CourseInfo,
    EnrollmentCompleted,
    IdentityDocument,
    Recipient,
)
from shared.events.envelope import Envelope, Event
from shared.ids import new_id
from shared.messaging.transport import OutgoingMessage, Transport

ID_NUMBER = "460100199001011234"
BASE_URL = "http://localhost:8080"


def course(
    *, level: int | None = 4, policy: Literal["auto", "approval"] = "auto",
    validity_months: int | None = None, kind: Literal["training", "skill_level"] = "training",
) -> CourseInfo:
    """Return 育婴员 at a level (None: the etiquette training course)."""
    if level is None:
        return CourseInfo(
            course_id=UUID(int=7), code="LY-01", title_zh="礼仪培训",
            title_en="Hospitality etiquette", category="service", occupation_name="礼仪服务",
            work_type=None, level=None, required_hours=24, issue_policy=policy,
            certificate_validity_months=validity_months,
        )
    return CourseInfo(
        course_id=UUID(int=2), code="YYY-04", title_zh="育婴员", title_en="Childcare",
        category="care", occupation_code="4-10-01-02", occupation_name="育婴员",
        work_type="育婴员", level=level, required_hours=80, issue_policy=policy,
        certificate_validity_months=validity_months, certificate_kind=kind,
    )


def completed(
    *, enrollment_id: UUID | None = None, version: int = 1, passed: bool = True,
    level: int | None = 4, policy: Literal["auto", "approval"] = "auto",
    trainer_ids: list[UUID] | None = None, user_id: UUID | None = None,
    name: str = "张小三", locale: Literal["zh-CN", "en"] = "zh-CN",
    pii: Fernet | None = None, class_id: UUID | None = None,
    validity_months: int | None = None, kind: Literal["training", "skill_level"] = "training",
    released_by: UUID | None = None, scored_by: UUID | None = None,
    scorers: list[UUID] | None = None, attendance_markers: list[UUID] | None = None,
) -> EnrollmentCompleted:
    """Return a released result of one trainee (released, scored and marked by whom, if
    given)."""
    identity = None
    if pii is not None:
        identity = IdentityDocument(
            id_type="resident_id", number_masked="4601**********1234",
            number_encrypted=pii.encrypt(ID_NUMBER.encode()).decode(),
        )
    return EnrollmentCompleted(
        enrollment_id=enrollment_id or new_id(), seq=10 + version,
        trainee=Recipient(user_id=user_id or new_id(), name=name, phone="+8613800138000",
                          email="trainee@example.com", locale=locale),
        class_info=ClassInfo(
            class_id=class_id or UUID(int=99), course_id=UUID(int=2), course_code="YYY-04",
            course_title_zh="育婴员", course_title_en="Childcare", starts_on=date(2026, 3, 1),
            ends_on=date(2026, 3, 5), venue="南昌市总工会培训中心",
        ),
        result_version=version, course=course(level=level, policy=policy,
                                               validity_months=validity_months, kind=kind),
        identity=identity, trainer_ids=trainer_ids or [], theory_score=80 if passed else 40,
        practical_score=75, hours_attended=80, attendance_rate=1.0, passed=passed,
        released_at=datetime(2026, 3, 6, tzinfo=UTC), released_by=released_by,
        scored_by=scored_by, scorers=scorers or [], attendance_markers=attendance_markers or [],
    )


def settings_for(dsn: str, namespace: str, keys: Path, **changes: Any) -> Settings:
    """Return settings on a test database and namespace with keys in a temp folder."""
    pii = keys / "pii-transport.key"
    if not pii.exists():
        pii.write_bytes(Fernet.generate_key())
    values: dict[str, Any] = {
        "database_url": dsn, "namespace": namespace, "public_base_url": BASE_URL,
        "jwt_public_key_file": keys / "jwt-signing.pub.pem", "pii_transport_key_file": pii,
        "signing_key_secret_file": keys / "credential-signing.key",
        "db_pool_min": 1, "db_pool_max": 8, "run_relay": False, "run_consumers": False,
        "verify_rate_per_s": 1000.0, "verify_burst": 1000,
        "verify_number_rate_per_s": 1000.0, "verify_number_burst": 1000,
    }
    values.update(changes)
    return Settings(**values)


async def publish(transport: Transport, event: Event, envelope: Envelope | None = None) -> Envelope:
    """Publish an event (or re-send an envelope) to the test exchange as enrollment would."""
    envelope = envelope or Envelope.wrap(event, producer="enrollment", correlation_id="test")
    await transport.publish(
        OutgoingMessage(body=envelope.model_dump_json().encode(),
                        message_id=str(envelope.message_id), type=envelope.routing_key,
                        headers=envelope.headers()),
        routing_key=envelope.routing_key,
    )
    return envelope
