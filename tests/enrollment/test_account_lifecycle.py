"""Staff account lifecycle: disable, enable, role change, password change and reset end the
user's older tokens at once, and each change is announced as user.access_changed."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from tests.enrollment.support import Service, phone_of
from tests.support.infra import eventually
from tests.support.log_guard import record_output

PASSWORD = "correct horse battery"


async def _staff(svc: Service, admin: str, role: str = "trainer") -> tuple[str, str]:
    """Create a staff account through the API; return (user id, phone)."""
    svc.counter += 1
    phone = phone_of(70_000_000 + svc.counter)
    created = await svc.call("POST", "/api/v1/users", token=admin, json_body={
        "role": role, "phone": phone, "name": "李老师", "password": PASSWORD})
    assert created.status == 201, created.body
    return created.body["id"], phone


async def _sign_in(svc: Service, phone: str, password: str = PASSWORD) -> Any:
    return await svc.call("POST", "/api/v1/auth/token",
                          json_body={"phone": phone, "password": password})


async def _refused(svc: Service, token: str) -> str | None:
    """Return the problem code when the token is refused (None when it works)."""
    reply = await svc.call("GET", "/api/v1/me", token=token)
    return None if reply.status == 200 else str(reply.body["code"])


async def _revoked(svc: Service, token: str) -> None:
    # The list is re-read on the table's NOTIFY: at once, but after the commit.
    async def check() -> bool:
        return await _refused(svc, token) == "token_revoked"

    await eventually(check)


async def test_disabled_account_cannot_sign_in_and_its_tokens_end_until_enabled(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    user_id, phone = await _staff(svc, admin)
    token = (await _sign_in(svc, phone)).body["access_token"]
    assert await _refused(svc, token) is None
    disabled = await svc.call("POST", f"/api/v1/users/{user_id}/disable", token=admin)
    assert disabled.status == 200
    assert disabled.body["disabled"] is True
    await _revoked(svc, token)
    refused = await _sign_in(svc, phone)
    assert (refused.status, refused.body["code"]) == (403, "account_disabled")
    enabled = await svc.call("POST", f"/api/v1/users/{user_id}/enable", token=admin)
    assert enabled.status == 200
    assert enabled.body["disabled"] is False
    again = (await _sign_in(svc, phone)).body["access_token"]
    assert await _refused(svc, again) is None
    assert await _refused(svc, token) == "token_revoked"  # a token from before stays ended
    events = [e for e in await svc.events(user_id) if e["type"] == "user.access_changed"]
    assert [(e["data"]["token_version"], e["data"]["disabled"], e["data"]["reason"])
            for e in events] == [(1, True, "disabled"), (2, False, "enabled")]


async def test_role_change_ends_the_old_token_and_a_new_sign_in_carries_the_new_role(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    user_id, phone = await _staff(svc, admin)
    token = (await _sign_in(svc, phone)).body["access_token"]
    changed = await svc.call("PUT", f"/api/v1/users/{user_id}/role", token=admin,
                             json_body={"role": "admin"})
    assert changed.status == 200
    assert changed.body["role"] == "admin"
    await _revoked(svc, token)
    fresh = await _sign_in(svc, phone)
    assert fresh.body["user"]["role"] == "admin"
    users = await svc.call("GET", "/api/v1/users", token=fresh.body["access_token"])
    assert users.status == 200


async def test_password_change_ends_old_tokens_and_the_new_password_signs_in(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    _user_id, phone = await _staff(svc, admin)
    old = (await _sign_in(svc, phone)).body["access_token"]
    changed = await svc.call("POST", "/api/v1/auth/password", json_body={
        "phone": phone, "password": PASSWORD, "new_password": "a new long password"})
    assert changed.status == 200, changed.body
    await _revoked(svc, old)
    assert await _refused(svc, changed.body["access_token"]) is None
    assert (await _sign_in(svc, phone)).status == 401
    assert (await _sign_in(svc, phone, "a new long password")).status == 200


async def test_password_change_needs_the_current_password(svc: Service) -> None:
    admin = await svc.admin_token()
    _user_id, phone = await _staff(svc, admin)
    wrong = await svc.call("POST", "/api/v1/auth/password", json_body={
        "phone": phone, "password": "not the password", "new_password": "a new long password"})
    assert (wrong.status, wrong.body["code"]) == (401, "invalid_credentials")
    assert (await _sign_in(svc, phone)).status == 200


async def test_reset_password_must_be_changed_before_signing_in(svc: Service) -> None:
    admin = await svc.admin_token()
    user_id, phone = await _staff(svc, admin)
    old = (await _sign_in(svc, phone)).body["access_token"]
    reset = await svc.call("POST", f"/api/v1/users/{user_id}/password-reset", token=admin,
                           json_body={"password": "temporary password"})
    assert reset.status == 200
    assert reset.body["must_change_password"] is True
    await _revoked(svc, old)
    refused = await _sign_in(svc, phone, "temporary password")
    assert (refused.status, refused.body["code"]) == (403, "password_change_required")
    changed = await svc.call("POST", "/api/v1/auth/password", json_body={
        "phone": phone, "password": "temporary password", "new_password": "my own password"})
    assert changed.status == 200
    assert await _refused(svc, changed.body["access_token"]) is None
    assert (await _sign_in(svc, phone, "my own password")).status == 200


async def test_only_admins_change_accounts_and_never_their_own(svc: Service) -> None:
    admin_id, admin = await svc.add_user("admin", name="Admin")
    user_id, _phone = await _staff(svc, admin)
    _trainer_id, trainer = await svc.add_user("trainer", name="T")
    forbidden = await svc.call("POST", f"/api/v1/users/{user_id}/disable", token=trainer)
    assert forbidden.status == 403
    own = await svc.call("POST", f"/api/v1/users/{admin_id}/disable", token=admin)
    assert (own.status, own.body["code"]) == (409, "own_account")
    trainee_id, _ = await svc.add_user("trainee")
    trainee = await svc.call("PUT", f"/api/v1/users/{trainee_id}/role", token=admin,
                             json_body={"role": "admin"})
    assert (trainee.status, trainee.body["code"]) == (409, "not_staff")


async def test_token_living_longer_than_the_maximum_is_refused(svc: Service) -> None:
    admin_id, _ = await svc.add_user("admin", name="Admin")
    long_lived = svc.issuer.mint(admin_id, "admin", ttl_s=24 * 3600 + 1)  # default max: 24 h
    reply = await svc.call("GET", "/api/v1/me", token=long_lived)
    assert (reply.status, reply.body["code"]) == (401, "token_lifetime_too_long")


async def _jiangxin(svc: Service, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """Run `jiangxin` on the service's database with this stdin; return (code, out, err)."""
    settings = svc.deps.settings
    env = {**os.environ,
           "JIANGXIN_ENROLLMENT_DATABASE_URL": settings.database_url,
           "JIANGXIN_ENROLLMENT_JWT_PRIVATE_KEY_FILE": str(settings.jwt_private_key_file),
           "JIANGXIN_ENROLLMENT_PII_AT_REST_KEY_FILE": str(settings.pii_at_rest_key_file),
           "JIANGXIN_ENROLLMENT_PII_TRANSPORT_KEY_FILE": str(settings.pii_transport_key_file)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *args, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate(stdin.encode())
    record_output("jiangxin", err)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_jiangxin_user_commands_disable_enable_set_role_and_reset_a_password(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    user_id, phone = await _staff(svc, admin)
    token = (await _sign_in(svc, phone)).body["access_token"]
    code, out, err = await _jiangxin(svc, "user", "disable", phone)
    assert code == 0, err
    assert out.strip() == f"{user_id} trainer disabled"
    await _revoked(svc, token)
    assert (await _sign_in(svc, phone)).body["code"] == "account_disabled"
    assert (await _jiangxin(svc, "user", "enable", user_id))[1].strip() == (
        f"{user_id} trainer enabled")
    assert (await _jiangxin(svc, "user", "set-role", user_id, "admin"))[0] == 0
    assert (await _sign_in(svc, phone)).body["user"]["role"] == "admin"
    code, out, err = await _jiangxin(svc, "user", "reset-password", phone,
                                     stdin="temporary password\n")
    assert code == 0, err
    assert out.strip() == f"{user_id} admin enabled, must change password"
    refused = await _sign_in(svc, phone, "temporary password")
    assert refused.body["code"] == "password_change_required"
    weak = await _jiangxin(svc, "user", "reset-password", phone, stdin="short\n")
    assert weak[0] == 1
    assert "weak_password" in weak[2]
    unknown = await _jiangxin(svc, "user", "disable", "+8613999999999")
    assert unknown[0] == 1
    assert "user_not_found" in unknown[2]
