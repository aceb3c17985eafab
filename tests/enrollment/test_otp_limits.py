"""Sign-in codes are limited per client address and overall per minute, not only per number."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tests.enrollment.conftest import StartService
from tests.enrollment.support import Reply, Service, phone_of

PROXY = ("127.0.0.1",)


async def ask(svc: Service, phone: str, *, forwarded_for: str | None = None) -> Reply:
    """Request a code for a number, optionally as the gateway forwarding for a client."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
    return await svc.call("POST", "/api/v1/auth/otp", headers=headers, json_body={"phone": phone})


def assert_refused(reply: Reply, code: str, retry_after: int) -> None:
    """Check a 429 problem with its stable code and Retry-After."""
    assert reply.status == 429, reply.body
    assert reply.content_type == "application/problem+json"
    assert reply.body["code"] == code
    assert reply.headers["Retry-After"] == str(retry_after)


async def codes_sent_to(svc: Service, phone: str) -> int:
    """Count the codes stored for a number."""
    return await svc.pool.fetchval(  # type: ignore[no-any-return]
        "SELECT count(*) FROM otp_codes WHERE phone = $1", phone)


async def test_one_client_address_gets_a_limited_number_of_codes_whatever_the_numbers(
    start_service: StartService,
) -> None:
    svc = await start_service(trusted_proxies=PROXY, otp_per_ip=3, otp_per_ip_window_s=600)
    client = "203.0.113.7"
    for i in range(3):
        assert (await ask(svc, phone_of(50_000_000 + i), forwarded_for=client)).status == 202
    svc.clock.advance(minutes=2)
    fourth = phone_of(50_000_003)
    assert_refused(await ask(svc, fourth, forwarded_for=client), "otp_ip_rate_limited",
                   retry_after=480)
    assert await codes_sent_to(svc, fourth) == 0
    assert (await ask(svc, fourth, forwarded_for="203.0.113.8")).status == 202
    svc.clock.advance(minutes=8)
    assert (await ask(svc, phone_of(50_000_004), forwarded_for=client)).status == 202


async def test_forwarded_for_from_a_peer_that_is_not_a_trusted_proxy_does_not_escape_the_limit(
    start_service: StartService,
) -> None:
    svc = await start_service(otp_per_ip=2)
    for i in range(2):
        reply = await ask(svc, phone_of(51_000_000 + i), forwarded_for=f"198.51.100.{i}")
        assert reply.status == 202
    assert_refused(await ask(svc, phone_of(51_000_002), forwarded_for="198.51.100.9"),
                   "otp_ip_rate_limited", retry_after=600)


async def test_codes_for_everybody_stop_at_the_ceiling_per_minute(
    start_service: StartService,
) -> None:
    svc = await start_service(trusted_proxies=PROXY, otp_global_per_minute=4)
    for i in range(4):
        reply = await ask(svc, phone_of(52_000_000 + i), forwarded_for=f"203.0.113.{10 + i}")
        assert reply.status == 202
        svc.clock.advance(seconds=10)
    late = phone_of(52_000_004)
    assert_refused(await ask(svc, late, forwarded_for="203.0.113.20"), "otp_global_rate_limited",
                   retry_after=20)
    assert await codes_sent_to(svc, late) == 0
    svc.clock.advance(seconds=21)  # the first code is more than a minute old
    assert (await ask(svc, late, forwarded_for="203.0.113.20")).status == 202
    assert_refused(await ask(svc, phone_of(52_000_005), forwarded_for="203.0.113.21"),
                   "otp_global_rate_limited", retry_after=9)  # the code of 10 s leaves the minute


async def test_a_number_over_its_own_limit_uses_up_nothing_of_its_address(
    start_service: StartService,
) -> None:
    svc = await start_service(trusted_proxies=PROXY, otp_per_ip=2)
    phone = phone_of(53_000_000)
    assert (await ask(svc, phone, forwarded_for="203.0.113.30")).status == 202
    for _ in range(3):
        again = await ask(svc, phone, forwarded_for="203.0.113.30")
        assert (again.status, again.body["code"]) == (429, "otp_rate_limited")
    assert (await ask(svc, phone_of(53_000_001), forwarded_for="203.0.113.30")).status == 202


def refusals(reason: str) -> float:
    """Return jiangxin_otp_refused_total for a reason, in this process."""
    return REGISTRY.get_sample_value("jiangxin_otp_refused_total", {"reason": reason}) or 0.0


@pytest.mark.parametrize("phone", ["+2348031234567", "+14155552671", "+85291234567"])
async def test_a_code_to_a_mobile_outside_mainland_china_is_refused_and_nothing_is_sent(
    start_service: StartService, phone: str
) -> None:
    svc = await start_service()
    before = refusals("phone_region_not_allowed")
    reply = await ask(svc, phone)
    assert (reply.status, reply.content_type) == (422, "application/problem+json")
    assert reply.body["code"] == "phone_region_not_allowed"
    assert await codes_sent_to(svc, phone) == 0
    assert await svc.pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert refusals("phone_region_not_allowed") == before + 1
    assert (await ask(svc, phone_of(54_000_000))).status == 202


async def test_the_allowed_regions_are_a_setting(start_service: StartService) -> None:
    svc = await start_service(otp_regions=("CN", "HK"))
    assert (await ask(svc, "+85291234567")).status == 202
    assert (await ask(svc, "+2348031234567")).body["code"] == "phone_region_not_allowed"


async def test_one_block_of_numbers_gets_a_limited_number_of_codes_an_hour(
    start_service: StartService,
) -> None:
    svc = await start_service(trusted_proxies=PROXY, otp_per_prefix_per_hour=3)
    before = refusals("otp_prefix_rate_limited")
    for i in range(3):  # a script walking through a block, each from an address of its own
        reply = await ask(svc, phone_of(55_000_000 + i), forwarded_for=f"203.0.113.{40 + i}")
        assert reply.status == 202
    svc.clock.advance(minutes=20)
    walked_on = phone_of(55_000_003)
    assert_refused(await ask(svc, walked_on, forwarded_for="203.0.113.50"),
                   "otp_prefix_rate_limited", retry_after=2400)
    assert await codes_sent_to(svc, walked_on) == 0
    assert refusals("otp_prefix_rate_limited") == before + 1
    other_block = phone_of(55_010_000)
    assert (await ask(svc, other_block, forwarded_for="203.0.113.51")).status == 202
    svc.clock.advance(minutes=40)
    assert (await ask(svc, walked_on, forwarded_for="203.0.113.50")).status == 202
