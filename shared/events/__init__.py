"""Integration events: the envelope, the registry and every event contract."""

from shared.events.envelope import Envelope, Event, event
from shared.events.registry import REGISTRY, EventRegistry

__all__ = ["REGISTRY", "Envelope", "Event", "EventRegistry", "event"]
