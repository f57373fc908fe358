"""``qa eval QUESTIONS.jsonl``: a question set over our own corpus.

Each line is ``{"q": ..., "expect": ...}``: ``expect`` is a phrase of the passage that
answers, or null for a question the articles cannot answer. The report gives hit@1, hit@3,
MRR, how many questions were answered or abstained, and the answer probabilities beside
the threshold in use.
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..answer.abstention import missing_names
from ..errors import QAError
from .metrics import first_relevant_rank, hit_at_k, reciprocal_rank


@dataclass
class QuestionResult:
    question: str
    expect: str | None
    rank: int | None  # of the first passage containing ``expect``; None when not in the top k
    found: bool  # whether the answer said it found something
    top: str  # the highlighted sentence of the best hit
    confidence: float = 0.0  # the probability that the best hit's sentence answers, which abstention thresholds
    checks_passed: bool = True  # whether the names check lets it through


@dataclass
class QuestionReport:
    results: list[QuestionResult]
    k: int
    threshold: float = 0.5

    @property
    def answerable(self) -> list[QuestionResult]:
        return [r for r in self.results if r.expect is not None]

    @property
    def unanswerable(self) -> list[QuestionResult]:
        return [r for r in self.results if r.expect is None]

    def _mean(self, f) -> float:
        rows = self.answerable
        return sum(f(r) for r in rows) / len(rows) if rows else 0.0

    @property
    def hit1(self) -> float:
        return self._mean(lambda r: hit_at_k(r.rank, 1))

    @property
    def hit3(self) -> float:
        return self._mean(lambda r: hit_at_k(r.rank, 3))

    @property
    def mrr(self) -> float:
        return self._mean(lambda r: reciprocal_rank(r.rank))

    def calibration(self) -> tuple[float, float, float] | None:
        """``(best unanswerable, worst answerable, midpoint)`` of the answer probability.

        Only unanswerable questions that the names check lets through count: the threshold
        has to stop those. None when a side is empty.
        """
        low = [r.confidence for r in self.answerable]
        high = [r.confidence for r in self.unanswerable if r.checks_passed]
        if not low or not high:
            return None
        best_unanswerable, worst_answerable = max(high), min(low)
        return best_unanswerable, worst_answerable, (best_unanswerable + worst_answerable) / 2

    def risk_coverage(self) -> list[tuple[float, int, int, int]]:
        """``(threshold, answered, right, wrong)`` for each threshold on the answer probability
        that changes the answer set (the names check applied): right = answered with the
        expected passage first, wrong = answered otherwise or answered when nothing answers."""
        passing = [r for r in self.results if r.checks_passed]
        out = []
        for t in sorted({0.0, self.threshold, *(round(r.confidence, 4) for r in passing)}):
            answered = [r for r in passing if r.confidence >= t]
            right = sum(r.expect is not None and r.rank == 1 for r in answered)
            out.append((t, len(answered), right, len(answered) - right))
        return out

    def coverage_table(self) -> str:
        answerable = len(self.answerable)
        lines = ["risk-coverage: answered when the names check passes and the answer probability >= t",
                 "| t | answered | right (expected passage first) | precision | wrong |", "|---|---|---|---|---|"]
        curve = self.risk_coverage()
        for t, answered, right, wrong in curve:
            mark = " (in use)" if t == self.threshold else ""
            lines.append(f"| {t:.3f}{mark} | {answered} | {right}/{answerable} | "
                         f"{right / answered if answered else 1.0:.2f} | {wrong} |")
        return "\n".join(lines)

    def summary(self, verbose: bool = False) -> str:
        ans, una = self.answerable, self.unanswerable
        lines = [
            f"questions      {len(self.results)} ({len(ans)} answerable, {len(una)} not answerable by the articles)",
            f"hit@1          {self.hit1:.3f}",
            f"hit@3          {self.hit3:.3f}",
            f"MRR@{self.k:<10} {self.mrr:.3f}",
            f"answerable     {sum(r.found for r in ans)} answered, {sum(not r.found for r in ans)} abstained",
            f"unanswerable   {sum(not r.found for r in una)} abstained, {sum(r.found for r in una)} answered",
        ]
        calibration = self.calibration()
        if calibration:
            lines.append(
                f"confidence     best unanswerable past the names check {calibration[0]:.2f}, worst answerable "
                f"{calibration[1]:.2f} (threshold in use: {self.threshold:.2f})"
            )
        lines += ["", self.coverage_table()]
        misses = [r for r in ans if r.rank != 1 or not r.found] + [r for r in una if r.found]
        if misses or verbose:
            lines.append("")
            lines.append("misses (rank of the expected passage; found = whether an answer was given):")
            for r in (self.results if verbose else misses):
                lines.append(f"  rank {r.rank if r.rank else '-':>2}  found={str(r.found):5}  "
                             f"confidence {r.confidence:.2f}  {r.question}")
                if r.rank != 1 or verbose:
                    lines.append(f"      expected: {r.expect!r}  top sentence: {r.top[:100]!r}")
        return "\n".join(lines)


def fold_text(text: str) -> str:
    """Lower case, straight quotes, single spaces: a phrase matches however it was typed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))
    return " ".join(text.split())


def question_rows(path: str | Path) -> list[tuple[int, dict]]:
    """``(line number, object)`` for each JSON object of a JSON-lines question file, each
    with a question text ``"q"``; errors name the line to fix. Blank lines are skipped."""
    path = Path(path)
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QAError(f"{path}:{number}: not valid JSON ({exc.msg}); each line must be one JSON object") from exc
        if not isinstance(row, dict) or not isinstance(row.get("q"), str) or not row["q"].strip():
            raise QAError(f"{path}:{number}: needs a \"q\" with the question text")
        rows.append((number, row))
    return rows


def read_questions(path: str | Path) -> list[tuple[str, str | None]]:
    """``(question, expect)`` pairs from a JSON-lines file; errors name the line to fix."""
    path = Path(path)
    if not path.is_file():
        raise QAError(f"{path} is not a file; give a JSON-lines file of {{\"q\": ..., \"expect\": ...}} lines")
    pairs = []
    for number, row in question_rows(path):
        expect = row.get("expect")
        if expect is not None and (not isinstance(expect, str) or not expect.strip()):
            raise QAError(f"{path}:{number}: \"expect\" must be a phrase of the answering passage, or null")
        pairs.append((row["q"], expect))
    if not pairs:
        raise QAError(f"{path} holds no questions; add lines such as {{\"q\": \"who ...?\", \"expect\": \"...\"}}")
    return pairs


def evaluate_questions(path: str | Path, retriever, k: int = 5) -> QuestionReport:
    """Ask every question of ``path`` and see where the passage containing ``expect`` ranks."""
    results = []
    for question, expect in read_questions(path):
        answer = retriever.answer(question, k=k)
        hits = answer.citations
        rank = None
        if expect is not None:
            rank = first_relevant_rank([fold_text(expect) in fold_text(h.text) for h in hits])
        results.append(QuestionResult(
            question, expect, rank, answer.found, hits[0].highlight_text if hits else "",
            confidence=answer.confidence, checks_passed=bool(hits) and not missing_names(question, hits),
        ))
    return QuestionReport(results, k, retriever.threshold)
