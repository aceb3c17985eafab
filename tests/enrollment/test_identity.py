"""Sign-in with SMS codes and passwords, profiles and staff accounts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import jwt
import pytest

from services.enrollment.commands import UpdateProfile
from services.enrollment.handlers import identity
from shared.auth import Principal, TokenVerifier
from shared.messaging.uow import PostgresUnitOfWork, UowFactory
from tests.enrollment.conftest import StartService
from tests.enrollment.support import Reply, Service
from tests.support.locks import holding, until_waiting


async def code_sent_to(svc: Service, phone: str) -> str:
    """Return the code of the newest OtpRequested event for a number (as SMS would carry)."""
    events = [
        e
        for e in await svc.events()
        if e["type"] == "auth.otp_requested" and e["data"]["phone"] == phone
    ]
    assert events, "no code was sent"
    return str(events[-1]["data"]["code"])


async def test_first_sign_in_with_an_sms_code_creates_a_trainee_account(
    svc: Service, verifier: TokenVerifier
) -> None:
    sent = await svc.call("POST", "/api/v1/auth/otp", json_body={"phone": "138 0013 8000"})
    assert sent.status == 202
    assert sent.body["expires_in"] == 300
    code = await code_sent_to(svc, "+8613800138000")
    signed_in = await svc.call("POST", "/api/v1/auth/token",
                               json_body={"phone": "13800138000", "code": code})
    assert signed_in.status == 200
    assert signed_in.body["token_type"] == "Bearer"
    assert signed_in.body["user"]["role"] == "trainee"
    principal = verifier.verify(signed_in.body["access_token"])
    assert str(principal.user_id) == signed_in.body["user"]["id"]
    me = await svc.call("GET", "/api/v1/me", token=signed_in.body["access_token"])
    assert me.body["phone"] == "+8613800138000"
    assert me.body["profile_complete"] is False


async def test_a_code_works_once_and_only_the_stored_hash_is_kept(svc: Service) -> None:
    await svc.call("POST", "/api/v1/auth/otp", json_body={"phone": "+8613900139000"})
    code = await code_sent_to(svc, "+8613900139000")
    assert await svc.pool.fetchval("SELECT count(*) FROM otp_codes WHERE code_hash = $1",
                                   code) == 0
    ok = await svc.call("POST", "/api/v1/auth/token",
                        json_body={"phone": "+8613900139000", "code": code})
    again = await svc.call("POST", "/api/v1/auth/token",
                           json_body={"phone": "+8613900139000", "code": code})
    assert ok.status == 200
    assert again.status == 401
    assert again.body["code"] == "code_expired"


async def test_five_wrong_codes_lock_the_code(svc: Service) -> None:
    phone = "+8613700137000"
    await svc.call("POST", "/api/v1/auth/otp", json_body={"phone": phone})
    code = await code_sent_to(svc, phone)
    wrong = "000000" if code != "000000" else "111111"
    answers = [await svc.call("POST", "/api/v1/auth/token",
                              json_body={"phone": phone, "code": wrong}) for _ in range(5)]
    assert [a.body["code"] for a in answers] == ["invalid_code"] * 5
    assert [a.body["attempts_left"] for a in answers] == [4, 3, 2, 1, 0]
    right = await svc.call("POST", "/api/v1/auth/token", json_body={"phone": phone, "code": code})
    assert right.status == 429
    assert right.body["code"] == "otp_attempts_exceeded"


async def test_a_code_expires_after_five_minutes(svc: Service) -> None:
    phone = "+8613600136000"
    await svc.call("POST", "/api/v1/auth/otp", json_body={"phone": phone})
    code = await code_sent_to(svc, phone)
    svc.clock.advance(minutes=5, seconds=1)
    late = await svc.call("POST", "/api/v1/auth/token", json_body={"phone": phone, "code": code})
    assert late.status == 401
    assert late.body["code"] == "code_expired"


async def test_codes_per_number_are_limited_per_minute_hour_and_day(svc: Service) -> None:
    phone = "+8613500135000"
    ask = {"phone": phone}
    assert (await svc.call("POST", "/api/v1/auth/otp", json_body=ask)).status == 202
    too_soon = await svc.call("POST", "/api/v1/auth/otp", json_body=ask)
    assert too_soon.status == 429
    assert too_soon.body["code"] == "otp_rate_limited"
    assert int(too_soon.headers["Retry-After"]) <= 61
    for _ in range(4):
        svc.clock.advance(minutes=1, seconds=1)
        assert (await svc.call("POST", "/api/v1/auth/otp", json_body=ask)).status == 202
    svc.clock.advance(minutes=1, seconds=1)
    sixth_in_hour = await svc.call("POST", "/api/v1/auth/otp", json_body=ask)
    assert sixth_in_hour.status == 429
    for _ in range(5):
        svc.clock.advance(hours=1, minutes=1)
        assert (await svc.call("POST", "/api/v1/auth/otp", json_body=ask)).status == 202
    svc.clock.advance(hours=1, minutes=1)
    eleventh_in_day = await svc.call("POST", "/api/v1/auth/otp", json_body=ask)
    assert eleventh_in_day.status == 429
    assert int(eleventh_in_day.headers["Retry-After"]) > 3600


@pytest.mark.parametrize(
    ("phone", "code"),
    [("12345", "invalid_phone"), ("010-12345678", "phone_not_mobile"),
     ("not a phone", "invalid_phone"), ("+86 138 0013 800", "invalid_phone")],
)
async def test_codes_go_only_to_valid_mobile_numbers(svc: Service, phone: str, code: str) -> None:
    reply = await svc.call("POST", "/api/v1/auth/otp", json_body={"phone": phone})
    assert reply.status == 422
    assert reply.body["code"] == code


async def test_full_width_digits_are_normalised_to_e164(svc: Service) -> None:
    full_width = "１３８００１３８１２３"
    reply = await svc.call("POST", "/api/v1/auth/otp", json_body={"phone": full_width})
    assert reply.status == 202
    assert await code_sent_to(svc, "+8613800138123")


async def test_staff_sign_in_with_a_password_and_the_token_carries_their_name(
    svc: Service, verifier: TokenVerifier
) -> None:
    admin = await svc.admin_token()
    created = await svc.call("POST", "/api/v1/users", token=admin, json_body={
        "role": "trainer", "phone": "+8613312345678", "name": "王老师",
        "password": "correct horse battery"})
    assert created.status == 201
    bad = await svc.call("POST", "/api/v1/auth/token",
                         json_body={"phone": "13312345678", "password": "wrong password"})
    assert bad.status == 401
    assert bad.body["code"] == "invalid_credentials"
    good = await svc.call("POST", "/api/v1/auth/token",
                          json_body={"phone": "13312345678", "password": "correct horse battery"})
    assert good.status == 200
    assert good.body["user"] == {"id": created.body["id"], "role": "trainer", "name": "王老师"}
    assert verifier.verify(good.body["access_token"]).name == "王老师"


def lifetime(reply: Reply) -> tuple[int, int]:
    """Return a token answer's expires_in and its token's own exp - iat, in seconds."""
    assert reply.status == 200, reply.body
    claims = jwt.decode(reply.body["access_token"], options={"verify_signature": False})
    return reply.body["expires_in"], claims["exp"] - claims["iat"]


async def sign_in_each_role(svc: Service, base: int) -> dict[str, Reply]:
    """Sign in a new trainee (by code), trainer and administrator (by password)."""
    replies = {}
    admin = await svc.admin_token()
    for i, role in enumerate(("trainer", "admin")):
        phone = f"+86133{base + i:08d}"
        await svc.call("POST", "/api/v1/users", token=admin, json_body={
            "role": role, "phone": phone, "name": role, "password": "long enough pw"})
        replies[role] = await svc.call("POST", "/api/v1/auth/token",
                                       json_body={"phone": phone, "password": "long enough pw"})
    phone = f"+86133{base + 2:08d}"
    await svc.call("POST", "/api/v1/auth/otp", json_body={"phone": phone})
    replies["trainee"] = await svc.call("POST", "/api/v1/auth/token", json_body={
        "phone": phone, "code": await code_sent_to(svc, phone)})
    return replies


async def test_trainee_tokens_last_twelve_hours_and_staff_tokens_eight(svc: Service) -> None:
    replies = await sign_in_each_role(svc, 55_000_000)
    assert {role: lifetime(r) for role, r in replies.items()} == {
        "trainee": (12 * 3600, 12 * 3600), "trainer": (8 * 3600, 8 * 3600),
        "admin": (8 * 3600, 8 * 3600)}


async def test_token_lifetimes_are_configurable(start_service: StartService) -> None:
    svc = await start_service(trainee_token_ttl_s=900, staff_token_ttl_s=600)
    replies = await sign_in_each_role(svc, 56_000_000)
    assert {role: lifetime(r) for role, r in replies.items()} == {
        "trainee": (900, 900), "trainer": (600, 600), "admin": (600, 600)}


async def test_staff_cannot_sign_in_with_an_sms_code(svc: Service) -> None:
    admin = await svc.admin_token()
    await svc.call("POST", "/api/v1/users", token=admin, json_body={
        "role": "admin", "phone": "+8613312340000", "name": "管理员", "password": "long enough pw"})
    await svc.call("POST", "/api/v1/auth/otp", json_body={"phone": "+8613312340000"})
    code = await code_sent_to(svc, "+8613312340000")
    reply = await svc.call("POST", "/api/v1/auth/token",
                           json_body={"phone": "+8613312340000", "code": code})
    assert reply.status == 401
    assert reply.body["code"] == "password_required"


async def test_only_admins_create_staff_and_phones_are_unique(svc: Service) -> None:
    admin = await svc.admin_token()
    _, trainee = await svc.add_user()
    body = {"role": "trainer", "phone": "+8613312349999", "name": "T", "password": "12345678"}
    forbidden = await svc.call("POST", "/api/v1/users", token=trainee, json_body=body)
    assert forbidden.status == 403
    assert (await svc.call("POST", "/api/v1/users", token=admin, json_body=body)).status == 201
    again = await svc.call("POST", "/api/v1/users", token=admin, json_body=body)
    assert again.status == 409
    assert again.body["code"] == "phone_taken"
    weak = await svc.call("POST", "/api/v1/users", token=admin,
                          json_body={**body, "phone": "+8613312348888", "password": "short"})
    assert weak.body["code"] == "weak_password"


async def test_id_numbers_are_checked_encrypted_at_rest_and_shown_masked(svc: Service) -> None:
    user_id, token = await svc.add_user(name="")
    bad = await svc.call("PATCH", "/api/v1/me", token=token, json_body={
        "id_type": "resident_id", "id_number": "11010519491231002X".replace("X", "1")})
    assert bad.status == 422
    assert bad.body["code"] == "invalid_id_number"
    good = await svc.call("PATCH", "/api/v1/me", token=token, json_body={
        "name": "张三", "id_type": "resident_id", "id_number": "11010519491231002x",
        "locale": "en", "employer": "顺丰速运"})
    assert good.status == 200
    assert good.body["id_number_masked"] == "1101**********002X"
    assert good.body["profile_complete"] is True
    assert good.body["locale"] == "en"
    stored = await svc.pool.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
    assert stored is not None
    assert "11010519491231002X" not in str(dict(stored))
    legacy = await svc.call("PATCH", "/api/v1/me", token=token, json_body={
        "id_type": "resident_id", "id_number": "110105491231002"})
    assert (legacy.status, legacy.body["id_number_masked"]) == (200, "1101*******1002")


async def test_admins_list_users_with_masked_phones(svc: Service) -> None:
    admin = await svc.admin_token()
    await svc.add_user(name="赵六", phone="+8613811112222")
    listed = await svc.call("GET", "/api/v1/users?role=trainee&q=1111", token=admin)
    assert listed.status == 200
    assert [u["phone_masked"] for u in listed.body["items"]] == ["+86138****2222"]


async def test_an_admin_makes_an_examiner_who_signs_in_as_one_but_no_trainee_becomes_staff(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    body = {"role": "trainer", "phone": "+8613312347777", "name": "考评员甲",
            "password": "examiner-pass"}
    created = await svc.call("POST", "/api/v1/users", token=admin, json_body=body)
    user_id = created.body["id"]
    _, trainer = await svc.add_user("trainer")
    refused = await svc.call("PATCH", f"/api/v1/users/{user_id}", token=trainer,
                             json_body={"role": "examiner"})
    assert refused.status == 403
    made = await svc.call("PATCH", f"/api/v1/users/{user_id}", token=admin,
                          json_body={"role": "examiner"})
    assert (made.status, made.body["role"]) == (200, "examiner")
    signed_in = await svc.call("POST", "/api/v1/auth/token",
                               json_body={"phone": body["phone"], "password": body["password"]})
    assert signed_in.body["user"]["role"] == "examiner"
    me = await svc.call("GET", "/api/v1/me", token=signed_in.body["access_token"])
    assert me.status == 200
    trainee_id, _ = await svc.add_user()
    not_staff = await svc.call("PATCH", f"/api/v1/users/{trainee_id}", token=admin,
                               json_body={"role": "examiner"})
    assert (not_staff.status, not_staff.body["code"]) == (409, "not_staff")
    empty = await svc.call("PATCH", f"/api/v1/users/{user_id}", token=admin, json_body={})
    assert empty.status == 422
    direct = await svc.call("POST", "/api/v1/users", token=admin, json_body={
        **body, "role": "examiner", "phone": "+8613312346666"})
    assert direct.status == 201


async def test_a_refused_role_change_leaves_the_membership_given_with_it_unchanged(
    svc: Service,
) -> None:
    admin_id, admin = await svc.add_user("admin", name="Admin")
    own = await svc.call("PATCH", f"/api/v1/users/{admin_id}", token=admin,
                         json_body={"union_member": True, "role": "trainer"})
    assert (own.status, own.body["code"]) == (409, "own_account")
    trainee_id, _ = await svc.add_user()
    not_staff = await svc.call("PATCH", f"/api/v1/users/{trainee_id}", token=admin,
                               json_body={"union_member": True, "role": "examiner"})
    assert (not_staff.status, not_staff.body["code"]) == (409, "not_staff")
    members = await svc.pool.fetch("SELECT union_member FROM users WHERE id = ANY($1::uuid[])",
                                   [admin_id, trainee_id])
    assert [m["union_member"] for m in members] == [False, False]
    both = await svc.call("PATCH", f"/api/v1/users/{trainee_id}", token=admin,
                          json_body={"union_member": True})
    assert (both.status, both.body["union_member"]) == (200, True)


async def test_courses_need_approval_by_default_and_one_step_only_for_training(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    course = await svc.create_course(admin)
    assert (course["certificate_kind"], course["issue_policy"]) == ("training", "approval")
    skill = await svc.create_course(admin, certificate_kind="skill_level")
    assert skill["certificate_kind"] == "skill_level"
    one_step = await svc.create_course(admin, issue_policy="auto")
    assert one_step["issue_policy"] == "auto"
    for fields, code in (({"certificate_kind": "skill_level", "issue_policy": "auto"},
                          "single_step_training_only"),
                         ({"certificate_kind": "skill_level", "level": None},
                          "skill_level_needs_level")):
        refused = await svc.call("POST", "/api/v1/courses", token=admin, json_body={
            "code": f"BAD-{code[:8]}", "title_zh": "育婴员", "title_en": "Childcare",
            "category": "care", "level": 4, "required_hours": 8, **fields})
        assert (refused.status, refused.body["code"]) == (422, code)


async def test_an_enrolled_trainees_name_or_id_change_is_recorded_until_an_admin_confirms_it(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    user_id, token = await svc.add_user(name="张小三")
    set_id = {"id_type": "resident_id", "id_number": "11010519491231002X"}
    assert (await svc.call("PATCH", "/api/v1/me", token=token, json_body=set_id)).status == 200
    klass = await svc.create_class(admin)
    assert (await svc.enrol(token, klass["id"])).status == 201
    changed = await svc.call("PATCH", "/api/v1/me", token=token, json_body={
        "name": "张晓三", "change_reason": "改名，户口本已更新"})
    assert changed.status == 200
    # Resending the same ID number is not a change; a different one is.
    assert (await svc.call("PATCH", "/api/v1/me", token=token, json_body=set_id)).status == 200
    other_id = {"id_type": "resident_id", "id_number": "110105199001011232"}
    assert (await svc.call("PATCH", "/api/v1/me", token=token, json_body=other_id)).status == 200
    listed = await svc.call("GET", "/api/v1/identity-changes", token=admin)
    mine = [c for c in listed.body["items"] if c["user_id"] == str(user_id)]
    assert [(c["fields"], c["reason"], c["changed_by"], c["changed_by_role"]) for c in mine] == [
        (["id_number"], None, str(user_id), "trainee"),
        (["name"], "改名，户口本已更新", str(user_id), "trainee")]
    assert all(c["confirmed_at"] is None for c in mine)
    assert (await svc.call("GET", "/api/v1/identity-changes", token=token)).status == 403

    def reviews(events: list[dict[str, Any]]) -> list[int]:
        return [e["data"]["unconfirmed"] for e in events
                if e["type"] == "trainee.identity_reviewed"]

    assert reviews(await svc.events(user_id)) == [1, 2]
    confirmed = await svc.call("POST", f"/api/v1/users/{user_id}/identity-changes/confirm",
                               token=admin)
    assert (confirmed.status, confirmed.body["confirmed"]) == (200, 2)
    assert reviews(await svc.events(user_id)) == [1, 2, 0]
    again = await svc.call("POST", f"/api/v1/users/{user_id}/identity-changes/confirm",
                           token=admin)
    assert again.body["confirmed"] == 0
    assert reviews(await svc.events(user_id)) == [1, 2, 0]
    pending = await svc.call("GET", "/api/v1/identity-changes", token=admin)
    assert str(user_id) not in {c["user_id"] for c in pending.body["items"]}


async def test_a_confirmation_racing_a_change_never_tells_certification_none_is_unconfirmed(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    user_id, token = await svc.add_user(name="王五")
    assert (await svc.enrol(token, (await svc.create_class(admin))["id"])).status == 201
    first = await svc.call("PATCH", "/api/v1/me", token=token, json_body={"name": "王伍"})
    assert first.status == 200

    # The second change has recorded itself and taken its seq, and waits to write its event,
    # when the administrator confirms.
    async with holding(svc.pool, "LOCK TABLE outbox IN EXCLUSIVE MODE"):
        change = asyncio.ensure_future(svc.call("PATCH", "/api/v1/me", token=token,
                                                json_body={"name": "王午"}))
        await until_waiting(svc.pool, 1)
        confirm = asyncio.ensure_future(svc.call(
            "POST", f"/api/v1/users/{user_id}/identity-changes/confirm", token=admin))
        await until_waiting(svc.pool, 2)
    assert ((await change).status, (await confirm).status) == (200, 200)

    reviews = [e["data"] for e in await svc.events(user_id)
               if e["type"] == "trainee.identity_reviewed"]
    told = max(reviews, key=lambda r: r["seq"])["unconfirmed"]  # what certification keeps
    unconfirmed = await svc.pool.fetchval(
        "SELECT count(*) FROM identity_changes WHERE user_id = $1 AND confirmed_at IS NULL",
        user_id)
    assert told == unconfirmed


def failing_first_commit(uows: UowFactory) -> UowFactory:
    """Open units of work as `uows` does; the first one ends in a real serialization failure
    after its work ran (as a deadlock would), so in_transaction runs the work again."""
    failed = False

    @asynccontextmanager
    async def open_uow() -> AsyncIterator[PostgresUnitOfWork]:
        nonlocal failed
        async with uows() as uow:
            yield uow
            if not failed:
                failed = True
                await uow.conn.execute("DO $$ BEGIN RAISE EXCEPTION 'retry' "
                                       "USING ERRCODE = 'serialization_failure'; END $$")

    return open_uow


async def test_a_profile_update_run_again_after_a_deadlock_keeps_the_change_reason(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    user_id, token = await svc.add_user(name="赵六")
    assert (await svc.call("PATCH", "/api/v1/me", token=token, json_body={
        "id_type": "resident_id", "id_number": "11010519491231002X"})).status == 200
    assert (await svc.enrol(token, (await svc.create_class(admin))["id"])).status == 201
    retried = replace(svc.deps, uows=failing_first_commit(svc.deps.uows))
    cmd = UpdateProfile(name="赵陆", id_type="resident_id", id_number="110105199001011232",
                        change_reason="改名，户口本已更新")

    await identity.update_profile(cmd, deps=retried, actor=Principal(user_id, "trainee"))

    rows = await svc.pool.fetch(
        "SELECT fields, reason FROM identity_changes WHERE user_id = $1", user_id)
    assert [(sorted(r["fields"]), r["reason"]) for r in rows] == [
        (["id_number", "name"], "改名，户口本已更新")]


async def test_a_name_change_before_any_enrolment_needs_no_confirmation(svc: Service) -> None:
    user_id, token = await svc.add_user(name="李四")
    assert (await svc.call("PATCH", "/api/v1/me", token=token,
                           json_body={"name": "李思"})).status == 200
    admin = await svc.admin_token()
    listed = await svc.call("GET", "/api/v1/identity-changes?unconfirmed=false", token=admin)
    assert str(user_id) not in {c["user_id"] for c in listed.body["items"]}
