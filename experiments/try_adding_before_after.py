"""Adding one article, before and after segments, on one machine (docs/performance.md,
"Updating the index"): a full build of the 5,000-abstract SciFact corpus, two builds with
nothing to do, then one article added, with whichever ``qa`` package comes first on
``sys.path``. The corpus and the extra article are the ones ``qa bench --part indexing``
writes under benchmarks/.cache/scifact-5000/.

    git worktree add /tmp/before f9c3e84
    (cd /tmp/before && PYTHONPATH=/tmp/before python $PWD/experiments/try_adding_before_after.py \
        $PWD/benchmarks/.cache/scifact-5000 /tmp/index-before)
    python experiments/try_adding_before_after.py benchmarks/.cache/scifact-5000 /tmp/index-now

Result (ran on 2026-12-07, before = f9c3e84, now = 5a6a8af; load average 1.5
to 1.8): full build 224 / 218 s; nothing to do 4.95 and 4.72 / 0.19 and 0.14 s; one article
added 6.88 / 2.66 s.
"""
import json
import shutil
import sys
import time
from pathlib import Path

import qa


def main(folder: str, index_dir: str) -> None:
    print("qa from", qa.__file__, file=sys.stderr)
    corpus = Path(folder) / "corpus"
    extra = next(Path(folder).glob("sf-*.md"))  # the article the benchmark adds
    index = Path(index_dir)
    qa.get_embedder().encode(["warm up"])
    started = time.perf_counter()
    full = qa.build_index(corpus_dir=corpus, index_dir=index, rebuild=True)
    full_s = time.perf_counter() - started
    time.sleep(3)  # the corpus settles (a stamp is trusted only for files older than 2 s)
    noops = []
    for _ in range(2):
        started = time.perf_counter()
        qa.build_index(corpus_dir=corpus, index_dir=index)
        noops.append(time.perf_counter() - started)
    target = corpus / extra.name
    shutil.copyfile(extra, target)
    try:
        started = time.perf_counter()
        added = qa.build_index(corpus_dir=corpus, index_dir=index)
        add_s = time.perf_counter() - started
    finally:
        target.unlink()
    qa.build_index(corpus_dir=corpus, index_dir=index)
    print(json.dumps({"full_s": full_s, "noop_s": noops, "add_s": add_s, "added": added.added,
                      "passages": full.passages_embedded}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
