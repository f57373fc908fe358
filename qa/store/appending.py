"""Adding articles to an index without reading the rest of it.

When the corpus differs from the one the index was last built from only by new files (and
files whose ``stat`` changed while their bytes did not), :func:`append_added` reads the new
files, checks them for syndicated copies against the shingles each segment keeps of its
articles (:mod:`qa.store.segments`), splits and embeds them, and writes them as one new
segment (:func:`qa.store.index_files.save_added`). The index's passage table, sentence
vectors and BM25 are not read, nor any other article: adding one article to thousands costs
about one article.

Anything else returns None and :func:`qa.store.build.build_index` compares the whole corpus
with the whole index, as it always could: a changed or removed file, a new file that is a
copy of an indexed article (whose list of copies then changes), a merge of segments due,
no listing of the last build, an index that does not check out by its files' sizes. Both
paths give the same index: the same passages, vectors, documents and copies.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DocumentError, IndexMismatchError, StorageError
from ..ingest import dates as date_finder
from ..files import file_sha256
from ..ingest.documents import is_listed, read_corpus_file
from ..ingest.parsed import ParsedDocuments, stat_key
from ..ingest.readers import READER_VERSION, doc_id_of
from ..ingest.syndication import THRESHOLD, copies_of_known, duplicate_key, shingle_hashes, syndicated_copies
from ..records import Document
from . import corpus_stamp, index_files as files, store_claims
from .added_vectors import NewVectors, take_in_newest as take_in_newest_vectors
from .build_report import BuildReport
from .document_files import IndexedIds, read_documents, take_in_newest as take_in_newest_documents
from .embedding import MAX_PASSAGES_PER_ARTICLE, SPLITTER, embed_articles, split_articles
from .index_corpus import corpus_record
from .open_store import store_for_adding
from .segments import kept_when_adding, read_owners, read_to_merge, segment_keys, sized_path
from .vectors import same_store


def append_added(corpus_dir: Path, index_dir: Path, embedder, manifest: dict, changes: corpus_stamp.CorpusChanges,
                 listing: list[list] | None, progress=None, batch_size: int = 32,
                 max_passages: int = MAX_PASSAGES_PER_ARTICLE) -> BuildReport | None:
    """Bring the index up to date when articles were only added (see the module's text);
    the build's report, or None when the whole corpus must be compared. ``manifest``: the
    index's, as :func:`usable_as_built` gives it; ``changes``: the corpus's since the
    index's last build (:func:`qa.store.corpus_stamp.changes_since_build` of ``listing``,
    the corpus's listing taken as the build started: :func:`qa.store.corpus_stamp.take`)."""
    indexed = IndexedIds(index_dir, manifest)  # asked of the tables of ids: no article is read
    try:  # the same bytes as indexed, or the full path decides; unreadable now: the full path reports it
        suspects = {doc_id_of(source): source for source in changes.suspect}
        entries = read_documents(index_dir, manifest, only=suspects)[0] if suspects else {}
        if any(doc_id not in entries or entries[doc_id].sha256 != file_sha256(corpus_dir / source)
               for doc_id, source in suspects.items()):
            return None
    except (OSError, ValueError):
        return None
    added = [source for source in changes.added  # the files the corpus reader lists
             if is_listed((path := corpus_dir / source).name, path.is_symlink(), path.is_dir())]
    parsed = ParsedDocuments.load(index_dir, READER_VERSION, sources=added)
    documents, skipped = [], [tuple(pair) for pair in changes.found["skipped"]]
    for source in added:
        path = corpus_dir / source
        parsed.seen[source] = stat_key(path)
        try:
            documents.append(read_corpus_file(path, corpus_dir, parsed=parsed))
        except DocumentError as exc:
            skipped.append((exc.path, exc.reason))
    ids = [doc.doc_id for doc in documents]
    try:
        if len(set(ids)) != len(ids) or any(doc_id in indexed for doc_id in ids):
            return None  # two files with one id (one article in two formats): compare all
    except (OSError, ValueError, KeyError):
        return None  # a table of ids unreadable: the full path finds out why
    unique = _without_duplicates(documents, skipped)
    try:
        if _copies_of_indexed(index_dir, manifest, indexed, unique):
            return None
    except (OSError, ValueError, KeyError):
        return None  # a segment's files unreadable: the full path finds out why
    unique, copies = syndicated_copies(unique, set())
    report = BuildReport(unchanged=indexed, skipped=skipped, index_dir=str(index_dir),
                         warnings=[tuple(pair) for pair in changes.found["warnings"]]
                         + [(d.source, w) for d in unique for w in d.warnings],
                         copies=[tuple(pair) for pair in changes.found["copies"]] + copies)
    articles, too_long = split_articles(unique, max_passages)
    report.skipped.extend(too_long)
    report.added = [article.document.doc_id for article in articles]
    if articles:
        previous = dict(manifest)
        added = sum(len(a.passages) for a in articles)
        dimension = manifest["model"]["dimension"]
        vectors = store_for_adding(manifest.get("store"), index_dir / manifest["files"]["vectors"]["name"],
                                   dimension, (manifest.get("counts") or {}).get("passages", 0) + added)
        if vectors is None:
            return None  # the FAISS index changes its structure (exact to IVF): the full save does that
        keep = kept_when_adding(manifest["segments"], added)
        data = files.IndexData(model=embedder.name, dimension=dimension, vector_store=vectors,
                               passages=[], sentence_vectors=np.zeros((0, dimension), np.float32),
                               next_id=manifest["next_id"], generation=manifest["generation"],
                               extra={"corpus": corpus_record(corpus_dir, index_dir)})
        records = manifest["segments"]
        start = records[-1]["sentence_start"] + records[-1]["sentences"] if records else 0
        if keep < len(records):  # the newest segments are merged with the new one: they alone are read
            try:
                data.passages, data.sentence_vectors, data.new_shingles = read_to_merge(index_dir, manifest, keep,
                                                                                         dimension)
            except (OSError, ValueError, KeyError):
                return None
            start = records[keep]["sentence_start"]
        try:  # the newest files of earlier additions, taken in by tiers: they stay few
            data.documents, taken_in = take_in_newest_documents(index_dir, manifest, data.documents)
            if isinstance(vectors, NewVectors):
                take_in_newest_vectors(index_dir, manifest["files"], vectors)
        except (OSError, ValueError, KeyError):
            return None  # before anything is embedded (into a Milvus collection): the full path finds out why
        embed_articles(data, articles, embedder, progress, report, batch_size, row_offset=start)
        try:
            # It removes its own half-written files on failure.
            files.save_added(data, index_dir, previous, keep, added, taken_in)
        except OSError as exc:
            if data.generation == manifest["generation"]:  # a full disk before the switch: as it was
                raise StorageError.from_os_error(exc) from exc
            raise
        generation = data.generation
    else:
        generation = manifest["generation"]
        files.remove_unreferenced_files(index_dir)  # what a killed build left: every `qa index` clears it
    parsed.add(index_dir, documents)
    if changes.told:  # one line for the files it was told of: the folder was not listed
        corpus_stamp.record_added(index_dir, manifest["generation"], generation, corpus_dir, changes.added,
                                  _found_by(report))
    else:
        record_build(corpus_dir, index_dir, generation, report, listing)
    return report


def record_build(corpus_dir: Path, index_dir: Path, generation: int, report: BuildReport,
                 listing: list[list] | None) -> None:
    """Leave the corpus's listing as this build found it (:func:`qa.store.corpus_stamp.take`)
    for the next build (:func:`_unchanged_report`, :func:`qa.store.appending.append_added`)."""
    corpus_stamp.record_build(index_dir, generation, corpus_dir, listing, _found_by(report))


def _found_by(report: BuildReport) -> dict[str, list]:
    """What a build found, as the stamp keeps it for a build that compares nothing to report."""
    return {"skipped": [list(pair) for pair in report.skipped], "warnings": [list(pair) for pair in report.warnings],
            "copies": [list(pair) for pair in report.copies]}


def usable_as_built(index_dir: Path, model: str, store: str | None) -> dict | None:
    """The index's manifest (documents as plain JSON) when a build may take it as it is: the
    manifest reads, every data file it names has the size written, and nothing asks for more
    (another model or store, other splitting, dates or readers, a store a killed build left).
    None: load and check the whole index."""
    try:
        manifest = files.read_manifest_header(index_dir)
        if manifest is None or not (manifest.get("format_version") == files.FORMAT_VERSION and manifest["model"]["name"] == model
                and manifest.get("splitter") == SPLITTER and manifest.get("dates") == date_finder.VERSION
                and manifest.get("reader") == READER_VERSION):
            return None
        if store is not None and not same_store(manifest.get("store"), store):
            return None
        if any((index_dir / entry["name"]).stat().st_size != entry["bytes"] for entry in manifest["files"].values()):
            return None  # damaged: the full path finds out which file and rebuilds
        return None if store_claims.pending(index_dir, own=manifest.get("store")) else manifest
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexMismatchError):
        return None


def _without_duplicates(documents: list[Document], skipped: list[tuple[str, str]]) -> list[Document]:
    """``documents`` less a second file with the same text from the same publisher (listed in
    ``skipped``), as :func:`qa.store.build.corpus_state` does."""
    keeper: dict[tuple[str, str], Document] = {}
    unique = []
    for doc in documents:
        first = keeper.setdefault(duplicate_key(doc.body, doc.publisher), doc)
        if first is not doc:
            skipped.append((doc.source, f"same text and publisher as {first.source}; not indexed twice"))
        else:
            unique.append(doc)
    return unique


def _copies_of_indexed(index_dir: Path, manifest: dict, indexed: IndexedIds, documents: list[Document]) -> bool:
    """Whether one of ``documents`` is a syndicated copy of an indexed article, or it of one
    of them, by the shingles the segments keep: each table is searched through a memory map,
    so that only the rows of matching shingles are read, whatever the corpus's size; the
    segments' lists of articles are read only when an article matches."""
    if not documents:
        return False
    hashes = shingle_hashes([doc.body for doc in documents])
    records = manifest["segments"]
    owners: dict[int, list[str]] = {}

    def owners_of(at: int) -> list[str]:
        if at not in owners:
            entry = manifest["files"][segment_keys(records[at]["generation"])["shingle_owners"]]
            owners[at] = read_owners(sized_path(index_dir, entry))
        return owners[at]

    for at, record in enumerate(records):
        keys = segment_keys(record["generation"])
        table_entry = manifest["files"].get(keys["shingles"])
        counts_entry = manifest["files"].get(keys["shingle_counts"])
        if table_entry is None or counts_entry is None:
            return True  # cannot tell: compare all
        table = np.load(index_dir / table_entry["name"], mmap_mode="r", allow_pickle=False)
        if not len(table):
            continue
        sizes = np.load(index_dir / counts_entry["name"], allow_pickle=False)

        def live(owner: int, at=at) -> bool:
            # An article's shingles count where its live passages are: the newest segment that
            # lists it, while the index holds it (a removed or edited article's older rows are dead).
            doc_id = owners_of(at)[owner]
            return doc_id in indexed and not any(doc_id in owners_of(later) for later in range(at + 1, len(records)))

        if any(copies_of_known(h, table[:, 0], table[:, 1], sizes, THRESHOLD, live) for h in hashes):
            return True
    return False
