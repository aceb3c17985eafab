"""Typed routes: parse the body and query into pydantic models, check roles, build OpenAPI."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from shared.access import AccessList
from shared.auth import ROLES, Principal, TokenVerifier
from shared.errors import Forbidden, NotFound, Unauthorized
from shared.web.problem import problem_response, validation_problem

B = TypeVar("B")
Q = TypeVar("Q")
# Every role, examiners included: what any signed-in person may do about themselves (/me).
ANY_ROLE = frozenset(ROLES)
PRINCIPAL: web.RequestKey[Principal | None] = web.RequestKey("principal")
VERIFIER = web.AppKey("token_verifier", TokenVerifier)
ACCESS = web.AppKey("user_access", AccessList)
MAX_BODY = 1 << 20


class ApiRequest(Generic[B, Q]):
    """A parsed request: the validated body and query, and the caller."""

    def __init__(self, request: web.Request, body: B, query: Q, principal: Principal | None):
        self.request, self.body, self.query, self.principal = request, body, query, principal

    @property
    def app(self) -> web.Application:
        """Return the application (its AppKeys hold the service's resources)."""
        return self.request.app

    @property
    def user(self) -> Principal:
        """Return the authenticated caller (routes with roles always have one)."""
        if self.principal is None:
            raise Unauthorized("sign in first")
        return self.principal

    def path_uuid(self, name: str) -> UUID:
        """Return a path parameter as a UUID; a malformed one is simply not found."""
        try:
            return UUID(self.request.match_info[name])
        except ValueError:
            raise NotFound(f"no such {name.removesuffix('_id')}") from None

    def path(self, name: str) -> str:
        """Return a path parameter."""
        return self.request.match_info[name]

    def header(self, name: str) -> str | None:
        """Return a request header, or None."""
        return self.request.headers.get(name)


Handler = Callable[[ApiRequest[Any, Any]], Awaitable[BaseModel | web.StreamResponse | None]]
# A check of the request itself (a callback's shared token) that raises to refuse it.
Guard = Callable[[web.Request], None]


@dataclass(frozen=True)
class RouteSpec:
    """One operation: where it lives, what it takes and returns, who may call it."""

    method: str
    path: str
    handler: Handler
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    roles: frozenset[str] | None = None
    summary: str = ""
    tags: tuple[str, ...] = ()
    content_types: tuple[str, ...] = ("application/json",)
    extra_statuses: tuple[int, ...] = field(default_factory=tuple)
    operation_id: str | None = None  # the handler's name unless one function serves many apps
    # Runs after the role gate and before the body is read: a caller it refuses learns
    # nothing about the body format (no 400/413/422 before the 401).
    guard: Guard | None = None


def json_response(
    model: BaseModel, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Serialise a response model to JSON."""
    return web.Response(
        body=model.model_dump_json().encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def principal_of(request: web.Request) -> Principal | None:
    """Verify the bearer token of a request, if any; an invalid one raises Unauthorized."""
    if PRINCIPAL in request:
        return request[PRINCIPAL]
    header = request.headers.get("Authorization", "")
    principal = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("use 'Authorization: Bearer <token>'", code="invalid_token")
        principal = request.app[VERIFIER].verify(token.strip())
        if ACCESS in request.app:
            request.app[ACCESS].check(principal)
    request[PRINCIPAL] = principal
    return principal


async def _parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel | web.Response:
    if request.content_length and request.content_length > MAX_BODY:
        return problem_response(413, "payload_too_large", "Payload too large")
    raw = await request.read()
    if not raw.strip():
        return problem_response(400, "body_required", "Bad request", "A JSON body is required")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            return problem_response(400, "invalid_json", "Bad request", "The body is not JSON")
        return validation_problem(exc, where="body")


def _wrap(spec: RouteSpec) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        principal = principal_of(request) if spec.roles is not None else _optional(request)
        if spec.roles is not None:
            if principal is None:
                raise Unauthorized("sign in first")
            if principal.role not in spec.roles:
                raise Forbidden("your role may not do this", code="role_forbidden")
        if spec.guard is not None:
            spec.guard(request)
        body: Any = None
        if spec.body is not None:
            parsed = await _parse_body(request, spec.body)
            if isinstance(parsed, web.Response):
                return parsed
            body = parsed
        query: Any = None
        if spec.query is not None:
            try:
                query = spec.query.model_validate(dict(request.query))
            except ValidationError as exc:
                return validation_problem(exc, where="query")
        result = await spec.handler(ApiRequest(request, body, query, principal))
        if result is None:
            return web.Response(status=204)
        if isinstance(result, web.StreamResponse):
            return result
        return json_response(result, status=spec.status)

    return handle


def _optional(request: web.Request) -> Principal | None:
    try:
        return principal_of(request)
    except Unauthorized:
        request[PRINCIPAL] = None
        return None


class ApiRoutes:
    """Collect typed routes of one service; register them and describe them in OpenAPI."""

    def __init__(self) -> None:
        self.specs: list[RouteSpec] = []

    def route(self, method: str, path: str, **options: Any) -> Callable[[Handler], Handler]:
        """Register the decorated coroutine as an operation."""
        roles = options.pop("roles", None)
        if roles is not None:
            options["roles"] = frozenset(roles)

        def register(fn: Handler) -> Handler:
            summary = options.pop("summary", None) or (fn.__doc__ or "").strip().split("\n")[0]
            self.specs.append(RouteSpec(method, path, fn, summary=summary, **options))
            return fn

        return register

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        """Register a GET operation."""
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        """Register a POST operation."""
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        """Register a PUT operation."""
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        """Register a PATCH operation."""
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        """Register a DELETE operation."""
        return self.route("DELETE", path, **options)

    def register(self, app: web.Application) -> None:
        """Add every route to the application's router."""
        for spec in self.specs:
            app.router.add_route(spec.method, spec.path, _wrap(spec))


def openapi_document(
    specs: Iterable[RouteSpec], *, title: str, version: str, description: str = ""
) -> dict[str, Any]:
    """Build an OpenAPI 3.1 document from route specs and their pydantic models."""
    specs = list(specs)
    models: dict[type[BaseModel], None] = {}
    for spec in specs:
        for model in (spec.body, spec.response):
            if model is not None:
                models[model] = None
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation" if any(s.body is m for s in specs) else "serialization") for m in models
    ]
    key_map, schema = models_json_schema(modes, ref_template="#/components/schemas/{model}")
    refs = {model: dict(key_map[(model, mode)]) for model, mode in modes}
    components: dict[str, Any] = {
        "schemas": {**schema.get("$defs", {}), "Problem": _PROBLEM_SCHEMA},
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
    }
    paths: dict[str, Any] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` is stable",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
    },
    "required": ["type", "title", "status", "code"],
}


def _operation(spec: RouteSpec, refs: dict[type[BaseModel], dict[str, Any]]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": spec.summary,
        "operationId": spec.operation_id or spec.handler.__name__,
        "tags": list(spec.tags),
    }
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", spec.path)
    ]
    if spec.query is not None:
        for name, info in spec.query.model_fields.items():
            params.append(
                {
                    "name": info.alias or name,
                    "in": "query",
                    "required": info.is_required(),
                    "schema": spec.query.model_json_schema()["properties"][info.alias or name],
                }
            )
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[spec.body]}},
        }
    ok: dict[str, Any] = {"description": "OK"}
    if spec.response is not None:
        ok["content"] = {"application/json": {"schema": refs[spec.response]}}
    elif spec.content_types != ("application/json",):
        ok["content"] = {ct: {} for ct in spec.content_types}
    problem = {
        "description": "Problem",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    op["responses"] = {str(spec.status): ok, "default": problem}
    for status in spec.extra_statuses:
        op["responses"][str(status)] = {"description": "See summary"}
    if spec.roles is not None:
        op["security"] = [{"bearer": []}]
        op["x-roles"] = sorted(spec.roles)
    return op
