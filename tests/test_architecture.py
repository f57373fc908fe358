"""The package's shape, checked from its source: each layer imports only the layers below
it, no import cycles (imports inside functions count), FAISS behind one module, no
module grown past what one reading takes in, and records passed between functions where a
metadata dict used to be."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "qa"
# Bottom to top. A module may import its own layer's package and any layer below it.
LAYERS = [
    {"qa.errors", "qa.config", "qa.text", "qa.records"},
    {"qa.files"},  # writing files safely: atomic writes, fsync, hashes, locks
    {"qa.ingest", "qa.embedding"},  # reading articles; running the embedding model (neither imports the other)
    {"qa.store"},
    {"qa.reader", "qa.chronology"},  # the trained cross-encoder; what happened when (neither imports the other)
    {"qa.answer"},
    {"qa.evaluate", "qa.web"},  # two faces side by side: neither imports the other
    {"qa.cli"},
    {"qa", "qa.__main__"},  # the public API and `python -m qa`
    {"qa.bench"},  # the speed benchmarks: they time the public API (`qa bench` runs them as a process)
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
    # The benchmarks' naive pipeline and ANN figures use FAISS directly, as a baseline.
    assert {m for m in importers if not m.startswith("qa.bench.")} == {"qa.store.faiss_store"}


def test_no_module_is_over_400_lines():
    long = {module: n for module, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules: {long}"


def test_the_checker_sees_imports_inside_functions():
    # retriever.answer() imports compose inside the method: the graph must hold that edge.
    assert "qa.answer.compose" in GRAPH["qa.answer.retriever"]
    assert "qa.store.faiss_store" in GRAPH["qa.store.open_store"]


# --- records, not metadata dicts ------------------------------------------------------------
# What a parameter, return value or record field of these names holds has a record; a
# mapping by such a name is that record taken apart into a dict (read with `.get`, its
# schema a list of keys). A function's own name counts for its return value.
RECORD_FOR_NAME = {
    "meta": "IndexedDocument", "metadata": "IndexedDocument", "documents": "IndexedDocument",
    "indexed": "IndexedDocument", "document": "Document or IndexedDocument", "doc": "Document or IndexedDocument",
    "also_published": "Source",
    "passage": "Passage", "passages": "Passage",
    "dates": "DateMention", "mention": "DateMention", "mentions": "DateMention",
    "hit": "Hit", "hits": "Hit", "citations": "Hit",
}
MAPPINGS = {"dict", "Dict", "Mapping", "MutableMapping"}
CONTAINERS = {"list", "List", "tuple", "Tuple", "Sequence", "Iterable", "Iterator", "set", "frozenset",
              "Optional", "Union"}


def holds_a_plain_mapping(annotation: ast.expr | None) -> bool:
    """Whether ``annotation`` is, or holds as an element, a mapping from names to plain values:
    ``dict``, ``dict[str, Any]``, ``Mapping[str, dict]``, ``list[dict]``, ``dict | None``. A
    table of records keyed by id (``dict[str, IndexedDocument]``) is not one."""
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):  # a quoted annotation
        return holds_a_plain_mapping(ast.parse(annotation.value, mode="eval").body)
    if isinstance(annotation, ast.BinOp):  # X | None
        return holds_a_plain_mapping(annotation.left) or holds_a_plain_mapping(annotation.right)
    name = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    name = name.attr if isinstance(name, ast.Attribute) else getattr(name, "id", "")
    if not isinstance(annotation, ast.Subscript):
        return name in MAPPINGS
    arguments = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
    if name in MAPPINGS:
        values = arguments[-1]
        record = isinstance(values, ast.Name) and values.id[:1].isupper() and values.id not in MAPPINGS | {"Any"}
        return not record
    return name in CONTAINERS and any(holds_a_plain_mapping(a) for a in arguments)


def metadata_dicts(module: str) -> list[str]:
    """The public functions' parameters and return values, and the record fields, of
    ``module`` that a :data:`RECORD_FOR_NAME` name declares as a plain mapping."""
    found = []

    def check(where: str, name: str, annotation: ast.expr | None) -> None:
        if name in RECORD_FOR_NAME and holds_a_plain_mapping(annotation):
            found.append(f"{module}.{where}: a plain dict where a record exists; use {RECORD_FOR_NAME[name]}")

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                for field in node.body:  # dataclass fields and class annotations
                    if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name):
                        check(f"{node.name}.{field.target.id}", field.target.id, field.annotation)
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name.startswith("_") and node.name != "__init__":
                    continue
                arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                for argument in arguments:
                    check(f"{prefix}{node.name}(): parameter {argument.arg}", argument.arg, argument.annotation)
                check(f"{prefix}{node.name}() returns", node.name, node.returns)

    visit(ast.parse(MODULES[module].read_text(encoding="utf-8")).body, "")
    return found


def test_records_are_passed_not_metadata_dicts():
    found = [problem for module in sorted(MODULES) for problem in metadata_dicts(module)]
    assert not found, "\n".join(found)


def test_the_metadata_dict_check_sees_what_it_forbids():
    def annotation(text: str) -> ast.expr:
        return ast.parse(text, mode="eval").body

    for forbidden in ("dict", "dict[str, Any]", "Mapping[str, Any] | None", "dict[str, dict]", "list[dict]",
                      "'list[dict[str, str]]'", "tuple[Mapping, ...]"):
        assert holds_a_plain_mapping(annotation(forbidden)), forbidden
    for allowed in ("dict[str, IndexedDocument]", "list[DateMention]", "tuple[Source, ...]", "Hit | None", "str"):
        assert not holds_a_plain_mapping(annotation(allowed)), allowed
    assert "row" not in RECORD_FOR_NAME  # from_json(row: Mapping): JSON at the edge of a record is no metadata dict


SCRIPTS = sorted((PACKAGE.parent / "experiments").rglob("*.py"))


def private_imports(path: Path, own_package: str) -> list[str]:
    """``module.name`` for each private name (a leading underscore) that ``path`` imports
    from a module outside ``own_package`` (a script's own folder counts as its package)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            outside = not (node.module == own_package or node.module.startswith(own_package + "."))
            module_private = any(part.startswith("_") and not part.startswith("__") for part in node.module.split("."))
            if outside and (private or module_private):
                found += [f"{node.module}.{name}" for name in private] or [node.module]
    return found


@pytest.mark.parametrize("path", [*MODULES.values(), *SCRIPTS], ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_no_module_or_script_imports_another_packages_private_names(path):
    """Private names (a leading underscore) stay in their package: a module of ``qa`` uses
    another package's public names only, and so do the benchmarks and experiments."""
    if path.is_relative_to(PACKAGE):
        own = unit(module_name(path))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # "from ..store import _x" reaches into another package; "from ._x" stays in this one.
        reaching = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 1
                    and any(a.name.startswith("_") and not a.name.startswith("__") for a in n.names)]
        assert not reaching and not private_imports(path, own), reaching or private_imports(path, own)
    else:
        assert not private_imports(path, path.parent.name), f"{path.name} imports private names"


def test_the_private_import_rule_catches_what_it_should(tmp_path):
    script = tmp_path / "try_it.py"
    script.write_text("from qa.evaluate.questions import _fold\nfrom qa.answer import retriever\n", encoding="utf-8")
    assert private_imports(script, "experiments") == ["qa.evaluate.questions._fold"]
    script.write_text("from qa.evaluate._hidden import thing\n", encoding="utf-8")
    assert private_imports(script, "experiments") == ["qa.evaluate._hidden"]


FACES = ["qa.cli", "qa.web.service"]


@pytest.mark.parametrize("module", FACES)
def test_every_face_replies_through_the_one_reply(module):
    """The chat, ``qa ask`` and the Python API give the same reply to the same question:
    the faces call ``reply`` (:func:`qa.answer.reply.reply`), never ``answer``, ``retrieve``
    or the events directly to make one."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    calls = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
             for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert "reply" in calls and not calls & {"answer", "retrieve", "events_topic"}, calls
