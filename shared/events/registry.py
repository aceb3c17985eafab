"""Registry of event classes by (type, version); REGISTRY holds the published catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pydantic import ValidationError

from shared.events.catalog import EVENTS
from shared.events.envelope import Envelope, Event


class UnknownEventType(LookupError):
    """No event class is registered for a message's type and version."""


class EventRegistry:
    """Map `<type>.v<version>` to its event class."""

    def __init__(self, classes: Iterable[type[Event]] = ()) -> None:
        self._by_key: dict[str, type[Event]] = {}
        for cls in classes:
            self.add(cls)

    def add(self, cls: type[Event]) -> None:
        """Register an event class; a key may be registered once."""
        key = cls.routing_key()
        existing = self._by_key.get(key)
        if existing is not None and existing is not cls:
            raise ValueError(f"event {key} registered twice ({existing.__name__}, {cls.__name__})")
        self._by_key[key] = cls

    def get(self, routing_key: str) -> type[Event]:
        """Return the class for a routing key or raise UnknownEventType."""
        try:
            return self._by_key[routing_key]
        except KeyError:
            raise UnknownEventType(routing_key) from None

    def __contains__(self, routing_key: object) -> bool:
        return routing_key in self._by_key

    def __iter__(self) -> Iterator[type[Event]]:
        return iter(sorted(self._by_key.values(), key=lambda c: c.routing_key()))

    def secret_keys(self) -> frozenset[str]:
        """Return the routing keys of events whose payload holds a secret."""
        return frozenset(key for key, cls in self._by_key.items() if cls.carries_secret)

    def decode(self, envelope: Envelope) -> Event:
        """Validate an envelope's data into its event class (raises ValidationError)."""
        return self.get(envelope.routing_key).model_validate(envelope.data)


def load_catalog() -> EventRegistry:
    """Return the registry of every published event (complete once this module is imported)."""
    return REGISTRY


def is_validation_error(exc: BaseException) -> bool:
    """Tell whether an exception means the payload itself is invalid."""
    return isinstance(exc, ValidationError | ValueError) and not isinstance(exc, UnknownEventType)


# Every published event contract, from the catalogue's explicit list.
REGISTRY = EventRegistry(EVENTS)
