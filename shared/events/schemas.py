"""Committed JSON Schemas per event version, and the rules that make a change breaking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.events.envelope import Event
from shared.events.registry import REGISTRY

SCHEMA_DIR = Path(__file__).parent / "schemas"


def contract_events() -> list[type[Event]]:
    """Return the event classes of the published catalogue, ordered by routing key."""
    return list(REGISTRY)


def schema_of(cls: type[Event]) -> dict[str, Any]:
    """Return the JSON Schema of an event's data."""
    schema: dict[str, Any] = cls.model_json_schema(mode="validation")
    schema["$id"] = f"https://jiangxin.dev/events/{cls.routing_key()}.json"
    schema["x-routing-key"] = cls.routing_key()
    return schema


def schema_path(cls: type[Event]) -> Path:
    """Return where the committed schema of an event version lives."""
    return SCHEMA_DIR / f"{cls.routing_key()}.json"


def render(schema: dict[str, Any]) -> str:
    """Serialise a schema the way it is committed."""
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas() -> list[Path]:
    """Write every contract's schema file; return the files that changed."""
    changed = []
    for cls in contract_events():
        path, text = schema_path(cls), render(schema_of(cls))
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def breaking_changes(old: dict[str, Any], new: dict[str, Any], where: str = "") -> list[str]:
    """List the ways `new` would reject or misread data valid under `old`."""
    problems: list[str] = []
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    problems += _compare(old, new, old_defs, new_defs, where or "$")
    return problems


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = defs.get(ref.removeprefix("#/$defs/"), {})
        return resolved
    return node


def _types(node: dict[str, Any]) -> set[str]:
    if "type" in node:
        kind = node["type"]
        return set(kind) if isinstance(kind, list) else {kind}
    if "anyOf" in node:
        return {t for option in node["anyOf"] for t in _types(option)} or {"?"}
    return {"?"}


def _compare(
    old: dict[str, Any],
    new: dict[str, Any],
    old_defs: dict[str, Any],
    new_defs: dict[str, Any],
    where: str,
) -> list[str]:
    old, new = _resolve(old, old_defs), _resolve(new, new_defs)
    problems: list[str] = []
    old_types, new_types = _types(old), _types(new)
    if "?" not in old_types and "?" not in new_types and not old_types <= new_types:
        problems.append(f"{where}: type {sorted(old_types)} became {sorted(new_types)}")
    if "enum" in old and "enum" in new and not set(old["enum"]) <= set(new["enum"]):
        problems.append(
            f"{where}: enum values removed {sorted(set(old['enum']) - set(new['enum']))}"
        )
    if "const" in old and old.get("const") != new.get("const", old.get("const")):
        problems.append(f"{where}: constant changed")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name in old_props:
        if name not in new_props:
            problems.append(f"{where}.{name}: field removed")
        else:
            problems += _compare(
                old_props[name], new_props[name], old_defs, new_defs, f"{where}.{name}"
            )
    added_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(added_required):
        problems.append(f"{where}.{name}: new required field")
    for key in ("anyOf",):
        if key in old and key in new:
            for i, (o, n) in enumerate(zip(old[key], new[key], strict=False)):
                problems += _compare(o, n, old_defs, new_defs, f"{where}<{i}>")
    if "items" in old and "items" in new:
        problems += _compare(old["items"], new["items"], old_defs, new_defs, f"{where}[]")
    return problems
