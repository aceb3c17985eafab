"""One HTTP call to an SMS provider, its failures in the outcome vocabulary of base.py."""

from __future__ import annotations

import aiohttp

from services.notification.providers.base import Outcome, SendResult


async def post(
    session: aiohttp.ClientSession,
    url: str,
    *,
    provider: str,
    client_timeout: aiohttp.ClientTimeout,
    data: bytes,
    headers: dict[str, str],
) -> tuple[int, bytes] | SendResult:
    """POST once; a failure before the request left is TRANSIENT, after it UNKNOWN."""
    try:
        async with session.post(
            url, data=data, headers=headers, timeout=client_timeout
        ) as response:
            return response.status, await response.read()
    except aiohttp.ConnectionTimeoutError as exc:
        return SendResult(Outcome.TRANSIENT, provider, code="connect_timeout", detail=repr(exc))
    except aiohttp.ClientConnectorError as exc:
        return SendResult(Outcome.TRANSIENT, provider, code="connect_failed", detail=repr(exc))
    except TimeoutError as exc:
        return SendResult(Outcome.UNKNOWN, provider, code="timeout", detail=repr(exc))
    except aiohttp.ClientError as exc:
        return SendResult(Outcome.UNKNOWN, provider, code="connection_lost", detail=repr(exc))
