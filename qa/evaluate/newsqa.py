"""Measuring answers on a reader-style question folder (``qa eval DIR``), such as newsqa-dev.

A folder holds ``articles/*.md`` (the corpus), ``questions.jsonl`` (lines of ``{"q", "doc",
"expect", "kind", "answerable"}``) and optionally ``followups.jsonl`` (lines of
``{"history": [...], "q", "doc", "expect"}``). The articles are indexed with the product's
own code (:func:`qa.store.build.build_index`) into a cached index folder, and every question is asked
with :meth:`qa.Retriever.answer`, exactly as a user would ask it.

A question is **right** when the answer is found and the first citation's highlighted
sentence contains ``expect`` (quotes and whitespace normalised); a **wrong confident**
answer is found with any other sentence, or found on a question the articles do not answer.

The folder is split **by article** into a *tune* part (where defaults may be chosen) and a
*report* part (where they are confirmed): the articles sorted by the sha256 of their file
name, the first half tune (:func:`split_articles`). The split depends only on the file
names, so it is the same on every run and on any other folder written the same way.

>>> report = evaluate_folder("../shared/benchmarks/newsqa-dev")  # doctest: +SKIP
>>> print(report.table())  # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..answer.abstention import missing_names
from ..answer.question import question_names
from ..answer.retriever import Retriever
from ..errors import QAError
from ..store.build import build_index
from ..store.lexical import LexicalIndex
from .metrics import first_relevant_rank
from .questions import fold_text, question_rows

KINDS = ("factual", "paraphrase", "when", "unanswerable")
PARTS = ("tune", "report")


def split_articles(names) -> dict[str, str]:
    """``{article file name: part}``: the articles sorted by the sha256 of their file name,
    the first half (rounded down) ``"tune"``, the rest ``"report"``. It depends only on the
    names, so it is the same on every run and balanced on any folder."""
    ordered = sorted(set(names), key=lambda n: hashlib.sha256(n.encode("utf-8")).hexdigest())
    half = len(ordered) // 2
    return {n: ("tune" if i < half else "report") for i, n in enumerate(ordered)}


@dataclass
class Item:
    """One question asked and what came back."""

    question: str
    kind: str
    doc: str | None  # the article that answers (file name), None when none does
    expect: str | None
    part: str  # "tune" or "report" (the answering article's; an unanswerable question's by its subject)
    found: bool = False
    top: str = ""  # the first citation's highlighted sentence
    top_right: bool = False  # whether that sentence contains ``expect`` (whether or not found)
    passage_rank: int | None = None  # rank of the first citation whose passage contains ``expect``
    confidence: float = 0.0  # the probability that the first citation's sentence answers
    checks_passed: bool = False  # whether the names check lets it through (abstention's other check)
    history: list[str] = field(default_factory=list)
    query: str = ""

    @property
    def answerable(self) -> bool:
        return self.expect is not None

    @property
    def right(self) -> bool:
        return self.found and self.top_right

    @property
    def wrong_confident(self) -> bool:
        return self.found and not self.top_right


def _contains(expect: str | None, text: str) -> bool:
    return expect is not None and fold_text(expect) in fold_text(text)


def _articles_of(folder: Path) -> Path:
    """The folder's ``articles/``, once the folder is checked to hold what a question set needs."""
    articles, questions = folder / "articles", folder / "questions.jsonl"
    if not articles.is_dir() or not questions.is_file():
        raise QAError(f"{folder} must hold articles/ and questions.jsonl (and optionally followups.jsonl)")
    return articles


def read_folder(folder: str | Path) -> tuple[Path, list[dict], list[dict]]:
    """``(articles folder, questions, follow-ups)``; errors say what the folder must hold."""
    folder = Path(folder)
    articles, questions = _articles_of(folder), folder / "questions.jsonl"
    followups = folder / "followups.jsonl"
    return (articles, [row for _, row in question_rows(questions)],
            [row for _, row in question_rows(followups)] if followups.is_file() else [])


def index_folder(folder: str | Path, cache_dir: str | Path | None = "benchmarks/.cache", model: str | None = None,
                 embedder=None) -> Path:
    """Index the folder's articles with the product's code; the index is kept in ``cache_dir``
    (updated in place when the articles change), one per embedding model, or, with
    ``cache_dir=None``, in a temporary folder. Keyed by the model as :func:`qa.evaluate.beir.cache_key`
    is: an index remembers its model, so a folder shared by two models would answer with
    whichever indexed it last."""
    from ..config import default_model

    articles = _articles_of(Path(folder))
    if cache_dir is None:
        index_dir = Path(tempfile.mkdtemp(prefix="qa-eval-index-"))
    else:
        name = embedder.name if embedder is not None else (model or default_model())
        key = hashlib.sha256(f"{articles.resolve()}\x00{name}".encode("utf-8")).hexdigest()[:12]
        index_dir = Path(cache_dir) / f"index-{Path(folder).resolve().name}-{key}"
    build_index(corpus_dir=articles, index_dir=index_dir, model=model, embedder=embedder, wait=True)
    return index_dir


def _ask(retriever, item: Item, k: int) -> Item:
    answer = retriever.answer(item.question, history=item.history or None, k=k)
    hits = answer.citations
    item.found = answer.found
    item.query = answer.query
    if hits:
        item.top = hits[0].highlight_text
        item.top_right = _contains(item.expect, item.top)
        item.confidence = float(answer.confidence)
        item.checks_passed = not missing_names(answer.query, hits)
        item.passage_rank = first_relevant_rank([_contains(item.expect, hit.text) for hit in hits])
    return item


def _subject_part(row: dict, parts: dict[str, str], bodies: dict[str, str]) -> str:
    """The part of an unanswerable question: that of the article sharing most of its names."""
    if row.get("doc") in parts:
        return parts[row["doc"]]
    names = [n.lower() for n in question_names(row["q"])]
    best, best_count = None, -1
    for name, body in sorted(bodies.items()):
        count = sum(n in body for n in names)
        if count > best_count:
            best, best_count = name, count
    return parts.get(best, "tune")


@dataclass
class FolderReport:
    name: str
    items: list[Item]
    followups: list[Item]
    parts: dict[str, str]  # article -> part
    threshold: float
    settings: str = ""  # AnswerSettings.describe() of the run
    baseline: dict[str, float] = field(default_factory=dict)  # name -> share right of answerable

    def select(self, part: str | None) -> tuple[list[Item], list[Item]]:
        if part is None:
            return self.items, self.followups
        return [i for i in self.items if i.part == part], [i for i in self.followups if i.part == part]

    def summary_counts(self, part: str | None = None) -> dict[str, int]:
        items, follow = self.select(part)
        answerable = [i for i in items if i.answerable]
        return {
            "right": sum(i.right for i in answerable),
            "answerable": len(answerable),
            "top_right": sum(i.top_right for i in answerable),
            "hit3": sum(i.passage_rank is not None and i.passage_rank <= 3 for i in answerable),
            "wrong": sum(i.wrong_confident for i in items),
            "questions": len(items),
            "abstained_unanswerable": sum(not i.found for i in items if not i.answerable),
            "unanswerable": sum(not i.answerable for i in items),
            "paraphrase_right": sum(i.right for i in items if i.kind == "paraphrase"),
            "paraphrase": sum(i.kind == "paraphrase" for i in items),
            "followups_right": sum(i.right for i in follow),
            "followups": len(follow),
        }

    def kind_table(self, part: str | None = None) -> str:
        items, follow = self.select(part)
        title = "all" if part is None else part
        arts = sorted(a for a, p in self.parts.items() if part is None or p == part)
        lines = [f"{title}: {len(arts)} articles, {len(items)} questions, {len(follow)} follow-ups",
                 "| kind | right | quoted right | passage in top 3 | abstained | wrong confident |",
                 "|---|---|---|---|---|---|"]
        for kind in KINDS:
            rows = [i for i in items if i.kind == kind]
            if not rows:
                continue
            n = len(rows)
            if kind == "unanswerable":
                lines.append(f"| {kind} ({n}) | | | | {sum(not i.found for i in rows)}/{n} | "
                             f"{sum(i.wrong_confident for i in rows)}/{n} |")
            else:
                lines.append(f"| {kind} ({n}) | {sum(i.right for i in rows)}/{n} | {sum(i.top_right for i in rows)}/{n} | "
                             f"{sum(i.passage_rank is not None and i.passage_rank <= 3 for i in rows)}/{n} | "
                             f"{sum(not i.found for i in rows)}/{n} | {sum(i.wrong_confident for i in rows)}/{n} |")
        c = self.summary_counts(part)
        lines.append(f"| all ({c['questions']}) | {c['right']}/{c['answerable']} answerable | "
                     f"{c['top_right']}/{c['answerable']} | {c['hit3']}/{c['answerable']} | "
                     f"{sum(not i.found for i in items)}/{c['questions']} | {c['wrong']}/{c['questions']} |")
        if follow:
            lines.append(f"| follow-ups ({len(follow)}) | {c['followups_right']}/{len(follow)} | "
                         f"{sum(i.top_right for i in follow)}/{len(follow)} | "
                         f"{sum(i.passage_rank is not None and i.passage_rank <= 3 for i in follow)}/{len(follow)} | "
                         f"{sum(not i.found for i in follow)}/{len(follow)} | "
                         f"{sum(i.wrong_confident for i in follow)}/{len(follow)} |")
        return "\n".join(lines)

    def risk_coverage(self, part: str | None = None) -> list[tuple[float, int, int, int]]:
        """``(threshold, answered, right, wrong)`` for each threshold on the answer probability
        that changes the answer set: a question is answered at threshold t when the names
        check lets it through and its probability is at least t. Follow-ups are not counted."""
        items, _ = self.select(part)
        passing = [i for i in items if i.checks_passed]
        values = sorted({0.0, self.threshold, *(round(i.confidence, 4) for i in passing)})
        out = []
        for t in values:
            answered = [i for i in passing if i.confidence >= t]
            right = sum(i.top_right for i in answered)
            out.append((t, len(answered), right, len(answered) - right))
        return out

    def coverage_table(self, part: str | None = None) -> str:
        items, _ = self.select(part)
        answerable = sum(i.answerable for i in items)
        lines = [f"risk-coverage ({'all' if part is None else part}): answered when the names check passes and "
                 "the answer probability >= t",
                 "| t | answered | coverage of answerable | precision | wrong |", "|---|---|---|---|---|"]
        curve = self.risk_coverage(part)
        for t, answered, right, wrong in curve:
            mark = " (in use)" if t == self.threshold else ""
            lines.append(f"| {t:.3f}{mark} | {answered} | {right}/{answerable} = {right / max(answerable, 1):.2f} | "
                         f"{right / answered if answered else 1.0:.2f} | {wrong} |")
        return "\n".join(lines)

    def table(self, verbose: bool = False) -> str:
        out = [f"{self.name}: answer threshold in use {self.threshold:.3f}; {self.settings}"]
        for part in (*PARTS, None):
            out += ["", self.kind_table(part)]
        if self.baseline:
            out += ["", "baselines, top 1 over every sentence of every article (share of answerable quoted right):"]
            for name, (tune, report, whole) in self.baseline.items():
                out.append(f"  {name:<28} tune {tune:.2f}  report {report:.2f}  all {whole:.2f}")
        for part in ("tune", None):
            out += ["", self.coverage_table(part)]
        out += ["", "articles: " + ", ".join(f"{a} ({p})" for a, p in sorted(self.parts.items()))]
        rows = [i for i in (*self.items, *self.followups) if verbose or not (i.right or (not i.answerable and not i.found))]
        if rows:
            out += ["", "misses (verbose: every question):" if verbose else "misses:"]
            for i in rows:
                status = "right" if i.right else "WRONG" if i.wrong_confident else "abstained"
                if not i.answerable:
                    status = "WRONG (answered)" if i.found else "abstained"
                out.append(f"  [{i.part}] {i.kind:<12} {status:<16} confidence {i.confidence:.2f} "
                           f"passage {i.passage_rank or '-'}  {i.question}")
                if i.query != i.question:
                    out.append(f"      searched: {i.query}")
                if i.answerable:
                    out.append(f"      expected: {i.expect!r}")
                out.append(f"      quoted:   {i.top[:140]!r}")
        return "\n".join(out)


def sentence_baselines(retriever, items: list[Item]) -> dict[str, tuple[float, float, float]]:
    """Plain MiniLM cosine, question against every sentence of every article, top 1; and BM25
    over sentences, top 1: the share of answerable questions whose top sentence contains ``expect``."""
    data = retriever.data
    sentences: dict[int, str] = {}
    for p in data.passages:
        for (s, e), row in zip(p.sentences, p.sentence_rows):
            sentences.setdefault(row, p.text[s:e])
    rows = np.array(sorted(sentences), dtype=np.int64)
    texts = [sentences[r] for r in rows]
    vectors = data.sentence_vectors[rows]
    lexical = LexicalIndex.build(texts)
    answerable = [i for i in items if i.answerable]
    dense_right, bm25_right = {}, {}
    for i in answerable:
        q = retriever.encode_question(i.question)
        dense_right[id(i)] = _contains(i.expect, texts[int(np.argmax(vectors @ q))])
        top, _ = lexical.top(i.question, 1)
        bm25_right[id(i)] = bool(len(top)) and _contains(i.expect, texts[int(top[0])])

    def shares(right: dict) -> tuple[float, float, float]:
        out = []
        for part in ("tune", "report", None):
            group = [i for i in answerable if part is None or i.part == part]
            out.append(sum(right[id(i)] for i in group) / len(group) if group else 0.0)
        return tuple(out)

    return {"MiniLM sentence cosine": shares(dense_right), "BM25 over sentences": shares(bm25_right)}


def evaluate_folder(folder: str | Path, retriever=None, cache_dir: str | Path | None = "benchmarks/.cache",
                    model: str | None = None, embedder=None, k: int = 5, baselines: bool = True) -> FolderReport:
    """Index the folder's articles (unless ``retriever`` is given) and ask every question."""
    articles, questions, followups = read_folder(folder)
    if retriever is None:
        index_dir = index_folder(folder, cache_dir=cache_dir, model=model, embedder=embedder)
        retriever = Retriever(index_dir=index_dir, embedder=embedder)
    names = [p.name for p in sorted(articles.iterdir()) if p.is_file()]
    parts = split_articles(names)
    bodies = {n: (articles / n).read_text(encoding="utf-8", errors="replace").lower() for n in names}
    items = []
    for row in questions:
        kind = row.get("kind") or ("unanswerable" if row.get("expect") is None else "factual")
        item = Item(row["q"], kind, row.get("doc"), row.get("expect"), _subject_part(row, parts, bodies))
        items.append(_ask(retriever, item, k))
    follow = []
    for row in followups:
        history = [h for h in row.get("history", []) if isinstance(h, str)]
        item = Item(row["q"], "follow-up", row.get("doc"), row.get("expect"), _subject_part(row, parts, bodies),
                    history=history)
        follow.append(_ask(retriever, item, k))
    report = FolderReport(Path(folder).resolve().name, items, follow, parts, retriever.threshold,
                          retriever.settings.describe())
    if baselines:
        report.baseline = sentence_baselines(retriever, items)
    return report
