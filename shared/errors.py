"""Typed errors that the web layer maps to problem+json and the consumer to `.error`."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base for errors a caller can understand; `code` is stable and documented.

    A subclass states its HTTP status, default `code` and problem title in its class line:
    `class NotFound(DomainError, status=404, code="not_found", title="Not found")`.
    """

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, title: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        cls.status = cls.status if status is None else status
        cls.default_code = code or cls.default_code
        cls.title = title or cls.title

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra


class ValidationFailed(DomainError, status=422, code="validation_failed", title="Invalid input"):
    """The request's input is not acceptable."""


class Unauthorized(DomainError, status=401, code="unauthorized", title="Authentication required"):
    """The caller is not (or no longer) signed in, or its credentials are wrong."""


class Forbidden(DomainError, status=403, code="forbidden", title="Not allowed"):
    """The caller is signed in but not allowed to do this."""


class NotFound(DomainError, status=404, code="not_found", title="Not found"):
    """What the request names does not exist."""


class Conflict(DomainError, status=409, code="conflict", title="Conflict"):
    """The request clashes with what is already stored or under way."""


class InvalidState(
    DomainError, status=409, code="invalid_state", title="Not possible in the current state"
):
    """The current state of what the request names does not allow it."""


class RetryLater(DomainError):
    """Refused for now; the answer carries Retry-After with the seconds to wait."""

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code, retry_after=retry_after)
        self.retry_after = retry_after


class RateLimited(RetryLater, status=429, code="rate_limited", title="Too many requests"):
    """Too many requests of this kind; try again after Retry-After."""


class Busy(RetryLater, status=503, code="busy", title="Busy"):
    """The service is at its capacity for this kind of work (e.g. password hashing)."""


class PermanentFailure(Exception):
    """Raised by a message handler when retrying can never help; goes straight to `.error`."""


class StartupRefused(ValueError):
    """The configuration or stored state is unsafe or unusable: the service must not start."""
