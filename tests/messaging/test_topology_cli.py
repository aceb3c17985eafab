"""`jiangxin topology` declares every service's queues, and says in one line when it cannot."""

from __future__ import annotations

import asyncio

import pytest

from services.cli import main


def _topology() -> int | str | None:
    with pytest.raises(SystemExit) as exit_:
        main(["topology"])
    return exit_.value.code


async def test_changed_delay_tiers_get_one_line_pointing_at_the_runbook(
    namespace: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JIANGXIN_NAMESPACE", namespace)
    assert await asyncio.to_thread(_topology) == 0
    assert f"{namespace}.notification:" in capsys.readouterr().out

    monkeypatch.setenv("JIANGXIN_DELAY_TIERS_MS", "[2000, 20000]")
    refusal = await asyncio.to_thread(_topology)

    assert isinstance(refusal, str)
    assert "\n" not in refusal
    assert "PRECONDITION_FAILED" in refusal
    assert "Changing the delay tiers or the delivery limit" in refusal
    assert refusal.startswith(f"{namespace}.")
