"""Every operation of the three services, as each principal, answers as access_matrix says."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shared.web.health import OPENAPI
from tests.security.access_matrix import ENTRIES, OUTSIDE_THE_API, PRINCIPALS, Entry, Refusal
from tests.security.world import SERVICES, Reply, World

pytestmark = pytest.mark.asyncio(loop_scope="module")
_PARAM = re.compile(r"\{(\w+)\}")


def _operations(world: World) -> set[tuple[str, str, str]]:
    """Return (service, METHOD, path) of every operation in the services' live documents."""
    return {(service, method.upper(), path)
            for service in SERVICES
            for path, operations in world.app(service)[OPENAPI]["paths"].items()
            for method in operations}


async def test_every_operation_has_an_entry_and_every_entry_an_operation(world: World) -> None:
    live = _operations(world)
    listed = [entry.key for entry in ENTRIES]
    missing = sorted(live - set(listed))
    assert not missing, "operations without an entry in tests/security/access_matrix.py: " + \
        ", ".join(" ".join(op) for op in missing)
    stale = sorted(set(listed) - live)
    assert not stale, "entries without an operation: " + ", ".join(" ".join(k) for k in stale)
    assert len(listed) == len(set(listed)), "an operation has two entries"


async def test_no_route_is_served_outside_the_openapi_documents(world: World) -> None:
    """A route added to the router directly skips the role gate: it must be listed on purpose."""
    unlisted = []
    for service in SERVICES:
        app = world.app(service)
        documented = {(method.upper(), path) for path, ops in app[OPENAPI]["paths"].items()
                      for method in ops}
        for route in app.router.routes():
            resource = route.resource
            key = (route.method, resource.canonical if resource is not None else "")
            if route.method != "HEAD" and key not in documented | OUTSIDE_THE_API.keys():
                unlisted.append(f"{service} {' '.join(key)}")
    assert not unlisted, f"routes outside the OpenAPI documents and OUTSIDE_THE_API: {unlisted}"


@pytest.mark.parametrize("entry", ENTRIES, ids=str)
async def test_operation_serves_exactly_the_principals_its_entry_allows(
    world: World, entry: Entry
) -> None:
    params = world.params[entry.service]
    path = _PARAM.sub(lambda m: _param(params, m.group(1), entry), entry.path)
    # Refused principals first: a served one may change the objects (cancel, approve).
    order = sorted(PRINCIPALS, key=lambda p: entry.policy.expected(p) is None)
    wrong = []
    for principal in order:
        expected = entry.policy.expected(principal)
        reply = await world.call(
            entry.service, entry.method, path, principal=principal.name,
            json=_filled(entry.body, params), query=_filled(dict(entry.query), params),
            data=entry.raw[0] if entry.raw else None,
            content_type=entry.raw[1] if entry.raw else None,
        )
        if entry.per_item and expected and not entry.policy.at_gate(principal):
            problem = _item_mismatch(reply, expected)
        else:
            problem = _mismatch(reply, expected)
        if problem:
            wrong.append(f"{principal.name}: {problem}")
    assert not wrong, f"{entry}:\n  " + "\n  ".join(wrong)


def _param(params: dict[str, str], name: str, entry: Entry) -> str:
    assert name in params, f"{entry}: tests/security/world.py seeds no {{{name}}}"
    return params[name]


def _filled(value: Any, params: dict[str, str]) -> Any:
    """Replace every string "{name}" in a body or query by the seeded parameter."""
    if isinstance(value, str) and (match := _PARAM.fullmatch(value)):
        return params[match.group(1)]
    if isinstance(value, list):
        return [_filled(v, params) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, params) for k, v in value.items()}
    return value


def _mismatch(reply: Reply, expected: Refusal | None) -> str | None:
    """Say how an answer breaks the rule (None: it keeps it)."""
    code = reply.body.get("code") if isinstance(reply.body, dict) else None
    got = f"{reply.status} {code or reply.content_type}"
    if expected is None:
        if reply.status in (401, 403) or reply.status >= 500:
            return f"must be served, got {got}"
        return None
    if (reply.status, code) != (expected.status, expected.code):
        return f"must be refused with {expected}, got {got}"
    if reply.content_type != "application/problem+json":
        return f"refusal must be application/problem+json, got {reply.content_type}"
    return None


def _item_mismatch(reply: Reply, expected: Refusal) -> str | None:
    """Say how a bulk answer breaks the rule for a principal refused item by item."""
    body = reply.body if isinstance(reply.body, dict) else {}
    codes = [item.get("code") for item in body.get("failed", [])]
    if reply.status != 200 or body.get("approved") or codes != [expected.code]:
        return f"must be 200 with the item refused as {expected.code}, got {reply.status} " \
               f"{body.get('code') or codes}"
    return None
