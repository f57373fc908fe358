"""``qa eval --beir DIR``: a BEIR-format benchmark (``corpus.jsonl``, ``queries.jsonl``,
``qrels/<split>.tsv``) indexed with the project's own embedder, vector store, BM25 and
fusion; nDCG@10 and Recall@100 of dense, BM25 and hybrid ranking from one run.

``print(evaluate_beir("../shared/benchmarks/scifact").table())`` gives the table; corpus
vectors are kept in ``benchmarks/.cache`` between runs.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..answer.fusion import DEFAULT_FUSION, Fusion, candidates
from ..config import default_model
from ..errors import QAError
from ..store.embedder import get_embedder
from ..store.lexical import LexicalIndex
from ..store.vectors import open_vector_store
from .metrics import ndcg_at_k, recall_at_k

Log = Callable[[str], None]


@dataclass
class BeirData:
    doc_ids: list[str]
    titles: list[str]
    texts: list[str]
    queries: dict[str, str]  # only the queries judged in the split
    qrels: dict[str, dict[str, float]]


def load_beir(folder: str | Path, split: str = "test") -> BeirData:
    """Read a BEIR folder; errors say which file is missing or malformed."""
    folder = Path(folder)
    need = [folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv"]
    for path in need:
        if not path.is_file():
            splits = sorted(p.stem for p in (folder / "qrels").glob("*.tsv")) if (folder / "qrels").is_dir() else []
            hint = f" (splits here: {', '.join(splits)})" if splits else ""
            raise QAError(
                f"{path} is missing{hint}; a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv"
            )
    doc_ids, titles, texts = [], [], []
    for number, row in _jsonl(need[0]):
        if "_id" not in row:
            raise QAError(f"{need[0]}:{number}: a corpus line needs \"_id\", \"title\" and \"text\"")
        doc_ids.append(str(row["_id"]))
        titles.append(str(row.get("title") or ""))
        texts.append(str(row.get("text") or ""))
    all_queries = {}
    for number, row in _jsonl(need[1]):
        if "_id" not in row or "text" not in row:
            raise QAError(f"{need[1]}:{number}: a query line needs \"_id\" and \"text\"")
        all_queries[str(row["_id"])] = str(row["text"])
    qrels: dict[str, dict[str, float]] = {}
    for number, line in enumerate(need[2].read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split("\t")
        if number == 1 and not parts[-1].strip().lstrip("-").isdigit():
            continue  # the header line
        if len(parts) < 3:
            if line.strip():
                raise QAError(f"{need[2]}:{number}: expected query-id<TAB>corpus-id<TAB>score")
            continue
        try:
            gain = float(parts[2])
        except ValueError as exc:
            raise QAError(f"{need[2]}:{number}: the score {parts[2]!r} is not a number") from exc
        qrels.setdefault(parts[0].strip(), {})[parts[1].strip()] = gain
    missing = sorted(set(qrels) - set(all_queries))
    if missing:
        raise QAError(f"{need[2]} judges queries missing from queries.jsonl (e.g. {missing[0]}); check the folder")
    queries = {qid: all_queries[qid] for qid in qrels}
    return BeirData(doc_ids, titles, texts, queries, qrels)


def _jsonl(path: Path):
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise QAError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc


def document_text(title: str, text: str) -> str:
    """What is embedded and BM25-indexed for one benchmark document: title, then text."""
    title, text = title.strip(), text.strip()
    if not title:
        return text
    return f"{title}{'' if title[-1] in '.?!' else '.'} {text}"


def encode_cached(embedder, texts: Sequence[str], cache_dir: str | Path | None, log: Log | None = None,
                  batch_size: int = 32) -> np.ndarray:
    """``embedder.encode(texts)``, kept in ``cache_dir`` under a key of model name and texts.

    Benchmark corpora take minutes to embed on a CPU; tuning runs read them back instead.
    """
    h = hashlib.sha256(embedder.name.encode("utf-8"))
    for text in texts:
        h.update(b"\x00" + text.encode("utf-8"))
    key = h.hexdigest()[:24]
    path = Path(cache_dir) / f"vectors-{key}.npy" if cache_dir is not None else None
    if path is not None and path.is_file():
        vectors = np.load(path, allow_pickle=False)
        if vectors.shape[0] == len(texts):
            return vectors
    started = time.perf_counter()
    progress = None
    if log:
        log(f"embedding {len(texts):,} texts with {embedder.name} (cached afterwards in {cache_dir})")
        step = max(1, len(texts) // 10)
        marks = {"next": step}

        def progress(done, total):
            if done >= marks["next"] or done == total:
                log(f"  {done:,}/{total:,} embedded, {time.perf_counter() - started:.0f}s")
                marks["next"] = done + step

    vectors = np.asarray(embedder.encode(list(texts), batch_size=batch_size, progress=progress), dtype=np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, vectors, allow_pickle=False)
        tmp.replace(path)
        path.with_suffix(".json").write_text(
            json.dumps({"model": embedder.name, "texts": len(texts), "dimension": int(vectors.shape[1])}) + "\n",
            encoding="utf-8",
        )
    return vectors


@dataclass
class BeirRun:
    """Per-query candidates for one BEIR split, from which any fusion can be scored cheaply."""

    data: BeirData
    query_ids: list[str]
    candidates: list  # HybridRanking per query, unranked
    dense_top: list[list[str]]
    lexical_top: list[list[str]]
    seconds: dict[str, float] = field(default_factory=dict)

    def hybrid_top(self, fusion=None, k: int = 100) -> list[list[str]]:
        out = []
        for c in self.candidates:
            ranked = c.ranked(fusion)
            out.append([self.data.doc_ids[i] for i in ranked.ids[:k]])
        return out

    def scores(self, rankings: list[list[str]]) -> tuple[float, float]:
        """Mean nDCG@10 and Recall@100 of one ranking per query."""
        nd = [ndcg_at_k(r, self.data.qrels[q], 10) for q, r in zip(self.query_ids, rankings)]
        rc = [recall_at_k(r, self.data.qrels[q], 100) for q, r in zip(self.query_ids, rankings)]
        return float(np.mean(nd)), float(np.mean(rc))


@dataclass
class BeirReport:
    name: str
    split: str
    documents: int
    queries: int
    model: str
    fusion: str
    rows: dict[str, tuple[float, float]]  # method -> (nDCG@10, Recall@100)
    seconds: dict[str, float]

    def table(self) -> str:
        lines = [
            f"{self.name} ({self.split}): {self.documents:,} documents, {self.queries:,} queries; "
            f"model {self.model}; hybrid = {self.fusion}",
            "",
            f"| {'ranking':<8} | nDCG@10 | Recall@100 |",
            f"|{'-' * 10}|---------|------------|",
        ]
        for method, (nd, rc) in self.rows.items():
            lines.append(f"| {method:<8} | {nd:7.3f} | {rc:10.3f} |")
        timing = ", ".join(f"{k} {v:.0f}s" for k, v in self.seconds.items())
        lines += ["", f"time: {timing}"]
        return "\n".join(lines)


def prepare_beir(folder: str | Path, split: str = "test", model: str | None = None, embedder=None,
                 cache_dir: str | Path | None = "benchmarks/.cache", depth: int = 100, log: Log | None = None) -> BeirRun:
    """Embed, index and search every judged query of ``split`` (dense, BM25 and their candidates)."""
    log = log or (lambda _msg: None)
    data = load_beir(folder, split)
    embedder = embedder or get_embedder(model)
    seconds = {}
    started = time.perf_counter()
    texts = [document_text(t, x) for t, x in zip(data.titles, data.texts)]
    vectors = encode_cached(embedder, texts, cache_dir, log)
    query_ids = list(data.queries)
    query_vectors = encode_cached(embedder, [data.queries[q] for q in query_ids], cache_dir, log)
    seconds["embedding"] = time.perf_counter() - started

    started = time.perf_counter()
    vector_store = open_vector_store(dimension=vectors.shape[1])
    row_ids = np.arange(len(texts), dtype=np.int64)
    vector_store.add(row_ids, vectors)
    lexical = LexicalIndex.build(texts)
    seconds["indexing"] = time.perf_counter() - started

    started = time.perf_counter()
    dense_top, lexical_top, pools = [], [], []
    depth = max(depth, 100)
    for qid, qv in zip(query_ids, query_vectors):
        _, ids = vector_store.search(qv[None, :], min(100, len(texts)))
        dense_top.append([data.doc_ids[i] for i in ids[0] if i >= 0])
        rows, _ = lexical.top(data.queries[qid], 100)
        lexical_top.append([data.doc_ids[i] for i in rows])
        pools.append(candidates(qv, data.queries[qid], vector_store, lexical, row_ids, depth))
    seconds["searching"] = time.perf_counter() - started
    return BeirRun(data, query_ids, pools, dense_top, lexical_top, seconds)


def evaluate_beir(folder: str | Path, split: str = "test", model: str | None = None, embedder=None,
                  cache_dir: str | Path | None = "benchmarks/.cache", fusion=None,
                  log: Log | None = None) -> BeirReport:
    """nDCG@10 and Recall@100 of dense, BM25 and hybrid ranking, from one indexing run."""
    fusion = fusion or DEFAULT_FUSION
    run = prepare_beir(folder, split, model=model, embedder=embedder, cache_dir=cache_dir, log=log)
    rows = {
        "dense": run.scores(run.dense_top),
        "BM25": run.scores(run.lexical_top),
        "hybrid": run.scores(run.hybrid_top(fusion)),
    }
    model_name = (embedder.name if embedder else None) or model or _default_model_name()
    return BeirReport(Path(folder).resolve().name, split, len(run.data.doc_ids), len(run.query_ids),
                      model_name, fusion.describe(), rows, run.seconds)


def _default_model_name() -> str:
    return default_model()


def fusion_grid():
    """The fusions compared by ``qa eval --beir DIR --tune`` (run it on a training split)."""
    grid = [Fusion("rrf", k=k) for k in (1, 5, 10, 20, 40, 60, 100)]
    for normalise in ("minmax", "zscore", "max"):
        grid += [Fusion("convex", weight=round(w, 2), normalise=normalise) for w in np.arange(0.1, 0.95, 0.1)]
    return grid


def tune_fusion(run: BeirRun) -> list[tuple[object, float, float]]:
    """Every fusion of :func:`fusion_grid` scored on ``run``: ``(fusion, nDCG@10, Recall@100)``, best first."""
    results = []
    for fusion in fusion_grid():
        nd, rc = run.scores(run.hybrid_top(fusion))
        results.append((fusion, nd, rc))
    results.sort(key=lambda r: (-r[1], -r[2]))
    return results
