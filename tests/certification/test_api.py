"""The certificate API: approval, authorisation, lifecycle, the holder's view."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from services.certification import handlers
from services.certification.commands import RecordIdentityReview
from shared.ids import new_id
from shared.web.keys import POOL, UOW
from tests.certification.conftest import CertApp
from tests.certification.factories import BASE_URL, completed


async def _pending(cert: CertApp, trainer: UUID, **kwargs: Any) -> tuple[UUID, UUID]:
    """Record a passing result under the approval policy; return (certificate, holder)."""
    holder = new_id()
    event = completed(policy="approval", trainer_ids=[trainer], user_id=holder, **kwargs)
    await cert.record(event)
    response = await cert.client.get("/api/v1/me/certificates",
                                     headers=cert.auth(holder, "trainee"))
    [item] = (await response.json())["items"]
    assert item["status"] == "pending"
    assert item["number"] is None
    return UUID(item["id"]), holder


async def _unchanged(cert: CertApp) -> list[dict[str, Any]]:
    rows = await cert.app[POOL].fetch(
        "SELECT id, status, seq, number, credential FROM certificates ORDER BY id")
    return [dict(r) for r in rows]


async def test_only_an_examiner_or_admin_who_does_not_teach_the_class_approves(
    cert_app: CertApp,
) -> None:
    trainer = new_id()
    certificate, holder = await _pending(cert_app, trainer)
    url = f"/api/v1/certificates/{certificate}/approve"
    before = await _unchanged(cert_app)
    own = await cert_app.client.post(url, headers=cert_app.auth(trainer, "trainer"))
    assert own.status == 403
    assert own.content_type == "application/problem+json"
    assert (await own.json())["code"] == "approver_is_class_trainer"
    other = await cert_app.client.post(url, headers=cert_app.auth(new_id(), "trainer"))
    assert other.status == 403
    assert (await other.json())["code"] == "approver_role_required"
    trainee = await cert_app.client.post(url, headers=cert_app.auth(holder, "trainee"))
    assert trainee.status == 403
    assert (await trainee.json())["code"] == "role_forbidden"
    anonymous = await cert_app.client.post(url)
    assert anonymous.status == 401
    assert await _unchanged(cert_app) == before  # nothing numbered, signed or announced
    examiner = new_id()
    approved = await cert_app.client.post(url, headers=cert_app.auth(examiner, "examiner"))
    body = await approved.json()
    assert approved.status == 200
    assert body["status"] == "valid"
    assert body["number"].startswith("JX-2026-L4-")
    again = await cert_app.client.post(url, headers=cert_app.auth(examiner, "examiner"))
    assert again.status == 409
    assert (await again.json())["code"] == "not_approveable"


async def test_an_admin_may_approve_any_class_but_one_they_teach(cert_app: CertApp) -> None:
    certificate, _ = await _pending(cert_app, new_id())
    response = await cert_app.client.post(f"/api/v1/certificates/{certificate}/approve",
                                          headers=cert_app.auth(new_id(), "admin"))
    assert response.status == 200
    assert (await response.json())["status"] == "valid"
    teaching_admin = new_id()
    taught, _ = await _pending(cert_app, teaching_admin)
    refused = await cert_app.client.post(f"/api/v1/certificates/{taught}/approve",
                                         headers=cert_app.auth(teaching_admin, "admin"))
    assert refused.status == 403
    assert (await refused.json())["code"] == "approver_is_class_trainer"


async def test_an_admin_who_released_scored_or_marked_attendance_cannot_approve_them(
    cert_app: CertApp,
) -> None:
    """Four eyes among admins: whoever made the result signs nothing of it, by any route:
    its releaser, anyone who entered or changed a score (not only the last), anyone who
    marked the trainee's attendance."""
    releaser, earlier_scorer, scorer, marker = new_id(), new_id(), new_id(), new_id()
    enrollments = [new_id() for _ in range(2)]
    ids = [(await _pending(cert_app, new_id(), enrollment_id=e, released_by=releaser,
                           scored_by=scorer, scorers=[earlier_scorer, scorer],
                           attendance_markers=[marker]))[0] for e in enrollments]
    before = await _unchanged(cert_app)
    for who, code in ((releaser, "approver_released_results"),
                      (earlier_scorer, "approver_entered_scores"),
                      (scorer, "approver_entered_scores"),
                      (marker, "approver_marked_attendance")):
        headers = cert_app.auth(who, "admin")
        one = await cert_app.client.post(f"/api/v1/certificates/{ids[0]}/approve",
                                         headers=headers)
        assert (one.status, one.content_type) == (403, "application/problem+json")
        assert (await one.json())["code"] == code
        bulk = await cert_app.client.post("/api/v1/certificates/approve", headers=headers,
                                          json={"ids": [str(i) for i in ids]})
        body = await bulk.json()
        assert body["approved"] == []
        assert [f["code"] for f in body["failed"]] == [code, code]
        now = await cert_app.client.post(f"/api/v1/results/{enrollments[1]}/certificate",
                                         headers=headers)
        assert now.status == 403
        assert (await now.json())["code"] == code
    assert await _unchanged(cert_app) == before  # nothing numbered, signed or announced
    second = cert_app.auth(new_id(), "admin")
    approved = await cert_app.client.post(f"/api/v1/certificates/{ids[0]}/approve",
                                          headers=second)
    assert (approved.status, (await approved.json())["status"]) == (200, "valid")
    issued = await cert_app.client.post(f"/api/v1/results/{enrollments[1]}/certificate",
                                        headers=second)
    assert (issued.status, (await issued.json())["status"]) == (201, "valid")


async def test_a_single_step_training_course_stays_one_step_for_whoever_released_it(
    cert_app: CertApp,
) -> None:
    """Where the course allows one step, release issues at once, and so may its releaser."""
    admin, holder = new_id(), new_id()
    await cert_app.record(completed(released_by=admin, scored_by=admin))
    [row] = await cert_app.app[POOL].fetch("SELECT status FROM certificates")
    assert row["status"] == "valid"
    # Held only while the holder's changed identity waits: then the releaser issues it now.
    await _review(cert_app, holder, unconfirmed=1, seq=1)
    result = completed(user_id=holder, released_by=admin, scored_by=admin)
    await cert_app.record(result)
    await _review(cert_app, holder, unconfirmed=0, seq=2)
    issued = await cert_app.client.post(f"/api/v1/results/{result.enrollment_id}/certificate",
                                        headers=cert_app.auth(admin, "admin"))
    assert (issued.status, (await issued.json())["status"]) == (201, "valid")


async def test_a_course_without_single_step_holds_even_an_auto_skill_level_certificate(
    cert_app: CertApp,
) -> None:
    holder = new_id()
    await cert_app.record(completed(user_id=holder, kind="skill_level"))
    [row] = await cert_app.app[POOL].fetch("SELECT status, number FROM certificates")
    assert (row["status"], row["number"]) == ("pending", None)


async def test_bulk_approval_reports_each_certificate(cert_app: CertApp) -> None:
    trainer, examiner = new_id(), new_id()
    others = [(await _pending(cert_app, trainer))[0] for _ in range(3)]
    # The examiner once taught a class: its certificates need someone else.
    theirs, _ = await _pending(cert_app, examiner)
    ids = {"ids": [str(i) for i in [*others, theirs, new_id()]]}
    by_trainer = await cert_app.client.post("/api/v1/certificates/approve", json=ids,
                                            headers=cert_app.auth(trainer, "trainer"))
    assert (await by_trainer.json())["approved"] == []
    response = await cert_app.client.post("/api/v1/certificates/approve", json=ids,
                                          headers=cert_app.auth(examiner, "examiner"))
    body = await response.json()
    assert response.status == 200
    assert {a["id"] for a in body["approved"]} == {str(i) for i in others}
    assert {f["code"] for f in body["failed"]} == {"approver_is_class_trainer", "not_found"}


async def test_trainers_list_their_class_with_pending_and_issued(cert_app: CertApp) -> None:
    trainer = new_id()
    class_id = new_id()
    pending, _ = await _pending(cert_app, trainer, class_id=class_id)
    await cert_app.record(completed(trainer_ids=[trainer], class_id=class_id))
    url = f"/api/v1/certificates?class_id={class_id}"
    listed = await cert_app.client.get(url, headers=cert_app.auth(trainer, "trainer"))
    statuses = sorted(i["status"] for i in (await listed.json())["items"])
    assert statuses == ["pending", "valid"]
    only = await cert_app.client.get(url + "&status=pending",
                                     headers=cert_app.auth(trainer, "trainer"))
    assert [i["id"] for i in (await only.json())["items"]] == [str(pending)]
    stranger = await cert_app.client.get(url, headers=cert_app.auth(new_id(), "trainer"))
    assert stranger.status == 403
    bad = await cert_app.client.get(url + "&status=nonsense",
                                    headers=cert_app.auth(trainer, "trainer"))
    assert bad.status == 422
    assert (await bad.json())["code"] == "validation_failed"


async def test_an_examiner_issues_directly_for_a_released_passing_result_a_trainer_cannot(
    cert_app: CertApp,
) -> None:
    trainer = new_id()
    passing = completed(policy="approval", trainer_ids=[trainer])
    failing = completed(passed=False, trainer_ids=[trainer])
    await cert_app.record(passing)
    await cert_app.record(failing)
    headers = cert_app.auth(trainer, "trainer")
    listed = await cert_app.client.get(
        f"/api/v1/results?class_id={passing.class_info.class_id}", headers=headers)
    rows = {r["enrollment_id"]: r for r in (await listed.json())["items"]}
    assert rows[str(passing.enrollment_id)]["certificate_status"] == "pending"
    assert rows[str(failing.enrollment_id)]["passed"] is False
    assert rows[str(failing.enrollment_id)]["certificate_id"] is None
    alone = await cert_app.client.post(
        f"/api/v1/results/{passing.enrollment_id}/certificate", headers=headers)
    assert alone.status == 403
    assert (await alone.json())["code"] == "approver_is_class_trainer"
    headers = cert_app.auth(new_id(), "examiner")
    listed = await cert_app.client.get(
        f"/api/v1/results?class_id={passing.class_info.class_id}", headers=headers)
    assert listed.status == 200
    issued = await cert_app.client.post(
        f"/api/v1/results/{passing.enrollment_id}/certificate", headers=headers)
    assert issued.status == 201
    assert (await issued.json())["status"] == "valid"
    twice = await cert_app.client.post(
        f"/api/v1/results/{passing.enrollment_id}/certificate", headers=headers)
    assert twice.status == 409
    assert (await twice.json())["code"] == "already_issued"
    refused = await cert_app.client.post(
        f"/api/v1/results/{failing.enrollment_id}/certificate", headers=headers)
    assert refused.status == 409
    assert (await refused.json())["code"] == "result_not_passed"
    unknown = await cert_app.client.post(f"/api/v1/results/{new_id()}/certificate",
                                         headers=headers)
    assert unknown.status == 404


async def test_the_results_list_tells_the_caller_whether_they_may_issue_now(
    cert_app: CertApp,
) -> None:
    trainer = new_id()
    passing = completed(policy="approval", trainer_ids=[trainer])
    await cert_app.record(passing)
    url = f"/api/v1/results?class_id={passing.class_info.class_id}"

    async def may_issue(user_id: UUID, role: str) -> bool:
        listed = await cert_app.client.get(url, headers=cert_app.auth(user_id, role))
        [row] = (await listed.json())["items"]
        return bool(row["may_issue"])

    assert await may_issue(trainer, "trainer") is False  # four eyes: the service answers 403
    assert await may_issue(trainer, "admin") is False  # an admin who teaches the class
    assert await may_issue(new_id(), "examiner") is True
    assert await may_issue(new_id(), "admin") is True


async def test_a_trainer_issues_a_single_step_training_certificate_withdrawn_before(
    cert_app: CertApp,
) -> None:
    trainer, enrollment = new_id(), new_id()
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer],
                                    policy="approval"))
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer],
                                    version=2, passed=False))
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer],
                                    version=3, policy="auto"))
    [row] = await cert_app.app[POOL].fetch("SELECT status FROM certificates")
    assert row["status"] == "valid"  # the course now allows one step: issued at once


async def test_a_trainer_suspends_only_an_admin_reinstates_or_revokes_all_audited(
    cert_app: CertApp,
) -> None:
    trainer = new_id()
    holder = new_id()
    await cert_app.record(completed(trainer_ids=[trainer], user_id=holder))
    [item] = (await (await cert_app.client.get(
        "/api/v1/me/certificates", headers=cert_app.auth(holder, "trainee"))).json())["items"]
    base = f"/api/v1/certificates/{item['id']}"
    headers = cert_app.auth(trainer, "trainer")
    stranger = await cert_app.client.post(base + "/revoke", json={"reason": "x"},
                                          headers=cert_app.auth(new_id(), "trainer"))
    assert stranger.status == 403
    blank = await cert_app.client.post(base + "/suspend", json={"reason": "  "}, headers=headers)
    assert blank.status == 422
    suspended = await cert_app.client.post(base + "/suspend", json={"reason": "核查中"},
                                           headers=headers)
    assert (await suspended.json())["status"] == "suspended"
    before = await _unchanged(cert_app)
    for action, body in (("/reinstate", None), ("/revoke", {"reason": "证件造假"}),
                         ("/reissue", {"reason": "姓名更正"})):
        refused = await cert_app.client.post(base + action, json=body, headers=headers)
        assert refused.status == 403, action
        assert (await refused.json())["code"] == "admin_only"
    assert await _unchanged(cert_app) == before
    admin = new_id()
    headers = cert_app.auth(admin, "admin")
    reinstated = await cert_app.client.post(base + "/reinstate", headers=headers)
    assert (await reinstated.json())["status"] == "valid"
    revoked = await cert_app.client.post(base + "/revoke", json={"reason": "证件造假"},
                                         headers=headers)
    body = await revoked.json()
    assert body["status"] == "revoked"
    assert body["reason"] == "证件造假"
    audit = await cert_app.client.get(base + "/audit", headers=headers)
    actions = [(e["action"], e["reason"]) for e in (await audit.json())["items"]]
    assert actions == [("issued", None), ("suspended", "核查中"), ("reinstated", None),
                       ("revoked", "证件造假")]
    actors = [e["actor_id"] for e in (await audit.json())["items"][1:]]
    assert actors == [str(trainer), str(admin), str(admin)]


async def _request_reissue(cert: CertApp, certificate: object, requester: UUID) -> dict[str, Any]:
    """Ask an admin's reissue of a valid certificate; return the replacement it holds."""
    response = await cert.client.post(f"/api/v1/certificates/{certificate}/reissue",
                                      json={"reason": "姓名更正"},
                                      headers=cert.auth(requester, "admin"))
    assert response.status == 201, await response.text()
    held: dict[str, Any] = await response.json()
    assert (held["status"], held["number"], held["replaces"]) == (
        "pending", None, str(certificate))
    return held


async def test_a_reissue_waits_for_a_second_person_who_neither_asked_nor_teaches(
    cert_app: CertApp,
) -> None:
    """A new number is a new issuance: even on a single-step course, four eyes sign it."""
    trainer, teaching_admin, requester, holder = new_id(), new_id(), new_id(), new_id()
    result = completed(trainer_ids=[trainer, teaching_admin], user_id=holder)
    await cert_app.record(result)
    [old] = (await (await cert_app.client.get(
        "/api/v1/me/certificates", headers=cert_app.auth(holder, "trainee"))).json())["items"]
    held = await _request_reissue(cert_app, old["id"], requester)
    # Nothing is signed yet: the certificate in force answers as before.
    by_code = await (await cert_app.client.get(f"/api/v1/verify/{old['code']}")).json()
    assert (by_code["status"], by_code["number"]) == ("valid", old["number"])
    before = await _unchanged(cert_app)
    approve = f"/api/v1/certificates/{held['id']}/approve"
    for who, role, code in ((requester, "admin", "approver_requested_reissue"),
                            (teaching_admin, "admin", "approver_is_class_trainer"),
                            (trainer, "trainer", "approver_is_class_trainer")):
        refused = await cert_app.client.post(approve, headers=cert_app.auth(who, role))
        assert (refused.status, (await refused.json())["code"]) == (403, code), who
        now = await cert_app.client.post(f"/api/v1/results/{result.enrollment_id}/certificate",
                                         headers=cert_app.auth(who, role))
        assert (now.status, (await now.json())["code"]) == (403, code), who
    twice = await cert_app.client.post(f"/api/v1/certificates/{old['id']}/reissue",
                                       json={"reason": "再次"},
                                       headers=cert_app.auth(new_id(), "admin"))
    assert (twice.status, (await twice.json())["code"]) == (409, "reissue_pending")
    assert await _unchanged(cert_app) == before
    approved = await cert_app.client.post(approve, headers=cert_app.auth(new_id(), "examiner"))
    new = await approved.json()
    assert (approved.status, new["status"], new["id"]) == (200, "valid", held["id"])
    assert new["verify_url"] == old["verify_url"]
    assert new["number"] != old["number"]
    by_old = await (await cert_app.client.post(
        "/api/v1/verify/number", json={"number": old["number"], "name": "张小三"})).json()
    assert by_old["status"] == "revoked"
    assert by_old["replaced_by_number"] == new["number"]
    by_code = await (await cert_app.client.get(f"/api/v1/verify/{old['code']}")).json()
    assert (by_code["status"], by_code["number"]) == ("valid", new["number"])
    mine = (await (await cert_app.client.get(
        "/api/v1/me/certificates", headers=cert_app.auth(holder, "trainee"))).json())["items"]
    assert [m["id"] for m in mine] == [new["id"]]


@pytest.mark.parametrize("reinstated_first", [False, True])
async def test_an_approved_reissue_emits_one_revoked_for_the_old_and_one_issued_for_the_new(
    cert_app: CertApp, reinstated_first: bool,
) -> None:
    trainer = new_id()
    await cert_app.record(completed(trainer_ids=[trainer]))
    [old] = await cert_app.app[POOL].fetch("SELECT id, number, seq FROM certificates")
    headers = cert_app.auth(new_id(), "admin")
    base = f"/api/v1/certificates/{old['id']}"
    if reinstated_first:
        assert (await cert_app.client.post(f"{base}/suspend", json={"reason": "查证中"},
                                           headers=headers)).status == 200
        assert (await cert_app.client.post(f"{base}/reinstate", headers=headers)).status == 200
    before = await cert_app.app[POOL].fetchval("SELECT max(id) FROM outbox")
    held = await _request_reissue(cert_app, old["id"], new_id())
    assert await cert_app.app[POOL].fetchval("SELECT max(id) FROM outbox") == before
    response = await cert_app.client.post(f"/api/v1/certificates/{held['id']}/approve",
                                          headers=cert_app.auth(new_id(), "examiner"))
    new = await response.json()
    assert response.status == 200
    rows = await cert_app.app[POOL].fetch(
        "SELECT routing_key, body FROM outbox WHERE id > $1 ORDER BY id", before)
    events = [(r["routing_key"], json.loads(r["body"])["data"]) for r in rows]
    assert [key for key, _ in events] == ["certificate.revoked.v1", "certificate.issued.v1"]
    (_, revoked), (_, issued) = events
    assert revoked["certificate_id"] == str(old["id"])
    assert revoked["number"] == old["number"]
    assert revoked["reason"] == f"reissued as {new['number']}"
    assert revoked["seq"] == await cert_app.app[POOL].fetchval(
        "SELECT seq FROM certificates WHERE id = $1", old["id"])
    assert revoked["seq"] > old["seq"] + (2 if reinstated_first else 0)
    assert issued["certificate_id"] == new["id"]
    assert issued["replaces"] == str(old["id"])
    [kind] = await cert_app.app[POOL].fetch(
        "SELECT status, revocation_kind, reason FROM certificates WHERE id = $1", old["id"])
    assert tuple(kind) == ("revoked", "reissued", "姓名更正")


async def test_a_reissue_awaiting_approval_yields_to_what_happens_to_the_certificate_in_force(
    cert_app: CertApp,
) -> None:
    """Suspended meanwhile: not approved until reinstated. Revoked by a person, or its result
    corrected to failed: the request is withdrawn (and a failed result revokes the old one)."""
    trainer, enrollment = new_id(), new_id()
    admin, examiner = cert_app.auth(new_id(), "admin"), cert_app.auth(new_id(), "examiner")
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer]))
    [old] = await cert_app.app[POOL].fetch("SELECT id FROM certificates")
    base = f"/api/v1/certificates/{old['id']}"
    held = await _request_reissue(cert_app, old["id"], new_id())
    approve = f"/api/v1/certificates/{held['id']}/approve"
    assert (await cert_app.client.post(f"{base}/suspend", json={"reason": "核查中"},
                                       headers=cert_app.auth(trainer, "trainer"))).status == 200
    while_suspended = await cert_app.client.post(approve, headers=examiner)
    assert (while_suspended.status, (await while_suspended.json())["code"]) == (
        409, "replaced_certificate_changed")
    assert (await cert_app.client.post(f"{base}/reinstate", headers=admin)).status == 200
    assert (await cert_app.client.post(f"{base}/revoke", json={"reason": "证件造假"},
                                       headers=admin)).status == 200
    statuses = dict(await cert_app.app[POOL].fetch("SELECT id, status FROM certificates"))
    assert statuses == {old["id"]: "revoked", UUID(held["id"]): "withdrawn"}
    after_revocation = await cert_app.client.post(approve, headers=examiner)
    assert (after_revocation.status, (await after_revocation.json())["code"]) == (
        409, "not_approveable")

    other = new_id()
    await cert_app.record(completed(enrollment_id=other, trainer_ids=[trainer]))
    [live] = await cert_app.app[POOL].fetch(
        "SELECT id FROM certificates WHERE enrollment_id = $1", other)
    second = await _request_reissue(cert_app, live["id"], new_id())
    await cert_app.record(completed(enrollment_id=other, trainer_ids=[trainer], version=2,
                                    passed=False))
    rows = await cert_app.app[POOL].fetch(
        "SELECT id, status, revocation_kind FROM certificates WHERE enrollment_id = $1", other)
    assert {r["id"]: (r["status"], r["revocation_kind"]) for r in rows} == {
        live["id"]: ("revoked", "result_corrected"), UUID(second["id"]): ("withdrawn", None)}


async def _refused_reissue(cert: CertApp, certificate: object, code: str) -> None:
    """Ask an admin's reissue; assert a 409 `code` that changed nothing and announced nothing."""
    pool = cert.app[POOL]
    before = await pool.fetch("SELECT id, status, seq, replaced_by FROM certificates ORDER BY id")
    outbox = await pool.fetchval("SELECT count(*) FROM outbox")
    response = await cert.client.post(f"/api/v1/certificates/{certificate}/reissue",
                                      json={"reason": "重新发证"},
                                      headers=cert.auth(new_id(), "admin"))
    assert response.status == 409
    assert response.content_type == "application/problem+json"
    assert (await response.json())["code"] == code
    after = await pool.fetch("SELECT id, status, seq, replaced_by FROM certificates ORDER BY id")
    assert [dict(r) for r in after] == [dict(r) for r in before]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == outbox


async def test_a_certificate_revoked_because_the_result_turned_to_failed_is_not_reissued(
    cert_app: CertApp,
) -> None:
    trainer, enrollment = new_id(), new_id()
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer]))
    await cert_app.record(completed(enrollment_id=enrollment, trainer_ids=[trainer], version=2,
                                    passed=False))
    [cert] = await cert_app.app[POOL].fetch(
        "SELECT id, code, status, revocation_kind FROM certificates")
    assert (cert["status"], cert["revocation_kind"]) == ("revoked", "result_corrected")
    # The same answer as issuing directly for that result.
    await _refused_reissue(cert_app, cert["id"], "result_not_passed")
    direct = await cert_app.client.post(f"/api/v1/results/{enrollment}/certificate",
                                        headers=cert_app.auth(new_id(), "examiner"))
    assert (await direct.json())["code"] == "result_not_passed"
    verified = await (await cert_app.client.get(f"/api/v1/verify/{cert['code']}")).json()
    assert verified["status"] == "revoked"


async def test_nobody_reissues_a_certificate_a_person_revoked(
    cert_app: CertApp,
) -> None:
    trainer = new_id()
    await cert_app.record(completed(trainer_ids=[trainer]))
    [cert] = await cert_app.app[POOL].fetch("SELECT id, code FROM certificates")
    revoked = await cert_app.client.post(
        f"/api/v1/certificates/{cert['id']}/revoke", json={"reason": "证件造假"},
        headers=cert_app.auth(new_id(), "admin"))
    assert revoked.status == 200
    await _refused_reissue(cert_app, cert["id"], "not_reissueable")
    verified = await (await cert_app.client.get(f"/api/v1/verify/{cert['code']}")).json()
    assert (verified["status"], verified["reason"]) == ("revoked", "其他原因")  # not the text


async def test_a_suspended_certificate_is_reinstated_before_it_can_be_reissued(
    cert_app: CertApp,
) -> None:
    trainer = new_id()
    await cert_app.record(completed(trainer_ids=[trainer]))
    [cert] = await cert_app.app[POOL].fetch("SELECT id, code FROM certificates")
    base = f"/api/v1/certificates/{cert['id']}"
    headers = cert_app.auth(trainer, "trainer")
    assert (await cert_app.client.post(f"{base}/suspend", json={"reason": "核查中"},
                                       headers=headers)).status == 200
    await _refused_reissue(cert_app, cert["id"], "not_reissueable")
    verified = await (await cert_app.client.get(f"/api/v1/verify/{cert['code']}")).json()
    assert verified["status"] == "suspended"
    headers = cert_app.auth(new_id(), "admin")
    assert (await cert_app.client.post(f"{base}/reinstate", headers=headers)).status == 200
    reissued = await cert_app.client.post(f"{base}/reissue", json={"reason": "姓名更正"},
                                          headers=headers)
    assert reissued.status == 201
    assert (await reissued.json())["status"] == "pending"  # for a second person to approve


async def test_holders_see_their_own_certificates_with_links_and_nobody_elses(
    cert_app: CertApp,
) -> None:
    holder = new_id()
    await cert_app.record(completed(user_id=holder, pii=cert_app.pii))
    await cert_app.record(completed())
    response = await cert_app.client.get("/api/v1/me/certificates",
                                         headers=cert_app.auth(holder, "trainee"))
    [item] = (await response.json())["items"]
    assert {"id", "number", "code", "status", "course", "level", "issued_on"} <= item.keys()
    assert item["verify_url"] == f"{BASE_URL}/verify/{item['code']}"
    assert item["pdf_url"].endswith(f"/api/v1/certificates/{item['id']}/pdf")
    assert item["id_number"] == "4601**********1234"
    one = await cert_app.client.get(f"/api/v1/certificates/{item['id']}",
                                    headers=cert_app.auth(holder, "trainee"))
    assert one.status == 200
    someone = await cert_app.client.get(f"/api/v1/certificates/{item['id']}",
                                        headers=cert_app.auth(new_id(), "trainee"))
    assert someone.status == 404
    credential = await cert_app.client.get(f"/api/v1/certificates/{item['id']}/credential",
                                           headers=cert_app.auth(holder, "trainee"))
    body = await credential.json()
    assert body["format"] == "vc+jwt"
    assert body["credential"].count(".") == 2


async def test_a_trainer_of_another_class_learns_nothing_from_the_audit_trail(
    cert_app: CertApp,
) -> None:
    """The audit answers a stranger exactly as an unknown id: 404, never 403 `not_class_trainer`."""
    trainer = new_id()
    await cert_app.record(completed(trainer_ids=[trainer]))
    [certificate] = await cert_app.app[POOL].fetch("SELECT id FROM certificates")
    stranger = cert_app.auth(new_id(), "trainer")
    answers = []
    for target in (certificate["id"], new_id()):
        for part in ("", "/audit"):
            response = await cert_app.client.get(f"/api/v1/certificates/{target}{part}",
                                                 headers=stranger)
            body = await response.json()
            answers.append((response.status, body["code"], body["detail"]))
    assert set(answers) == {(404, "not_found", "no such certificate")}
    for who in (cert_app.auth(trainer, "trainer"), cert_app.auth(new_id(), "examiner"),
                cert_app.auth(new_id(), "admin")):
        audit = await cert_app.client.get(f"/api/v1/certificates/{certificate['id']}/audit",
                                          headers=who)
        assert audit.status == 200
        assert [e["action"] for e in (await audit.json())["items"]] == ["issued"]


async def test_a_pending_certificate_has_no_pdf_or_credential_yet(cert_app: CertApp) -> None:
    certificate, holder = await _pending(cert_app, new_id())
    for part in ("pdf", "credential"):
        response = await cert_app.client.get(f"/api/v1/certificates/{certificate}/{part}",
                                             headers=cert_app.auth(holder, "trainee"))
        assert response.status == 409
        assert (await response.json())["code"] == "not_issued"


async def test_malformed_ids_and_bodies_get_problem_details(cert_app: CertApp) -> None:
    headers = cert_app.auth(new_id(), "admin")
    missing = await cert_app.client.get("/api/v1/certificates/not-a-uuid", headers=headers)
    assert missing.status == 404
    assert missing.content_type == "application/problem+json"
    bad = await cert_app.client.post(f"/api/v1/certificates/{new_id()}/revoke",
                                     json={"reason": "x", "extra": 1}, headers=headers)
    assert bad.status == 422
    empty = await cert_app.client.post("/api/v1/certificates/approve", json={"ids": []},
                                       headers=headers)
    assert empty.status == 422


async def test_the_openapi_document_describes_the_contract(cert_app: CertApp) -> None:
    document = await (await cert_app.client.get("/openapi.json")).json()
    paths = document["paths"]
    for path in ("/api/v1/me/certificates", "/api/v1/certificates/{certificate_id}/pdf",
                 "/api/v1/certificates/{certificate_id}/credential",
                 "/api/v1/certificates/{certificate_id}/approve", "/api/v1/verify",
                 "/api/v1/verify/{code}", "/api/v1/verify/number", "/.well-known/did.json",
                 "/api/v1/status-lists/{list_id}", "/api/v1/results/{enrollment_id}/certificate"):
        assert path in paths, path
    assert paths["/api/v1/certificates/{certificate_id}/revoke"]["post"]["x-roles"] == [
        "admin", "trainer"]


async def _review(cert: CertApp, holder: UUID, unconfirmed: int, seq: int) -> None:
    """Apply enrollment's TraineeIdentityReviewed through the real handler."""
    async with cert.app[UOW]() as uow:
        await handlers.record_identity_review(
            RecordIdentityReview(user_id=holder, unconfirmed=unconfirmed, seq=seq), uow=uow)


async def test_a_holders_unconfirmed_name_or_id_change_blocks_approval_until_confirmed(
    cert_app: CertApp,
) -> None:
    certificate, holder = await _pending(cert_app, new_id())
    await _review(cert_app, holder, unconfirmed=1, seq=5)
    await _review(cert_app, holder, unconfirmed=0, seq=4)  # older: ignored
    examiner = cert_app.auth(new_id(), "examiner")
    before = await _unchanged(cert_app)
    url = f"/api/v1/certificates/{certificate}/approve"
    held = await cert_app.client.post(url, headers=examiner)
    assert held.status == 409
    assert (await held.json())["code"] == "identity_change_unconfirmed"
    assert await _unchanged(cert_app) == before
    # A single-step course holds the certificate of such a holder too.
    await cert_app.record(completed(user_id=holder, policy="auto"))
    statuses = await cert_app.app[POOL].fetch(
        "SELECT status FROM certificates WHERE holder_user_id = $1", holder)
    assert sorted(r["status"] for r in statuses) == ["pending", "pending"]
    await _review(cert_app, holder, unconfirmed=0, seq=6)  # an admin confirmed
    approved = await cert_app.client.post(url, headers=examiner)
    assert (approved.status, (await approved.json())["status"]) == (200, "valid")


async def test_a_trainee_records_a_national_skill_certificate_already_held(
    cert_app: CertApp,
) -> None:
    holder = cert_app.auth(new_id(), "trainee")
    url = "/api/v1/me/held-certificates"
    national = {"number": "y123436000777263000001", "occupation": "中式烹调师", "level": 3,
                "issued_on": "2023-06-01", "issuer": "某市职业技能鉴定中心"}
    first = await cert_app.client.post(url, json=national, headers=holder)
    assert first.status == 201
    legacy = {"number": "3601012008000123", "occupation": "育婴员"}
    assert (await cert_app.client.post(url, json=legacy, headers=holder)).status == 201
    again = await cert_app.client.post(url, json=national, headers=holder)
    assert (again.status, (await again.json())["code"]) == (409, "already_recorded")
    for bad, code in (({**national, "level": 4}, "numbering_failed"),
                      ({**national, "number": "JX-2026-L3-000001"}, "invalid_national_number")):
        refused = await cert_app.client.post(url, json=bad, headers=holder)
        assert refused.status == 422
        assert refused.content_type == "application/problem+json"
        assert (await refused.json())["code"] == code
    # No level given: a national number's level digit says it.
    stated = {"number": "S000011010000124400007", "occupation": "家政服务员",
              "occupation_code": "4-10-01-06"}
    assert (await cert_app.client.post(url, json=stated, headers=holder)).status == 201
    listed = await (await cert_app.client.get(url, headers=holder)).json()
    assert [(i["number"], i["format"], i["level"]) for i in listed["items"]] == [
        ("Y123436000777263000001", "national", 3), ("3601012008000123", "legacy", None),
        ("S000011010000124400007", "national", 4)]
    other = await (await cert_app.client.get(
        url, headers=cert_app.auth(new_id(), "trainee"))).json()
    assert other["items"] == []
    # Each recorded one, and only those, is announced for enrollment's eligibility rules.
    rows = await cert_app.app[POOL].fetch("SELECT routing_key, body FROM outbox ORDER BY id")
    announced = [json.loads(r["body"])["data"] for r in rows]
    assert {r["routing_key"] for r in rows} == {"held_certificate.recorded.v1"}
    assert [(a["held_id"], a["number"], a["level"], a["occupation_code"]) for a in announced] \
        == [(i["id"], i["number"], i["level"], i.get("occupation_code"))
            for i in listed["items"]]


async def test_the_history_lists_every_action_with_who_and_the_holder_sees_no_staff_ids(
    cert_app: CertApp,
) -> None:
    trainer, examiner, admin = new_id(), new_id(), new_id()
    certificate, holder = await _pending(cert_app, trainer)
    base = f"/api/v1/certificates/{certificate}"
    steps = [
        ("/approve", None, cert_app.auth(examiner, "examiner")),
        ("/suspend", {"reason": "核查中"}, cert_app.auth(trainer, "trainer")),
        ("/reinstate", None, cert_app.auth(admin, "admin")),
        ("/credential/reissue", None, cert_app.auth(admin, "admin")),
    ]
    for path, body, headers in steps:
        assert (await cert_app.client.post(base + path, json=body, headers=headers)).status \
            == 200, path
    reissued = await cert_app.client.post(base + "/reissue", json={"reason": "姓名更正"},
                                          headers=cert_app.auth(admin, "admin"))
    new = (await reissued.json())["id"]
    assert (await cert_app.client.post(f"/api/v1/certificates/{new}/approve",
                                       headers=cert_app.auth(examiner, "examiner"))).status == 200
    staff = await cert_app.client.get(f"/api/v1/certificates/{new}/history",
                                      headers=cert_app.auth(trainer, "trainer"))
    items = (await staff.json())["items"]
    assert [(i["action"], i["actor_role"], i["actor_id"], i["reason"]) for i in items] == [
        ("held_for_approval", "system", None, None),
        ("approved", "examiner", str(examiner), None),
        ("suspended", "trainer", str(trainer), "核查中"),
        ("reinstated", "admin", str(admin), None),
        ("credential_reissued", "admin", str(admin), None),
        ("reissue_requested", "admin", str(admin), "姓名更正"),
        ("approved", "examiner", str(examiner), None),
        ("replaced", "examiner", str(examiner), "姓名更正"),
    ]
    assert {i["certificate_id"] for i in items} == {str(certificate), new}
    assert all(i["at"] for i in items)
    own = await cert_app.client.get(f"/api/v1/certificates/{new}/history",
                                    headers=cert_app.auth(holder, "trainee"))
    mine = (await own.json())["items"]
    assert [(i["action"], i["actor_role"]) for i in mine] == [
        (i["action"], i["actor_role"]) for i in items]
    assert all(i["actor_id"] is None for i in mine)
    text = json.dumps(mine)
    for staff_id in (trainer, examiner, admin):
        assert str(staff_id) not in text
    stranger = await cert_app.client.get(f"/api/v1/certificates/{new}/history",
                                         headers=cert_app.auth(new_id(), "trainee"))
    assert stranger.status == 404
    other_trainer = await cert_app.client.get(f"/api/v1/certificates/{new}/history",
                                              headers=cert_app.auth(new_id(), "trainer"))
    assert other_trainer.status == 404


async def test_examiners_list_every_class_pending_certificates_trainers_only_their_class(
    cert_app: CertApp,
) -> None:
    one, _ = await _pending(cert_app, new_id(), class_id=new_id())
    two, _ = await _pending(cert_app, new_id(), class_id=new_id())
    queue = await cert_app.client.get("/api/v1/certificates?status=pending",
                                      headers=cert_app.auth(new_id(), "examiner"))
    assert {i["id"] for i in (await queue.json())["items"]} >= {str(one), str(two)}
    trainer = await cert_app.client.get("/api/v1/certificates?status=pending",
                                        headers=cert_app.auth(new_id(), "trainer"))
    assert (trainer.status, (await trainer.json())["code"]) == (422, "class_id_required")
