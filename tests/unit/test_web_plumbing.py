"""Typed routes, problem+json, roles, health endpoints and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import BaseModel, Field
from pytest_aiohttp import AiohttpClient

from shared.access import AccessList
from shared.auth import ROLES, TokenIssuer, TokenVerifier
from shared.errors import Conflict, NotFound, RateLimited
from shared.ids import new_id
from shared.logging import get_logger
from shared.web.api import ACCESS, ANY_ROLE, VERIFIER, ApiRequest, ApiRoutes, openapi_document
from shared.web.health import OPENAPI, READINESS, add_health_routes
from shared.web.middleware import SERVICE_NAME, request_middleware
from tests.security.tokens import with_altered_signature
from tests.support.logs import json_logs, log_lines

log = get_logger(__name__)


class Seat(BaseModel):
    class_id: str
    count: int = Field(ge=1, le=5)


class SeatOut(BaseModel):
    ok: bool
    who: str


class Page(BaseModel):
    limit: int = Field(20, ge=1, le=100)


routes = ApiRoutes()


@routes.post("/seats", body=Seat, response=SeatOut, status=201, roles={"trainee"})
async def book(req: ApiRequest[Seat, None]) -> SeatOut:
    """Book seats."""
    if req.body.class_id == "taken":
        raise Conflict("already booked", code="already_enrolled")
    if req.body.class_id == "slow":
        raise RateLimited("slow down", retry_after=7)
    return SeatOut(ok=True, who=str(req.user.user_id))


@routes.get("/things/{thing_id}", query=Page)
async def show(req: ApiRequest[None, Page]) -> SeatOut:
    """Show a thing."""
    thing = req.path_uuid("thing_id")
    raise NotFound(f"no thing {thing}", code="thing_not_found")


@routes.get("/db/{kind}")
async def database_refuses(req: ApiRequest[None, None]) -> SeatOut:
    """Fail in the database the way a missing bound or a bug would."""
    raise {
        "range": asyncpg.exceptions.NumericValueOutOfRangeError("numeric field overflow"),
        "unique": asyncpg.exceptions.UniqueViolationError("duplicate key"),
        "check": asyncpg.exceptions.CheckViolationError("violates check constraint"),
        "bug": asyncpg.exceptions.InterfaceError("the server expects 2 arguments, 1 was passed"),
        "down": asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    }[req.path("kind")]


@routes.get("/boom")
async def boom(_req: ApiRequest[None, None]) -> SeatOut:
    """Fail unexpectedly."""
    log.info("about_to_fail")
    raise RuntimeError("secret internals")


@routes.get("/api/v1/taken")
async def taken(_req: ApiRequest[None, None]) -> SeatOut:
    """Refuse under /api/."""
    raise Conflict("already booked", code="already_enrolled")


@routes.get("/elsewhere")
async def elsewhere(_req: ApiRequest[None, None]) -> SeatOut:
    """Redirect."""
    raise web.HTTPFound("/healthz")


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, verifier: TokenVerifier
) -> TestClient[web.Request, web.Application]:
    app = web.Application(middlewares=[request_middleware])
    app[SERVICE_NAME] = "unit"
    app[VERIFIER] = verifier
    app[READINESS] = {}
    app[OPENAPI] = openapi_document(routes.specs, title="t", version="1")
    routes.register(app)
    add_health_routes(app)
    return await aiohttp_client(app)


def _auth(issuer: TokenIssuer, role: str = "trainee") -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.mint(new_id(), role)}"}  # type: ignore[arg-type]


async def test_valid_request_reaches_the_handler_with_the_caller(
    client: TestClient[web.Request, web.Application], issuer: TokenIssuer
) -> None:
    response = await client.post(
        "/seats", json={"class_id": "c1", "count": 2}, headers=_auth(issuer)
    )
    assert response.status == 201
    assert (await response.json())["ok"] is True
    assert response.headers["X-Correlation-ID"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"", 400, "body_required"),
        (b'{"class_id": "c1", "count": 9}', 422, "validation_failed"),
        (b'{"count": "two"}', 422, "validation_failed"),
        (b"[1, 2]", 422, "validation_failed"),
        (b'{"class_id": "taken", "count": 1}', 409, "already_enrolled"),
        (b'{"class_id": "slow", "count": 1}', 429, "rate_limited"),
    ],
)
async def test_bad_input_gets_problem_json_with_a_stable_code(
    client: TestClient[web.Request, web.Application],
    issuer: TokenIssuer,
    body: bytes,
    status: int,
    code: str,
) -> None:
    response = await client.post(
        "/seats", data=body, headers={**_auth(issuer), "Content-Type": "application/json"}
    )
    assert response.status == status
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["type"].endswith(code)


async def test_rate_limited_problem_says_when_to_retry(
    client: TestClient[web.Request, web.Application], issuer: TokenIssuer
) -> None:
    response = await client.post(
        "/seats", json={"class_id": "slow", "count": 1}, headers=_auth(issuer)
    )
    assert response.headers["Retry-After"] == "7"


async def test_missing_wrong_and_garbage_tokens_are_401_and_wrong_role_is_403(
    client: TestClient[web.Request, web.Application], issuer: TokenIssuer
) -> None:
    body = {"class_id": "c1", "count": 1}
    assert (await client.post("/seats", json=body)).status == 401
    garbage = await client.post("/seats", json=body, headers={"Authorization": "Bearer x.y.z"})
    assert (await garbage.json())["code"] == "invalid_token"
    basic = await client.post("/seats", json=body, headers={"Authorization": "Basic abc"})
    assert basic.status == 401
    trainer = await client.post("/seats", json=body, headers=_auth(issuer, "trainer"))
    assert trainer.status == 403
    assert (await trainer.json())["code"] == "role_forbidden"


def test_any_role_is_every_role_examiners_included() -> None:
    assert sorted(ANY_ROLE) == sorted(ROLES)


async def test_a_token_answered_from_the_cache_is_still_refused_once_its_user_is_revoked(
    aiohttp_client: AiohttpClient, issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    access = AccessList()
    app = web.Application(middlewares=[request_middleware])
    app[SERVICE_NAME] = "unit"
    app[VERIFIER] = verifier
    app[ACCESS] = access
    routes.register(app)
    client = await aiohttp_client(app)
    user = new_id()
    token = issuer.mint(user, "trainee", version=1)
    body = {"class_id": "c1", "count": 1}
    for _ in range(2):  # the second answer comes from the verified-token cache
        assert (await client.post("/seats", json=body,
                                  headers={"Authorization": f"Bearer {token}"})).status == 201
    tampered = with_altered_signature(token)  # one bit flipped, never a no-op
    refused = await client.post("/seats", json=body,
                                headers={"Authorization": f"Bearer {tampered}"})
    assert (refused.status, (await refused.json())["code"]) == (401, "invalid_token")
    access.replace([(user, 2, False)])  # a password or role change: older tokens end
    revoked = await client.post("/seats", json=body, headers={"Authorization": f"Bearer {token}"})
    assert (revoked.status, (await revoked.json())["code"]) == (401, "token_revoked")
    access.replace([(user, 1, True)])  # disabled
    disabled = await client.post("/seats", json=body, headers={"Authorization": f"Bearer {token}"})
    assert (disabled.status, (await disabled.json())["code"]) == (401, "token_revoked")


async def test_malformed_ids_and_bad_query_parameters_are_problems_not_errors(
    client: TestClient[web.Request, web.Application],
) -> None:
    assert (await (await client.get("/things/not-a-uuid")).json())["code"] == "not_found"
    response = await client.get(f"/things/{new_id()}?limit=500")
    assert response.status == 422
    assert (await response.json())["errors"][0]["loc"] == ["query", "limit"]
    missing = await client.get(f"/things/{new_id()}")
    assert (await missing.json())["code"] == "thing_not_found"
    assert (await (await client.get("/nowhere")).json())["code"] == "not_found"
    assert (await (await client.delete("/seats")).json())["code"] == "method_not_allowed"


async def test_unexpected_error_is_a_500_problem_without_internals(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/boom")
    assert response.status == 500
    problem = await response.json()
    assert problem["code"] == "internal_error"
    assert "secret" not in await response.text()


async def test_health_ready_metrics_and_openapi_are_served(
    client: TestClient[web.Request, web.Application],
) -> None:
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/readyz")).status == 200
    await client.get("/healthz")
    metrics = await (await client.get("/metrics")).text()
    assert (
        'jiangxin_http_requests_total{method="GET",route="/healthz",service="unit",status="200"}'
        in metrics
    )
    doc = await (await client.get("/openapi.json")).json()
    assert doc["openapi"] == "3.1.0"
    post = doc["paths"]["/seats"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Seat")
    assert post["security"] == [{"bearer": []}]
    assert "Seat" in doc["components"]["schemas"]
    params = doc["paths"]["/things/{thing_id}"]["get"]["parameters"]
    assert {p["name"] for p in params} == {"thing_id", "limit"}


def test_openapi_documents_of_the_services_are_valid_json_schema_refs() -> None:
    import json

    for name in ("enrollment", "certification", "notification"):
        import importlib

        api = importlib.import_module(f"services.{name}.api")
        doc = openapi_document(api.routes.specs, title=name, version="1")
        text = json.dumps(doc)
        for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
            assert ref.removeprefix("#/components/schemas/") in doc["components"]["schemas"], ref
    assert Path("shared").exists()


async def test_the_gateways_request_id_is_kept_and_a_bad_one_replaced(
    client: TestClient[web.Request, web.Application],
) -> None:
    kept = await client.get("/healthz", headers={"X-Request-ID": "nginx-abc123"})
    assert kept.headers["X-Request-ID"] == "nginx-abc123"
    replaced = await client.get("/healthz", headers={"X-Request-ID": "bad id; drop table"})
    assert replaced.headers["X-Request-ID"] != "bad id; drop table"


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("range", 422, "invalid_value"),
        ("unique", 409, "conflict"),
        ("check", 422, "constraint_violated"),
        ("bug", 500, "internal_error"),
        ("down", 503, "database_unavailable"),
    ],
)
async def test_database_refusals_are_problems_and_only_a_lost_connection_is_a_503(
    client: TestClient[web.Request, web.Application], kind: str, status: int, code: str
) -> None:
    response = await client.get(f"/db/{kind}")
    assert response.status == status
    assert (await response.json())["code"] == code


def test_a_programming_error_is_not_mistaken_for_an_unreachable_database() -> None:
    from shared.db import is_unavailable

    assert not is_unavailable(asyncpg.exceptions.InterfaceError("expects 2 arguments"))
    assert is_unavailable(asyncpg.exceptions.ConnectionDoesNotExistError("closed"))
    assert is_unavailable(asyncpg.exceptions.CannotConnectNowError("starting up"))


async def test_every_answer_problems_too_carries_security_and_journey_headers(
    client: TestClient[web.Request, web.Application], issuer: TokenIssuer
) -> None:
    journey = {"X-Request-ID": "req-1", "X-Correlation-ID": "journey-7"}
    for response in (
        await client.get("/api/v1/taken", headers=journey),
        await client.post("/seats", json={"class_id": "c1", "count": 1},
                          headers={**_auth(issuer), **journey}),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert (response.headers["X-Request-ID"], response.headers["X-Correlation-ID"]) == (
            "req-1", "journey-7")
    api = await client.get("/api/v1/taken")
    assert (api.status, api.headers["Cache-Control"]) == (409, "no-store")
    assert api.headers["X-Correlation-ID"] == api.headers["X-Request-ID"]
    assert "Cache-Control" not in (await client.get("/healthz")).headers


async def test_a_redirect_is_sent_as_it_is_and_counted(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/elsewhere", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (302, "/healthz")
    metrics = await (await client.get("/metrics")).text()
    assert 'route="/elsewhere",service="unit",status="302"} 1.0' in metrics


async def test_a_failed_request_is_logged_and_counted_with_its_ids_then_unbound(
    client: TestClient[web.Request, web.Application],
) -> None:
    with json_logs() as buffer:
        response = await client.get("/boom", headers={"X-Request-ID": "req-9"})
        lines = log_lines(buffer)
    assert response.status == 500
    events = {line["event"]: line for line in lines}
    for event in ("about_to_fail", "request_failed", "request_served"):
        assert events[event]["request_id"] == "req-9"
        assert events[event]["correlation_id"] == "req-9"
    assert events["request_served"]["status"] == 500
    metrics = await (await client.get("/metrics")).text()
    assert 'route="/boom",service="unit",status="500"}' in metrics
