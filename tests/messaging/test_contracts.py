"""Event contracts: committed schemas, breaking-change detection, the AsyncAPI catalogue."""

from __future__ import annotations

import json
from typing import Any

from services.cli import services
from shared.cli import asyncapi_for
from shared.events import catalog
from shared.events.envelope import Event
from shared.events.schemas import (
    SCHEMA_DIR,
    breaking_changes,
    contract_events,
    render,
    schema_of,
    schema_path,
)


def test_every_event_class_declared_in_the_catalogue_is_in_its_events_list() -> None:
    declared = {
        value for value in vars(catalog).values()
        if isinstance(value, type) and issubclass(value, Event) and value.event_type
    }
    missing = sorted(cls.__name__ for cls in declared - set(catalog.EVENTS))
    assert missing == [], f"add {', '.join(missing)} to EVENTS at the end of catalog.py"
    assert len(catalog.EVENTS) == len(set(catalog.EVENTS)) == len(contract_events())


def test_every_event_version_has_its_schema_committed_and_current() -> None:
    for cls in contract_events():
        path = schema_path(cls)
        assert path.exists(), f"run `jiangxin schemas` and commit {path.name}"
        assert path.read_text(encoding="utf-8") == render(schema_of(cls)), (
            f"{path.name} is stale: run `jiangxin schemas` (only additive changes are allowed)"
        )


def test_no_committed_schema_is_broken_by_the_current_models() -> None:
    current = {cls.routing_key(): schema_of(cls) for cls in contract_events()}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        key = path.name.removesuffix(".json")
        assert key in current, f"{key} was removed: publish the old version until no one uses it"
        committed = json.loads(path.read_text(encoding="utf-8"))
        assert breaking_changes(committed, current[key]) == [], key


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


def test_removing_a_field_is_breaking() -> None:
    old = _schema({"a": {"type": "string"}, "b": {"type": "integer"}}, ["a"])
    new = _schema({"a": {"type": "string"}}, ["a"])
    assert breaking_changes(old, new) == ["$.b: field removed"]


def test_changing_a_type_is_breaking() -> None:
    old = _schema({"a": {"type": "string"}}, ["a"])
    new = _schema({"a": {"type": "integer"}}, ["a"])
    assert len(breaking_changes(old, new)) == 1


def test_a_new_required_field_is_breaking_but_a_new_optional_one_is_not() -> None:
    old = _schema({"a": {"type": "string"}}, ["a"])
    optional = _schema({"a": {"type": "string"}, "b": {"type": "string"}}, ["a"])
    required = _schema({"a": {"type": "string"}, "b": {"type": "string"}}, ["a", "b"])
    assert breaking_changes(old, optional) == []
    assert breaking_changes(old, required) == ["$.b: new required field"]


def test_removing_an_enum_value_is_breaking_and_adding_one_is_not() -> None:
    old = _schema({"s": {"enum": ["x", "y"], "type": "string"}}, ["s"])
    assert (
        breaking_changes(old, _schema({"s": {"enum": ["x", "y", "z"], "type": "string"}}, ["s"]))
        == []
    )
    assert breaking_changes(old, _schema({"s": {"enum": ["x"], "type": "string"}}, ["s"]))


def test_nested_models_are_compared_through_refs() -> None:
    old = {
        "type": "object",
        "properties": {"r": {"$ref": "#/$defs/R"}},
        "$defs": {"R": _schema({"name": {"type": "string"}}, ["name"])},
    }
    new = {
        "type": "object",
        "properties": {"r": {"$ref": "#/$defs/R"}},
        "$defs": {"R": _schema({}, [])},
    }
    assert breaking_changes(old, new) == ["$.r.name: field removed"]


def test_asyncapi_document_lists_every_event_with_its_producer_and_consumers() -> None:
    doc = asyncapi_for(services())
    assert doc["asyncapi"] == "3.0.0"
    channels = {c["address"] for c in doc["channels"].values()}
    assert channels == {cls.routing_key() for cls in contract_events()}
    ops = doc["operations"]
    assert "enrollment_publishes_enrollment_confirmed_v1" in ops
    for op in ops.values():
        ref = op["channel"]["$ref"].removeprefix("#/channels/")
        assert ref in doc["channels"]
    for message in doc["components"]["messages"].values():
        data_ref = message["payload"]["allOf"][1]["properties"]["data"]["$ref"]
        assert data_ref.removeprefix("#/components/schemas/") in doc["components"]["schemas"]


def test_every_published_event_has_a_consumer_so_nothing_is_parked_as_unroutable() -> None:
    doc = asyncapi_for(services())
    received = {
        op["channel"]["$ref"] for op in doc["operations"].values() if op["action"] == "receive"
    }
    sent = {
        op["channel"]["$ref"]: name
        for name, op in doc["operations"].items()
        if op["action"] == "send"
    }
    missing = sorted(name for ref, name in sent.items() if ref not in received)
    assert missing == [], f"events nobody consumes (the relay would park them): {missing}"


def test_every_subscription_of_every_service_says_how_it_orders_its_events() -> None:
    # docs/events.md shows these rules beside each event; a consumer without one would leave a
    # reader guessing what a late or early event does.
    silent = sorted(
        f"{info.name}: {key}" for info in services().values()
        for key in info.subscriptions.routing_keys if not info.subscriptions.ordering_of(key)
    )
    assert silent == []


def test_the_committed_event_catalogue_and_asyncapi_document_are_current() -> None:
    from pathlib import Path

    from shared.cli import event_docs

    for name, text in event_docs(services()).items():
        committed = Path("docs") / name
        assert committed.read_text(encoding="utf-8") == text, f"run `jiangxin events-doc` ({name})"
