"""Map every error to `application/problem+json` (RFC 9457) with a stable `code`."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from aiohttp import web
from pydantic import ValidationError

from shared.db import is_unavailable
from shared.errors import DomainError, RetryLater
from shared.logging import get_logger

log = get_logger(__name__)

PROBLEM_BASE = "https://jiangxin.dev/problems/"
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def problem_response(
    status: int, code: str, title: str, detail: str = "", **extra: Any
) -> web.Response:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False, default=str),
        content_type="application/problem+json",
        headers=headers,
    )


def validation_problem(exc: ValidationError, *, where: str = "body") -> web.Response:
    """Turn a pydantic ValidationError into a 422 listing each field's problem."""
    errors = [
        {"loc": [where, *map(str, e["loc"])], "msg": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
    return problem_response(
        422, "validation_failed", "Invalid input", "Some fields are invalid", errors=errors
    )


def problem_for(exc: Exception) -> web.Response | None:
    """Return the problem+json answer to an error a handler raised; None to let it through."""
    if isinstance(exc, DomainError):
        extra = dict(exc.extra)
        if isinstance(exc, RetryLater):
            extra["retry_after"] = exc.retry_after
        return problem_response(exc.status, exc.code, exc.title, exc.detail, **extra)
    if isinstance(exc, ValidationError):
        return validation_problem(exc)
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            return None  # a redirect is aiohttp's to send
        code = _HTTP_CODES.get(exc.status, "http_error")
        return problem_response(exc.status, code, exc.reason, exc.text or "")
    return _database_problem(exc) or _unexpected(exc)


def _database_problem(exc: Exception) -> web.Response | None:
    if isinstance(exc, asyncpg.DataError):
        # A value the handler let through but the database refused (e.g. out of range):
        # a missing bound in a command model, still the caller's input, never a 500.
        log.warning("database_refused_value", error=repr(exc))
        return problem_response(422, "invalid_value", "Invalid input", "A value is out of range.")
    if isinstance(exc, asyncpg.UniqueViolationError):
        log.warning("database_unique_violation", constraint=getattr(exc, "constraint_name", None))
        return problem_response(409, "conflict", "Conflict", "This already exists.")
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        log.warning(
            "database_constraint_violation", constraint=getattr(exc, "constraint_name", None)
        )
        return problem_response(
            422, "constraint_violated", "Invalid input", "A value breaks a rule of the data."
        )
    return None


def _unexpected(exc: Exception) -> web.Response:
    if is_unavailable(exc) or isinstance(exc, OSError | asyncpg.PostgresConnectionError):
        log.warning("database_unavailable", error=repr(exc))
        return _unavailable()
    log.exception("request_failed")  # called while the error is being handled: traceback kept
    return problem_response(
        500,
        "internal_error",
        "Internal error",
        "Something went wrong on our side; it has been logged.",
    )


def _unavailable() -> web.Response:
    return problem_response(
        503,
        "database_unavailable",
        "Temporarily unavailable",
        "The database cannot be reached; try again shortly.",
    )
