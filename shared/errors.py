"""Typed errors that the web layer maps to problem+json and the consumer to `.error`."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base for errors a caller can understand; `code` is stable and documented."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra


class ValidationFailed(DomainError):
    status = 422
    default_code = "validation_failed"
    title = "Invalid input"


class Unauthorized(DomainError):
    status = 401
    default_code = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"
    title = "Conflict"


class InvalidState(DomainError):
    status = 409
    default_code = "invalid_state"
    title = "Not possible in the current state"


class RetryLater(DomainError):
    """Refused for now; the answer carries Retry-After with the seconds to wait."""

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code, retry_after=retry_after)
        self.retry_after = retry_after


class RateLimited(RetryLater):
    status = 429
    default_code = "rate_limited"
    title = "Too many requests"


class Busy(RetryLater):
    """The service is at its capacity for this kind of work (e.g. password hashing)."""

    status = 503
    default_code = "busy"
    title = "Busy"


class PermanentFailure(Exception):
    """Raised by a message handler when retrying can never help; goes straight to `.error`."""


class StartupRefused(ValueError):
    """The configuration or stored state is unsafe or unusable: the service must not start."""
