"""Sign-in with SMS codes and passwords, profiles and staff accounts."""

from __future__ import annotations

import jwt
import pytest

from shared.auth import TokenVerifier
from tests.enrollment.conftest import StartService
from tests.enrollment.support import Reply, Service


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
