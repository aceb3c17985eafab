"""Generate the AsyncAPI 3.0 event catalogue from the registry and the subscriptions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.events.envelope import Envelope, Event
from shared.events.schemas import contract_events, schema_of

# AMQP bindings 0.3.0: the exchange belongs to the channel, how a message is published or
# acknowledged to the operation, and the AMQP `type` property to the message.
AMQP_BINDINGS = "0.3.0"
DEFS = "#/$defs/"
COMPONENT_SCHEMAS = "#/components/schemas/"


def asyncapi_document(
    *,
    producers: Mapping[str, str],
    consumers: Mapping[str, Sequence[str]],
    orderings: Mapping[str, Mapping[str, str]] | None = None,
    exchange: str = "jiangxin.events",
) -> dict[str, Any]:
    """Return an AsyncAPI 3.0 document: one channel per routing key on the topic exchange.

    `producers` maps a type prefix (e.g. "enrollment.") to the service that publishes it;
    `consumers` maps each service to the routing keys its queue binds; `orderings` gives, per
    service and routing key, its rule for events arriving out of order (the receive
    operation's description).
    """
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Envelope": _envelope_schema()}
    for cls in contract_events():
        key, name, channel_id = cls.routing_key(), cls.__name__, _channel_id(cls)
        _add_schema(schemas, name, schema_of(cls))
        messages[name] = _message(cls)
        channels[channel_id] = _channel(key, name, exchange)
        producer = next((svc for prefix, svc in producers.items() if key.startswith(prefix)), None)
        if producer:
            operations[f"{producer}_publishes_{channel_id}"] = _send(producer, cls)
        for service, keys in consumers.items():
            if key in keys:
                operations[f"{service}_receives_{channel_id}"] = _receive(
                    service, cls, (orderings or {}).get(service, {}).get(key))
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Jiangxin integration events",
            "version": "1.0.0",
            "description": (
                "Every event travels in an envelope on one durable topic exchange; the routing "
                "key is `<type>.v<version>`. Delivery is at least once; consumers de-duplicate "
                "by message_id (inbox)."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": dict(sorted(operations.items())),
        "components": {"messages": messages, "schemas": schemas},
    }


def _channel_id(cls: type[Event]) -> str:
    return cls.routing_key().replace(".", "_")


def _message(cls: type[Event]) -> dict[str, Any]:
    name = cls.__name__
    return {
        "name": name,
        "title": cls.routing_key(),
        "summary": (cls.__doc__ or "").strip().split("\n")[0],
        "contentType": "application/json",
        "payload": {
            "allOf": [
                {"$ref": f"{COMPONENT_SCHEMAS}Envelope"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": cls.event_type},
                        "version": {"const": cls.event_version},
                        "data": {"$ref": f"{COMPONENT_SCHEMAS}{name}"},
                    },
                },
            ]
        },
        # The relay sets the AMQP `type` property to the routing key.
        "bindings": {"amqp": {"messageType": cls.routing_key(), "bindingVersion": AMQP_BINDINGS}},
    }


def _channel(key: str, message: str, exchange: str) -> dict[str, Any]:
    return {
        "address": key,
        "messages": {message: {"$ref": f"#/components/messages/{message}"}},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {"name": exchange, "type": "topic", "durable": True},
                "bindingVersion": AMQP_BINDINGS,
            }
        },
    }


def _send(producer: str, cls: type[Event]) -> dict[str, Any]:
    # Persistent, and mandatory: an event no queue is bound for comes back and is parked.
    amqp = {"deliveryMode": 2, "mandatory": True, "bindingVersion": AMQP_BINDINGS}
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{_channel_id(cls)}"},
        "summary": f"{producer} publishes {cls.routing_key()} through its outbox",
        "tags": [{"name": producer}],
        "bindings": {"amqp": amqp},
    }


def _receive(service: str, cls: type[Event], ordering: str | None) -> dict[str, Any]:
    # Acknowledged only after the inbox row and the handler's effects are committed.
    return {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{_channel_id(cls)}"},
        "summary": f"{service} consumes {cls.routing_key()} from its queue",
        "tags": [{"name": service}],
        "bindings": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDINGS}},
        **_described(ordering),
    }


def _add_schema(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    """Add an event's schema, its shared parts ($defs) as schemas of their own beside it."""
    # `$id` would make `#/...` references resolve against the standalone schema file.
    schema = {k: v for k, v in schema.items() if k != "$id"}
    for part, definition in schema.pop("$defs", {}).items():
        existing = schemas.setdefault(part, _pointing_at_components(definition))
        if existing != _pointing_at_components(definition):
            raise ValueError(f"two different schemas are both called {part!r}")
    schemas[name] = _pointing_at_components(schema)


def _pointing_at_components(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: value.replace(DEFS, COMPONENT_SCHEMAS, 1)
            if key == "$ref" and isinstance(value, str)
            else _pointing_at_components(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_pointing_at_components(item) for item in node]
    return node


def _envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema(mode="serialization")
    schema["description"] = "Metadata around every event's data"
    return schema


def _described(ordering: str | None) -> dict[str, str]:
    return {"description": f"Ordering: {ordering}"} if ordering else {}
