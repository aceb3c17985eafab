"""Settle a delivery with the broker once its fate is decided: ack it, or hand it back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from shared.logging import get_logger
from shared.messaging.transport import Delivery

log = get_logger(__name__)


class Outcome(StrEnum):
    """What became of one delivery."""

    HANDLED = "handled"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    INVALID = "invalid"
    DELAYED = "delayed"
    FAULTED = "faulted"
    RETURNED = "returned"


async def settle(delivery: Delivery, decide: Callable[[], Awaitable[Outcome]]) -> Outcome:
    """Decide a delivery's fate, then ack it, or nack it back to the queue when RETURNED, when
    deciding failed on the broker side or was cancelled (the inbox de-duplicates a redelivery)."""
    try:
        outcome = await decide()
    except asyncio.CancelledError:
        await _quietly(delivery.nack(requeue=True))
        raise
    except Exception as exc:  # the broker side failed (e.g. publishing to .error)
        log.warning("delivery_returned", error=repr(exc))
        await _quietly(delivery.nack(requeue=True))
        return Outcome.RETURNED
    if outcome is Outcome.RETURNED:
        await _quietly(delivery.nack(requeue=True))
    else:
        await _quietly(delivery.ack())
    return outcome


async def _quietly(awaitable: Any) -> None:
    try:
        await awaitable
    except Exception as exc:  # channel gone: the broker redelivers, the inbox de-duplicates
        log.warning("settle_failed", error=repr(exc))
