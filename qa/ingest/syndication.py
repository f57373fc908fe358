"""Syndicated copies: the same story printed by several papers, kept once for ranking.

Two articles are copies when most of the shorter one's word 5-shingles (runs of five
words, lower case) are in the longer one: the overlap coefficient |A ∩ B| / min(|A|, |B|)
is at least :data:`THRESHOLD`. The overlap coefficient rather than Jaccard because a
syndicated copy is often cut short or gains a paragraph of local colour, which pulls
Jaccard down while the shared text is still the same article.

Threshold, measured by ``benchmarks/syndication_threshold.py`` on the two seed articles
and the ten newsqa-dev articles (66 real pairs, none of them copies; the two seed
articles report the same council story in different words) and on 36 made-up syndicated
copies of them (new headline and byline, a paragraph cut or added, the ending cut, one
word in twelve changed): copies score 0.571 to 0.967, real pairs 0.000 to 0.004 (Jaccard
would put the shortened copies as low as 0.17). 0.4 sits between them with room on both
sides; two articles that share a long quoted statement and little else stay below it
unless one of them is little more than the quote.

Only articles that share a shingle are compared (an inverted index of shingles), so the
cost grows with the text shared, not with the number of pairs of articles.

>>> a = "The council was given an improvement notice after inspectors rated its services inadequate."
>>> overlap(shingles(a), shingles("Wandsworth Guardian. " + a))
1.0
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

THRESHOLD = 0.4
SHINGLE_WORDS = 5
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[tuple[str, ...]]:
    """The set of ``size``-word runs of ``text``, lower case, punctuation ignored."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i:i + size]) for i in range(len(words) - size + 1))


def overlap(a: frozenset, b: frozenset) -> float:
    """|a ∩ b| / min(|a|, |b|): 1.0 when one text's shingles all occur in the other."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    return len(a & b) / len(a)


@dataclass
class CopyGroup:
    """One story: the canonical article (an index into the list given) and its copies."""

    canonical: int
    copies: list[int] = field(default_factory=list)


def group_copies(texts: Sequence[str], threshold: float = THRESHOLD) -> list[CopyGroup]:
    """Group ``texts`` (in order of preference: the first of a group is its canonical
    article) into stories; every text is in exactly one group.

    Each text joins the earliest group whose canonical text it overlaps enough. Only groups
    sharing at least one shingle are compared, found through an inverted index of the
    canonical texts' shingles, so unrelated articles cost nothing (thousands of articles
    group in seconds, where comparing every pair took minutes).
    """
    groups: list[CopyGroup] = []
    sizes: list[int] = []
    owners: dict[tuple[str, ...], list[int]] = {}
    for i, text in enumerate(texts):
        mine = shingles(text)
        shared: dict[int, int] = {}
        for shingle in mine:
            for g in owners.get(shingle, ()):
                shared[g] = shared.get(g, 0) + 1
        joined = next((g for g in sorted(shared)
                       if shared[g] / min(len(mine), sizes[g]) >= threshold), None)
        if joined is not None:
            groups[joined].copies.append(i)
            continue
        groups.append(CopyGroup(canonical=i))
        sizes.append(len(mine))
        for shingle in mine:
            owners.setdefault(shingle, []).append(len(groups) - 1)
    return groups


def duplicate_key(body: str, publisher: str) -> tuple[str, str]:
    """What makes a second file a plain duplicate rather than a syndicated copy: the same
    text (white space folded) from the same publisher. The same text from another
    publisher is a copy, cited with the article as also published.

    >>> duplicate_key("It  closed.", "The Coast Times") == duplicate_key("It closed.", "coast times")
    True
    """
    name = " ".join(publisher.split()).casefold()
    return " ".join(body.split()), name[4:] if name.startswith("the ") else name


def pairs_scores(texts: Iterable[str]) -> list[float]:
    """The overlap of every pair of ``texts`` (for measuring the threshold)."""
    sets = [shingles(t) for t in texts]
    return [overlap(sets[i], sets[j]) for i in range(len(sets)) for j in range(i + 1, len(sets))]
