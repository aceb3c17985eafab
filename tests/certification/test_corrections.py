"""A certificate replaced after a result correction is signed only after four-eyes approval.

A trainer who corrects a released result to failed revokes the certificate at once (a weaker
claim needs nobody's approval); correcting it back to passed must not get a new certificate
signed on the trainer's word alone. The replacement waits as `pending` for an examiner or an
admin who does not teach the class, except where the course allows single-step issuance of
training certificates; until then the revoked certificate stays exactly as it was.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg

from ops.ledger import views as ledger_views
from services.certification import handlers
from services.certification.commands import RecordIdentityReview
from shared.ids import new_id
from shared.web.keys import POOL, UOW
from tests.certification.conftest import CertApp
from tests.certification.factories import completed


async def _rows(cert: CertApp, enrollment: UUID) -> list[dict[str, Any]]:
    rows = await cert.app[POOL].fetch(
        """SELECT id, status, number, code, replaces, replaced_by, seq, credential
           FROM certificates WHERE enrollment_id = $1 ORDER BY created_at""", enrollment)
    return [dict(r) for r in rows]


async def _events(cert: CertApp) -> list[tuple[str, dict[str, Any]]]:
    rows = await cert.app[POOL].fetch("SELECT routing_key, body FROM outbox ORDER BY id")
    return [(r["routing_key"], json.loads(r["body"])["data"]) for r in rows]


async def _verify(cert: CertApp, code: str) -> dict[str, Any]:
    response = await cert.client.get(f"/api/v1/verify/{code}")
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


async def _issued_then_revoked(
    cert: CertApp, enrollment: UUID, trainer: UUID, **kwargs: Any
) -> dict[str, Any]:
    """Issue (approved by an examiner where needed), then correct the result to failed."""
    await cert.record(completed(enrollment_id=enrollment, trainer_ids=[trainer], **kwargs))
    [first] = await _rows(cert, enrollment)
    if first["status"] == "pending":
        approved = await cert.client.post(f"/api/v1/certificates/{first['id']}/approve",
                                          headers=cert.auth(new_id(), "examiner"))
        assert approved.status == 200
    await cert.record(completed(enrollment_id=enrollment, trainer_ids=[trainer], version=2,
                                passed=False, **kwargs))
    [revoked] = await _rows(cert, enrollment)
    assert revoked["status"] == "revoked"
    return revoked


async def test_a_correction_back_to_passed_is_signed_only_after_an_examiner_approves(
    cert_app: CertApp,
) -> None:
    trainer, enrollment = new_id(), new_id()
    old = await _issued_then_revoked(cert_app, enrollment, trainer, policy="approval")
    events_before = await _events(cert_app)
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer], version=3,
                                    policy="approval"))
    still, held = await _rows(cert_app, enrollment)
    assert still == old  # nothing already issued changed
    assert (held["status"], held["replaces"], held["number"], held["code"], held["credential"]) \
        == ("pending", old["id"], None, None, None)
    assert await _events(cert_app) == events_before  # nothing signed, nothing announced
    verified = await _verify(cert_app, old["code"])
    assert (verified["status"], verified["number"]) == ("revoked", old["number"])
    results = await cert_app.client.get(f"/api/v1/results?class_id={UUID(int=99)}",
                                        headers=cert_app.auth(trainer, "trainer"))
    [result] = (await results.json())["items"]
    assert (result["certificate_id"], result["certificate_status"]) == (str(held["id"]),
                                                                         "pending")

    # The trainer who corrected the result can neither approve nor issue it directly.
    approve = f"/api/v1/certificates/{held['id']}/approve"
    own = await cert_app.client.post(approve, headers=cert_app.auth(trainer, "trainer"))
    assert (own.status, (await own.json())["code"]) == (403, "approver_is_class_trainer")
    direct = await cert_app.client.post(f"/api/v1/results/{enrollment}/certificate",
                                        headers=cert_app.auth(trainer, "trainer"))
    assert (direct.status, (await direct.json())["code"]) == (403, "approver_is_class_trainer")
    assert await _rows(cert_app, enrollment) == [still, held]

    examiner = new_id()
    approved = await cert_app.client.post(approve, headers=cert_app.auth(examiner, "examiner"))
    assert approved.status == 200
    body = await approved.json()
    assert (body["status"], body["replaces"]) == ("valid", str(old["id"]))
    replaced, new = await _rows(cert_app, enrollment)
    assert (replaced["status"], replaced["replaced_by"]) == ("revoked", new["id"])
    assert new["code"] == old["code"]  # the verification URL stays
    assert new["number"] not in (None, old["number"])
    verified = await _verify(cert_app, old["code"])
    assert (verified["status"], verified["number"]) == ("valid", new["number"])
    [(key, issued)] = (await _events(cert_app))[len(events_before):]
    assert (key, issued["certificate_id"], issued["replaces"], issued["actor_id"]) == (
        "certificate.issued.v1", str(new["id"]), str(old["id"]), str(examiner))

    history = await cert_app.client.get(f"/api/v1/certificates/{new['id']}/history",
                                        headers=cert_app.auth(trainer, "trainer"))
    items = (await history.json())["items"]
    assert [(i["certificate_id"], i["action"], i["actor_role"]) for i in items][-3:] == [
        (str(new["id"]), "held_for_approval", "system"),
        (str(new["id"]), "approved", "examiner"),
        (str(old["id"]), "replaced", "examiner"),
    ]
    assert items[-3]["reason"] == "result corrected to passed (version 3)"
    assert items[-2]["actor_id"] == str(examiner)


async def test_a_skill_level_replacement_waits_for_approval_even_where_one_step_is_allowed(
    make_cert_app: Any,
) -> None:
    cert: CertApp = await make_cert_app(assessment_body=True, assessment_kind="Y",
                                        agency_code="1234", province_code="36",
                                        site_code="000777")
    trainer, enrollment = new_id(), new_id()
    old = await _issued_then_revoked(cert, enrollment, trainer, policy="auto", level=3,
                                     kind="skill_level")
    await cert.record(completed(enrollment_id=enrollment, trainer_ids=[trainer], version=3,
                                policy="auto", level=3, kind="skill_level"))
    still, held = await _rows(cert, enrollment)
    assert (still, held["status"], held["replaces"]) == (old, "pending", old["id"])
    bulk = await cert.client.post("/api/v1/certificates/approve", json={"ids": [str(held["id"])]},
                                  headers=cert.auth(new_id(), "admin"))
    assert bulk.status == 200
    _, new = await _rows(cert, enrollment)
    assert new["status"] == "valid"
    assert new["number"].startswith("Y123436000777")


async def test_a_failed_correction_withdraws_a_held_replacement_and_a_pass_holds_it_again(
    cert_app: CertApp,
) -> None:
    trainer, enrollment = new_id(), new_id()
    old = await _issued_then_revoked(cert_app, enrollment, trainer, policy="approval")
    for version, passed in ((3, True), (4, False)):
        await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer],
                                        version=version, passed=passed, policy="approval"))
    events = await _events(cert_app)
    still, withdrawn = await _rows(cert_app, enrollment)
    assert (still, withdrawn["status"]) == (old, "withdrawn")
    refused = await cert_app.client.post(f"/api/v1/certificates/{withdrawn['id']}/approve",
                                         headers=cert_app.auth(new_id(), "examiner"))
    assert (refused.status, (await refused.json())["code"]) == (409, "not_approveable")
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer], version=5,
                                    policy="approval"))
    still, again = await _rows(cert_app, enrollment)
    assert (still, again["id"], again["status"]) == (old, withdrawn["id"], "pending")
    assert await _events(cert_app) == events


async def test_a_single_step_course_replaces_at_once_unless_the_holders_identity_changed(
    cert_app: CertApp,
) -> None:
    trainer, enrollment, holder = new_id(), new_id(), new_id()
    old = await _issued_then_revoked(cert_app, enrollment, trainer, policy="auto",
                                     user_id=holder)
    async with cert_app.app[UOW]() as uow:
        await handlers.record_identity_review(
            RecordIdentityReview(user_id=holder, unconfirmed=1, seq=1), uow=uow)
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer], version=3,
                                    policy="auto", user_id=holder))
    still, held = await _rows(cert_app, enrollment)
    assert (still, held["status"]) == (old, "pending")
    direct = f"/api/v1/results/{enrollment}/certificate"
    blocked = await cert_app.client.post(direct, headers=cert_app.auth(trainer, "trainer"))
    assert (blocked.status, (await blocked.json())["code"]) == (409, "identity_change_unconfirmed")
    async with cert_app.app[UOW]() as uow:
        await handlers.record_identity_review(
            RecordIdentityReview(user_id=holder, unconfirmed=0, seq=2), uow=uow)
    # One step is allowed for this training course: the trainer issues the replacement.
    issued = await cert_app.client.post(direct, headers=cert_app.auth(trainer, "trainer"))
    assert issued.status == 201
    replaced, new = await _rows(cert_app, enrollment)
    assert (replaced["replaced_by"], new["status"], new["code"]) == (new["id"], "valid",
                                                                     old["code"])


async def test_the_ledger_counts_a_held_replacement_as_the_enrolments_one_live_certificate(
    cert_app: CertApp,
) -> None:
    trainer, enrollment = new_id(), new_id()
    await _issued_then_revoked(cert_app, enrollment, trainer, policy="approval")
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer], version=3,
                                    policy="approval"))
    _, held = await _rows(cert_app, enrollment)
    conn = await asyncpg.connect(cert_app.settings.database_url)  # as `jiangxin ledger` reads
    try:
        live = [c for c in await ledger_views.live_certificates(conn)
                if c.enrollment_id == enrollment]
    finally:
        await conn.close()
    assert [(c.id, c.status, c.result_version) for c in live] == [(held["id"], "pending", 3)]
