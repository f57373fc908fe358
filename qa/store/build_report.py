"""What a build did, for the command line, the web app and the caller of ``build_index``."""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Callable


BuildProgress = Callable[[int, int, str], None]  # (done, total, what is being done)


@dataclass
class BuildReport:
    """What a build did. Lists hold document ids; ``skipped`` holds (file, reason).
    ``unchanged`` of a build that only added articles, or had nothing to do, reads the
    index's ids only when iterated (:class:`qa.store.document_files.IndexedIds`)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: Sequence[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    copies: list[tuple[str, str]] = field(default_factory=list)  # (copy's file, canonical article's file)
    relisted: list[str] = field(default_factory=list)  # unchanged articles whose list of copies changed
    full_rebuild: bool = False
    reason: str = ""  # why a full build happened
    moved_store: str = ""  # "from -> to" when the vectors were copied to another store
    passages_embedded: int = 0
    sentences_embedded: int = 0
    seconds: float = 0.0
    index_dir: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.relisted or self.full_rebuild
                    or self.moved_store)

    def summary(self) -> str:
        lines = []
        if self.reason:
            lines.append(f"full rebuild: {self.reason}")
        if self.moved_store:
            lines.append(f"vector store: {self.moved_store} (vectors copied, none embedded again)")
        for label, ids in (("added", self.added), ("updated", self.updated), ("removed", self.removed)):
            lines.extend(f"{label:9} {doc_id}" for doc_id in ids)
        for path, reason in self.skipped:
            lines.append(f"skipped   {path}: {reason}")
        for copy, canonical in self.copies:
            lines.append(f"copy      {copy}: the same story as {canonical}; cited with it as also published")
        for path, reason in self.warnings:
            lines.append(f"warning   {path}: {reason}")
        lines.append(
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; "
            f"{self.passages_embedded} passages embedded in {self.seconds:.1f}s"
        )
        return "\n".join(lines)
