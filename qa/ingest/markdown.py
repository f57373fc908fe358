"""Reading a Markdown article: YAML front matter (title, publisher, author, published,
published_note, url), else a ``# Headline`` first line; the rest is the body.

Front matter that is not valid YAML (a headline with a colon) is read line by line, with a
warning, so the article's text is never lost.
"""
from __future__ import annotations

import re
from typing import Any

from ..records import PUBLISHED_SOURCES, SOURCE_FIELDS, Document
from .cleaning import clean_body

SUFFIXES = (".md", ".markdown")

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", re.DOTALL)


def _normalise_published(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


def _load_yaml(text: str):
    """``yaml.safe_load`` without aliases: ``*name`` references let a few lines of front
    matter expand into billions of values (a "billion laughs" file), so they are refused."""
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise yaml.YAMLError("YAML aliases (*name) are not allowed in front matter; write the values out")
            return super().compose_node(parent, index)

    return yaml.load(text, Loader=NoAliasLoader)


_FIELD_LINE = re.compile(r"^(\w+)[ \t]*:[ \t]*(.*?)[ \t]*$")


def _fields_line_by_line(text: str) -> dict[str, str]:
    """The known fields of a front matter that is not valid YAML, one ``name: value`` per
    line. The usual culprit is a headline with a colon ("title: Breaking: ...")."""
    fields = {}
    for line in text.splitlines():
        match = _FIELD_LINE.match(line)
        if match and match.group(1) in SOURCE_FIELDS and match.group(1) not in fields:
            value = match.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            if value:
                fields[match.group(1)] = value
    return fields


def has_front_matter(text: str) -> bool:
    """Whether ``text`` opens with a ``---`` front matter block."""
    return bool(_FRONT_MATTER.match(text))


def read(text: str, doc: Document) -> None:
    """Fill ``doc``'s metadata and body from the Markdown ``text``."""
    match = _FRONT_MATTER.match(text)
    body = text
    if match:
        body = text[match.end():]
        try:
            meta = _load_yaml(match.group(1)) or {}
            if not isinstance(meta, dict):
                raise ValueError("front matter is not a mapping of field: value")
        except Exception as exc:  # malformed YAML must not lose the article's text
            meta = _fields_line_by_line(match.group(1))
            kept = f"; read {', '.join(meta)} line by line" if meta else "; no fields could be read"
            doc.warnings.append(f"front matter is not valid YAML ({type(exc).__name__}: {_first_line(exc)}){kept}")
        for name in SOURCE_FIELDS:
            if name in meta and meta[name] is not None:
                value = meta.pop(name)
                setattr(doc, name, _normalise_published(value) if name == "published" else str(value).strip())
        doc.extra = {k: v if isinstance(v, (str, int, float, bool)) else str(v) for k, v in meta.items()}
    if doc.published_source not in PUBLISHED_SOURCES:
        doc.warnings.append(f"published_source {doc.published_source!r} is not one of "
                            f"{', '.join(repr(s) for s in PUBLISHED_SOURCES if s)}; read as 'front matter'")
        doc.published_source = ""
    # A date in front matter came from whoever wrote it; a stored web page keeps the source
    # its date was read from ("html meta", "feed").
    if not doc.published:
        doc.published_source = ""
    elif not doc.published_source:
        doc.published_source = "front matter"
    body = body.strip("\n")
    # A Markdown "# Headline" first line is the title when front matter has none.
    first = body.lstrip().split("\n", 1)[0]
    if first.startswith("# "):
        if not doc.title:
            doc.title = first[2:].strip()
        body = body.lstrip().split("\n", 1)[1] if "\n" in body.lstrip() else ""
    doc.body = clean_body(body)
