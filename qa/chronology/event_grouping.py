"""Which dated clauses report the same happening, and which of those disagree about when.

Two clauses are the same happening (:func:`same_thing`) when they share a kind of event and
``vector x cosine + words x shared content words + names x shared names`` reaches
:class:`Thresholds`' ``same``; their dates are compatible when the periods overlap.
:func:`group_statements` merges them into one group per happening.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dated_clauses import Statement


@dataclass(frozen=True)
class Thresholds:
    """How alike two clauses must be to report the same happening: ``score`` is
    ``vector * cosine + words * shared content words + names * shared names`` (both
    Jaccard), and must reach ``same``. Chosen on labelled pairs (``python -m
    qa.evaluate_events``); see docs/timeline.md for the figures."""

    vector: float = 1.0
    words: float = 1.0
    names: float = 0.5
    same: float = 0.625
    # Reports that disagree about a date disagree by weeks or months; two inspections years
    # apart are two inspections. Days between the two periods beyond which dates that cannot
    # agree mean two happenings rather than a conflict.
    conflict_gap_days: int = 120


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class PairFeatures:
    cosine: float
    words: float
    names: float
    shared_kinds: frozenset[str]

    def score(self, t: Thresholds) -> float:
        return t.vector * self.cosine + t.words * self.words + t.names * self.names


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def name_weights(statements: list[Statement]) -> dict[str, float]:
    """How much sharing a name says: a name in every article of a story (the inspectorate in a
    story about inspections) says little, a name in few (one county) a lot: inverse document
    frequency over the articles the statements come from."""
    docs: dict[str, frozenset[str]] = {}
    for s in statements:
        docs[s.doc_id] = docs.get(s.doc_id, frozenset()) | s.subject
    n = max(len(docs), 1)
    counts: dict[str, int] = {}
    for names in docs.values():
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return {name: float(np.log(1 + n / c)) for name, c in counts.items()}


def _weighted_overlap(a: frozenset, b: frozenset, weights: dict[str, float]) -> float:
    """Shared names over the names of the one with fewer (by weight): a short report that
    names only the council and the inspectorate is about the same subject as a long one that names
    twenty people besides."""
    smaller = min(sum(weights.get(x, 1.0) for x in a), sum(weights.get(x, 1.0) for x in b))
    return sum(weights.get(x, 1.0) for x in a & b) / smaller if smaller else 0.0


def gap_days(a: Statement, b: Statement) -> int:
    """Days between two dates' periods; 0 when they overlap."""
    return max((b.first - a.last).days, (a.first - b.last).days, 0)


def pair_features(a: Statement, b: Statement, vectors: np.ndarray,
                  weights: dict[str, float] | None = None) -> PairFeatures:
    cosine = float(vectors[a.row] @ vectors[b.row]) if len(vectors) else 0.0
    names = _weighted_overlap(a.subject or a.names, b.subject or b.names, weights or {})
    return PairFeatures(cosine=cosine, words=_jaccard(a.stems, b.stems), names=names,
                        shared_kinds=a.kinds & b.kinds)


def compatible(a: Statement, b: Statement) -> bool:
    """Whether the two dates can be the same happening's: their periods overlap."""
    return a.first <= b.last and b.first <= a.last


def same_thing(a: Statement, b: Statement, features: PairFeatures,
               thresholds: Thresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether two clauses report the same happening, whatever their dates say. Within one
    article, two dates that cannot agree are two happenings: an article does not contradict
    itself about when, it reports two visits."""
    if not features.shared_kinds or a.future != b.future or a.earlier != b.earlier:
        return False
    if not compatible(a, b) and (a.doc_id == b.doc_id or gap_days(a, b) > thresholds.conflict_gap_days):
        return False
    if a.doc_id == b.doc_id and a.citation.start == b.citation.start:
        return False
    return features.score(thresholds) >= thresholds.same


# --- grouping --------------------------------------------------------------------------------


NEIGHBOURS = 64  # candidate partners per clause, by sentence-vector cosine


def candidate_pairs(statements: list[Statement], vectors: np.ndarray,
                    neighbours: int = NEIGHBOURS) -> list[tuple[int, int]]:
    """The pairs worth scoring, ``(i, j)`` with ``i < j``: clauses sharing a kind of event,
    each with its ``neighbours`` closest by sentence vector. Every pair of a small corpus;
    a large one (thousands of dated clauses) would otherwise take minutes of pure Python."""
    n = len(statements)
    if n <= neighbours + 1 or not len(vectors):
        return [(i, j) for i in range(n) for j in range(i + 1, n) if statements[i].kinds & statements[j].kinds]
    rows = vectors[[s.row for s in statements]]
    found: set[tuple[int, int]] = set()
    for start in range(0, n, 1024):
        block = rows[start:start + 1024] @ rows.T
        nearest = np.argpartition(-block, neighbours, axis=1)[:, :neighbours + 1]
        for offset, partners in enumerate(nearest):
            i = start + offset
            for j in map(int, partners):
                if i != j and statements[i].kinds & statements[j].kinds:
                    found.add((min(i, j), max(i, j)))
    return sorted(found)


def group_statements(statements: list[Statement], vectors: np.ndarray,
                     thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[list[int]]:
    """Statements in groups, one per happening. Pairs are merged best first, and two groups
    only when most of their cross pairs are the same thing: one loose link does not chain
    unrelated happenings together."""
    n = len(statements)
    same: set[tuple[int, int]] = set()
    pairs = []
    weights = name_weights(statements)
    for i, j in candidate_pairs(statements, vectors):
        a, b = statements[i], statements[j]
        features = pair_features(a, b, vectors, weights)
        if same_thing(a, b, features, thresholds):
            same.add((i, j))
            same.add((j, i))
            pairs.append((features.score(thresholds), i, j))
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    for _, i, j in sorted(pairs, reverse=True):
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        left, right = members[gi], members[gj]
        agreeing = sum((x, y) in same for x in left for y in right)
        blocked = any(statements[x].doc_id == statements[y].doc_id and not compatible(statements[x], statements[y])
                      for x in left for y in right)
        if blocked or agreeing * 2 < len(left) * len(right):
            continue
        members[gi] = left + right
        for k in right:
            group_of[k] = gi
        del members[gj]
    return list(members.values())
