"""Each service's own broker user: its own queues and the events exchange, nothing else.

Made by `jiangxin broker-users` through the management HTTP API (JIANGXIN_BROKER_ADMIN_URL) or,
for a broker on this machine, `rabbitmqctl`. Passwords travel in request bodies or on stdin,
never on a command line. The same rules are in deploy/k8s/base/rabbitmq.yaml (Permission).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

import aiohttp


@dataclass(frozen=True)
class BrokerUser:
    """A service's account and what it may configure, write and read (RabbitMQ regexes)."""

    name: str
    password: str
    vhost: str
    configure: str
    write: str
    read: str


def permissions(namespace: str, service: str) -> tuple[str, str, str]:
    """Return (configure, write, read): the events exchange and the service's own queues; its
    retries and parked messages also go through the default exchange."""
    own = rf"{re.escape(namespace)}\.(events|{re.escape(service)}(\..+)?)"
    return rf"^{own}$", rf"^({own}|amq\.default)$", rf"^{own}$"


def broker_user(amqp_url: str, *, namespace: str, service: str) -> BrokerUser:
    """Return the user a service's AMQP URL logs in as, with its permissions."""
    url = urlsplit(amqp_url.split(",")[0])
    vhost = unquote(url.path[1:]) if len(url.path) > 1 else "/"
    configure, write, read = permissions(namespace, service)
    return BrokerUser(unquote(url.username or ""), unquote(url.password or ""), vhost,
                      configure, write, read)


class UserAdmin(Protocol):
    """Create or update a broker user and set its permissions."""

    async def apply(self, user: BrokerUser) -> str: ...


class ManagementApi:
    """The RabbitMQ management HTTP API (http://admin:password@host:15672)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        self.auth = aiohttp.BasicAuth(unquote(parts.username or ""), unquote(parts.password or ""))

    async def apply(self, user: BrokerUser) -> str:
        """PUT the user (with its password) and its permissions on the vhost."""
        name, vhost = quote(user.name, safe=""), quote(user.vhost, safe="")
        async with aiohttp.ClientSession(auth=self.auth) as http:
            async with http.put(f"{self.base}/users/{name}",
                                json={"password": user.password, "tags": ""}) as reply:
                reply.raise_for_status()
                made = reply.status == 201
            async with http.put(f"{self.base}/permissions/{vhost}/{name}", json={
                    "configure": user.configure, "write": user.write, "read": user.read,
            }) as reply:
                reply.raise_for_status()
        return "created" if made else "updated"


class RabbitmqCtl:
    """`rabbitmqctl` of the broker on this machine."""

    def __init__(self, executable: str) -> None:
        self.executable = executable

    async def _run(self, *args: str, stdin: str = "") -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            self.executable, "-q", *args, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate(stdin.encode())
        assert proc.returncode is not None
        return proc.returncode, out.decode(errors="replace")

    async def _check(self, *args: str, stdin: str = "") -> str:
        code, out = await self._run(*args, stdin=stdin)
        if code != 0:
            raise SystemExit(f"rabbitmqctl {args[0]} failed: {out.strip()}")
        return out

    async def users(self) -> set[str]:
        """Return the names of the broker's users."""
        return {line.split("\t")[0] for line in (await self._check("list_users")).splitlines()}

    async def apply(self, user: BrokerUser) -> str:
        """Add the user (or change its password), then set its permissions."""
        names = await self.users()
        verb = "change_password" if user.name in names else "add_user"
        await self._check(verb, user.name, stdin=user.password)
        await self._check("set_permissions", "-p", user.vhost, user.name,
                          user.configure, user.write, user.read)
        return "updated" if user.name in names else "created"

    async def delete(self, name: str) -> None:
        """Delete a user (tests clean up their own)."""
        await self._check("delete_user", name)


def user_admin(*, admin_url: str, amqp_url: str) -> UserAdmin | None:
    """Return how users can be managed here: the management API when configured, rabbitmqctl
    for a broker on this machine, else None."""
    if admin_url:
        return ManagementApi(admin_url)
    host = urlsplit(amqp_url.split(",")[0]).hostname or "127.0.0.1"
    found = shutil.which("rabbitmqctl") or shutil.which("rabbitmqctl", path="/usr/sbin:/sbin")
    if found and host in ("127.0.0.1", "localhost", "::1"):
        return RabbitmqCtl(found)
    return None
