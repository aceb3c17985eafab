"""Issuing from results on real PostgreSQL: exactly one certificate per enrolment."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from services.certification.domain.numbers import validate_national
from shared.ids import new_id
from shared.web.keys import POOL
from tests.certification.conftest import CertApp, MakeApp
from tests.certification.factories import completed


async def _certificates(cert: CertApp, enrollment_id: UUID) -> list[dict[str, Any]]:
    rows = await cert.app[POOL].fetch(
        "SELECT * FROM certificates WHERE enrollment_id = $1 ORDER BY created_at", enrollment_id)
    return [dict(r) for r in rows]


async def _events(cert: CertApp) -> list[str]:
    rows = await cert.app[POOL].fetch("SELECT routing_key FROM outbox ORDER BY id")
    return [r["routing_key"] for r in rows]


async def test_duplicate_completion_events_racing_give_exactly_one_certificate(
    cert_app: CertApp,
) -> None:
    event = completed(trainer_ids=[new_id()], pii=cert_app.pii)
    await asyncio.gather(*(cert_app.record(event) for _ in range(8)))
    certificates = await _certificates(cert_app, event.enrollment_id)
    assert len(certificates) == 1
    assert certificates[0]["status"] == "valid"
    assert await _events(cert_app) == ["certificate.issued.v1"]


async def test_an_older_result_arriving_late_changes_nothing(cert_app: CertApp) -> None:
    enrollment = new_id()
    await cert_app.record(completed(enrollment_id=enrollment, version=2, passed=True))
    await cert_app.record(completed(enrollment_id=enrollment, version=1, passed=False))
    certificates = await _certificates(cert_app, enrollment)
    assert [c["status"] for c in certificates] == ["valid"]


async def test_a_failed_correction_that_arrives_first_means_no_certificate(
    cert_app: CertApp,
) -> None:
    enrollment = new_id()
    await cert_app.record(completed(enrollment_id=enrollment, version=2, passed=False))
    await cert_app.record(completed(enrollment_id=enrollment, version=1, passed=True))
    assert await _certificates(cert_app, enrollment) == []
    assert await _events(cert_app) == []


async def test_failing_results_create_no_certificate(cert_app: CertApp) -> None:
    event = completed(passed=False)
    await cert_app.record(event)
    await cert_app.record(event)
    assert await _certificates(cert_app, event.enrollment_id) == []
    assert await _events(cert_app) == []


async def test_a_correction_to_failed_revokes_and_back_to_passed_reissues_on_the_same_url(
    cert_app: CertApp,
) -> None:
    enrollment = new_id()
    await cert_app.record(completed(enrollment_id=enrollment, version=1))
    await cert_app.record(completed(enrollment_id=enrollment, version=2, passed=False))
    [revoked] = await _certificates(cert_app, enrollment)
    assert revoked["status"] == "revoked"
    assert "corrected" in revoked["reason"]
    await cert_app.record(completed(enrollment_id=enrollment, version=3, passed=True))
    old, new = await _certificates(cert_app, enrollment)
    assert old["replaced_by"] == new["id"]
    assert new["replaces"] == old["id"]
    assert new["status"] == "valid"
    assert new["code"] == old["code"]
    assert new["number"] != old["number"]
    assert await _events(cert_app) == [
        "certificate.issued.v1", "certificate.revoked.v1", "certificate.issued.v1"]


async def test_a_passing_correction_does_not_undo_a_trainers_revocation(
    cert_app: CertApp,
) -> None:
    trainer = new_id()
    enrollment = new_id()
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer]))
    [cert] = await _certificates(cert_app, enrollment)
    response = await cert_app.client.post(
        f"/api/v1/certificates/{cert['id']}/revoke", json={"reason": "考试作弊"},
        headers=cert_app.auth(trainer, "trainer"))
    assert response.status == 200
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer], version=2))
    [still] = await _certificates(cert_app, enrollment)
    assert still["status"] == "revoked"
    assert still["reason"] == "考试作弊"


async def test_approval_policy_holds_then_a_failed_correction_withdraws_then_pass_holds_again(
    cert_app: CertApp,
) -> None:
    enrollment = new_id()
    await cert_app.record(completed(enrollment_id=enrollment, policy="approval"))
    [pending] = await _certificates(cert_app, enrollment)
    assert pending["status"] == "pending"
    assert pending["number"] is None
    await cert_app.record(completed(enrollment_id=enrollment, policy="approval", version=2,
                                    passed=False))
    [withdrawn] = await _certificates(cert_app, enrollment)
    assert withdrawn["status"] == "withdrawn"
    await cert_app.record(completed(enrollment_id=enrollment, policy="approval", version=3))
    [again] = await _certificates(cert_app, enrollment)
    assert again["id"] == pending["id"]
    assert again["status"] == "pending"
    assert await _events(cert_app) == []  # nothing public happened yet


async def test_national_numbers_are_valid_and_never_collide_under_200_concurrent_issues(
    make_cert_app: MakeApp,
) -> None:
    cert = await make_cert_app(assessment_body=True, assessment_kind="Y", agency_code="1234",
                               province_code="36", site_code="000777", db_pool_max=10)
    events = [completed(level=3) for _ in range(200)]
    await asyncio.gather(*(cert.record(e) for e in events))
    rows = await cert.app[POOL].fetch("SELECT number, issued_on FROM certificates")
    numbers = [r["number"] for r in rows]
    assert len(numbers) == 200 == len(set(numbers))
    for r in rows:
        validate_national(r["number"], year=r["issued_on"].year, level=3)
        assert re.match(r"^Y123436000777263\d{6}$", r["number"])
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, 201))


async def test_the_audit_trail_is_append_only(cert_app: CertApp) -> None:
    event = completed()
    await cert_app.record(event)
    pool = cert_app.app[POOL]
    assert await pool.fetchval("SELECT count(*) FROM certificate_audit") == 1
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await pool.execute("UPDATE certificate_audit SET reason = 'x'")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await pool.execute("DELETE FROM certificate_audit")


async def test_live_certificates_are_unique_per_enrollment_in_the_database(
    cert_app: CertApp,
) -> None:
    event = completed()
    await cert_app.record(event)
    pool = cert_app.app[POOL]
    with pytest.raises(asyncpg.UniqueViolationError):
        await pool.execute(
            """INSERT INTO certificates (id, enrollment_id, class_id, status, result_version,
                   holder, course)
               SELECT $1, enrollment_id, class_id, 'pending', 9, holder, course
               FROM certificates LIMIT 1""",
            new_id(),
        )


async def test_an_assessment_body_issues_training_certificates_with_internal_numbers(
    make_cert_app: MakeApp,
) -> None:
    cert = await make_cert_app(assessment_body=True)
    training, skill = completed(level=None), completed(level=5)
    await cert.record(training)
    await cert.record(skill)
    [t] = await _certificates(cert, training.enrollment_id)
    [s] = await _certificates(cert, skill.enrollment_id)
    assert re.match(r"^JX-\d{4}-000001$", t["number"])
    validate_national(s["number"], level=5)
