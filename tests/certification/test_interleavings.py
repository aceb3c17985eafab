"""Results and trainer lists delivered in any order, duplicated and redelivered through two or
three racing certification instances end as in-order delivery ends.

In-order delivery of an enrolment's results ends in a state set by its highest version alone
(each version is a full snapshot; an older one arriving later is ignored, a gap is not waited
for). So the canonical state, which any interleaving must reach, is: the latest version is the
one recorded; a live certificate exists iff that version passes (valid with the `auto` policy,
pending with `approval`) and there is at most one; every certificate ever issued for the
enrolment while its highest version fails is revoked; no enrolment version has two issued
certificates; each issued certificate was announced once, each revoked one once; a class's
trainers are the list of its largest seq; nothing is parked in `.error`. Whether a certificate
was issued and then revoked on the way, or never issued, depends on the arrival order and is
not part of it (the trainee who failed in the end holds no valid certificate either way).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import asyncpg
import pytest

from services.certification.app import create_app
from services.certification.subscriptions import subscriptions
from shared.events.catalog import ClassTrainersChanged, EnrollmentCompleted
from shared.ids import new_id
from shared.messaging.memory import InMemoryTransport
from shared.service import Overrides, topology_for
from tests.certification.conftest import AiohttpClient
from tests.certification.factories import completed, settings_for
from tests.support.interleaving import (
    Brokers,
    Deliverer,
    Plan,
    plan_of,
    rabbitmq_brokers,
    run_plans,
    start_apps,
    wrap_all,
)
from tests.support.interleaving import (
    memory_broker as memory_broker,  # the fixture
)

Policy = Literal["auto", "approval"]


@dataclass(frozen=True)
class History:
    """What one plan sends: results of some enrolments, trainer lists of one class."""

    results: dict[UUID, list[EnrollmentCompleted]]  # per enrolment, in version order
    policies: dict[UUID, Policy]
    class_id: UUID
    trainers: list[ClassTrainersChanged]


def history(rng: random.Random) -> History:
    """Return 1-3 enrolments with 1-4 versions each (some re-sent) and 1-3 trainer lists."""
    class_id, results, policies = new_id(), {}, {}
    for _ in range(rng.randint(1, 3)):
        enrollment, policy = new_id(), rng.choice(["auto", "auto", "approval"])
        versions = [completed(enrollment_id=enrollment, version=v, passed=rng.random() < 0.6,
                              policy=policy, class_id=class_id)  # type: ignore[arg-type]
                    for v in range(1, rng.randint(2, 5))]
        results[enrollment], policies[enrollment] = versions, policy
    trainers = [ClassTrainersChanged(class_id=class_id, trainer_ids=[new_id()], seq=s)
                for s in range(1, rng.randint(2, 4))]
    return History(results, policies, class_id, trainers)  # type: ignore[arg-type]


def plan_for(seed: int) -> tuple[Plan, History]:
    """Return one interleaving of a random history; a result may also be re-sent as a new
    message (same version, new message id), as a trainer releasing twice would."""
    rng = random.Random(seed ^ 0x5EED)  # plan_of draws from the seed itself
    made = history(rng)
    events: list[Any] = [*made.trainers]
    for versions in made.results.values():
        events += versions + [v for v in versions if rng.random() < 0.2]
    return plan_of(seed, wrap_all(events, producer="enrollment", seed=seed)), made


async def problems_of(pool: asyncpg.Pool, made: History) -> list[str]:
    """Return how the stored state differs from the canonical one (empty: it does not)."""
    found = []
    for enrollment, versions in made.results.items():
        found += [f"{enrollment}: {p}"
                  for p in await _result_problems(pool, enrollment, versions,
                                                  made.policies[enrollment])]
    row = await pool.fetchrow("SELECT trainer_ids, seq FROM class_trainers WHERE class_id = $1",
                              made.class_id)
    last = made.trainers[-1]
    if row is None or (list(row["trainer_ids"]), row["seq"]) != (last.trainer_ids, last.seq):
        found.append(f"class {made.class_id}: trainers {row and dict(row)}, not seq {last.seq}")
    return found


async def _result_problems(
    pool: asyncpg.Pool, enrollment: UUID, versions: list[EnrollmentCompleted], policy: Policy,
) -> list[str]:
    top = versions[-1]
    found = []
    recorded = await pool.fetchval("SELECT result_version FROM results WHERE enrollment_id = $1",
                                   enrollment)
    if recorded != top.result_version:
        found.append(f"recorded version {recorded}, newest {top.result_version}")
    rows = await pool.fetch("SELECT * FROM certificates WHERE enrollment_id = $1", enrollment)
    live = [r["status"] for r in rows if r["replaced_by"] is None
            and r["status"] in ("valid", "suspended", "pending")]
    wanted = ["valid" if policy == "auto" else "pending"] if top.passed else []
    if live != wanted:
        found.append(f"live {live}, newest version passed={top.passed}: expected {wanted}")
    issued = [r for r in rows if r["number"] is not None]
    versions_issued = [r["result_version"] for r in issued]
    if len(set(versions_issued)) != len(versions_issued):
        found.append(f"two certificates issued for one version: {versions_issued}")
    announced = await _announced(pool, enrollment)
    revoked = sorted(str(r["id"]) for r in issued if r["status"] == "revoked")
    if announced != (sorted(str(r["id"]) for r in issued), revoked):
        found.append(f"announced {announced}, issued {len(issued)}, revoked {revoked}")
    return found


async def _announced(pool: asyncpg.Pool, enrollment: UUID) -> tuple[list[str], list[str]]:
    rows = await pool.fetch(
        "SELECT routing_key, (body::jsonb)->'data'->>'certificate_id' AS id FROM outbox "
        "WHERE (body::jsonb)->'data'->>'enrollment_id' = $1", str(enrollment))
    return (sorted(r["id"] for r in rows if r["routing_key"] == "certificate.issued.v1"),
            sorted(r["id"] for r in rows if r["routing_key"] == "certificate.revoked.v1"))


async def start_instances(
    count: int, brokers: Brokers, *, pg_dsn: str, namespace: str, cert_keys: Path,
    aiohttp_client: AiohttpClient,
) -> Deliverer:
    """Start `count` certification instances, the i-th on brokers[i] (or the only one)."""
    settings = settings_for(pg_dsn, namespace, cert_keys, run_consumers=True,
                            delay_tiers_ms=(50, 100, 200))
    return await start_apps(
        count, brokers, topology=topology_for(settings, subscriptions),
        make_app=lambda transport: create_app(settings, overrides=Overrides(transport=transport)),
        aiohttp_client=aiohttp_client)


async def run(deliverer: Deliverer, count: int, *, per_round: int) -> None:
    """Deliver `count` interleavings; each plan must end in the canonical state."""

    async def check(_plan: Plan, made: History) -> list[str]:
        return await problems_of(deliverer.pool, made)

    await run_plans(deliverer, plan_for, count, check=check, per_round=per_round)


@pytest.mark.parametrize("instances", [2, 3])
async def test_results_in_any_order_through_racing_instances_end_as_in_order_delivery(
    instances: int, pg_dsn: str, namespace: str, cert_keys: Path, memory_broker: InMemoryTransport,
    aiohttp_client: AiohttpClient,
) -> None:
    deliverer = await start_instances(instances, [memory_broker], pg_dsn=pg_dsn,
                                      namespace=namespace, cert_keys=cert_keys,
                                      aiohttp_client=aiohttp_client)
    await run(deliverer, 100, per_round=20)


@pytest.mark.long
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("instances", [2, 3])
async def test_results_in_any_order_through_racing_instances_on_rabbitmq_end_as_in_order(
    instances: int, pg_dsn: str, namespace: str, cert_keys: Path,
    aiohttp_client: AiohttpClient,
) -> None:
    async with rabbitmq_brokers(namespace, instances) as brokers:
        deliverer = await start_instances(instances, brokers, pg_dsn=pg_dsn, namespace=namespace,
                                          cert_keys=cert_keys, aiohttp_client=aiohttp_client)
        try:
            await run(deliverer, 1_000, per_round=50)
        finally:
            await deliverer.stop_instances()
