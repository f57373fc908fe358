"""An unchanged ``qa index``, and one article added, over 5,000 articles of which some are
PDFs: the no-op build lists the folder and reads no file, PDF or not; adding one Markdown
article reads that one alone.

    QA_MODEL=hash:384 python experiments/try_unchanged_with_pdfs.py [WORK_DIR] [--pdfs 500]

The corpus: the first 5,000 SciFact abstracts, 4,500 as Markdown and 500 as two-page PDFs
(written with fpdf2, a test dependency); the hashing embedder (``QA_MODEL=hash:384``) makes
the full build quick and changes nothing of what an unchanged build or an addition reads.
Each figure is the whole ``qa index`` command in a fresh process (imports included), three
times, and ``build_index`` in one process after a warm-up.

Result (ran on 2026-12-07 on 95c218c plus this script, 2-core x86-64, load about 1):
full build 5,000 articles (500 PDFs), 19,192 passages, 14.4 s; unchanged `qa index`, a new
process each, 0.42 / 0.29 / 0.29 s (the first hashes the files whose change time was too
recent to trust at the full build: these were all written just before it); unchanged
``build_index`` in one process 0.070 s; one Markdown article added 0.324 s.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.bench.common import scifact_documents, write_article


def write_pdf(path: Path, title: str, text: str) -> None:
    import fpdf

    pdf = fpdf.FPDF()
    pdf.set_title(title)
    pdf.set_author("SciFact")
    half = len(text) // 2
    for part in (text[:half], text[half:]):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, part.encode("latin-1", "replace").decode("latin-1"))
    path.write_bytes(bytes(pdf.output()))


def qa_index(corpus: Path, index: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa", "index", "--corpus", str(corpus), "--index", str(index)],
                   check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("work", nargs="?", default=None)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--pdfs", type=int, default=500)
    args = parser.parse_args()
    if not os.environ.get("QA_MODEL"):
        sys.exit("set QA_MODEL=hash:384 (or a real model, for a slower full build)")
    work = Path(args.work or tempfile.mkdtemp(prefix="qa-pdfs-"))
    corpus, index = work / "corpus", work / "index"
    shutil.rmtree(work, ignore_errors=True)
    corpus.mkdir(parents=True)
    abstracts = scifact_documents(args.articles + 1)
    for n, abstract in enumerate(abstracts[:args.articles]):
        if n < args.pdfs:
            write_pdf(corpus / f"sf-{abstract['_id']}.pdf", abstract["title"], abstract["text"])
        else:
            write_article(corpus, abstract)
    past = time.time() - 60  # written a minute ago, as a corpus on disk is
    for path in corpus.iterdir():
        os.utime(path, (past, past))
    import qa

    started = time.perf_counter()
    report = qa.build_index(corpus_dir=corpus, index_dir=index)
    print(f"full build: {len(report.added)} articles ({args.pdfs} PDFs), {report.passages_embedded} passages, "
          f"{time.perf_counter() - started:.1f} s")
    commands = [qa_index(corpus, index) for _ in range(3)]
    print("unchanged `qa index` (a new process each): " + " / ".join(f"{s:.2f} s" for s in commands))
    started = time.perf_counter()
    assert not qa.build_index(corpus_dir=corpus, index_dir=index).changed
    print(f"unchanged build_index in this process: {time.perf_counter() - started:.3f} s")
    extra = write_article(corpus, abstracts[args.articles])
    started = time.perf_counter()
    added = qa.build_index(corpus_dir=corpus, index_dir=index)
    print(f"one Markdown article added in this process: {time.perf_counter() - started:.3f} s ({added.added})")
    extra.unlink()
    qa.build_index(corpus_dir=corpus, index_dir=index)
    print(f"index folder: {index}")


if __name__ == "__main__":
    main()
