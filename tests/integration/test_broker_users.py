"""`jiangxin broker-users` against the real broker: each service's user declares, binds, publishes
and consumes its own queues and the events exchange, and is refused another service's queues.

Users get unique names (configured through each service's AMQP URL) and are deleted afterwards;
the broker's guest user is not touched.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused

from services.cli import services
from shared.messaging.users import RabbitmqCtl, permissions
from shared.service import new_transport, topology_for
from tests.deploy.kube import Objects
from tests.deploy.manifests import REPO, SERVICE_NAMES
from tests.support.http import cli
from tests.support.infra import AMQP_URL, delete_queues, list_queues, unique_name

HOST = AMQP_URL.rsplit("@", 1)[-1]


def rabbitmqctl() -> RabbitmqCtl:
    """Return the broker's rabbitmqctl; fail (never skip) when the set-up has none."""
    found = shutil.which("rabbitmqctl") or shutil.which("rabbitmqctl", path="/usr/sbin:/sbin")
    assert found, "rabbitmqctl is missing: the set-up installs RabbitMQ (rabbitmq-server)"
    return RabbitmqCtl(found)


@pytest.fixture
async def accounts() -> AsyncIterator[tuple[str, dict[str, str]]]:
    """A unique namespace and one unique broker URL per service; all deleted afterwards."""
    namespace = unique_name("jxbu")
    urls = {s: f"amqp://{unique_name(f'jxbu_{s[:5]}')}:pw-{s}@{HOST}" for s in SERVICE_NAMES}
    yield namespace, urls
    ctl = rabbitmqctl()
    existing = await ctl.users()
    for url in urls.values():
        name = url.split("//", 1)[1].split(":", 1)[0]
        if name in existing:
            await ctl.delete(name)
    await delete_queues(await list_queues(namespace), exchange=f"{namespace}.events")


async def test_each_service_user_reaches_its_own_queues_and_the_exchange_and_nothing_else(
    tmp_path: Path, accounts: tuple[str, dict[str, str]]
) -> None:
    namespace, urls = accounts
    env = {**os.environ, "PYTHONPATH": str(REPO), "JIANGXIN_NAMESPACE": namespace,
           **{f"JIANGXIN_{s.upper()}_AMQP_URL": url for s, url in urls.items()}}
    code, out = await cli(tmp_path, env, "broker-users")
    assert code == 0, out
    assert out.count(" created, vhost /") == len(SERVICE_NAMES), out
    for service in ("enrollment", "notification"):  # both consume, so both declare
        info = services()[service]
        settings = info.settings(namespace=namespace, amqp_url=urls[service])
        transport = new_transport(settings)
        await transport.connect()
        try:
            await transport.declare(topology_for(settings, info.subscriptions))
        finally:
            await transport.close()
    connection = await aio_pika.connect(urls["enrollment"])
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{namespace}.events")
        await exchange.publish(aio_pika.Message(b"{}"), routing_key="enrollment.probe")
        retry = f"{namespace}.enrollment.retry.1"
        await channel.default_exchange.publish(aio_pika.Message(b"{}"), routing_key=retry)
        queue = await channel.get_queue(f"{namespace}.enrollment", ensure=False)
        await queue.get(fail=False, timeout=5)
        for strangers in (f"{namespace}.notification", f"{namespace}.notification.error"):
            channel = await connection.channel()
            other = await channel.get_queue(strangers, ensure=False)  # no round trip yet
            with pytest.raises(ChannelAccessRefused):
                await other.get(fail=False, timeout=5)
        channel = await connection.channel()
        with pytest.raises(ChannelAccessRefused):
            await channel.declare_queue(f"{namespace}.notifications", durable=True)
    again, out = await cli(tmp_path, env, "broker-users")  # safe to repeat
    assert again == 0, out
    assert out.count(" updated, vhost /") == len(SERVICE_NAMES), out


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_kubernetes_gives_each_service_user_the_same_permissions(service: str) -> None:
    permission = Objects.of("base")["Permission"][f"{service}-amqp"]["spec"]["permissions"]
    assert (permission["configure"], permission["write"], permission["read"]) == permissions(
        "jiangxin", service)


async def test_one_account_shared_by_every_service_is_never_narrowed_to_one_service(
    tmp_path: Path,
) -> None:
    shared = f"amqp://{unique_name('jxbu_shared')}:pw@{HOST}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "JIANGXIN_AMQP_URL": shared}
    code, out = await cli(tmp_path, env, "broker-users")
    assert code == 1
    assert "are shared between services" in out
    assert shared.split("//", 1)[1].split(":", 1)[0] not in await rabbitmqctl().users()
