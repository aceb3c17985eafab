"""Certification keeps the access enrollment announces and refuses revoked tokens."""

from __future__ import annotations

from shared.events.catalog import UserAccessChanged
from shared.ids import new_id
from shared.user_access import record_access
from shared.web.keys import UOW
from tests.certification.conftest import CertApp
from tests.support.infra import eventually


async def _apply(cert_app: CertApp, event: UserAccessChanged) -> bool:
    async with cert_app.app[UOW]() as uow:
        return await record_access(event, uow=uow)


async def test_a_newer_version_ends_older_tokens_and_a_late_older_event_changes_nothing(
    cert_app: CertApp,
) -> None:
    user = new_id()
    old = {"Authorization": "Bearer " + cert_app.issuer.mint(user, "admin", version=1)}
    new = {"Authorization": "Bearer " + cert_app.issuer.mint(user, "admin", version=3)}
    assert (await cert_app.client.get("/api/v1/me/certificates", headers=old)).status == 200
    assert await _apply(cert_app, UserAccessChanged(user_id=user, token_version=3,
                                                    disabled=False, reason="role_changed"))
    assert not await _apply(cert_app, UserAccessChanged(user_id=user, token_version=2,
                                                        disabled=True, reason="disabled"))

    async def old_refused() -> bool:
        reply = await cert_app.client.get("/api/v1/me/certificates", headers=old)
        return reply.status == 401 and (await reply.json())["code"] == "token_revoked"

    await eventually(old_refused)
    assert (await cert_app.client.get("/api/v1/me/certificates", headers=new)).status == 200
