"""A build shown on the console: a progress bar, and a first build announced with where its
index goes, so that a first start (the model loaded, every sentence embedded) is seen to
be working rather than hanging.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from . import index_files
from .build import BuildProgress, BuildReport, build_index


def console_progress() -> BuildProgress:
    """A tqdm bar on stderr fed by build_index's (done, total, stage) callback."""
    state = {"bar": None}

    def update(done: int, total: int, stage: str) -> None:
        from tqdm import tqdm

        if state["bar"] is None:
            state["bar"] = tqdm(total=total, desc=stage, unit="text", file=sys.stderr, leave=False)
        bar = state["bar"]
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def say_on_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def build_if_missing(corpus_dir: Path, index_dir: Path, say: Callable[[str], None] = say_on_stderr) -> BuildReport | None:
    """Build the index of ``corpus_dir`` in ``index_dir`` when there is none yet, saying
    where it goes and showing the embedding's progress; None when an index is there (it
    is brought up to date where it is used)."""
    if (Path(index_dir) / index_files.MANIFEST).is_file():
        return None
    say(f"No index of {corpus_dir} yet: building one in {index_dir} (once; later starts reuse it). "
        "The first build loads the embedding model, then embeds every sentence:")
    report = build_index(corpus_dir=corpus_dir, index_dir=index_dir, progress=console_progress(), wait=True)
    say(f"Index ready in {index_dir}: {len(report.added)} articles, {report.passages_embedded} passages, "
        f"{report.seconds:.0f} s.")
    return report
