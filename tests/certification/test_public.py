"""Public verification without login: API, HTML page, credentials, DID document, status lists."""

from __future__ import annotations

import html
import json
from datetime import date
from typing import Any
from uuid import UUID

import jwt

from services.certification.credentials.status_list import bit_is_set, decode_bits
from services.certification.credentials.verify import verify_credential
from shared.ids import new_id
from tests.certification.conftest import CertApp, MakeApp
from tests.certification.factories import ID_NUMBER, completed


async def _issue(cert: CertApp, **kwargs: Any) -> tuple[dict[str, Any], UUID, UUID]:
    """Issue one certificate; return (item, holder, trainer)."""
    holder, trainer = new_id(), new_id()
    await cert.record(completed(user_id=holder, trainer_ids=[trainer], pii=cert.pii, **kwargs))
    response = await cert.client.get("/api/v1/me/certificates",
                                     headers=cert.auth(holder, "trainee"))
    [item] = (await response.json())["items"]
    return item, holder, trainer


async def _credential(cert: CertApp, item: dict[str, Any], holder: UUID) -> str:
    response = await cert.client.get(f"/api/v1/certificates/{item['id']}/credential",
                                     headers=cert.auth(holder, "trainee"))
    return str((await response.json())["credential"])


async def _by_number(cert: CertApp, number: str, name: str | None) -> tuple[int, bytes]:
    body = {"number": number} if name is None else {"number": number, "name": name}
    response = await cert.client.post("/api/v1/verify/number", json=body)
    return response.status, await response.read()


async def test_verify_by_code_shows_status_and_masked_data_only(cert_app: CertApp) -> None:
    item, _, _ = await _issue(cert_app)
    for key in (item["code"], item["code"].lower()):
        response = await cert_app.client.get(f"/api/v1/verify/{key}")
        body = await response.json()
        assert response.status == 200
        assert body["status"] == "valid"
        assert body["number"] == item["number"]
        assert body["holder"] == "张*三"
        assert body["id_number"] == "**************1234"  # at most 4 characters shown
        # A training certificate (the course's kind) states course and hours, not a level.
        assert (body["kind"], body["title"]) == ("training", "培训合格证书")
        assert (body["level_name"], body["hours"]) == (None, 80)
        assert body["course"] == "育婴员"
        text = json.dumps(body, ensure_ascii=False)
        assert "张小三" not in text
        assert ID_NUMBER not in text
        assert "138" not in text
    unknown = await cert_app.client.get("/api/v1/verify/ZZZZZZZZZZ")
    assert unknown.status == 404
    assert (await unknown.json())["code"] == "certificate_not_found"


async def test_a_number_alone_is_refused_and_with_the_holders_name_gives_no_code(
    cert_app: CertApp,
) -> None:
    item, _, _ = await _issue(cert_app)
    alone = await cert_app.client.get(f"/api/v1/verify/{item['number']}")
    assert alone.status == 422
    assert alone.content_type == "application/problem+json"
    assert (await alone.json())["code"] == "holder_name_required"
    status, raw = await _by_number(cert_app, item["number"], None)
    assert (status, json.loads(raw)["code"]) == (422, "holder_name_required")
    status, raw = await _by_number(cert_app, item["number"], " 张小三 ")
    body = json.loads(raw)
    assert status == 200
    assert body["status"] == "valid"
    assert body["holder"] == "张*三"
    assert body["code"] is None
    assert body["verify_url"] is None
    assert item["code"] not in raw.decode()
    # Full-width and spaced forms of the same name match; another name does not.
    assert (await _by_number(cert_app, item["number"], "张 小 三"))[0] == 200
    assert (await _by_number(cert_app, item["number"], "张小四"))[0] == 404


async def test_walking_100_sequential_numbers_without_the_right_name_learns_nothing(
    cert_app: CertApp,
) -> None:
    names = ["张小三", "李四", "王五"]
    issued = {}
    for name in names:
        item, _, _ = await _issue(cert_app, name=name)
        issued[item["number"]] = name
    prefix = next(iter(issued)).rsplit("-", 1)[0]
    numbers = [f"{prefix}-{serial:06d}" for serial in range(1, 101)]
    assert set(issued) <= set(numbers)  # the walk passes over every issued one
    answers: set[tuple[int, bytes]] = set()
    found = {}
    for number in numbers:
        for guess in (None, "", "张三", "李四四"):
            answers.add(await _by_number(cert_app, number, guess))
        by_path = await cert_app.client.get(f"/api/v1/verify/{number}")
        answers.add((by_path.status, await by_path.read()))
        if number in issued:
            status, raw = await _by_number(cert_app, number, issued[number])
            found[number] = (status, json.loads(raw)["holder"])
    # Without the right name every number, issued or not, gets one of the same few answers.
    kinds = {(status, json.loads(raw)["code"]) for status, raw in answers}
    assert kinds == {(422, "holder_name_required"), (404, "certificate_not_found")}
    bodies = {raw for status, raw in answers if status == 404}
    assert len(bodies) == 1  # byte for byte the same, whoever holds the number
    assert found == {n: (200, f"{name[0]}*{name[-1]}" if len(name) > 2 else name[0] + "*")
                     for n, name in issued.items()}


async def test_number_lookups_have_their_own_stricter_rate_limit(make_cert_app: MakeApp) -> None:
    cert = await make_cert_app(verify_number_rate_per_s=0.01, verify_number_burst=2)
    item, _, _ = await _issue(cert)
    for _ in range(2):
        assert (await _by_number(cert, item["number"], "张小三"))[0] == 200
    status, raw = await _by_number(cert, item["number"], "张小三")
    assert (status, json.loads(raw)["code"]) == (429, "rate_limited")
    assert (await cert.client.get(f"/api/v1/verify/{item['code']}")).status == 200


async def test_the_credential_carries_nothing_derived_from_the_id_number(
    cert_app: CertApp,
) -> None:
    item, holder, _ = await _issue(cert_app)  # the event carries the encrypted ID number
    token = await _credential(cert_app, item, holder)
    credential = jwt.decode(token, options={"verify_signature": False})
    identifiers = credential["credentialSubject"]["identifier"]
    assert [i["identityType"] for i in identifiers] == ["name"]
    text = json.dumps(credential, ensure_ascii=False)
    assert "salt" not in text
    assert ID_NUMBER not in text
    assert "sha256" not in text


async def test_verification_is_cacheable_with_an_etag(cert_app: CertApp) -> None:
    item, _, _ = await _issue(cert_app)
    first = await cert_app.client.get(f"/api/v1/verify/{item['code']}")
    assert "max-age=" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = await cert_app.client.get(f"/api/v1/verify/{item['code']}",
                                      headers={"If-None-Match": etag})
    assert again.status == 304


async def test_verification_reads_revoked_with_reason_suspended_and_expired(
    make_cert_app: MakeApp,
) -> None:
    cert = await make_cert_app()
    item, _, trainer = await _issue(cert, validity_months=12)
    url = f"/api/v1/verify/{item['code']}"
    headers = cert.auth(trainer, "trainer")
    base = f"/api/v1/certificates/{item['id']}"
    await cert.client.post(base + "/suspend", json={"reason": "举报人说考试替考"}, headers=headers)
    body = await (await cert.client.get(url)).json()
    assert body["status"] == "suspended"
    assert (body["reason"], body["reason_code"]) == ("核查中", "under_review")
    await cert.client.post(base + "/reinstate", headers=cert.auth(new_id(), "admin"))
    cert.clock.advance(days=400)
    assert (await (await cert.client.get(url)).json())["status"] == "expired"
    revoke = {"reason": "证件造假，见举报材料", "category": "improperly_obtained"}
    await cert.client.post(base + "/revoke", json=revoke, headers=cert.auth(new_id(), "admin"))
    response = await cert.client.get(url)
    body = await response.json()
    assert body["status"] == "revoked"
    assert (body["reason"], body["reason_code"]) == ("违规获取", "improperly_obtained")
    assert "证件造假" not in await response.text()
    page = await (await cert.client.get(f"/verify/{item['code']}")).text()
    assert "已撤销：违规获取" in page
    assert "证件造假" not in page


async def test_public_verification_is_rate_limited_per_client(make_cert_app: MakeApp) -> None:
    cert = await make_cert_app(verify_rate_per_s=0.01, verify_burst=3,
                               trusted_proxies=("127.0.0.1",))
    item, _, _ = await _issue(cert)
    url = f"/api/v1/verify/{item['code']}"
    for _ in range(3):
        assert (await cert.client.get(url)).status == 200
    limited = await cert.client.get(url)
    assert limited.status == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert (await limited.json())["code"] == "rate_limited"
    # Behind the trusted proxy another client has its own bucket.
    other = await cert.client.get(url, headers={"X-Forwarded-For": "203.0.113.7"})
    assert other.status == 200


async def test_posted_credential_checks_signature_and_current_status(cert_app: CertApp) -> None:
    item, holder, _ = await _issue(cert_app)
    token = await _credential(cert_app, item, holder)
    ok = await (await cert_app.client.post("/api/v1/verify", json={"credential": token})).json()
    assert ok["signature_valid"] is True
    assert ok["status"] == "valid"
    assert ok["number"] == item["number"]
    assert ok["holder"] == "张*三"
    wrapped = await cert_app.client.post(
        "/api/v1/verify", json={"credential": {"format": "vc+jwt", "credential": token}})
    assert (await wrapped.json())["signature_valid"] is True
    header, payload, signature = token.split(".")
    flipped = payload[:20] + ("A" if payload[20] != "A" else "B") + payload[21:]
    bad = await (await cert_app.client.post(
        "/api/v1/verify", json={"credential": f"{header}.{flipped}.{signature}"})).json()
    assert bad["signature_valid"] is False
    assert bad["status"] == "invalid"
    await cert_app.client.post(f"/api/v1/certificates/{item['id']}/revoke",
                               json={"reason": "撤销测试"},
                               headers=cert_app.auth(new_id(), "admin"))
    revoked = await (await cert_app.client.post("/api/v1/verify",
                                                json={"credential": token})).json()
    assert revoked["signature_valid"] is True
    assert revoked["status"] == "revoked"
    garbage = await cert_app.client.post("/api/v1/verify", json={"credential": "hello"})
    assert garbage.status == 422
    assert (await garbage.json())["code"] == "credential_malformed"


async def test_the_published_did_document_and_status_lists_verify_a_credential_offline(
    cert_app: CertApp,
) -> None:
    item, holder, _ = await _issue(cert_app)
    token = await _credential(cert_app, item, holder)
    document = await (await cert_app.client.get("/.well-known/did.json")).json()
    assert document["id"] == "did:web:localhost%3A8080"
    assert jwt.get_unverified_header(token)["kid"] in document["assertionMethod"]

    async def fetch_all() -> dict[str, str]:
        lists = {}
        for purpose in ("revocation", "suspension"):
            url = f"/api/v1/status-lists/{purpose}-0"
            response = await cert_app.client.get(url)
            assert response.content_type == "application/vc+jwt"
            lists[f"http://localhost:8080{url}"] = await response.text()
        return lists

    lists = await fetch_all()
    now = cert_app.clock.now()
    assert verify_credential(token, document, fetch_list=lists.__getitem__,
                             now=now).status == "valid"
    await cert_app.client.post(f"/api/v1/certificates/{item['id']}/revoke",
                               json={"reason": "撤销"}, headers=cert_app.auth(new_id(), "admin"))
    lists = await fetch_all()
    assert verify_credential(token, document, fetch_list=lists.__getitem__,
                             now=now).status == "revoked"
    subject = jwt.decode(lists["http://localhost:8080/api/v1/status-lists/revocation-0"],
                         options={"verify_signature": False})["credentialSubject"]
    index = int(jwt.decode(token, options={"verify_signature": False})
                ["credentialStatus"][0]["statusListIndex"])
    assert bit_is_set(decode_bits(subject["encodedList"]), index)
    missing = await cert_app.client.get("/api/v1/status-lists/revocation-999")
    assert missing.status == 404


async def test_a_status_list_number_that_is_not_ascii_digits_is_not_found_never_an_error(
    cert_app: CertApp,
) -> None:
    await _issue(cert_app)
    # Unicode digits pass str.isdigit(): "²" would not parse, "٠" and "０" would alias list 0.
    for number in ("²", "٠", "０", "0²", "9" * 10, "9" * 4000):
        response = await cert_app.client.get(f"/api/v1/status-lists/revocation-{number}")
        assert response.status == 404, number
        assert response.content_type == "application/problem+json"
        assert (await response.json())["code"] == "status_list_not_found"


async def test_new_credentials_use_the_newest_key_and_old_ones_still_verify(
    cert_app: CertApp,
) -> None:
    from services.certification.handlers.keys import load_keys, rotate
    from services.certification.keys import DEPS
    from shared.web.keys import POOL

    first, holder, _ = await _issue(cert_app)
    old_token = await _credential(cert_app, first, holder)
    pool, secret = cert_app.app[POOL], cert_app.app[DEPS].signing_secret
    assert await rotate(pool, secret, retire_old=True) == "key-2"
    cert_app.app[DEPS].keys.replace(await load_keys(pool, secret))
    second, holder2, _ = await _issue(cert_app)
    new_token = await _credential(cert_app, second, holder2)
    assert jwt.get_unverified_header(new_token)["kid"].endswith("#key-2")
    document = await (await cert_app.client.get("/.well-known/did.json")).json()
    assert len(document["verificationMethod"]) == 2
    for token in (old_token, new_token):
        body = await (await cert_app.client.post("/api/v1/verify",
                                                 json={"credential": token})).json()
        assert body["signature_valid"] is True
        assert body["status"] == "valid"


async def test_the_public_page_escapes_everything_and_shows_masked_data(
    cert_app: CertApp,
) -> None:
    evil = "<script>alert(1)</script>"
    item, _, _ = await _issue(cert_app, name=evil)
    page = await cert_app.client.get(f"/verify/{item['code']}")
    text = await page.text()
    assert page.status == 200
    assert page.content_type == "text/html"
    assert "<script>" not in text
    assert "&lt;" in text
    assert "有效" in text
    assert item["number"] in text
    assert "**************1234" in text
    assert "4601" not in text
    assert ID_NUMBER not in text
    assert "script-src" not in page.headers["Content-Security-Policy"]
    searched = await cert_app.client.get("/verify", params={"q": "<img src=x onerror=alert(1)>"})
    body = await searched.text()
    assert searched.status == 404
    assert "<img" not in body
    assert html.escape("<img src=x onerror=alert(1)>"[:40]) in body


async def test_the_public_page_switches_to_english(cert_app: CertApp) -> None:
    item, _, _ = await _issue(cert_app)
    page = await (await cert_app.client.get(f"/verify/{item['code']}?lang=en")).text()
    assert "Valid" in page
    assert "Training Certificate" in page
    assert "Hours" in page
    assert "张*三" in page
    chinese = await (await cert_app.client.get(f"/verify/{item['code']}")).text()
    assert 'href="/verify/' in chinese
    assert "lang=en" in chinese
    form = await cert_app.client.get("/verify")
    assert form.status == 200
    assert 'name="q"' in await form.text()


async def test_the_public_page_writes_dates_as_every_other_page_of_its_language(
    cert_app: CertApp,
) -> None:
    item, _, _ = await _issue(cert_app)
    issued = date.fromisoformat(item["issued_on"])
    chinese = await (await cert_app.client.get(f"/verify/{item['code']}")).text()
    assert f"<dd>{issued.year}年{issued.month}月{issued.day}日</dd>" in chinese
    assert item["issued_on"] not in chinese
    english = await (await cert_app.client.get(f"/verify/{item['code']}?lang=en")).text()
    assert f"<dd>{issued.day} {issued:%b} {issued.year}</dd>" in english
    assert item["issued_on"] not in english


async def test_the_public_page_writes_occupation_and_work_type_with_each_languages_brackets(
    cert_app: CertApp,
) -> None:
    item, _, _ = await _issue(cert_app)
    chinese = await (await cert_app.client.get(f"/verify/{item['code']}")).text()
    assert "<dt>职业（工种）</dt><dd>育婴员（育婴员）</dd>" in chinese
    english = await (await cert_app.client.get(f"/verify/{item['code']}?lang=en")).text()
    assert "<dt>Occupation (type of work)</dt><dd>育婴员 (育婴员)</dd>" in english
    assert "（" not in english


async def test_the_public_page_writes_an_occupation_without_work_type_without_brackets(
    cert_app: CertApp,
) -> None:
    item, _, _ = await _issue(cert_app, level=None)
    chinese = await (await cert_app.client.get(f"/verify/{item['code']}")).text()
    assert "<dt>职业（工种）</dt><dd>礼仪服务</dd>" in chinese
    english = await (await cert_app.client.get(f"/verify/{item['code']}?lang=en")).text()
    assert "<dd>礼仪服务</dd>" in english
    assert "--" not in chinese + english


async def test_the_public_page_writes_the_revocation_reason_with_each_languages_punctuation(
    cert_app: CertApp,
) -> None:
    item, _, _ = await _issue(cert_app)
    held = await cert_app.client.post(f"/api/v1/certificates/{item['id']}/reissue",
                                      json={"reason": "姓名有误"},
                                      headers=cert_app.auth(new_id(), "admin"))
    approved = await cert_app.client.post(
        f"/api/v1/certificates/{(await held.json())['id']}/approve",
        headers=cert_app.auth(new_id(), "examiner"))
    assert approved.status == 200
    form = {"q": item["number"], "name": "张小三"}
    chinese = await (await cert_app.client.post("/verify", data=form)).text()
    assert "已撤销：已换发新证" in chinese
    assert "已补发新证书：JX-" in chinese
    assert "姓名有误" not in chinese
    english = await (await cert_app.client.post("/verify", data={**form, "lang": "en"})).text()
    assert "Revoked: Replaced by a new certificate" in english
    assert "Reissued as JX-" in english
    assert item["code"] not in chinese + english
    nameless = await cert_app.client.get("/verify", params={"q": item["number"]})
    assert nameless.status == 422
    assert "请同时输入持证人姓名" in await nameless.text()
    wrong = await cert_app.client.post("/verify", data={**form, "name": "张小四"})
    assert wrong.status == 404


async def test_a_skill_level_certificate_reads_as_one_on_the_public_page_and_api(
    make_cert_app: MakeApp,
) -> None:
    from services.certification import handlers
    from services.certification.keys import DEPS
    from shared.auth import Principal

    cert = await make_cert_app(assessment_body=True)
    holder = new_id()
    await cert.record(completed(user_id=holder, kind="skill_level", pii=cert.pii))
    [item] = (await (await cert.client.get(
        "/api/v1/me/certificates", headers=cert.auth(holder, "trainee"))).json())["items"]
    await handlers.approve(UUID(item["id"]), deps=cert.app[DEPS],
                           actor=Principal(user_id=new_id(), role="examiner"))
    [item] = (await (await cert.client.get(
        "/api/v1/me/certificates", headers=cert.auth(holder, "trainee"))).json())["items"]
    assert (item["kind"], item["title"], item["level_name"]) == (
        "skill", "职业技能等级证书", "四级/中级工")
    body = await (await cert.client.get(f"/api/v1/verify/{item['code']}")).json()
    assert (body["kind"], body["title"], body["level"], body["hours"]) == (
        "skill_level", "职业技能等级证书", 4, None)
    assert len(body["number"]) == 22
    chinese = await (await cert.client.get(f"/verify/{item['code']}")).text()
    assert "<dd>四级/中级工</dd>" in chinese
    english = await (await cert.client.get(f"/verify/{item['code']}?lang=en")).text()
    assert "Vocational Skill Level Certificate" in english
    assert "Level 4 / Intermediate worker" in english
