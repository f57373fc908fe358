"""How long a server's index takes to load again after one article is added, reusing what it
held (qa.store.reload) against a full load, on the 20,000-short-article corpus that
``qa bench --part indexing`` leaves in benchmarks/.cache (docs/performance.md).

    QA_MODEL=hash:384 python experiments/try_reload.py [20000]

Result (ran on 2026-12-07 at a814706, 2 cores, load about 1): twelve additions, merges
included; the reload took 0.054 to 0.109 s (median about 0.07 s), a full load 0.90 to
1.07 s. The reload still copies the FAISS store (31 MB here) and checks the whole passage
table against it, which grow with the corpus.
"""
from __future__ import annotations

import os
import random
import sys
import time

os.environ.setdefault("QA_MODEL", "hash:384")

import qa  # noqa: E402
from qa.bench.common import short_articles_corpus  # noqa: E402
from qa.store import index_files  # noqa: E402
from qa.store.handle import IndexHandle  # noqa: E402
from qa.store.transaction import corpus_update  # noqa: E402

WORDS = "harbour council ferry slipway island lorry boat repairs winter ramp operator crossing tide pier quay".split()


def main(n: int) -> None:
    corpus = short_articles_corpus(n)
    index = corpus.parent / "index"
    qa.build_index(corpus_dir=corpus, index_dir=index)
    handle = IndexHandle(index, corpus)
    handle.data  # noqa: B018 - as a server holds it
    for round_ in range(12):
        rng = random.Random(round_)
        body = " ".join(rng.choice(WORDS) + ("." if i % 9 == 8 else "") for i in range(120))
        with corpus_update(corpus, index) as update:
            update.put(f"zz-reload-{round_}.md", f"---\ntitle: Reload {round_}\n---\n\n{body}\n".encode("utf-8"))
            update.build()
        started = time.perf_counter()
        handle.data  # noqa: B018
        reload_seconds = time.perf_counter() - started
        started = time.perf_counter()
        index_files.load_index(index)
        print(f"addition {round_ + 1:2d}: reload {reload_seconds:.3f} s, full load {time.perf_counter() - started:.3f} s",
              flush=True)
    for round_ in range(12):
        (corpus / f"zz-reload-{round_}.md").unlink()
    qa.build_index(corpus_dir=corpus, index_dir=index)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
