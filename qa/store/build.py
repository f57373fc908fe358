"""Building and updating the index from the corpus, embedding only what changed.

``build_index`` compares the corpus with the manifest's sha256 per document: new and
changed documents are split and embedded, the passages of changed and deleted ones are
dropped, everything else is carried over untouched. A different model or splitter
forces a full build and the report says why. The vector store (FAISS in the index folder,
or Milvus: see docs/scaling.md) is chosen by the first build's ``store`` and kept by later
ones; naming another one moves the index there, copying its vectors.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..ingest import dates as date_finder
from . import corpus_lock, corpus_stamp, index_files as files, store_claims
from ..config import default_corpus_dir, default_index_dir, default_vector_store
from ..ingest.documents import load_corpus
from ..ingest.parsed import ParsedDocuments
from ..ingest.readers import READER_VERSION, describe_formats  # noqa: F401  (READER_VERSION: part of this API)
from ..ingest.syndication import duplicate_key, syndicated_copies
from ..embedding.embedder import Embedder, get_embedder
from ..errors import CorpusError, IndexCorruptError, IndexMismatchError, IndexNotFoundError, StorageError
from .index_corpus import check_built_from, corpus_record
from .embedding import MAX_PASSAGES_PER_ARTICLE, SPLITTER, embed_articles, split_articles
from .open_store import open_vector_store
from .vectors import same_store, store_kind, store_spec
from .appending import append_added, record_build, usable_as_built
from .document_files import IndexedIds
from .build_report import BuildProgress, BuildReport  # noqa: F401  (part of this API)
from ..records import Document, IndexedDocument


@dataclass
class CorpusState:
    """The corpus compared with an index manifest, before any embedding."""

    documents: list[Document]
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]
    skipped: list[tuple[str, str]]
    full_reason: str = ""
    # Syndicated copies, (copy's file, canonical article's file): listed under the canonical
    # article as also published, not ranked on their own.
    copies: list[tuple[str, str]] = field(default_factory=list)
    read: list[Document] = field(default_factory=list)  # every file read, copies and duplicates too

    @property
    def stale(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.full_reason)


def corpus_state(corpus_dir, manifest: dict | None, model: str | None = None,
                 parsed: ParsedDocuments | None = None) -> CorpusState:
    """Which documents are new, changed, deleted or unchanged relative to ``manifest`` (as
    :func:`~qa.store.index_files.read_manifest` gives it: its documents are records).
    Files whose bytes ``parsed`` holds are not parsed again (:mod:`qa.ingest.parsed`)."""
    read, problems = load_corpus(corpus_dir, parsed=parsed)
    skipped = [(p.path, p.reason) for p in problems]
    documents = _one_file_per_id(read, manifest, skipped)
    unique: list[Document] = []
    # Of several files with one text from one publisher, an article already in the index
    # keeps its place, so adding a duplicate never removes the original (and its citations).
    # The same text from another publisher is a syndicated copy, found below.
    before = set(manifest.get("documents") or {}) if manifest else set()
    keeper: dict[tuple[str, str], Document] = {}
    for doc in sorted(documents, key=lambda d: d.doc_id not in before):
        keeper.setdefault(duplicate_key(doc.body, doc.publisher), doc)
    for doc in documents:
        first = keeper[duplicate_key(doc.body, doc.publisher)]
        if first is not doc:
            skipped.append((doc.source, f"same text and publisher as {first.source}; not indexed twice"))
            continue
        unique.append(doc)
    unique, copies = syndicated_copies(unique, before)
    full_reason = ""
    indexed: dict[str, IndexedDocument] = {}
    if manifest is None:
        full_reason = "no index yet"
    elif model and manifest["model"]["name"] != model:
        full_reason = f"index was built with model {manifest['model']['name']!r}, now {model!r}"
    elif manifest.get("splitter") != SPLITTER:
        full_reason = "passage splitting settings changed"
    elif manifest.get("dates") != date_finder.VERSION:
        full_reason = "the index was built without the current date resolution (passages store resolved dates)"
    elif manifest.get("reader") != READER_VERSION:
        full_reason = "articles are read differently now (publication dates, bylines, captions, PDF pages, wrapped lines)"
    else:
        indexed = manifest["documents"]
    current = {d.doc_id for d in unique}
    state = CorpusState(documents=unique, added=[], updated=[], removed=[], unchanged=[], skipped=skipped,
                        full_reason=full_reason, copies=copies, read=read)
    for doc in unique:
        old = indexed.get(doc.doc_id)
        if old is None:
            state.added.append(doc.doc_id)
        elif old.sha256 != doc.sha256:
            state.updated.append(doc.doc_id)
        else:
            state.unchanged.append(doc.doc_id)
    state.removed = sorted(set(indexed) - current)
    return state


def _one_file_per_id(documents: list[Document], manifest: dict | None,
                     skipped: list[tuple[str, str]]) -> list[Document]:
    """``documents`` with one file per article id (the file's path without its suffix: ``rye.md``
    and ``rye.txt`` would both be ``rye``): the file the index holds keeps the id, else the
    first in path order; each other one is listed in ``skipped`` with what to do."""
    indexed = (manifest or {}).get("documents") or {}
    keeper: dict[str, Document] = {}
    for doc in sorted(documents, key=lambda d: getattr(indexed.get(d.doc_id), "file", None) != d.source):
        keeper.setdefault(doc.doc_id, doc)
    for doc in documents:
        first = keeper[doc.doc_id]
        if first is not doc:
            skipped.append((doc.source, f"{first.source} is already article {doc.doc_id!r} (a file's name without "
                                        "its suffix names its article); rename one of them"))
    return [doc for doc in documents if keeper[doc.doc_id] is doc]


def build_index(
    corpus_dir: str | Path | None = None,
    index_dir: str | Path | None = None,
    model: str | None = None,
    rebuild: bool = False,
    progress: BuildProgress | None = None,
    embedder: Embedder | None = None,
    batch_size: int = 32,
    wait: bool | float = False,
    store: str | None = None,
    max_passages: int = MAX_PASSAGES_PER_ARTICLE,
    new_files: list[str] | None = None,
) -> BuildReport:
    """Bring ``index_dir`` up to date with ``corpus_dir``; embed only new and changed documents.

    ``store`` names where the passage vectors live: ``"faiss"`` (a file in the index
    folder), ``"milvus:///abs/path/qa.db"`` (Milvus Lite) or ``"http://host:19530"`` (a
    Milvus server; credentials from ``QA_MILVUS_TOKEN``). None keeps the index's store
    (for a new index: ``QA_VECTOR_STORE``, else FAISS); another store than the index's
    moves the index there, copying its vectors.

    While another build holds the index's lock this raises :class:`IndexLockedError`, or
    with ``wait=True`` (or a number of seconds) waits for it and then brings the index up
    to date itself. An article of more than ``max_passages`` passages is skipped. The
    :class:`BuildReport` lists what was added, updated, removed, left unchanged and skipped.

    ``new_files``: files (paths relative to the corpus) the caller has just put into it
    where no file was (:mod:`qa.store.transaction` does). When adding them is all there is
    to do, they are read alone and the folder is not listed, so the cost does not grow with
    the corpus; other changes in the folder wait for the next build without it. The report
    then speaks of these files alone.
    """
    started = time.perf_counter()
    corpus_dir = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    index_dir = Path(index_dir) if index_dir is not None else default_index_dir(corpus_dir)
    if store is not None:
        store_kind(store)  # an unknown store is refused before any work
    if embedder is None:
        embedder = get_embedder(model or _indexed_manifest(index_dir).get("model", {}).get("name"))
    corpus_lock.recover_if_free(corpus_dir, index_dir)  # what a killed `qa add --replace` left
    with files.build_lock(index_dir, wait=wait):
        # Before any file is read: a change from now on is seen next time.
        listing = corpus_stamp.take(corpus_dir) if not new_files or rebuild else None
        if not rebuild:
            # The manifest read once, as plain JSON: a build with nothing to do, or one that only
            # adds articles, reads nothing else of the index.
            manifest = usable_as_built(index_dir, embedder.name, store)
            if manifest is None:
                changes = None
            elif listing is None:
                changes = corpus_stamp.told_added(new_files)
            else:
                changes = corpus_stamp.changes_since_build(index_dir, corpus_dir, manifest["generation"], listing)
            report = _unchanged_report(index_dir, manifest, changes) if changes and changes.unchanged else None
            if report is None and changes is not None:
                report = append_added(corpus_dir, index_dir, embedder, manifest, changes, listing,
                                      progress=progress, batch_size=batch_size, max_passages=max_passages)
            if report is not None:
                report.seconds = time.perf_counter() - started
                return report
        if listing is None:  # told what was added, but more is to do: the whole folder is compared
            listing = corpus_stamp.take(corpus_dir)
        old: files.IndexData | None = None
        reason = ""
        try:
            old = files.load_index(index_dir)
        except IndexNotFoundError:
            reason = "no index yet"
        except (IndexCorruptError, IndexMismatchError) as exc:
            reason = f"the previous index could not be used ({exc})"
        manifest = None
        if old is not None and not rebuild:
            manifest = {"model": {"name": old.model}, "documents": old.documents, "splitter": old.extra.get("splitter"),
                        "dates": old.extra.get("dates"), "reader": old.extra.get("reader")}
        # `qa index --rebuild` reads every file again; otherwise unchanged files are not parsed.
        parsed = ParsedDocuments() if rebuild else ParsedDocuments.load(index_dir, READER_VERSION)
        state = corpus_state(corpus_dir, manifest, model=embedder.name, parsed=parsed)
        with contextlib.suppress(OSError):  # only a cache: a build without it reads the files
            parsed.save(index_dir, state.read, READER_VERSION)
        if not rebuild and state.stale:  # an index of another corpus is replaced only on purpose
            check_built_from((old.extra if old is not None else _indexed_manifest(index_dir)).get("corpus"),
                             corpus_dir, index_dir)
        if rebuild:
            reason = "asked for with --rebuild"
        indexed_store = old.vector_store.describe() if old is not None else _indexed_manifest(index_dir).get("store")
        move = False
        if store is None:
            store = store_spec(indexed_store) if indexed_store else default_vector_store()
        elif old is not None and not same_store(indexed_store, store):
            move = True  # copied over below when nothing else calls for a full build
        reason = reason or state.full_reason
        report = BuildReport(
            skipped=state.skipped,
            warnings=[(d.source, w) for d in state.documents for w in d.warnings],
            full_rebuild=bool(reason),
            reason=reason,
            index_dir=str(index_dir),
            copies=state.copies,
        )
        if not state.documents:
            detail = "; ".join(f"{p}: {r}" for p, r in state.skipped) or f"it has no {describe_formats()} files"
            raise CorpusError(f"nothing to index in {corpus_dir} ({detail}); add articles and run `qa index` again")
        # The store an index moves away from: dropped (a Milvus collection) once the new
        # manifest is in place. Without a full build, its vectors are copied, not embedded.
        retired = old.vector_store if move else None
        if move and not reason:
            report.moved_store = f"{store_spec(indexed_store)} -> {store}"
        if reason:
            data = files.IndexData.empty(embedder.name, embedder.dimension, store=store,
                                         replaces=old.vector_store if old is not None else None,
                                         splitter=SPLITTER, dates=date_finder.VERSION)
            store_claims.claim(index_dir, data.vector_store)  # before any row: a kill leaves it named
            report.added = [d.doc_id for d in state.documents]
            to_embed = state.documents
        else:
            assert old is not None
            data = old
            report.added, report.updated = state.added, state.updated
            report.removed, report.unchanged = state.removed, state.unchanged
            _drop_documents(data, set(state.updated) | set(state.removed))
            changed = set(state.added) | set(state.updated)
            to_embed = [d for d in state.documents if d.doc_id in changed]
            # A copy added, edited away or removed changes its canonical article's list of
            # copies while the canonical file stays as it was: its entry is rewritten,
            # its passages kept.
            unchanged = set(state.unchanged)
            for doc in state.documents:
                if doc.doc_id in unchanged:
                    entry = IndexedDocument.of(doc, passages=data.documents[doc.doc_id].passages)
                    if entry != data.documents[doc.doc_id]:
                        data.documents[doc.doc_id] = entry
                        report.relisted.append(doc.doc_id)
        articles, too_long = split_articles(to_embed, max_passages)
        if too_long:  # skipped with the reason; an updated one is removed (its old passages are gone)
            kept = {article.document.doc_id for article in articles}
            report.skipped.extend(too_long)
            report.removed += [doc_id for doc_id in report.updated if doc_id not in kept]
            report.added = [doc_id for doc_id in report.added if doc_id in kept]
            report.updated = [doc_id for doc_id in report.updated if doc_id in kept]
        if not (articles or report.removed or report.relisted or reason or retired is not None):
            # Nothing to write, but a build killed after its manifest switch (or one that
            # failed) may have left files behind: every `qa index` clears them.
            files.remove_unreferenced_files(index_dir)
            store_claims.release(index_dir, keep=data.vector_store)
            record_build(corpus_dir, index_dir, data.generation, report, listing)
        else:
            committed = data.generation
            made = data.vector_store if reason else None  # a store this build creates
            try:
                if report.moved_store:
                    made = open_vector_store(store, data.dimension, replaces=data.vector_store)
                    store_claims.claim(index_dir, made)
                    _copy_vectors(data.vector_store, made, [p.id for p in data.passages])
                    data.vector_store = made
                embed_articles(data, articles, embedder, progress, report, batch_size)
                data.extra["splitter"] = SPLITTER
                data.extra["dates"] = date_finder.VERSION
                data.extra["reader"] = READER_VERSION
                data.extra["corpus"] = corpus_record(corpus_dir, index_dir)
                data.vector_store.fit_to_size()  # FAISS: exact search while small, IVF once large
                files.save_index(data, index_dir)  # removes its own half-written files on failure
            except BaseException as exc:
                # A full build or a move that never switched the manifest leaves its new
                # Milvus collection to nobody: drop it. (An update's rows stay, unread, until
                # the next update deletes them; see qa.store.milvus_store.)
                if made is not None and data.generation == committed:
                    made.drop()
                if isinstance(exc, OSError) and data.generation == committed:
                    # A full disk, a size limit before the switch: the index is as it was.
                    raise StorageError.from_os_error(exc) from exc
                raise
            if retired is not None:
                retired.drop()
            store_claims.release(index_dir, keep=data.vector_store)  # and one a killed build left
            record_build(corpus_dir, index_dir, data.generation, report, listing)
        report.seconds = time.perf_counter() - started
        return report


def _unchanged_report(index_dir: Path, manifest: dict, changes: corpus_stamp.CorpusChanges) -> BuildReport:
    """The report of a build with nothing to do, without reading the corpus: no file of it
    changed since the index's last build (``changes.unchanged``, from
    :func:`qa.store.corpus_stamp.changes_since_build`) and the index is usable as built
    (``manifest``, from :func:`usable_as_built`)."""
    with contextlib.suppress(OSError):  # what a killed build left: every `qa index` clears it
        files.remove_unreferenced_files(index_dir)
    found = changes.found
    return BuildReport(unchanged=IndexedIds(index_dir, manifest), index_dir=str(index_dir),
                       skipped=[tuple(pair) for pair in found.get("skipped", [])],
                       warnings=[tuple(pair) for pair in found.get("warnings", [])],
                       copies=[tuple(pair) for pair in found.get("copies", [])])


def _indexed_manifest(index_dir: Path) -> dict:
    """The existing index's manifest, or {} when there is none that reads: an update keeps
    the model and the store it names (a rebuild of a damaged index too)."""
    return files.read_manifest_header(index_dir) or {}


def _copy_vectors(source, target, ids: list[int], batch: int = 10_000) -> None:
    """``source``'s vectors of ``ids`` into ``target`` under the same ids, a batch at a
    time: moving an index between FAISS and Milvus embeds nothing again."""
    ids = np.array(sorted(ids), dtype=np.int64)
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        target.add(chunk, source.reconstruct(chunk))


def _drop_documents(data: files.IndexData, doc_ids: set[str]) -> None:
    """Remove the passages of ``doc_ids``. Their sentence vectors stay, unreferenced, until
    the save that merges their segment (:mod:`qa.store.index_files`)."""
    if not doc_ids:
        return
    gone = [p for p in data.passages if p.doc_id in doc_ids]
    kept = [p for p in data.passages if p.doc_id not in doc_ids]
    if gone:
        data.vector_store.remove(np.array([p.id for p in gone], dtype=np.int64))
    data.passages = kept
    for doc_id in doc_ids:
        data.documents.pop(doc_id, None)
    data.invalidate()
