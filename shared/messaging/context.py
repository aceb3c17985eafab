"""The journey a piece of work belongs to, carried in contextvars across awaits."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.ids import new_id
from shared.logging import bound_context

if TYPE_CHECKING:
    from shared.events.envelope import Envelope


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Correlation data that every message and log line made in this context carries."""

    correlation_id: str
    causation_id: str | None = None
    traceparent: str | None = None


_current: ContextVar[MessageContext | None] = ContextVar("jiangxin_message_context", default=None)


def new_traceparent() -> str:
    """Return a fresh W3C traceparent (version 00, sampled)."""
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"


def child_traceparent(parent: str | None) -> str:
    """Return a traceparent with the parent's trace id and a new span id."""
    if parent and len(parts := parent.split("-")) == 4:
        return f"{parts[0]}-{parts[1]}-{os.urandom(8).hex()}-{parts[3]}"
    return new_traceparent()


def current_context() -> MessageContext:
    """Return the current context, or start a new journey when there is none."""
    ctx = _current.get()
    if ctx is None:
        ctx = MessageContext(correlation_id=str(new_id()), traceparent=new_traceparent())
        _current.set(ctx)
    return ctx


def set_context(ctx: MessageContext) -> None:
    """Make `ctx` the current context of this task."""
    _current.set(ctx)



@contextmanager
def handling(envelope: Envelope, *, queue: str) -> Iterator[None]:
    """Handle one message in its journey: events it emits and log lines it writes carry it."""
    set_context(
        MessageContext(
            correlation_id=envelope.correlation_id,
            causation_id=str(envelope.message_id),
            traceparent=child_traceparent(envelope.traceparent),
        )
    )
    with bound_context(
        message_id=str(envelope.message_id),
        message_type=envelope.routing_key,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
        queue=queue,
    ):
        yield
