"""The client's address behind reverse proxies: X-Forwarded-For only from trusted ones."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web


class TrustedProxies:
    """Find the client IP: X-Forwarded-For is believed only when a trusted proxy sent it."""

    def __init__(self, proxies: Iterable[str]) -> None:
        self._networks = [ipaddress.ip_network(p, strict=False) for p in proxies]

    def client(self, remote: str | None, forwarded_for: str | None) -> str:
        """Return the client address of a connection from `remote` carrying `forwarded_for`."""
        address = remote or "unknown"
        if not forwarded_for or not self._networks or not self._trusted(address):
            return address
        # Walk from the right: the first hop that is not one of our proxies is the client.
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if not self._trusted(hop):
                return hop
        return address

    def client_of(self, request: web.BaseRequest) -> str:
        """Return the client address of a request."""
        return self.client(request.remote, request.headers.get("X-Forwarded-For"))

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._networks)
