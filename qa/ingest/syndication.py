"""Syndicated copies: the same story printed by several papers, kept once for ranking.

Two articles are copies when most of the shorter one's word 5-shingles (runs of five
words, lower case) are in the longer one: the overlap coefficient |A ∩ B| / min(|A|, |B|)
is at least :data:`THRESHOLD`. The overlap coefficient rather than Jaccard because a
syndicated copy is often cut short or gains a paragraph of local colour, which pulls
Jaccard down while the shared text is still the same article.

Threshold, measured by ``qa/bench/syndication_threshold.py`` on the two seed articles
and the ten newsqa-dev articles (66 real pairs, none of them copies; the two seed
articles report the same council story in different words) and on 36 made-up syndicated
copies of them (new headline and byline, a paragraph cut or added, the ending cut, one
word in twelve changed): copies score 0.571 to 0.967, real pairs 0.000 to 0.004 (Jaccard
would put the shortened copies as low as 0.17). 0.4 sits between them with room on both
sides; two articles that share a long quoted statement and little else stay below it
unless one of them is little more than the quote.

Only articles that share a shingle are compared (hashed shingles, sorted), so the cost
grows with the text shared, not with the number of pairs of articles.

>>> a = "The council was given an improvement notice after inspectors rated its services inadequate."
>>> overlap(shingles(a), shingles("Wandsworth Guardian. " + a))
1.0
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from ..records import Document, Source

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

    Each text joins the earliest group whose canonical text it overlaps enough. Only texts
    that share a shingle are compared: shingles are hashed to 64-bit numbers and sorted,
    so the texts holding each shingle sit side by side and every pair sharing one is counted
    in numpy, not Python (5,000 abstracts group in well under a second; the cost grows with
    the text shared, not with the number of pairs of articles).
    """
    hashes, owner, sizes = _hashed_shingles(texts)
    shared = _shared_counts(hashes, owner, len(texts))
    groups: list[CopyGroup] = []
    group_of: dict[int, int] = {}  # canonical text -> its group
    for i in range(len(texts)):
        joined = None
        for j, count in shared.get(i, ()):  # earlier texts, in order
            g = group_of.get(j)
            if g is not None and count / min(sizes[i], sizes[j]) >= threshold:
                joined = g
                break
        if joined is not None:
            groups[joined].copies.append(i)
        else:
            group_of[i] = len(groups)
            groups.append(CopyGroup(canonical=i))
    return groups


# Odd multipliers of a polynomial hash over word numbers, then a 64-bit mix (splitmix64's
# finaliser): distinct shingles collide with odds of about one in 2**64 per pair.
_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                         0xFF51AFD7ED558CCD], dtype=np.uint64)


def _mix(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def _word_numbers(words: list[str]) -> list[int]:
    """Each word's 64-bit number: the same in every process (a segment keeps its articles'
    shingles for later builds), found once per distinct word."""
    numbers = {word: int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
               for word in dict.fromkeys(words)}
    return list(map(numbers.__getitem__, words))


def shingle_hashes(texts: Sequence[str]) -> list[np.ndarray]:
    """Each text's distinct shingles as sorted 64-bit hashes (``len`` = ``len(shingles(text))``),
    the same in every process: what an index keeps of its articles to find copies of them
    among articles added later (:mod:`qa.store.segments`)."""
    hashes, owner, sizes = _hashed_shingles(texts)
    bounds = np.cumsum([0, *sizes])
    order = np.lexsort((hashes, owner))
    hashes = hashes[order]
    return [hashes[bounds[i]:bounds[i + 1]] for i in range(len(texts))]


def copies_of_known(hashes: np.ndarray, known: np.ndarray, known_owner: np.ndarray, known_sizes: np.ndarray,
                    threshold: float = THRESHOLD, live: Callable[[int], bool] | None = None) -> bool:
    """Whether the text of ``hashes`` (:func:`shingle_hashes`) overlaps one of the known texts
    enough to be its copy, or it to be the text's: ``known`` sorted hashes, ``known_owner`` the
    text of each, ``known_sizes`` each text's count of shingles; ``live`` says which known
    texts count (asked of the few that overlap at all). ``known`` and ``known_owner`` may be
    columns of a memory-mapped table: only the rows of matching hashes are read."""
    if not len(hashes) or not len(known):
        return False
    left = np.searchsorted(known, hashes, side="left")
    right = np.searchsorted(known, hashes, side="right")
    matched = np.concatenate([np.asarray(known_owner[a:b]) for a, b in zip(left.tolist(), right.tolist()) if b > a] or
                             [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    if not len(matched):
        return False
    owners, counts = np.unique(matched, return_counts=True)
    if live is not None:
        keep = np.array([live(int(owner)) for owner in owners], dtype=bool)
        owners, counts = owners[keep], counts[keep]
    smaller = np.minimum(known_sizes[owners], len(hashes))
    return bool(np.any(counts / np.maximum(smaller, 1) >= threshold))


def _hashed_shingles(texts: Sequence[str], size: int = SHINGLE_WORDS) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Every text's distinct shingles as hashes: ``(hashes, owner, sizes)``, ``owner[k]`` the
    text of ``hashes[k]``; ``sizes[i]`` = ``len(shingles(texts[i]))``."""
    all_words: list[str] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        words = _WORD.findall(text.lower())
        lengths[i] = len(words)
        all_words.extend(words)
    codes = np.array(_word_numbers(all_words), dtype=np.uint64)
    ends = np.cumsum(lengths)
    hashes, owners = [], []
    if len(codes) >= size:
        windows = np.lib.stride_tricks.sliding_window_view(codes, size)
        doc = np.repeat(np.arange(len(texts)), lengths)[: len(windows)]
        keep = np.arange(len(windows)) + size <= ends[doc]  # windows inside one text
        with np.errstate(over="ignore"):
            hashes.append(_mix((windows[keep] * _MULTIPLIERS).sum(axis=1, dtype=np.uint64) + np.uint64(size)))
        owners.append(doc[keep])
    for i in np.flatnonzero((lengths > 0) & (lengths < size)):  # a short text: one shingle of all its words
        with np.errstate(over="ignore"):
            words = codes[ends[i] - lengths[i]: ends[i]]
            hashes.append(_mix((words * _MULTIPLIERS[: len(words)]).sum(dtype=np.uint64, keepdims=True)
                               + np.uint64(len(words))))
        owners.append(np.array([i], dtype=np.int64))
    if not hashes:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64), [0] * len(texts)
    hashes_all, owner = np.concatenate(hashes), np.concatenate(owners)
    order = np.lexsort((owner, hashes_all))  # by shingle, then text: what _shared_counts reads
    hashes_all, owner = hashes_all[order], owner[order]
    distinct = np.r_[True, (hashes_all[1:] != hashes_all[:-1]) | (owner[1:] != owner[:-1])]
    hashes_all, owner = hashes_all[distinct], owner[distinct]
    return hashes_all, owner, np.bincount(owner, minlength=len(texts)).tolist()


def _shared_counts(hashes: np.ndarray, owner: np.ndarray, n: int) -> dict[int, list[tuple[int, int]]]:
    """For each text, the earlier texts it shares shingles with and how many, earliest first
    (``hashes`` sorted, and ``owner`` within each run of one hash)."""
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    lengths = np.diff(np.r_[starts, len(hashes)])
    firsts, seconds = [], []
    for m in np.unique(lengths[lengths > 1]):  # runs of m texts holding one shingle
        runs = starts[lengths == m]
        a, b = np.triu_indices(m, 1)
        firsts.append(owner[(runs[:, None] + a[None, :]).ravel()])
        seconds.append(owner[(runs[:, None] + b[None, :]).ravel()])
    if not firsts:
        return {}
    pair = np.concatenate(seconds) * n + np.concatenate(firsts)  # (later, earlier), later first
    keys, counts = np.unique(pair, return_counts=True)
    shared: dict[int, list[tuple[int, int]]] = {}
    for key, count in zip(keys.tolist(), counts.tolist()):
        shared.setdefault(key // n, []).append((key % n, count))
    return shared


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


def syndicated_copies(documents: list[Document], indexed: set[str]) -> tuple[list[Document], list[tuple[str, str]]]:
    """``documents`` less their syndicated copies, each listed in its canonical article's
    ``also_published``; and (copy, canonical) file pairs. The canonical article of a story
    is one already indexed, else the earliest dated, else the first by id, so that adding
    a copy never moves the story's citations."""
    order = sorted(documents, key=lambda d: (d.doc_id not in indexed, not d.published, d.published, d.doc_id))
    kept, copies = [], []
    for group in group_copies([d.body for d in order]):
        canonical = order[group.canonical]
        canonical.also_published = tuple(Source.of(order[i]).as_copy() for i in group.copies)
        copies.extend((order[i].source, canonical.source) for i in group.copies)
        kept.append(canonical)
    ids = {d.doc_id for d in kept}
    return [d for d in documents if d.doc_id in ids], copies
