"""Run a unit of work, retrying it at once when PostgreSQL reports a transient conflict."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from services.enrollment.deps import Deps
from shared.db import is_transient
from shared.logging import get_logger
from shared.messaging.uow import PostgresUnitOfWork

T = TypeVar("T")
log = get_logger(__name__)
_ATTEMPTS = 4


async def in_transaction(deps: Deps, work: Callable[[PostgresUnitOfWork], Awaitable[T]]) -> T:
    """Run `work` in one transaction; repeat it after a deadlock or serialization failure."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            async with deps.uows() as uow:
                return await work(uow)
        except Exception as exc:
            if not is_transient(exc) or attempt == _ATTEMPTS:
                raise
            log.info("transaction_retried", error=type(exc).__name__, attempt=attempt)
    raise AssertionError("unreachable")
