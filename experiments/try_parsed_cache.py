"""A build with nothing to do, with and without the readers' cache (qa.ingest.parsed):
40 PDFs of 30 pages written with fpdf2, built once, then timed alternating (median of 3).

    python experiments/try_parsed_cache.py
"""
import sys, time, shutil, tempfile
from pathlib import Path
sys.path.insert(0, "tests")
from test_pdf import make_pdf, PAGES
import qa
from qa.embedding.embedder import HashingEmbedder
base = Path(tempfile.mkdtemp()); corpus = base / "corpus"; corpus.mkdir()
for i in range(40):
    make_pdf(corpus / f"report-{i}.pdf", [p + f" Report {i}." for p in PAGES] * 10)
index = base / "index"; emb = HashingEmbedder(64)
qa.build_index(corpus_dir=corpus, index_dir=index, embedder=emb)
with_cache, without = [], []
for _ in range(3):
    t = time.perf_counter(); r = qa.build_index(corpus_dir=corpus, index_dir=index, embedder=emb); with_cache.append(time.perf_counter() - t)
    (index / "parsed.json").unlink()
    t = time.perf_counter(); r2 = qa.build_index(corpus_dir=corpus, index_dir=index, embedder=emb); without.append(time.perf_counter() - t)
    assert not r.changed and not r2.changed
print(f"40 PDFs of 30 pages, nothing changed: build {sorted(with_cache)[1]:.2f} s with parsed.json, {sorted(without)[1]:.2f} s parsing every file (median of 3, alternating)")
shutil.rmtree(base)
