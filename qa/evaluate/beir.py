"""``qa eval --beir DIR``: a BEIR-format benchmark (``corpus.jsonl``, ``queries.jsonl``,
``qrels/<split>.tsv``) measured with the code that answers users.

Each benchmark document is written as an article (headline = its title; body = title and
text) into a corpus folder, indexed by :func:`qa.build_index` (the product's passages,
sentence vectors and BM25), and every judged query is ranked by
:meth:`qa.Retriever.retrieve`, the ranking the chat and ``qa ask`` show. A document ranks
where its best passage does. Dense-only and BM25-only rankings of the same passages are
reported beside it for context.

The corpus and index are kept in ``benchmarks/.cache/beir-<name>-<key>/``, keyed by the
corpus, the model, the index format and how documents are written as articles, but not
by the ranking code: after a ranking change, a run reads the index back and only ranks.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import quote, unquote

import numpy as np

from ..answer.question import check_question
from ..answer.retriever import Retriever
from ..errors import QAError, QuestionError
from ..records import IndexedDocument
from ..store import index_files
from ..ingest import dates
from ..store.build import READER_VERSION, SPLITTER, build_index
from ..embedding.embedder import Embedder, get_embedder
from .metrics import ndcg_at_k, recall_at_k

Log = Callable[[str], None]

# How a benchmark document becomes an article file (see write_articles); part of the cache
# key, so that changing it builds a new index instead of reading a stale one.
ARTICLE_FORMAT = 1
# Passages asked of the retriever per query. Documents rank by their best passage, and
# SciFact has ~4 passages per document: 400 passages give about 100 documents for Recall@100.
PASSAGES = 400


@dataclass
class BeirData:
    doc_ids: list[str]
    titles: list[str]
    texts: list[str]
    queries: dict[str, str]  # only the queries judged in the split
    qrels: dict[str, dict[str, float]]
    corpus_sha256: str = ""


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
    digest = hashlib.sha256(need[0].read_bytes()).hexdigest()
    return BeirData(doc_ids, titles, texts, queries, qrels, digest)


def _jsonl(path: Path):
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise QAError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc


def document_text(title: str, text: str) -> str:
    """An article body for one benchmark document: title, then text (as BEIR embeds them)."""
    title, text = title.strip(), text.strip()
    if not title:
        return text
    return f"{title}{'' if title[-1] in '.?!' else '.'} {text}"


# --- the benchmark as a corpus and index of the product --------------------------------

def article_file_name(doc_id: str) -> str:
    """The file a document is written to; its stem is the id the index gives the document
    (percent-escaped where the id holds a character a file name cannot, such as ``/``)."""
    escaped = quote(doc_id, safe="-_")
    return ("%2E" + escaped[1:] if escaped.startswith(".") else escaped) + ".md"


def write_articles(data: BeirData, folder: Path) -> int:
    """One Markdown article per document (front-matter title, body :func:`document_text`);
    returns how many documents had no text at all and were left out."""
    empty = 0
    folder.mkdir(parents=True)
    for doc_id, title, text in zip(data.doc_ids, data.titles, data.texts):
        body = document_text(title, text)
        if not body:
            empty += 1
            continue
        # A JSON string is a YAML double-quoted scalar: any title survives the front matter.
        head = f"---\ntitle: {json.dumps(' '.join(title.split()), ensure_ascii=False)}\n---\n\n" if title.strip() else ""
        (folder / article_file_name(doc_id)).write_text(head + body + "\n", encoding="utf-8")
    return empty


def cache_key(data: BeirData, model: str) -> str:
    """What the index depends on: the corpus, the model and the index format (files, passage
    splitting, date resolution, how articles are read, :data:`ARTICLE_FORMAT`). Not the
    ranking code, so a ranking change reuses the index."""
    index_format = [index_files.FORMAT, index_files.FORMAT_VERSION, SPLITTER, dates.VERSION, READER_VERSION,
                    ARTICLE_FORMAT]
    parts = [data.corpus_sha256, model, json.dumps(index_format, sort_keys=True)]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:12]


@dataclass
class BenchmarkIndex:
    folder: Path  # holds corpus/ and index/
    documents_left_out: int  # no text, or the same text as another document (indexed once)
    seconds: float  # building (once) or reading the manifest

    @property
    def index_dir(self) -> Path:
        return self.folder / "index"


def prepare_index(name: str, data: BeirData, embedder: Embedder, cache_dir: Path, log: Log) -> BenchmarkIndex:
    """The benchmark's corpus folder and index under ``cache_dir``: written and built once,
    then read back."""
    folder = cache_dir / f"beir-{name}-{cache_key(data, embedder.name)}"
    corpus = folder / "corpus"
    if not corpus.is_dir():
        log(f"writing {len(data.doc_ids):,} documents as articles into {corpus}")
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="corpus-", dir=folder))
        shutil.rmtree(staging)
        write_articles(data, staging)
        staging.rename(corpus)  # all or nothing: a half-written corpus is never indexed
    index_dir = folder / "index"
    started = time.perf_counter()
    # Built once: the key covers everything the build reads, and checking the corpus again
    # (syndicated copies are compared pairwise) would take minutes on thousands of documents.
    if not (index_dir / index_files.MANIFEST).is_file():
        report = build_index(corpus_dir=corpus, index_dir=index_dir, embedder=embedder,
                             progress=_build_progress(log), wait=True)
        log(f"indexed {len(report.added):,} articles ({len(report.copies)} folded as copies of another), "
            f"{report.passages_embedded:,} passages and {report.sentences_embedded:,} sentences embedded "
            f"in {report.seconds:.0f}s")
    documents = index_files.read_manifest(index_dir)["documents"]
    copies = copies_of(documents)
    left_out = len(data.doc_ids) - len(documents) - sum(len(c) for c in copies.values())
    return BenchmarkIndex(folder, left_out, time.perf_counter() - started)


def copies_of(documents: dict[str, IndexedDocument]) -> dict[str, list[str]]:
    """Index document id -> benchmark ids of the documents folded into it as syndicated
    copies (:mod:`qa.ingest.syndication`): not ranked on their own, cited with it."""
    return {doc_id: [unquote(Path(copy.file).with_suffix("").as_posix()) for copy in document.also_published]
            for doc_id, document in documents.items() if document.also_published}


def _build_progress(log: Log):
    started = time.perf_counter()
    marks = {"next": 0}

    def progress(done: int, total: int, stage: str) -> None:
        if done >= marks["next"] or done == total:
            log(f"  {stage}: {done:,}/{total:,} texts, {time.perf_counter() - started:.0f}s")
            marks["next"] = done + max(1, total // 20)

    return progress


# --- ranking and scoring ----------------------------------------------------------------

def documents_in_order(doc_ids, copies: dict[str, list[str]] | None = None) -> list[str]:
    """Each document once, where its first (best) passage ranks, and its syndicated copies
    right after it (a citation shows them with it); ids as the benchmark has them."""
    ranked = []
    for doc_id in dict.fromkeys(doc_ids):
        ranked.append(unquote(doc_id))
        ranked.extend((copies or {}).get(doc_id, ()))
    return ranked


def rank_documents(retriever: Retriever, query: str, passages: int = PASSAGES,
                   copies: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """One query's document rankings: ``product`` from :meth:`Retriever.retrieve` (what the
    chat shows, every hit kept: abstention does not enter nDCG), and ``dense`` and ``BM25``
    alone over the same passages."""
    try:
        hits = retriever.retrieve(query, k=passages)
    except QuestionError:  # a query the product refuses (no words): it ranks nothing
        return {"product": [], "dense": [], "BM25": []}
    data = retriever.data
    q = retriever.encode_question(check_question(query))  # cached by retrieve
    depth = min(passages, len(data.vector_store))
    _, ids = data.vector_store.search(np.ascontiguousarray(q, dtype=np.float32)[None, :], depth)
    rows, _ = data.lexical.top(query, depth)
    return {
        "product": documents_in_order((h.doc_id for h in hits), copies),
        "dense": documents_in_order((data.passage(i).doc_id for i in ids[0] if i >= 0), copies),
        "BM25": documents_in_order((data.passages[r].doc_id for r in rows), copies),
    }


@dataclass
class BeirReport:
    name: str
    split: str
    documents: int
    queries: int
    model: str
    passages: int  # passages in the index
    rows: dict[str, tuple[float, float]]  # ranking -> (nDCG@10, Recall@100)
    documents_ranked: float  # mean documents in the product ranking of a query
    left_out: int
    seconds: dict[str, float]

    def table(self) -> str:
        lines = [
            f"{self.name} ({self.split}): {self.documents:,} documents ({self.passages:,} passages), "
            f"{self.queries:,} queries; model {self.model}",
            "product = qa.Retriever.retrieve over the qa.build_index index; a document ranks by its best passage",
            "",
            f"| {'ranking':<8} | nDCG@10 | Recall@100 |",
            f"|{'-' * 10}|---------|------------|",
        ]
        for method, (nd, rc) in self.rows.items():
            lines.append(f"| {method:<8} | {nd:7.3f} | {rc:10.3f} |")
        lines.append("")
        if self.left_out:
            lines.append(f"{self.left_out} documents not indexed (no text, or the same text as another)")
        lines.append(f"documents per product ranking: {self.documents_ranked:.0f} on average")
        lines.append("time: " + ", ".join(f"{k} {v:.0f}s" for k, v in self.seconds.items()))
        return "\n".join(lines)


def evaluate_beir(folder: str | Path, split: str = "test", model: str | None = None,
                  embedder: Embedder | None = None, cache_dir: str | Path | None = "benchmarks/.cache",
                  passages: int = PASSAGES, log: Log | None = None) -> BeirReport:
    """nDCG@10 and Recall@100 of the product's ranking (and dense and BM25 alone) on ``split``.

    ``cache_dir=None`` builds the index in a temporary folder and keeps nothing.
    """
    log = log or (lambda _msg: None)
    data = load_beir(folder, split)
    name = Path(folder).resolve().name
    embedder = embedder or get_embedder(model)
    if cache_dir is None:
        with tempfile.TemporaryDirectory(prefix="qa-beir-") as scratch:
            return _evaluate(name, split, data, embedder, Path(scratch), passages, log)
    return _evaluate(name, split, data, embedder, Path(cache_dir), passages, log)


def _evaluate(name, split, data: BeirData, embedder: Embedder, cache_dir: Path, passages: int,
              log: Log) -> BeirReport:
    bench = prepare_index(name, data, embedder, cache_dir, log)
    started = time.perf_counter()
    retriever = Retriever(index_dir=bench.index_dir, embedder=embedder)
    rows, documents_ranked = score_rankings(retriever, data, passages, log)
    seconds = {"index": bench.seconds, "ranking": time.perf_counter() - started}
    return BeirReport(name, split, len(data.doc_ids), len(data.queries), embedder.name,
                      len(retriever.data.passages), rows, documents_ranked, bench.documents_left_out, seconds)


def score_rankings(retriever: Retriever, data: BeirData, passages: int = PASSAGES,
                   log: Log | None = None) -> tuple[dict[str, tuple[float, float]], float]:
    """Every judged query ranked over ``retriever``'s index: (nDCG@10, Recall@100) by ranking,
    and the mean number of documents in a product ranking."""
    started = time.perf_counter()
    rankings: dict[str, list[list[str]]] = {"product": [], "dense": [], "BM25": []}
    copies = copies_of(retriever.data.documents)
    query_ids = list(data.queries)
    for n, qid in enumerate(query_ids, start=1):
        for method, ranked in rank_documents(retriever, data.queries[qid], passages, copies).items():
            rankings[method].append(ranked)
        if log and n % 50 == 0:
            log(f"  ranked {n}/{len(query_ids)} queries, {time.perf_counter() - started:.0f}s")
    rows = {}
    for method, ranked in rankings.items():
        rows[method] = (
            float(np.mean([ndcg_at_k(r, data.qrels[q], 10) for q, r in zip(query_ids, ranked)])),
            float(np.mean([recall_at_k(r, data.qrels[q], 100) for q, r in zip(query_ids, ranked)])),
        )
    return rows, float(np.mean([len(r) for r in rankings["product"]]))
