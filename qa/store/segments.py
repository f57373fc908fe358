"""Segments: how the index folder keeps passages, their sentence vectors and BM25 so that
a save writes only what changed (:mod:`qa.store.index_files` holds the rest of the folder).

The generation that added passages wrote one segment: ``passages-<gen>.jsonl``,
``sentences-<gen>.npy``, ``lexical-<gen>.*`` and ``shingles-<gen>.npy`` (the hashed word
5-shingles of its articles, sorted, by which an article added later is checked for being a
syndicated copy of one of them without reading them: :mod:`qa.store.appending`; each
article's count of them in ``shingles-<gen>.counts.npy``, and the articles' ids, in the
order the table numbers them, in ``shingles-<gen>.owners.json``); later
saves leave it as it is. The manifest
lists every segment in order with the rows of removed passages it holds (dead rows: read
past on load, left out of BM25's statistics). Sentence rows are numbered across segments,
each segment owning a range, so a passage's rows stay valid while its segment stands. When
dead rows pass :data:`DEAD_SHARE_REWRITE` of all, everything is written again as one
segment; past :data:`MAX_SEGMENTS`, the newest are merged.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..files import file_sha256, save_array, write_atomic
from ..records import Passage
from .lexical import FILE_SUFFIXES, LexicalSegment

# Merging segments: a whole rewrite once dead rows pass this share of all rows; past this
# many segments, the newest are merged into one, taking in each older segment no larger than
# the run merged so far: segments grow in tiers, and a row is rewritten a few times at most.
DEAD_SHARE_REWRITE = 0.25
MAX_SEGMENTS = 8


@dataclass
class Segment:
    """What one generation wrote of the passages: their ids in row order (removed ones
    too), the range of sentence vectors they own, BM25 over them, and the manifest's
    entries for its files."""

    generation: int
    ids: np.ndarray
    sentence_start: int
    sentences: int
    lexical: LexicalSegment
    files: dict[str, dict]
    folder: Path  # where its files are: a save into another folder writes every segment anew
    documents: list[str]  # the articles of its passages, in order: row k of its shingles names documents[k]

    def record(self, live: np.ndarray) -> dict:
        """The manifest's entry, with the rows not in ``live`` (a mask) marked dead."""
        return {"generation": self.generation, "rows": int(len(self.ids)), "sentence_start": self.sentence_start,
                "sentences": self.sentences, "dead": np.flatnonzero(~live).tolist()}

    def shingles(self) -> np.ndarray:
        """Its articles' shingles: rows of (hash, article's place in ``documents``), by hash."""
        return np.load(self.folder / self.files[f"shingles.{self.generation}"]["name"], allow_pickle=False)


def segment_keys(generation: int) -> dict[str, str]:
    """The manifest's file keys of one segment, by role."""
    keys = {"passages": f"passages.{generation}", "sentence_vectors": f"sentence_vectors.{generation}",
            "shingles": f"shingles.{generation}", "shingle_counts": f"shingle_counts.{generation}",
            "shingle_owners": f"shingle_owners.{generation}"}
    keys.update({f"lexical_{role}": f"lexical_{role}.{generation}" for role in FILE_SUFFIXES})
    return keys


def file_entry(index_dir: Path, name: str) -> dict:
    return {"name": name, "bytes": (index_dir / name).stat().st_size, "sha256": file_sha256(index_dir / name)}


def sized_path(index_dir: Path, entry: dict) -> Path:
    """The path of the file a manifest's ``entry`` (:func:`file_entry`) names, when it has the
    size written there; else ``ValueError`` (``OSError`` when it is gone)."""
    path = Path(index_dir) / entry["name"]
    if path.stat().st_size != entry["bytes"]:
        raise ValueError(f"{path.name} is truncated or changed since it was written")
    return path


def write_segments(data, index_dir: Path, generation: int,
                   keep_saved: bool = True) -> tuple[list[Segment], list[np.ndarray]]:
    """For ``data`` (a :class:`qa.store.index_files.IndexData`, which imports this module),
    the segments the new manifest lists and, for each, its live rows (a mask): the saved
    segments kept as they are, and one new segment written now holding the passages added
    since (and those of the newest segments, when they are merged; see MAX_SEGMENTS)."""
    ids = np.array([p.id for p in data.passages], dtype=np.int64)
    saved = data.segments if keep_saved and all(s.folder == index_dir.resolve() for s in data.segments) else []
    masks = [np.isin(segment.ids, ids) for segment in saved]
    counts = [int(mask.sum()) for mask in masks]
    keep = _segments_kept(data, saved, masks, counts, ids)
    start = saved[keep].sentence_start if keep < len(saved) else (
        saved[-1].sentence_start + saved[-1].sentences if saved else 0)
    tail = data.passages[sum(counts[:keep]):]
    if keep < len(saved) or keep == 0:
        # Merging (or rewriting): the tail's sentence vectors lose the rows of removed passages.
        data.sentence_vectors = np.concatenate([data.sentence_vectors[:start],
                                                _compacted(tail, data.sentence_vectors, 0, start)])
        data.invalidate()
    segments, live = list(saved[:keep]), masks[:keep]
    if tail:
        known = _shingles_of(saved[keep:], {p.doc_id for p in tail})
        known.update(data.new_shingles)
        segments.append(write_segment(tail, data.sentence_vectors[start:], known, index_dir, generation, start))
        live.append(np.ones(len(tail), dtype=bool))
    elif keep < len(saved):  # every passage of the merged segments was removed
        data.sentence_vectors = data.sentence_vectors[:start]
    data.new_shingles = {}
    return segments, live


def write_segment(passages: list[Passage], sentence_vectors: np.ndarray, shingles: dict[str, np.ndarray],
                  index_dir: Path, generation: int, start: int) -> Segment:
    """Write one segment of ``passages`` (their sentence vectors, numbered from ``start``,
    and each article's shingles by document id: :func:`qa.ingest.syndication.shingle_hashes`)."""
    names = {"passages": f"passages-{generation}.jsonl", "sentence_vectors": f"sentences-{generation}.npy",
             "shingles": f"shingles-{generation}.npy", "shingle_counts": f"shingles-{generation}.counts.npy",
             "shingle_owners": f"shingles-{generation}.owners.json"}
    vectors = np.ascontiguousarray(sentence_vectors, dtype=np.float32)
    documents = list(dict.fromkeys(p.doc_id for p in passages))
    parts = [shingles.get(doc_id, np.zeros(0, dtype=np.uint64)) for doc_id in documents]
    table = np.column_stack([np.concatenate(parts or [np.zeros(0, dtype=np.uint64)]).astype(np.uint64),
                             np.repeat(np.arange(len(documents), dtype=np.uint64), [len(h) for h in parts])])
    table = np.ascontiguousarray(table[np.argsort(table[:, 0], kind="stable")])

    def write_passages(fh):
        for passage in passages:
            fh.write(json.dumps(passage.to_json(), ensure_ascii=False).encode("utf-8") + b"\n")

    write_atomic(index_dir / names["passages"], write_passages)
    write_atomic(index_dir / names["sentence_vectors"], lambda fh: save_array(fh, vectors))
    write_atomic(index_dir / names["shingles"], lambda fh: save_array(fh, table))
    counts = np.array([len(h) for h in parts], dtype=np.int64)  # each article's: read without the table
    write_atomic(index_dir / names["shingle_counts"], lambda fh: save_array(fh, counts))
    write_atomic(index_dir / names["shingle_owners"], lambda fh: fh.write(json.dumps(documents).encode("utf-8")))
    lexical = LexicalSegment.build(p.text for p in passages)
    names.update({f"lexical_{role}": path.name for role, path in lexical.save(index_dir, generation).items()})
    keys = segment_keys(generation)
    return Segment(generation, np.array([p.id for p in passages], dtype=np.int64), start, len(vectors), lexical,
                   {keys[role]: file_entry(index_dir, name) for role, name in names.items()},
                   index_dir.resolve(), documents)


def _shingles_of(segments: list[Segment], doc_ids: set[str]) -> dict[str, np.ndarray]:
    """The shingles ``segments`` keep of ``doc_ids``, by document id (the newest segment's
    where several hold one: an updated article's older passages are dead rows)."""
    found: dict[str, np.ndarray] = {}
    for segment in segments:
        wanted = [k for k, doc_id in enumerate(segment.documents) if doc_id in doc_ids]
        if not wanted:
            continue
        table = segment.shingles()
        for k in wanted:
            found[segment.documents[k]] = np.sort(table[table[:, 1] == k, 0])
    return found


def _segments_kept(data, saved: list[Segment], masks: list[np.ndarray], counts: list[int],
                   ids: np.ndarray) -> int:
    """How many of the saved segments the next manifest keeps as they are (0: rewrite all)."""
    if not saved:
        return 0
    # The passage table must be the saved segments' live rows in order, then new passages,
    # whose sentence vectors follow the saved ones (as every build makes them); else rewrite.
    held = np.concatenate([segment.ids[mask] for segment, mask in zip(saved, masks)])
    end = saved[-1].sentence_start + saved[-1].sentences
    if not np.array_equal(ids[:len(held)], held):
        return 0
    for at, passage in enumerate(data.passages):
        if any((r < end) != (at < len(held)) for r in passage.sentence_rows):
            return 0
    rows = sum(len(segment.ids) for segment in saved) + len(ids) - len(held)
    if sum(len(s.ids) for s in saved) - len(held) > DEAD_SHARE_REWRITE * rows:
        return 0
    return tiers_kept(counts + [len(ids) - len(held)])


def tiers_kept(sizes: list[int]) -> int:
    """Of parts of ``sizes`` (segments' live rows; the last one new), how many stay as they
    are: all while there are at most MAX_SEGMENTS; else the newest are merged, taking in
    each older one no larger than the run merged so far (so a row is merged again only when
    the run it is in has doubled: a few times in all)."""
    if len(sizes) <= MAX_SEGMENTS:
        return len(sizes) - 1
    keep = len(sizes) - 2
    while keep > 0 and sizes[keep - 1] <= sum(sizes[keep:]):
        keep -= 1
    return keep


def kept_when_adding(records: list[dict], added: int) -> int:
    """How many of the segments a manifest lists (``records``) an update that adds ``added``
    passages keeps as they are; it merges the others with its own passages into one
    segment (:func:`read_to_merge`), by the same tiers as a full save."""
    return tiers_kept([record["rows"] - len(record["dead"]) for record in records] + [added])


def read_to_merge(index_dir: Path, manifest: dict, keep: int, dimension: int
                  ) -> tuple[list[Passage], np.ndarray, dict[str, np.ndarray]]:
    """The live passages of the segments after the first ``keep`` that ``manifest`` lists,
    their sentence vectors renumbered from the first of them (the rows of removed passages
    left out) and their articles' shingles: what a merged segment holds of them. Only those
    segments' files are read. Raises ``ValueError`` (or ``OSError``) when they do not check
    out by their sizes: the full path then finds out what is wrong."""
    records = manifest["segments"][keep:]
    paths = [{role: sized_path(index_dir, manifest["files"][key]) for role, key in segment_keys(record["generation"]).items()}
             for record in records]
    start = records[0]["sentence_start"]
    passages, vectors, segments, _ = read_segments(index_dir, records, paths, manifest["files"], dimension, start)
    return passages, _compacted(passages, vectors, start, start), _shingles_of(segments, {p.doc_id for p in passages})


def _compacted(passages: list[Passage], vectors: np.ndarray, first: int, start: int) -> np.ndarray:
    """The sentence vectors ``passages`` point to, in order (``vectors`` holds the index's
    rows from ``first``), the passages' rows renumbered to them from ``start``: the rows of
    removed passages are left out of a merged segment."""
    rows = sorted({r for p in passages for r in p.sentence_rows})
    remap = {old: start + new for new, old in enumerate(rows)}
    for passage in passages:
        passage.sentence_rows = [remap[r] for r in passage.sentence_rows]
    return vectors[np.array(rows, dtype=np.int64) - first] if rows else vectors[:0]


def read_owners(path: Path, rows: int | None = None) -> list[str]:
    """The ids of a segment's articles (``shingles-<gen>.owners.json``), in the order its
    table of shingles numbers them. Raises ``ValueError`` when the file is not such a list."""
    owners = json.loads(path.read_bytes())
    if not (isinstance(owners, list) and all(isinstance(o, str) for o in owners)) or (rows is not None and len(owners) > rows):
        raise ValueError(f"{path.name} is not the list of its segment's articles")
    return owners


def read_segments(index_dir: Path, records: list[dict], paths: list[dict[str, Path]], files: dict[str, dict],
                  dimension: int, start: int = 0) -> tuple[list[Passage], np.ndarray, list[Segment], list[np.ndarray]]:
    """The live passages of the segments the manifest lists (``records``, their files at
    ``paths`` by role, already checked against ``files``; the first one's sentence rows
    from ``start``), the sentence vectors of all, the segments and their live rows. Raises
    ``ValueError`` saying what does not fit."""
    passages: list[Passage] = []
    segments, live, vectors_of = [], [], []
    for record, where in zip(records, paths):
        rows = [json.loads(line) for line in where["passages"].read_text(encoding="utf-8").splitlines() if line]
        vectors = np.load(where["sentence_vectors"], allow_pickle=False)
        lexical = LexicalSegment.load({role[len("lexical_"):]: path for role, path in where.items()
                                       if role.startswith("lexical_")})
        dead = record["dead"]
        if len(rows) != record["rows"] or len(lexical) != len(rows) or any(not 0 <= r < len(rows) for r in dead):
            raise ValueError(f"segment {record['generation']} does not hold the rows its manifest entry says")
        if vectors.ndim != 2 or len(vectors) != record["sentences"] or record["sentence_start"] != start or (
                len(vectors) and vectors.shape[1] != dimension):
            raise ValueError(f"the sentence vectors of segment {record['generation']} disagree with the manifest")
        mask = np.ones(len(rows), dtype=bool)
        mask[dead] = False
        try:
            passages += [Passage.from_json(row) for row, alive in zip(rows, mask) if alive]
            ids = np.array([int(row["id"]) for row in rows], dtype=np.int64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"a passage row lacks a field or has one of the wrong type ({type(exc).__name__}: {exc})") from exc
        keys = set(segment_keys(record["generation"]).values())
        segments.append(Segment(record["generation"], ids, start, len(vectors), lexical,
                                {key: entry for key, entry in files.items() if key in keys}, Path(index_dir).resolve(),
                                read_owners(where["shingle_owners"], len(lexical))))
        live.append(mask)
        vectors_of.append(vectors)
        start += len(vectors)
    sentence_vectors = np.concatenate(vectors_of) if vectors_of else np.zeros((0, dimension), dtype=np.float32)
    return passages, sentence_vectors, segments, live
