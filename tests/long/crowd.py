"""Many trainees, each on a phone of their own: an address of their own, sign-in by SMS code.

One event loop drives them all (aiohttp) with bounded concurrency. Every trainee connects from
its own loopback address (127.x.y.z), so the gateway's and the services' per-address limits
see separate people, as they would on the internet.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

CodeSource = Callable[[str], Awaitable[str | None]]
RETRYABLE = frozenset({502, 503, 504})


@dataclass
class Trainee:
    """One person with a phone, and what the platform told them."""

    phone: str
    address: str
    name: str
    email: str | None = None
    token: str = ""
    enrollments: dict[str, dict[str, Any]] = field(default_factory=dict)  # class id -> answer


def people(count: int, *, first: int = 0, prefix: str = "139") -> list[Trainee]:
    """Return `count` trainees with distinct valid mobile numbers and loopback addresses."""
    return [
        Trainee(f"+86{prefix}{i:08d}", f"127.{10 + i // 65536}.{i // 256 % 256}.{i % 256}",
                f"学员{i}")
        for i in range(first, first + count)
    ]


@asynccontextmanager
async def session_of(
    trainee: Trainee, *, timeout: float = 60
) -> AsyncIterator[aiohttp.ClientSession]:
    """Open an HTTP session that connects from the trainee's own address."""
    connector = aiohttp.TCPConnector(local_addr=(trainee.address, 0), limit=2)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
    ) as http:
        yield http


@dataclass
class Tally:
    """What came back: statuses, client timeouts, retries, and how long it all took."""

    statuses: Counter[int] = field(default_factory=Counter)
    timeouts: int = 0
    replayed: int = 0  # answers marked Idempotent-Replayed
    connection_errors: int = 0
    retries: int = 0
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        """Return how many answers were 5xx."""
        return sum(n for status, n in self.statuses.items() if status >= 500)


async def each(
    trainees: Iterable[Trainee], work: Callable[[Trainee], Awaitable[None]], *, concurrency: int
) -> float:
    """Run `work` for every trainee, at most `concurrency` at a time; return the seconds taken."""
    gate = asyncio.Semaphore(concurrency)

    async def one(trainee: Trainee) -> None:
        async with gate:
            await work(trainee)

    started = time.monotonic()
    await asyncio.gather(*(one(t) for t in trainees))
    return time.monotonic() - started


async def send(
    http: aiohttp.ClientSession, method: str, url: str, tally: Tally, *,
    token: str | None = None, body: Any = None, headers: dict[str, str] | None = None,
    timeout: float | None = None,
) -> tuple[int, Any]:
    """Send one request and count its answer; (0, None) after a client timeout."""
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    limit = aiohttp.ClientTimeout(total=timeout) if timeout else None
    try:
        async with http.request(method, url, json=body, headers=sent, timeout=limit) as resp:
            tally.statuses[resp.status] += 1
            tally.replayed += resp.headers.get("Idempotent-Replayed") == "true"
            answer = await resp.json() if resp.content_type.endswith("json") else None
            return resp.status, answer
    except TimeoutError:
        tally.timeouts += 1
        return 0, None
    except aiohttp.ClientConnectionError:
        tally.connection_errors += 1
        return 0, None


async def persist(
    http: aiohttp.ClientSession, method: str, url: str, tally: Tally, *, deadline_s: float = 600,
    **kwargs: Any,
) -> tuple[int, Any]:
    """Send until the platform gives an answer that is not 5xx (a client that keeps trying
    with the same request, hence the same Idempotency-Key); fail at the deadline."""
    give_up = time.monotonic() + deadline_s
    while True:
        status, answer = await send(http, method, url, tally, **kwargs)
        if status and status not in RETRYABLE:
            return status, answer
        assert time.monotonic() < give_up, f"{method} {url}: no answer within {deadline_s}s"
        tally.retries += 1
        await asyncio.sleep(0.5)


async def sign_in(base: str, trainee: Trainee, code_of: CodeSource, tally: Tally) -> None:
    """Ask for a code, read it as the phone's owner does, exchange it for a token, then fill
    in the profile (name, and email if the trainee has one) as the web front asks."""
    async with session_of(trainee) as http:
        status, _ = await persist(http, "POST", f"{base}/api/v1/auth/otp", tally,
                                  body={"phone": trainee.phone})
        assert status == 202, status
        code = await _code(trainee.phone, code_of)
        status, answer = await persist(http, "POST", f"{base}/api/v1/auth/token", tally,
                                       body={"phone": trainee.phone, "code": code})
        assert status == 200, (status, answer)
        trainee.token = answer["access_token"]
        profile = {"name": trainee.name, **({"email": trainee.email} if trainee.email else {})}
        status, answer = await persist(http, "PATCH", f"{base}/api/v1/me", tally,
                                       token=trainee.token, body=profile)
        assert status == 200, (status, answer)


async def _code(phone: str, code_of: CodeSource, *, within_s: float = 300) -> str:
    deadline = time.monotonic() + within_s
    delay = 0.2
    while (code := await code_of(phone)) is None:
        assert time.monotonic() < deadline, f"no sign-in code for {phone[:6]}... in {within_s}s"
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 2.0)
    return code


class DevInbox:
    """Read sign-in codes where `make run` shows them: the dev inbox, through the gateway."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base

    async def code_of(self, phone: str) -> str | None:
        """Return the newest sign-in code sent to a phone, if one arrived."""
        url = f"{self.base}/dev/inbox/messages"
        async with self.http.get(url, params={"phone": phone}) as resp:
            if resp.status != 200:
                return None
            items = (await resp.json())["items"]
        return next((m["code"] for m in items if m.get("code")), None)
