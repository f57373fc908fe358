"""What the performance benchmarks share: the SciFact corpus as articles, the naive
pipeline, timing and memory helpers, and child processes for cold starts and peak memory.

The machine these run on is shared and noisy, so every comparison with the naive
pipeline alternates the two (ours, naive, ours, naive ...) and reports the ratio of
figures measured side by side, never of figures taken minutes apart.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# The project folder: the source checkout this package sits in, else the folder it runs in
# (the seed corpus, app.py and the seed questions are project files, not package data).
_CHECKOUT = Path(__file__).resolve().parents[2]
ROOT = _CHECKOUT if (_CHECKOUT / "corpus").is_dir() and (_CHECKOUT / "app.py").is_file() else Path.cwd()
CACHE = ROOT / "benchmarks" / ".cache"  # gitignored: generated corpora, indexes, vectors
SCIFACT = Path(os.environ.get("QA_SCIFACT_DIR", ROOT.parent / "shared" / "benchmarks" / "scifact"))
SEED_QUESTIONS = ROOT / "tests" / "data" / "dev_questions.jsonl"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Row:
    """One line of the results table: what was measured, ours, the naive pipeline's, and how."""

    part: str
    what: str
    ours: str
    naive: str = ""
    ratio: str = ""
    note: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    figures: dict = field(default_factory=dict)  # raw numbers, for --json

    def add(self, *args, **kwargs) -> None:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        log(f"  {row.what}: ours {row.ours}" + (f", naive {row.naive}, {row.ratio}" if row.naive else ""))

    def table(self) -> str:
        lines = ["| part | measure | this project | naive pipeline | ratio | note |", "|---|---|---|---|---|---|"]
        lines += [f"| {r.part} | {r.what} | {r.ours} | {r.naive} | {r.ratio} | {r.note} |" for r in self.rows]
        return "\n".join(lines)


def percentile(values, q: float) -> float:
    """The q-th percentile (0..100), linear between the two nearest ranks; nan when there are none."""
    import numpy as np

    return float(np.percentile(values, q)) if len(values) else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def median(values) -> float:
    return statistics.median(values)


# --- SciFact as a corpus of articles -----------------------------------------------------

def scifact_documents(limit: int | None = None) -> list[dict]:
    """SciFact abstracts in file order: ``{"_id", "title", "text"}``."""
    path = SCIFACT / "corpus.jsonl"
    if not path.is_file():
        raise SystemExit(f"SciFact is not at {SCIFACT}; set QA_SCIFACT_DIR to a BEIR scifact folder")
    docs = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                docs.append(json.loads(line))
                if limit is not None and len(docs) >= limit:
                    break
    return docs


def scifact_queries(limit: int | None = None) -> list[str]:
    queries = []
    with open(SCIFACT / "queries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                queries.append(json.loads(line)["text"])
    return queries[:limit] if limit else queries


def write_article(folder: Path, abstract: dict) -> Path:
    """One SciFact abstract (its JSON line) as a Markdown article (JSON strings are valid YAML)."""
    path = folder / f"sf-{abstract['_id']}.md"
    path.write_text(f"---\ntitle: {json.dumps(abstract['title'])}\n---\n\n{abstract['text']}\n", encoding="utf-8")
    return path


def scifact_corpus(n_docs: int) -> Path:
    """A folder of the first ``n_docs`` abstracts as articles (written once, then reused)."""
    folder = CACHE / f"scifact-{n_docs}" / "corpus"
    marker = folder.parent / "complete"
    if not marker.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        for doc in scifact_documents(n_docs):
            write_article(folder, doc)
        marker.write_text("ok")
    return folder


def short_articles_corpus(n_articles: int) -> Path:
    """A folder of ``n_articles`` short articles (written once, then reused): SciFact's
    abstracts cut into runs of two sentences, each run an article. 5,183 abstracts make
    about 25,000, so corpora of 1,000 to 20,000 articles are made the same way."""
    from itertools import islice

    from qa.ingest.passages import split_sentences

    def runs():
        for doc in scifact_documents():
            spans = split_sentences(doc["text"])
            for part, at in enumerate(range(0, len(spans), 2)):
                yield {"_id": f"{doc['_id']}-{part}", "title": f"{doc['title']} ({part + 1})",
                       "text": doc["text"][spans[at][0]:spans[min(at + 2, len(spans)) - 1][1]]}

    folder = CACHE / f"short2-{n_articles}" / "corpus"
    marker = folder.parent / "complete"
    if not marker.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        made = 0
        for run in islice(runs(), n_articles):
            write_article(folder, run)
            made += 1
        if made < n_articles:
            raise SystemExit(f"SciFact makes only {made:,} short articles; ask for at most that many")
        marker.write_text("ok")
    return folder


def passages_of(corpus: Path) -> list[str]:
    """The passage texts the project makes of ``corpus`` (what both pipelines embed)."""
    from qa.store.build import SPLITTER
    from qa.ingest.documents import load_corpus
    from qa.ingest.passages import split_passages

    documents, _ = load_corpus(corpus)
    return [p.text for d in documents for p in split_passages(d.doc_id, d.body, **SPLITTER)]


# --- the naive pipeline ------------------------------------------------------------------

class NaivePipeline:
    """sentence-transformers on torch, FAISS IndexFlatIP, nothing cached: the baseline. With
    ``reader`` (:class:`qa.reader.model.Reader`), :meth:`answer` is the naive two-stage answer
    with the same models: dense top-k passages, then the same cross-encoder over those k
    passages (the unit a dense search returns), the best one first."""

    def __init__(self, reader=None):
        from sentence_transformers import SentenceTransformer

        from qa.embedding.model_files import default_model_path

        self.model = SentenceTransformer(str(default_model_path()), device="cpu")
        self.index = None
        self.reader = reader
        self.texts: list[str] = []
        self.titles: list[str] = []

    def encode(self, texts):
        return self.model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)

    def index_vectors(self, vectors) -> None:
        import faiss

        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    def search(self, question: str, k: int = 5):
        return self.index.search(self.encode([question]), k)

    def answer(self, question: str, k: int):
        """Dense top ``k`` passages read by the cross-encoder: their rows, best first."""
        _, rows = self.search(question, k)
        rows = [int(r) for r in rows[0] if r >= 0]
        scores = self.reader.score(question, [(self.titles[r], self.texts[r]) for r in rows])
        return [rows[i] for i in sorted(range(len(rows)), key=lambda i: -scores[i])]


# --- child processes ---------------------------------------------------------------------

def run_child(task: str, args: dict, env: dict | None = None, timeout: float = 3600) -> tuple[dict, float, float]:
    """Run ``tasks.py task`` in a fresh interpreter: (its JSON result, wall seconds, peak RSS MB)."""
    command = [sys.executable, "-m", "qa.bench.tasks", task, json.dumps(args)]
    full_env = {**os.environ, **(env or {})}
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    wall = time.perf_counter() - started
    # communicate() has reaped the child; its peak RSS is in RUSAGE_CHILDREN only as a max
    # over all children, so the task reports its own (ru_maxrss of RUSAGE_SELF) instead.
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark task {task} failed ({proc.returncode}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    return result, wall, float(result.get("peak_rss_mb", float("nan")))


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_mb() -> float:
    """Resident memory now (from /proc), for memory deltas within one process."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
