"""No import cycles among production modules (services/, shared/, ops/, deploy/).

Every import counts, at module level or inside a function: an import moved into a function
hides a cycle from Python, not from this test."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("services", "shared", "ops", "deploy")
Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    """Return the dotted name of a source file (a package by its __init__.py)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def production_modules() -> dict[str, Path]:
    """Return every production module by name."""
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def imported_names(name: str, path: Path) -> Iterator[str]:
    """Yield what a module imports, `from a import b` as both a and a.b (b may be a module)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(name, node.module, node.level, is_package=is_package)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _absolute(name: str, module: str | None, level: int, *, is_package: bool) -> str:
    if level == 0:
        return module or ""
    parts = name.split(".")
    anchor = parts if is_package else parts[:-1]
    anchor = anchor[: len(anchor) - (level - 1)]
    return ".".join([*anchor, module] if module else anchor)


def import_graph(modules: dict[str, Path]) -> Graph:
    """Return, for each production module, the production modules it imports."""
    return {
        name: {dep for dep in imported_names(name, path) if dep in modules and dep != name}
        for name, path in modules.items()
    }


def cycles(graph: Graph) -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph[node]):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_production_modules_import_each_other_without_a_cycle() -> None:
    assert cycles(import_graph(production_modules())) == []


def test_the_check_finds_a_cycle_hidden_in_a_function() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_relative_imports_resolve_to_the_module_they_name() -> None:
    assert _absolute("shared.events.catalog", "envelope", 1, is_package=False) == (
        "shared.events.envelope")
    assert _absolute("shared.events", "registry", 1, is_package=True) == "shared.events.registry"
    assert _absolute("shared.web.ops", None, 2, is_package=False) == "shared"
