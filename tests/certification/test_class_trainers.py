"""Class trainers from ClassTrainersChanged (through RabbitMQ) decide who manages certificates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient

from services.certification.app import create_app
from services.certification.subscriptions import subscriptions
from shared.auth import TokenIssuer
from shared.events.catalog import ClassTrainersChanged
from shared.ids import new_id
from shared.messaging.rabbit import RabbitTransport
from shared.service import topology_for
from shared.web.keys import POOL
from tests.certification.conftest import AiohttpClient
from tests.certification.factories import completed, publish, settings_for
from tests.support.infra import AMQP_URL, eventually


@dataclass
class Running:
    """The certification app consuming from the test exchange, and a publisher to it."""

    client: TestClient[Any, Any]
    transport: RabbitTransport
    issuer: TokenIssuer
    queue: str

    def auth(self, user_id: UUID, role: str = "trainer") -> dict[str, str]:
        """Return an Authorization header."""
        return {"Authorization": "Bearer " + self.issuer.mint(user_id, role)}  # type: ignore[arg-type]

    async def consumed(self, count: int) -> None:
        """Wait until the consumer has handled `count` messages."""
        pool = self.client.app[POOL]

        async def done() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM inbox") == count)

        await eventually(done, timeout=30)


@pytest.fixture
async def running(
    pg_dsn: str, namespace: str, cert_keys: Path, issuer: TokenIssuer,
    aiohttp_client: AiohttpClient,
) -> AsyncIterator[Running]:
    """Start the app with its consumer on a fresh database and namespace."""
    settings = settings_for(pg_dsn, namespace, cert_keys, run_consumers=True)
    transport = RabbitTransport(AMQP_URL, exchange=settings.exchange_name,
                                connection_name="certification-trainers-test")
    await transport.connect()
    try:
        await transport.declare(topology_for(settings, subscriptions))
        client = await aiohttp_client(create_app(settings))
        yield Running(client, transport, issuer, f"{namespace}.certification")
    finally:
        await transport.close()


def _changed(class_id: UUID, trainers: list[UUID], seq: int) -> ClassTrainersChanged:
    return ClassTrainersChanged(class_id=class_id, trainer_ids=trainers, seq=seq)


async def test_the_latest_class_trainers_decide_whatever_order_the_events_arrive_in(
    running: Running,
) -> None:
    old, new, class_id = new_id(), new_id(), new_id()
    first = completed(class_id=class_id, trainer_ids=[old], policy="approval")
    second = completed(class_id=class_id, trainer_ids=[old], policy="approval")
    await publish(running.transport, _changed(class_id, [old], 1))
    await publish(running.transport, _changed(class_id, [new], 3))  # before the results
    await publish(running.transport, first)
    await publish(running.transport, second)
    await publish(running.transport, _changed(class_id, [old], 2))  # late and older: ignored
    await running.consumed(5)
    client = running.client
    listed = await client.get(f"/api/v1/certificates?class_id={class_id}",
                              headers=running.auth(new))
    assert listed.status == 200
    pending = {c["enrollment_id"]: c["id"] for c in (await listed.json())["items"]}
    one, two = pending[str(first.enrollment_id)], pending[str(second.enrollment_id)]

    # The trainer the completion events named is no longer one of the class.
    stale = running.auth(old)
    direct = await client.post(f"/api/v1/results/{second.enrollment_id}/certificate",
                               headers=stale)
    assert (await direct.json())["code"] == "approver_role_required"
    assert (await client.get(f"/api/v1/certificates?class_id={class_id}",
                             headers=stale)).status == 403
    assert (await client.get(f"/api/v1/certificates/{one}", headers=stale)).status == 404

    # Approvers are checked against the current trainers too: an admin who teaches the class
    # now is refused, one who taught it only per the completion events approves.
    current = running.auth(new)
    refused = await client.post(f"/api/v1/certificates/{one}/approve",
                                headers=running.auth(new, "admin"))
    assert refused.status == 403
    assert (await refused.json())["code"] == "approver_is_class_trainer"
    assert (await client.post(f"/api/v1/certificates/{one}/approve",
                              headers=running.auth(old, "admin"))).status == 200
    denied = await client.post(f"/api/v1/certificates/{one}/suspend",
                               json={"reason": "x"}, headers=stale)
    assert (await denied.json())["code"] == "not_class_trainer"
    suspended = await client.post(f"/api/v1/certificates/{one}/suspend",
                                  json={"reason": "checking the exam"}, headers=current)
    assert suspended.status == 200
    assert (await client.get(f"/api/v1/certificates/{one}/audit", headers=current)).status \
        == 200

    # The old trainer comes back (seq 4), the new one leaves.
    await publish(running.transport, _changed(class_id, [old], 4))
    await running.consumed(6)
    assert (await client.post(f"/api/v1/certificates/{two}/approve",
                              headers=running.auth(old, "admin"))).status == 403
    assert (await client.post(f"/api/v1/certificates/{two}/approve",
                              headers=running.auth(new, "admin"))).status == 200
    # Still suspended: reinstated first (by an admin, never a trainer), then reissued.
    assert (await client.post(f"/api/v1/certificates/{one}/reinstate",
                              headers=running.auth(old))).status == 403
    reissue = f"/api/v1/certificates/{one}/reissue"
    admin = running.auth(new_id(), "admin")
    refused = await client.post(reissue, json={"reason": "name corrected"}, headers=admin)
    assert refused.status == 409
    assert (await refused.json())["code"] == "not_reissueable"
    assert (await client.post(f"/api/v1/certificates/{one}/reinstate",
                              headers=admin)).status == 200
    reissued = await client.post(reissue, json={"reason": "name corrected"}, headers=admin)
    assert reissued.status == 201
    assert await running.transport.message_count(f"{running.queue}.error") == 0


async def test_without_class_trainers_the_completion_events_trainers_cannot_approve(
    running: Running,
) -> None:
    trainer, class_id = new_id(), new_id()
    result = completed(class_id=class_id, trainer_ids=[trainer], policy="approval")
    await publish(running.transport, result)
    await running.consumed(1)
    client = running.client
    listed = await client.get(f"/api/v1/certificates?class_id={class_id}",
                              headers=running.auth(trainer))
    certificate = (await listed.json())["items"][0]["id"]
    assert (await client.post(f"/api/v1/certificates/{certificate}/approve",
                              headers=running.auth(trainer, "admin"))).status == 403
    assert (await client.post(f"/api/v1/certificates/{certificate}/approve",
                              headers=running.auth(new_id(), "examiner"))).status == 200


async def test_a_class_whose_trainers_were_all_removed_is_managed_by_admins_only(
    running: Running,
) -> None:
    trainer, class_id = new_id(), new_id()
    await publish(running.transport, completed(class_id=class_id, trainer_ids=[trainer]))
    await publish(running.transport, _changed(class_id, [], 2))
    await running.consumed(2)
    client = running.client
    listed = await client.get(f"/api/v1/certificates?class_id={class_id}",
                              headers=running.auth(new_id(), "admin"))
    certificate = (await listed.json())["items"][0]["id"]
    revoke = f"/api/v1/certificates/{certificate}/revoke"
    assert (await client.post(revoke, json={"reason": "x"},
                              headers=running.auth(trainer))).status == 403
    assert (await client.post(revoke, json={"reason": "exam irregularity"},
                              headers=running.auth(new_id(), "admin"))).status == 200
