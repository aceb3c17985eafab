"""A service's subscriptions: the events it consumes, each with one typed handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.events.envelope import Envelope, Event
from shared.messaging.uow import PostgresUnitOfWork

D = TypeVar("D")


@dataclass(frozen=True, slots=True)
class HandlerContext(Generic[D]):
    """What a subscriber gets beside the event: envelope, open unit of work, the app's deps."""

    envelope: Envelope
    uow: PostgresUnitOfWork
    attempt: int
    # The service's dependencies (its deps.Deps), built once in create_app.
    deps: D
    # In a batch: what the subscription's `prepare` returned for this message (else None).
    prepared: object = None


EventT = TypeVar("EventT", bound=Event)
Handler = Callable[[Any, HandlerContext[Any]], Awaitable[None]]
# Runs once for the messages of a batch, in its transaction, before their handlers: set-based
# work for all of them, one result per message (handed to its handler as `ctx.prepared`). It
# publishes nothing and must leave any message it cannot do to its handler (result None).
Prepare = Callable[[Sequence[tuple[Any, HandlerContext[Any]]]], Awaitable[Sequence[object]]]


async def _ignore(_event: Event, _ctx: HandlerContext[Any]) -> None:
    return None


class Subscriptions:
    """Map routing keys to (event class, handler); the topology's bindings come from here."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[type[Event], Handler]] = {}
        self._prepare: dict[str, Prepare] = {}
        self._ordering: dict[str, str] = {}

    def on(
        self, event_cls: type[EventT], *, ordering: str = ""
    ) -> Callable[
        [Callable[[EventT, HandlerContext[Any]], Awaitable[None]]],
        Callable[[EventT, HandlerContext[Any]], Awaitable[None]],
    ]:
        """Register the decorated coroutine as the handler of `event_cls` (see `add`)."""

        def register(
            fn: Callable[[EventT, HandlerContext[Any]], Awaitable[None]],
        ) -> Callable[[EventT, HandlerContext[Any]], Awaitable[None]]:
            self.add(event_cls, fn, ordering=ordering)
            return fn

        return register

    def add(
        self, event_cls: type[Event], handler: Handler, *, ordering: str = "",
        prepare: Prepare | None = None,
    ) -> None:
        """Register a handler, and optionally its batch `prepare`; one per event class.

        `ordering` says, for docs/events.md, which field orders the events and what the handler
        does with an older one arriving after a newer one and with a gap (a newer one first):
        several instances compete for one queue, so arrival order is no guarantee. Every
        subscription of a service has one (a test sees to it).
        """
        key = event_cls.routing_key()
        if key in self._entries:
            raise ValueError(f"{key} already has a handler")
        self._entries[key] = (event_cls, handler)
        if ordering.strip():
            self._ordering[key] = ordering.strip()
        if prepare is not None:
            self._prepare[key] = prepare

    def ignore(self, *event_classes: type[Event]) -> None:
        """Consume these events on purpose without any effect (recorded in the inbox)."""
        for cls in event_classes:
            self.add(cls, _ignore, ordering="None needed: ignored on purpose, no effect.")

    def lookup(self, routing_key: str) -> tuple[type[Event], Handler] | None:
        """Return the event class and handler for a routing key, if subscribed."""
        return self._entries.get(routing_key)

    def prepare_of(self, routing_key: str) -> Prepare | None:
        """Return the batch `prepare` of a routing key's handler, if it has one."""
        return self._prepare.get(routing_key)

    def ordering_of(self, routing_key: str) -> str | None:
        """Return the ordering rule of a routing key's handler, if subscribed."""
        return self._ordering.get(routing_key)

    @property
    def routing_keys(self) -> tuple[str, ...]:
        """Return the routing keys to bind, sorted."""
        return tuple(sorted(self._entries))
