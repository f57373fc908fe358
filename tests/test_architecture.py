"""The package's shape, checked from its source: each layer imports only the layers below
it, no import cycles (imports inside functions count), FAISS behind one module, and no
module grown past what one reading takes in."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "qa"
# Bottom to top. A module may import its own layer's package and any layer below it.
LAYERS = [
    {"qa.errors", "qa.config", "qa.text", "qa.records"},
    {"qa.ingest"},
    {"qa.store"},
    {"qa.reader", "qa.chronology"},  # the trained cross-encoder; what happened when (neither imports the other)
    {"qa.answer"},
    {"qa.evaluate", "qa.web"},  # two faces side by side: neither imports the other
    {"qa.cli"},
    {"qa", "qa.__main__"},  # the public API and `python -m qa`
]
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def unit(module: str) -> str:
    """The layer member a module belongs to: ``qa.store.lexical`` -> ``qa.store``."""
    for size in (2, 1):
        prefix = ".".join(module.split(".")[:size])
        if any(prefix in layer for layer in LAYERS):
            return prefix
    raise AssertionError(f"{module} belongs to no layer; add it to LAYERS")


def rank(module: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit(module) in layer)


def imports(module: str) -> set[str]:
    """Every module of ``qa`` that ``module`` imports, wherever in it the import stands."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "qa")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "qa":
                continue
            for alias in node.names:  # `from ..store import index_files` imports a module
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: imports(module) for module in MODULES}


def test_every_module_belongs_to_a_layer():
    assert all(rank(module) >= 0 for module in MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers_only(module):
    upward = [target for target in GRAPH[module]
              if rank(target) > rank(module) or (rank(target) == rank(module) and unit(target) != unit(module))]
    assert not upward, f"{module} imports {upward}, which are not below it"


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_only_the_faiss_store_imports_faiss():
    importers = set()
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            if any(name.split(".")[0] == "faiss" for name in names):
                importers.add(module)
    assert importers == {"qa.store.faiss_store"}


def test_no_module_is_over_400_lines():
    long = {module: n for module, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules: {long}"


def test_the_checker_sees_imports_inside_functions():
    # retriever.answer() imports compose inside the method: the graph must hold that edge.
    assert "qa.answer.compose" in GRAPH["qa.answer.retriever"]
    assert "qa.store.faiss_store" in GRAPH["qa.store.open_store"]
