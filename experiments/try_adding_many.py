"""Twelve articles added one at a time to corpora of 1,000 / 5,000 / 20,000 short articles
(docs/performance.md, "Adding one article costs one article"): each added as `qa add` adds
it (the build is told the file) and, in a second round, copied in and indexed by
``qa.build_index`` (which lists the folder). Twelve, so that segments and the files of
earlier additions merge (past eight) within the run, and the slowest addition shows what a
merge costs. Each round's articles are removed again afterwards.

    QA_MODEL=hash:384 python experiments/try_adding_many.py [1000 5000 20000]

Uses the corpora and indexes ``qa bench --part indexing`` leaves in benchmarks/.cache.

Result (ran on 2026-12-07 at 59d0b97, 2 cores, load 0.2 to 1; seconds, median / slowest of 12):

| articles | told (`qa add`) | listed (`qa index`) |
|---|---|---|
| 1,000 | 0.014 / 0.026 | 0.020 / 0.035 |
| 5,000 | 0.017 / 0.032 | 0.052 / 0.070 |
| 20,000 | 0.033 / 0.050 | 0.200 / 0.491 |

At 5f9160c (index format 6: the manifest names no article), back to back with 46accef
from a worktree, load about 1, told median: 0.021 / 0.025 / 0.023 s (46accef: 0.018 /
0.023 / 0.028 s); listed 0.029 / 0.071 / 0.257 s (0.026 / 0.078 / 0.213 s).

Before (97402f5), `python -m qa.bench.indexing --only-scale` gave 0.23 / 0.32 / 1.22 s for one
article added by `qa index` at 1,000 / 5,000 / 20,000; and at 8fcf01c, before additions merged
segments themselves, the addition that found eight segments took the full path: 3.4 to 5.4 s
at 20,000 in this script's forerunner.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import time

os.environ.setdefault("QA_MODEL", "hash:384")

import qa  # noqa: E402
from qa.bench.common import short_articles_corpus  # noqa: E402
from qa.store.transaction import corpus_update  # noqa: E402

WORDS = "harbour council ferry slipway island lorry boat repairs winter ramp operator crossing tide pier quay".split()


def article(n: int) -> str:
    """A made-up article, different enough from the others not to be a syndicated copy."""
    rng = random.Random(n)
    body = " ".join(rng.choice(WORDS) + ("." if i % 9 == 8 else "") for i in range(120))
    return f"---\ntitle: Ferry {n}\npublisher: Harbour Gazette\npublished: 2024-04-02\n---\n\n{body}\n"


def add_twelve(corpus, index, told: bool) -> list[float]:
    seconds = []
    for n in range(12):
        name = f"zz-ferry-{n}.md"
        if told:
            started = time.perf_counter()
            with corpus_update(corpus, index) as update:
                update.put(name, article(n).encode("utf-8"))
                report = update.build()
        else:
            (corpus / name).write_text(article(n), encoding="utf-8")
            time.sleep(2.1)  # past the settling time: the listing trusts the other files' stat
            started = time.perf_counter()
            report = qa.build_index(corpus_dir=corpus, index_dir=index)
        seconds.append(time.perf_counter() - started)
        assert report.added == [name[:-3]] and not report.full_rebuild, (report.added, report.reason)
    for n in range(12):
        (corpus / f"zz-ferry-{n}.md").unlink()
    qa.build_index(corpus_dir=corpus, index_dir=index)
    return seconds


def main(sizes: list[int]) -> None:
    from qa.ingest import dates

    dates.find_dates("It opened on Tuesday, 3 May 2021.", "2024-04-02")  # dateparser's first use, once
    for n in sizes:
        corpus = short_articles_corpus(n)
        index = corpus.parent / "index"
        qa.build_index(corpus_dir=corpus, index_dir=index)
        for told in (True, False):
            seconds = add_twelve(corpus, index, told)
            print(f"{n:>6,} articles, {'told (qa add)' if told else 'listed (qa index)'}: "
                  f"median {statistics.median(seconds):.3f} s, slowest {max(seconds):.3f} s", flush=True)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 5000, 20000])
