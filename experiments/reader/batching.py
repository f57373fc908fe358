"""How the reader's batching moves its time and its scores: 40 squad-train questions, 12
sentences each, read in batches of 1, 3, 6 and 12 (qa.reader.model.BATCH); prints ms per
question and how far batch-6 scores lie from one-at-a-time scores (int8 dynamic
quantisation scales activations per batch).

    python experiments/reader/batching.py
"""
import time, numpy as np
import qa.reader.model as m
from qa.reader.squad import read_squad
from pathlib import Path
arts = read_squad(Path("../shared/benchmarks/squad-train/squad-v1.1-dev-train-pool.json"))
a = arts[3]; texts = [a.sentence_text(i) for i in range(len(a.sentences))]
qs = [q.question for q in a.questions[:40]]
r = m.default_reader()
cands = [(a.title, t) for t in texts[:12]]
r.score(qs[0], cands)
res = {}
for b in (1, 3, 6, 12):
    m.BATCH = b
    t = time.perf_counter(); outs = [r.score(q, [(a.title, t) for t in texts[i % 20: i % 20 + 12]]) for i, q in enumerate(qs)]
    res[b] = outs
    print(b, f"{(time.perf_counter() - t) / len(qs) * 1000:.1f} ms per 12")
d = np.concatenate([x - y for x, y in zip(res[6], res[1])])
print("batch 6 vs 1: max diff", np.abs(d).max(), "mean", np.abs(d).mean())
