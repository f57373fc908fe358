"""pyproject.toml asks for what the code imports: every third-party module that ``qa``
imports belongs to a declared distribution, and extras are spelt as their package spells
them (pip warned "lxml ... does not provide the extra 'html_clean'" otherwise)."""
from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> dict[str, set[str]]:
    """Each declared distribution (canonical name) and the extras asked of it."""
    found: dict[str, set[str]] = {}
    for line in PYPROJECT["project"]["dependencies"]:
        name, extras = REQUIREMENT.match(line).groups()
        found.setdefault(canonical(name), set()).update(e.strip() for e in (extras or "").split(",") if e.strip())
    return found


def imported_modules() -> set[str]:
    """Top-level names of the third-party modules imported anywhere in qa/."""
    names = set()
    for path in (ROOT / "qa").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n != "qa" and n not in sys.stdlib_module_names and n != "__future__"}


def test_every_imported_module_comes_from_a_declared_distribution():
    wanted = declared()
    owners = metadata.packages_distributions()
    missing = {module: owners.get(module) for module in imported_modules()
               if not any(canonical(d) in wanted for d in owners.get(module, []))}
    assert "lxml" in imported_modules()  # qa.ingest.metadata reads pages with lxml.html
    assert missing == {}


def test_extras_are_spelt_as_their_distribution_provides_them():
    for name, extras in declared().items():
        if extras:
            provided = set(metadata.metadata(name).get_all("Provides-Extra") or [])
            assert extras <= provided, (name, extras, provided)
    assert declared()["lxml"] == {"html-clean"}  # lxml.html.clean, which jusText imports
