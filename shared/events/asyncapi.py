"""Generate the AsyncAPI 3.0 event catalogue from the registry and the subscriptions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.events.envelope import Envelope
from shared.events.schemas import contract_events, schema_of


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
        key = cls.routing_key()
        name = cls.__name__
        channel_id = key.replace(".", "_")
        schemas[name] = schema_of(cls)
        messages[name] = {
            "name": name,
            "title": key,
            "summary": (cls.__doc__ or "").strip().split("\n")[0],
            "contentType": "application/json",
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/Envelope"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": cls.event_type},
                            "version": {"const": cls.event_version},
                            "data": {"$ref": f"#/components/schemas/{name}"},
                        },
                    },
                ]
            },
            "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}},
        }
        channels[channel_id] = {
            "address": key,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {"name": exchange, "type": "topic", "durable": True},
                    "bindingVersion": "0.3.0",
                }
            },
        }
        producer = next((svc for prefix, svc in producers.items() if key.startswith(prefix)), None)
        if producer:
            operations[f"{producer}_publishes_{channel_id}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"{producer} publishes {key} through its outbox",
                "tags": [{"name": producer}],
            }
        for service, keys in consumers.items():
            if key in keys:
                operations[f"{service}_receives_{channel_id}"] = {
                    "action": "receive",
                    "channel": {"$ref": f"#/channels/{channel_id}"},
                    "summary": f"{service} consumes {key} from its queue",
                    "tags": [{"name": service}],
                    **_described((orderings or {}).get(service, {}).get(key)),
                }
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


def _described(ordering: str | None) -> dict[str, str]:
    return {"description": f"Ordering: {ordering}"} if ordering else {}


def _envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema(mode="serialization")
    schema["description"] = "Metadata around every event's data"
    return schema
