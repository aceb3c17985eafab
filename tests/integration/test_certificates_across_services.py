"""Certificates through the real services: enrollment, certification and notification, each on
its own PostgreSQL database, talking only through their outboxes and the real RabbitMQ.

A trainer enters and releases results in enrollment; certification consumes the completions
and holds them for four-eyes approval; an examiner approves over HTTP; the credential the holder
downloads is then checked by an independent Open Badges 3.0 verifier (openbadgeslib's
OB3Verifier, every check on), which resolves our did:web and the signed status lists over HTTPS
from the running certification service. One certificate of each kind; a tampered copy, one
signed with a foreign key and a revoked one are refused. A skill certificate held from
elsewhere is recorded once, in certification, and closes lower courses in enrollment.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from services.certification.credentials import vc
from services.certification.credentials.keys import SigningKey, new_private_key
from services.certification.keys import DEPS
from services.notification.app import create_app as notification_app
from shared.auth import TokenIssuer
from shared.service import Overrides
from shared.web.keys import CONSUMER
from tests.certification.conftest import CertApp
from tests.certification.factories import settings_for as certification_settings
from tests.certification.https_app import https_cert_app
from tests.certification.test_interop import ob3_verify, refused
from tests.enrollment.support import START, Service, running_service, write_keys
from tests.enrollment.support import settings_for as enrollment_settings
from tests.enrollment.test_eligibility import eligibility, ruled_course
from tests.notification.conftest import settings_for as notification_settings
from tests.notification.harness import SHANGHAI_DAY
from tests.support.clock import FakeClock
from tests.support.infra import create_database, drop_database, eventually, service_migrations


@dataclass
class Platform:
    """Enrollment on a local port, certification as https://localhost:<port> (a did:web issuer)."""

    enrollment: Service
    certification: CertApp

    async def certification_call(
        self, method: str, path: str, token: str, body: Any = None, *, expect: int = 200
    ) -> Any:
        """Call certification with an enrollment-issued token; check the status."""
        async with self.certification.client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}"}
        ) as reply:
            answer = await reply.json()
            assert reply.status == expect, (method, path, reply.status, answer)
            return answer


@pytest.fixture
async def platform(
    namespace: str, key_files: Path, issuer: TokenIssuer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, aiohttp_client: Any,
) -> AsyncIterator[Platform]:
    """Start notification and certification (consuming, relaying; certification over HTTPS),
    then enrollment: every event has its consumers' queues before anything is published."""
    write_keys(key_files)
    cert_keys = tmp_path / "certification-keys"
    cert_keys.mkdir()
    for name in ("jwt-signing.pub.pem", "pii-transport.key"):  # ID numbers travel encrypted
        shutil.copy(key_files / name, cert_keys / name)
    dsns = {name: await create_database(f"jx_{name[:4]}", [service_migrations(name)])
            for name in ("enrollment", "certification", "notification")}
    notification = notification_app(
        notification_settings(dsns["notification"], namespace, key_files),
        clock=FakeClock(SHANGHAI_DAY, flowing=True))
    notifying = await aiohttp_client(notification)
    try:
        await eventually(notification[CONSUMER].is_consuming)
        async with https_cert_app(
            # A registered evaluation organisation: it issues both kinds of certificate.
            lambda base: certification_settings(
                dsns["certification"], namespace, cert_keys, public_base_url=base,
                assessment_body=True, run_consumers=True, run_relay=True,
                relay_poll_interval_s=0.1),
            issuer, tmp_path, overrides=Overrides(),  # the real RabbitMQ
        ) as certification:
            monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # OB3Verifier trusts it
            await eventually(certification.app[CONSUMER].is_consuming)
            settings = enrollment_settings(dsns["enrollment"], namespace, key_files,
                                           run_relay=True, run_consumers=True,
                                           relay_poll_interval_s=0.1)
            async with running_service(settings, clock=FakeClock(START), issuer=issuer,
                                       keys=key_files) as enrollment:
                await eventually(enrollment.app[CONSUMER].is_consuming)
                yield Platform(enrollment, certification)
    finally:
        await notifying.close()  # its dispatcher stops before its database goes
        for dsn in dsns.values():
            await drop_database(dsn)


@dataclass
class Passed:
    """A trainee who passed a class whose results were released."""

    kind: str
    enrollment_id: str
    token: str


async def _pass_a_class(
    svc: Service, admin: str, trainer: tuple[Any, str], *, kind: str, level: int | None,
    first_marker: str | None = None, first_scorer: str | None = None,
) -> Passed:
    """Publish a course of this kind under four eyes, enrol a trainee with an ID, let them attend
    every day and pass, and release the results, all in enrollment over HTTP. A first marker
    marks the first day and a first scorer enters scores before the trainer does both."""
    course = await svc.create_course(admin, certificate_kind=kind, level=level,
                                     issue_policy="approval", occupation_name="育婴员",
                                     occupation_code="4-10-01-02", title_zh="育婴员")
    cls = await svc.create_class(admin, course_id=course["id"], trainer_ids=[str(trainer[0])])
    _, token = await svc.add_user(name="李小梅")
    profile = await svc.call("PATCH", "/api/v1/me", token=token, json_body={
        "id_type": "resident_id", "id_number": "11010519491231002X"})
    assert profile.status == 200, profile.body
    enrolled = await svc.enrol(token, cls["id"])
    assert enrolled.status == 201, enrolled.body
    enrollment_id = enrolled.body["id"]
    days = [date.fromisoformat(d) for d in cls["schedule_days"]]
    # The last class day, 18:00 in Shanghai.
    svc.clock.set(datetime.combine(days[-1], datetime.min.time(), UTC) + timedelta(hours=10))
    markers = [(first_marker, days[0])] if first_marker else []
    for token_of, day in [*markers, *((trainer[1], d) for d in days)]:
        marked = await svc.call("PUT", f"/api/v1/classes/{cls['id']}/attendance/{day}",
                                token=token_of, json_body={"records": [
                                    {"enrollment_id": enrollment_id, "status": "present"}]})
        assert marked.status == 200, marked.body
    for token_of in [first_scorer] if first_scorer else []:
        scored = await svc.call("PUT", f"/api/v1/enrollments/{enrollment_id}/result",
                                token=token_of,
                                json_body={"theory_score": 50, "practical_score": 91})
        assert scored.status == 200, scored.body
    scored = await svc.call("PUT", f"/api/v1/enrollments/{enrollment_id}/result",
                            token=trainer[1],
                            json_body={"theory_score": 86, "practical_score": 91})
    assert scored.status == 200, scored.body
    released = await svc.call("POST", f"/api/v1/classes/{cls['id']}/release-results",
                              token=trainer[1])
    assert released.status == 200, released.body
    assert released.body["completed"] == 1
    return Passed(kind, enrollment_id, token)


async def _pending(platform: Platform, examiner: str, passed: Passed) -> dict[str, Any]:
    """Wait until certification holds the result's certificate for approval."""
    found: list[dict[str, Any]] = []

    async def held() -> bool:
        listed = await platform.certification_call(
            "GET", "/api/v1/certificates?status=pending", examiner)
        found[:] = [c for c in listed["items"] if c["enrollment_id"] == passed.enrollment_id]
        return bool(found)

    await eventually(held, timeout=60)
    return found[0]


def _foreign_and_tampered(token: str, cert: CertApp) -> tuple[str, str]:
    """Return the credential with its content changed, and signed by a key not ours."""
    deps = cert.app[DEPS]
    header, _payload, signature = token.split(".")
    claims = vc.unverified_claims(token)
    altered = vc.sign({**claims, "name": "高级技师 S0000"}, deps.keys.signing_key(),
                      did=deps.did).split(".")[1]
    private = new_private_key()
    stranger = SigningKey(kid="key-1", seq=1, public=private.public_key(), private=private,
                          created_at=datetime.now(UTC))
    return f"{header}.{altered}.{signature}", vc.sign(claims, stranger, did=deps.did)


@pytest.mark.timeout(600)
async def test_one_certificate_of_each_kind_through_the_real_services_passes_ob3_verifier(
    platform: Platform,
) -> None:
    svc = platform.enrollment
    admin = await svc.admin_token()
    trainer = await svc.add_user("trainer", name="王老师")
    _, examiner = await svc.add_user("examiner", name="赵考评")
    passed = [await _pass_a_class(svc, admin, trainer, kind="training", level=None),
              await _pass_a_class(svc, admin, trainer, kind="skill_level", level=3)]
    expected = {"training": ("Certificate", r"^JX-\d{4}-\d{6}$"),
                "skill_level": ("Certification", r"^S\d{21}$")}
    for one in passed:
        pending = await _pending(platform, examiner, one)
        approve = f"/api/v1/certificates/{pending['id']}/approve"
        # Four eyes: the trainer who released the result cannot sign it; the examiner can.
        refusal = await platform.certification_call("POST", approve, trainer[1], expect=403)
        assert refusal["code"] == "approver_is_class_trainer"
        # Certification knows who released and scored it (so an admin who did is refused too).
        authors = await platform.certification.app[DEPS].pool.fetchrow(
            "SELECT payload->>'released_by' AS released_by, payload->>'scored_by' AS scored_by"
            " FROM results WHERE enrollment_id = $1", UUID(one.enrollment_id))
        assert authors is not None
        assert dict(authors) == {"released_by": str(trainer[0]), "scored_by": str(trainer[0])}
        approved = await platform.certification_call("POST", approve, examiner)
        assert approved["status"] == "valid"
        credential = await platform.certification_call(
            "GET", f"/api/v1/certificates/{pending['id']}/credential", one.token)
        token = credential["credential"]

        verified = await asyncio.to_thread(ob3_verify, token)
        assert verified.issuer.id == platform.certification.app[DEPS].did
        assert verified.id == f"urn:uuid:{pending['id']}"
        claims = vc.unverified_claims(token)
        achievement_type, number = expected[one.kind]
        assert claims["credentialSubject"]["achievement"]["achievementType"] == achievement_type
        assert re.match(number, approved["number"]), approved["number"]

        tampered, foreign = _foreign_and_tampered(token, platform.certification)
        assert "Invalid signature" in await refused(tampered)
        assert "Invalid signature" in await refused(foreign)

        # The issued certificate came back to enrollment as certificate.issued.
        async def shown_in_enrollment(one: Passed = one) -> bool:
            mine = await svc.call("GET", f"/api/v1/enrollments/{one.enrollment_id}",
                                  token=one.token)
            return bool(mine.body.get("certificate_status") == "valid")

        await eventually(shown_in_enrollment, timeout=60)

        # Suspended (a trainer may) and revoked (an admin only): read from the signed lists.
        await platform.certification_call(
            "POST", f"/api/v1/certificates/{pending['id']}/suspend", trainer[1],
            {"reason": "核查中"})
        assert "'suspension' is set" in await refused(token)
        await platform.certification_call(
            "POST", f"/api/v1/certificates/{pending['id']}/revoke", admin,
            {"reason": "证件信息有误", "category": "information_error"})
        assert "'revocation' is set" in await refused(token)


@pytest.mark.timeout(600)
async def test_nobody_who_marked_attendance_or_entered_a_score_approves_its_certificate(
    platform: Platform,
) -> None:
    """Four eyes through the real services: an admin who marked one day's attendance, or
    entered a score the trainer later changed (neither the last), is refused as approver."""
    svc = platform.enrollment
    admin = await svc.admin_token()
    trainer = await svc.add_user("trainer", name="王老师")
    marker_id, marker = await svc.add_user("admin", name="考勤管理员")
    scorer_id, scorer = await svc.add_user("admin", name="录分管理员")
    _, examiner = await svc.add_user("examiner", name="赵考评")
    one = await _pass_a_class(svc, admin, trainer, kind="skill_level", level=3,
                              first_marker=marker, first_scorer=scorer)
    pending = await _pending(platform, examiner, one)
    approve = f"/api/v1/certificates/{pending['id']}/approve"
    for token, code in ((marker, "approver_marked_attendance"),
                        (scorer, "approver_entered_scores")):
        refusal = await platform.certification_call("POST", approve, token, expect=403)
        assert refusal["code"] == code
        bulk = await platform.certification_call("POST", "/api/v1/certificates/approve", token,
                                                 {"ids": [pending["id"]]})
        assert [f["code"] for f in bulk["failed"]] == [code]
    stored = await platform.certification.app[DEPS].pool.fetchrow(
        "SELECT payload->'scorers' AS scorers, payload->'attendance_markers' AS markers"
        " FROM results WHERE enrollment_id = $1", UUID(one.enrollment_id))
    assert stored is not None
    assert {str(scorer_id), str(trainer[0])} == set(stored["scorers"])
    assert {str(marker_id), str(trainer[0])} == set(stored["markers"])
    approved = await platform.certification_call("POST", approve, examiner)
    assert approved["status"] == "valid"


async def test_a_certificate_held_from_elsewhere_is_recorded_once_and_closes_lower_courses(
    platform: Platform,
) -> None:
    svc = platform.enrollment
    admin = await svc.admin_token()
    lower = await ruled_course(svc, admin, occupation_name="中式烹调师", level=4)
    cls = await svc.create_class(admin, course_id=lower["id"])
    _, token = await svc.add_user(name="周九")
    assert await eligibility(svc, token, cls["id"]) == []
    # Recorded where certificates live: certification checks the number (level digit 3).
    listed = await platform.certification_call(
        "POST", "/api/v1/me/held-certificates", token,
        {"number": "Y000011010000123400007", "occupation": "中式烹调师"}, expect=201)
    assert [(i["number"], i["level"]) for i in listed["items"]] == [
        ("Y000011010000123400007", 3)]

    async def closed() -> bool:
        return await eligibility(svc, token, cls["id"]) == ["level_below_held"]

    await eventually(closed, timeout=60)  # held_certificate.recorded, through RabbitMQ
    refused_place = await svc.enrol(token, cls["id"])
    assert (refused_place.status, refused_place.body["code"]) == (403, "level_below_held")
