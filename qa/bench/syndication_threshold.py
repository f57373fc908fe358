"""Where to draw the line between a syndicated copy and another article on the same story.

Non-copies: every pair of real articles, the seed corpus (two reports of one council
story, in different words) and newsqa-dev's ten articles (two of them about "inadequate"
primary schools). Copies: three made-up syndicated versions of each real article, as
papers of one group print an agency or sister-paper story:

* reheaded: another headline and byline, an "This story first appeared in ..." line
  added, one middle paragraph cut;
* shortened: the first 60% of paragraphs, plus a paragraph of local colour;
* edited: one word in twelve changed (house style, local names), the last paragraph cut.

Prints the overlap coefficient and Jaccard of word 5-shingles for both groups, and the
gap a threshold has to fall in. Run: python -m qa.bench.syndication_threshold
"""
from __future__ import annotations

import random
import sys
from qa.ingest.documents import read_document
from qa.ingest.syndication import THRESHOLD, overlap, shingles

from .common import ROOT

NEWSQA = ROOT.parent / "shared" / "benchmarks" / "newsqa-dev" / "articles"


def articles() -> list[tuple[str, str]]:
    paths = sorted((ROOT / "corpus").glob("*.md")) + sorted(NEWSQA.glob("*.md"))
    return [(p.stem, read_document(p, p.parent).body) for p in paths]


def copies(body: str, rng: random.Random) -> dict[str, str]:
    paragraphs = body.split("\n\n")
    middle = len(paragraphs) // 2
    reheaded = (["By Staff Reporter", "Council under fire over services"] + paragraphs[:middle] + paragraphs[middle + 1:]
                + ["This story first appeared in our sister title."])
    shortened = paragraphs[:max(1, round(len(paragraphs) * 0.6))] + [
        "Residents in the town centre told this paper they had not been consulted about the plans."]
    edited = []
    for para in paragraphs[:-1] if len(paragraphs) > 1 else paragraphs:
        words = para.split()
        for i in range(len(words)):
            if rng.random() < 1 / 12:
                words[i] = rng.choice(["local", "says", "the", "borough", "new", "council's"])
        edited.append(" ".join(words))
    return {"reheaded": "\n\n".join(reheaded), "shortened": "\n\n".join(shortened), "edited": "\n\n".join(edited)}


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def main() -> int:
    rng = random.Random(13)
    real = articles()
    sets = [(name, shingles(body)) for name, body in real]
    negatives = [(f"{a} ~ {b}", overlap(sa, sb), jaccard(sa, sb))
                 for i, (a, sa) in enumerate(sets) for b, sb in sets[i + 1:]]
    positives = []
    for (name, body), (_, original) in zip(real, sets):
        for kind, text in copies(body, rng).items():
            s = shingles(text)
            positives.append((f"{name} ~ {kind} copy", overlap(original, s), jaccard(original, s)))
    for label, rows in (("copies (made up)", positives), ("real pairs, not copies", negatives)):
        overlaps = sorted(r[1] for r in rows)
        jaccards = sorted(r[2] for r in rows)
        print(f"{label:24} n={len(rows):3}  overlap min {overlaps[0]:.3f} max {overlaps[-1]:.3f}   "
              f"jaccard min {jaccards[0]:.2f} max {jaccards[-1]:.2f}")
    worst_copy = min(positives, key=lambda r: r[1])
    closest_pair = max(negatives, key=lambda r: r[1])
    print(f"lowest copy:  {worst_copy[0]} overlap {worst_copy[1]:.2f}")
    print(f"closest pair: {closest_pair[0]} overlap {closest_pair[1]:.3f}")
    wrong = [r for r in positives if r[1] < THRESHOLD] + [r for r in negatives if r[1] >= THRESHOLD]
    print(f"threshold {THRESHOLD}: {len(wrong)} of {len(positives) + len(negatives)} pairs on the wrong side")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
