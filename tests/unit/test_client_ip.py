"""The client address behind reverse proxies."""

from __future__ import annotations

from shared.web.client_ip import TrustedProxies


def test_forwarded_for_counts_only_when_a_trusted_proxy_sent_it() -> None:
    proxies = TrustedProxies(["10.0.0.0/8"])
    assert proxies.client("10.0.0.5", "203.0.113.9") == "203.0.113.9"
    assert proxies.client("10.0.0.5", "198.51.100.1, 203.0.113.9, 10.0.0.7") == "203.0.113.9"
    assert proxies.client("203.0.113.50", "1.1.1.1") == "203.0.113.50"
    assert TrustedProxies([]).client("127.0.0.1", "1.1.1.1") == "127.0.0.1"


def test_a_forwarded_for_made_only_of_trusted_hops_gives_the_connecting_proxy() -> None:
    proxies = TrustedProxies(["127.0.0.1", "10.0.0.0/8"])
    assert proxies.client("127.0.0.1", "10.1.2.3, 127.0.0.1") == "127.0.0.1"
    assert proxies.client(None, None) == "unknown"
