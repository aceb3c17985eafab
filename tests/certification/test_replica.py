"""Public reads from a streaming replica (read_database_url): they answer while the primary is
down, and a revocation written to the primary shows on the replica within the replication lag.

The primary and standby are private (deploy/local/pg-replica.sh on ports of this run's own).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient

from services.certification.credentials.verify import verify_credential
from shared.auth import TokenIssuer
from shared.ids import new_id
from tests.certification.conftest import AiohttpClient, CertApp, start_cert_app
from tests.certification.factories import completed, settings_for
from tests.support.infra import eventually, unique_name
from tests.support.replica import PgReplica, pg_replica

# How long a change on the primary may take to show on the replica: docs/operations.md
# ("Reading from a replica") gives the lag measured here and this bound.
# Private servers of their own: after the parallel part of `make test`, alone.
pytestmark = pytest.mark.serial

REPLICA_LAG_BOUND_S = 5.0


@pytest.fixture(scope="module")
def replica() -> Iterator[PgReplica]:
    """A primary and its standby of this run's own, deleted after the module."""
    with pg_replica() as started:
        yield started


@pytest.fixture
async def replica_app(
    replica: PgReplica, cert_keys: Path, issuer: TokenIssuer, aiohttp_client: AiohttpClient
) -> CertApp:
    """The certification app writing to the private primary and reading from its standby."""
    database = unique_name("jx_replica")
    settings = settings_for(f"{replica.primary}/{database}", unique_name("jxrep"), cert_keys,
                            read_database_url=f"{replica.standby}/{database}")
    return await start_cert_app(settings, issuer, aiohttp_client)


@dataclass(frozen=True)
class Issued:
    """One certificate as its holder sees it, and who may change it."""

    item: dict[str, Any]
    holder: UUID
    trainer: UUID
    credential: str


async def _issue(cert: CertApp) -> Issued:
    holder, trainer = new_id(), new_id()
    await cert.record(completed(user_id=holder, trainer_ids=[trainer], pii=cert.pii))
    mine = await cert.client.get("/api/v1/me/certificates", headers=cert.auth(holder, "trainee"))
    [item] = (await mine.json())["items"]
    credential = await cert.client.get(f"/api/v1/certificates/{item['id']}/credential",
                                       headers=cert.auth(holder, "trainee"))
    return Issued(item, holder, trainer, str((await credential.json())["credential"]))


async def _public_status(client: TestClient[Any, Any], issued: Issued) -> str | None:
    response = await client.get(f"/api/v1/verify/{issued.item['code']}")
    return str((await response.json())["status"]) if response.status == 200 else None


async def _status_from_lists(client: TestClient[Any, Any], issued: Issued, now: Any) -> str:
    document = await (await client.get("/.well-known/did.json")).json()
    lists = {}
    for purpose in ("revocation", "suspension"):
        path = f"/api/v1/status-lists/{purpose}-0"
        lists[f"http://localhost:8080{path}"] = await (await client.get(path)).text()
    return verify_credential(issued.credential, document, fetch_list=lists.__getitem__,
                             now=now).status


async def test_verification_status_lists_and_the_did_document_answer_while_the_primary_is_down(
    replica: PgReplica, replica_app: CertApp,
) -> None:
    issued = await _issue(replica_app)
    client = replica_app.client

    async def on_replica() -> bool:
        return await _public_status(client, issued) == "valid"

    await eventually(on_replica, timeout=REPLICA_LAG_BOUND_S)
    await replica.arun("stop-primary")
    try:
        writes = await client.get("/api/v1/me/certificates",
                                  headers=replica_app.auth(issued.holder, "trainee"))
        assert writes.status == 503  # the primary is really gone
        assert await _public_status(client, issued) == "valid"
        by_number = await client.get(f"/api/v1/verify/{issued.item['number']}")
        assert (await by_number.json())["status"] == "valid"
        posted = await client.post("/api/v1/verify", json={"credential": issued.credential})
        assert (await posted.json())["signature_valid"] is True
        page = await client.get("/verify", params={"q": issued.item["code"]})
        assert page.status == 200
        assert issued.item["number"] in await page.text()
        now = replica_app.clock.now()
        assert await _status_from_lists(client, issued, now) == "valid"
    finally:
        await replica.arun("start-primary")


async def test_a_revocation_on_the_primary_shows_on_the_replica_within_the_lag_bound(
    replica_app: CertApp,
) -> None:
    issued = await _issue(replica_app)
    client = replica_app.client

    async def on_replica() -> bool:
        return await _public_status(client, issued) == "valid"

    await eventually(on_replica, timeout=REPLICA_LAG_BOUND_S)
    revoked = await client.post(f"/api/v1/certificates/{issued.item['id']}/revoke",
                                json={"reason": "证件造假"},
                                headers=replica_app.auth(issued.trainer, "trainer"))
    assert (await revoked.json())["status"] == "revoked"

    async def revoked_on_replica() -> bool:
        now = replica_app.clock.now()
        return (await _public_status(client, issued) == "revoked"
                and await _status_from_lists(client, issued, now) == "revoked")

    await eventually(revoked_on_replica, timeout=REPLICA_LAG_BOUND_S)
