"""Where the time of adding one article goes (docs/performance.md, "Updating the index"):
cProfile over one ``build_index`` that adds the benchmark's extra article to the
5,000-abstract SciFact index that ``qa bench --part indexing`` builds, then takes it out
again. Prints the 30 most expensive calls by cumulative time.

    python experiments/try_profile_add.py [benchmarks/.cache/scifact-5000]

Result (ran on 2026-12-07 at 5a6a8af, load ~1.5; cProfile slows everything by
about a quarter): 2.85 s in all, loading the index 1.1 s (the passage table 0.79 s),
syndicated copies 0.6 s, the corpus listed and the parse cache read 0.24 s, the article
embedded 0.25 s, the save 0.19 s.
"""
import cProfile
import pstats
import shutil
import sys
import time
from pathlib import Path

import qa


def main(folder: str = "benchmarks/.cache/scifact-5000") -> None:
    corpus, index = Path(folder) / "corpus", Path(folder) / "index"
    extra = next(Path(folder).glob("sf-*.md"))
    qa.get_embedder().encode(["warm up"])
    qa.build_index(corpus_dir=corpus, index_dir=index)  # up to date first
    shutil.copyfile(extra, corpus / extra.name)
    profile = cProfile.Profile()
    try:
        started = time.perf_counter()
        profile.enable()
        report = qa.build_index(corpus_dir=corpus, index_dir=index)
        profile.disable()
        print(f"added {report.added} in {time.perf_counter() - started:.2f} s (profiled)")
    finally:
        (corpus / extra.name).unlink()
    qa.build_index(corpus_dir=corpus, index_dir=index)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main(*sys.argv[1:2])
