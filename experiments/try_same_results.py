"""Three speed-ups that must not change a result, checked against an earlier commit's code:
BM25 scores (bm25s's precomputed scores, now term frequencies scored when asked), the
syndicated-copy groups (a Python inverted index, now hashed shingles in numpy) and the
dates found in texts (dateparser for every date, now dates that name their year read
directly). The same public functions of both versions run on the same inputs, each in its
own process, and the outputs are compared.

    python experiments/try_same_results.py --before f9c3e84

Inputs: the seed corpus, tests/data/wandsworth, newsqa-dev's and squad-dev's articles and
the first 1,500 SciFact abstracts (dates); the SciFact abstracts and 60 made-up copies of
them, cut and edited (groups); the passages of the first 1,500 abstracts and 300 SciFact
queries (BM25).

Result (ran on 2026-12-07, before = f9c3e84, now = 4abf739): dates 760 found in 1,528 texts,
none differing; groups identical (5,183 groups, 60 copies); BM25 300 of 300 queries
identical to the bit, largest difference 0.0.

Again with the shingles' words numbered by a hash that is the same in every process (so a
segment can keep its articles' shingles), ran on 2026-12-07, before = e6fb12a, now =
e11aa9b: dates 760 in 1,528, none differing; groups identical (5,183 groups, 60 copies);
BM25 300 of 300 identical.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "benchmarks"

WORK = r'''
import json, sys
import numpy as np
from qa.ingest.dates import find_dates
from qa.ingest.syndication import group_copies
from qa.store.lexical import LexicalIndex
inputs = json.load(open(sys.argv[1]))
out = {"dates": [[m.to_dict() for m in find_dates(t, p, n)] for t, p, n in inputs["dated"]],
       "groups": [[g.canonical, g.copies] for g in group_copies(inputs["bodies"])]}
bm25 = LexicalIndex.build(inputs["passages"])
np.save(sys.argv[2] + ".npy", np.stack([bm25.scores(q) for q in inputs["queries"]]), allow_pickle=False)
json.dump(out, open(sys.argv[2], "w"))
'''


def inputs() -> dict:
    sys.path.insert(0, str(ROOT))
    from qa.ingest.documents import load_corpus
    from qa.ingest.passages import split_passages

    dated = []
    for folder in (ROOT / "corpus", ROOT / "tests" / "data" / "wandsworth", SHARED / "newsqa-dev" / "articles",
                   SHARED / "squad-dev" / "articles"):
        docs, _ = load_corpus(folder)
        dated += [(d.body + "\n" + d.title, d.published, d.published_note) for d in docs]
    abstracts = [json.loads(line) for line in open(SHARED / "scifact" / "corpus.jsonl", encoding="utf-8")]
    dated += [(a["text"], "2015-06-01", "") for a in abstracts[:1500]]
    rng = random.Random(0)
    bodies = [a["text"] for a in abstracts]
    for k in range(60):  # copies: cut short, some with a local line added
        sentences = rng.choice(bodies).split(". ")
        bodies.append(("Local line. " if k % 2 else "") + ". ".join(sentences[:max(1, int(len(sentences) * rng.uniform(0.3, 1)))]))
    rng.shuffle(bodies)
    passages = [p.text for a in abstracts[:1500] for p in split_passages(a["_id"], a["text"])]
    queries = [json.loads(line)["text"] for line in open(SHARED / "scifact" / "queries.jsonl", encoding="utf-8")][:300]
    return {"dated": dated, "bodies": bodies, "passages": passages, "queries": queries}


def run(package_root: Path, data: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    subprocess.run([sys.executable, "-c", WORK, str(data), str(out)], check=True, env=env, cwd=package_root)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the commit to compare with")
    args = parser.parse_args()
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        old = tmp / "before"
        old.mkdir()
        archive = subprocess.run(["git", "archive", args.before, "qa"], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        data = tmp / "inputs.json"
        data.write_text(json.dumps(inputs()))
        before, now = run(old, data, tmp / "before.json"), run(ROOT, data, tmp / "now.json")
        differing = sum(a != b for a, b in zip(before["dates"], now["dates"]))
        print(f"dates: {sum(map(len, now['dates']))} found in {len(now['dates'])} texts, {differing} texts differing")
        copies = sum(len(c) for _, c in now["groups"])
        print(f"groups: {'identical' if before['groups'] == now['groups'] else 'DIFFERENT'} "
              f"({len(now['groups'])} groups, {copies} copies)")
        a, b = np.load(tmp / "before.json.npy"), np.load(tmp / "now.json.npy")
        same = sum(np.array_equal(x, y) for x, y in zip(a, b))
        print(f"BM25: {same} of {len(a)} queries identical, largest difference {float(np.abs(a - b).max())}")


if __name__ == "__main__":
    main()
