"""The house rules, read from the source: no import cycles, and the library
(`server.store`) imports nothing from the app, the tools or the CLI.

Every `import` counts, those under `if TYPE_CHECKING:` and inside functions
included: a cycle that only type checking sees still makes the modules one
tangle to a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("server", "shared_reducers")
LIBRARY = "server.store"
# What the app, the tools and the CLI may import from the library: its public API.
LIBRARY_API = {"server.store", "server.store.sql", "server.store.history", "server.store.live"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[module_name(path)] = path
    return found


def names_bound_by(path: Path) -> set[str]:
    """The names a package's __init__ imports from elsewhere (its re-exports)."""
    return {
        alias.asname or alias.name
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules that `name` imports.  `from a import b` where b is a
    module imports a.b; where b is a name (or a.__init__ re-exports b), it
    imports a.  As import checkers do, the parent packages Python initialises
    on the way are not counted."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    targets.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            exported = (
                names_bound_by(known[source])
                if source in known and known[source].name == "__init__.py"
                else set()
            )
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known and alias.name not in exported:
                    targets.add(submodule)
                elif source in known:
                    targets.add(source)
    targets.discard(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def in_library(name: str) -> bool:
    return name == LIBRARY or name.startswith(LIBRARY + ".")


def test_the_graph_is_read_from_the_source() -> None:
    graph = import_graph()
    assert "server.store.store" in graph["server.store"]
    assert "server.store.sql.database" in graph["server.store.store"]
    assert any(in_library(target) for target in graph["server.app.app"])


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_cycles_are_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_library_imports_nothing_from_the_app_the_tools_or_the_cli() -> None:
    outside = {
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        if in_library(name)
        for target in targets
        if target.startswith("server.") and not in_library(target)
    }
    assert outside == set()


def test_shared_reducers_import_only_themselves() -> None:
    outside = {
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        if name.startswith("shared_reducers")
        for target in targets
        if not target.startswith("shared_reducers")
    }
    assert outside == set()


def test_the_rest_uses_the_library_through_its_public_api() -> None:
    private = {
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        if not in_library(name)
        for target in targets
        if in_library(target) and target not in LIBRARY_API
    }
    assert private == set()
