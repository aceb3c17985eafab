"""`jiangxin dlq list|replay` lets an operator inspect and replay parked messages."""

from __future__ import annotations

import json

import pytest

from services.cli import main
from shared.messaging.rabbit import RabbitTransport
from tests.messaging.harness import ThingHappened, pipeline
from tests.messaging.test_contract import _message
from tests.support.infra import AMQP_URL, eventually


def _run(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 0


async def test_dlq_list_shows_parked_messages_and_replay_returns_them_once(
    pg_dsn: str,
    rabbit: RabbitTransport,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JIANGXIN_NAMESPACE", namespace)
    monkeypatch.setenv("JIANGXIN_AMQP_URL", AMQP_URL)
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        await p.start_consumer()
        env = p.writer.envelope(ThingHappened(thing_id="cli", mode="fail_times", times=10))
        await rabbit.publish(_message(env), routing_key=env.routing_key)

        async def parked() -> bool:
            return await rabbit.message_count(p.topology.error_queue) == 1

        await eventually(parked)
        capsys.readouterr()
        await _in_thread(["dlq", "list", p.topology.error_queue, "--json"])
        listed = json.loads(capsys.readouterr().out)
        assert [m["message_id"] for m in listed] == [str(env.message_id)]
        assert listed[0]["exception_type"] == "builtins.RuntimeError"
        # Listing leaves it there: its requeue reaches the queue a moment after the command ends
        # (the count comes from another connection, which RabbitMQ does not order with it).
        await eventually(parked)

        p.behaviour.attempts[str(env.message_id)] = 100  # fixed
        await _in_thread(["dlq", "replay", p.topology.error_queue])
        assert "replayed 1 message" in capsys.readouterr().out

        async def handled() -> bool:
            return await p.effects() == 1

        await eventually(handled)
        assert await rabbit.message_count(p.topology.error_queue) == 0


async def _in_thread(args: list[str]) -> None:
    import asyncio

    # The CLI runs its own event loop (asyncio.run), so it needs a thread of its own here.
    await asyncio.to_thread(_run, args)
