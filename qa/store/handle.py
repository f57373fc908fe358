"""An index's life, apart from ranking: loaded once, reloaded when another process changed
it, brought up to date with its corpus (only what changed is embedded), rebuilt from the
corpus when damaged. The command line, the Python API and the web app hold their index
through one :class:`IndexHandle`; ranking (:class:`qa.Retriever`) only reads ``handle.data``.

>>> handle = IndexHandle("index")          # doctest: +SKIP
>>> handle.up_to_date().data.documents     # doctest: +SKIP
"""
from __future__ import annotations

import threading
import warnings
from pathlib import Path

from ..config import default_corpus_dir, default_index_dir
from ..errors import IndexCorruptError, IndexMismatchError, QAError
from ..ingest import dates
from . import index_files
from ..ingest.parsed import ParsedDocuments
from .build import READER_VERSION, build_index, corpus_state
from .corpus_stamp import corpus_stamp, forget_build, unchanged_since_build


class IndexHandle:
    """One index folder and, when given, the corpus folder it is built from. Thread-safe."""

    def __init__(self, index_dir: str | Path | None = None, corpus_dir: str | Path | None = None):
        self.corpus_dir = Path(corpus_dir) if corpus_dir is not None else None
        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir(self.corpus_dir)
        self._data: index_files.IndexData | None = None
        self._manifest_stamp = None
        self._corpus_in_step = None  # the corpus stamp when corpus and index were last found in step
        self._lock = threading.RLock()

    @property
    def data(self) -> index_files.IndexData:
        """The loaded index, loaded again when ``manifest.json`` changed since (an upload,
        ``qa index`` in another process): what the new manifest keeps of the index loaded
        before is taken from it, not read again (:mod:`qa.store.reload`)."""
        manifest = self.index_dir / index_files.MANIFEST
        try:
            stat = manifest.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            stamp = None
        if self._data is None or stamp != self._manifest_stamp:
            with self._lock:
                if self._data is None or stamp != self._manifest_stamp:
                    self._data = index_files.load_index(self.index_dir, previous=self._data)
                    self._manifest_stamp = stamp
        return self._data

    def up_to_date(self) -> "IndexHandle":
        """Update the index from the corpus when the corpus changed (built when missing,
        rebuilt with a ``RuntimeWarning`` saying why when it cannot be used); a build running
        elsewhere is waited for. Comparing the corpus with the index reads every article, so
        it is skipped while no file changed since they were last found in step
        (:mod:`qa.store.corpus_stamp`), or since the index's last build, as that build's
        stamp shows (so a new process does not compare either). Without a corpus folder,
        nothing to compare."""
        if self.corpus_dir is None:
            return self
        with self._lock:
            # Taken before the comparison, so that a change made during it is seen next time.
            stamp = corpus_stamp(self.corpus_dir, self.index_dir)
            if stamp is None or stamp != self._corpus_in_step:
                self._corpus_in_step = None
                try:
                    manifest = index_files.read_manifest(self.index_dir)
                except QAError:
                    manifest = None  # build_index finds out why, rebuilds and says so
                if manifest is not None and unchanged_since_build(self.index_dir, self.corpus_dir,
                                                                  manifest.get("generation")) is not None:
                    pass  # no file changed since the index's last build (a new process asks this first)
                elif manifest is None or corpus_state(
                        self.corpus_dir, manifest, model=manifest["model"]["name"],
                        parsed=ParsedDocuments.load(self.index_dir, READER_VERSION)).stale:
                    self._build()
                    stamp = None  # taken before the update: the next question compares again
            try:
                self.data  # noqa: B018 - loads now, or finds the damage now
            except (IndexCorruptError, IndexMismatchError):
                # The manifest reads but a data file does not match it: build_index sees the
                # same damage and starts again from the corpus.
                forget_build(self.index_dir)
                self._build()
                stamp = None
            self._corpus_in_step = stamp
        return self

    def repair(self) -> None:
        """Rebuild the index from the corpus (after a load found it damaged)."""
        if self.corpus_dir is None:
            raise IndexCorruptError(f"{self.index_dir} cannot be used and no corpus is known to rebuild it from; "
                                    f"run `qa index --rebuild --index {self.index_dir}` with its --corpus")
        with self._lock:
            self._corpus_in_step = None
            self._data = None
            forget_build(self.index_dir)
            self._build()

    def _build(self) -> None:
        report = build_index(corpus_dir=self.corpus_dir, index_dir=self.index_dir, wait=True)
        self._data = None
        if report.full_rebuild and report.reason != "no index yet":
            warnings.warn(f"rebuilt the index in {self.index_dir} from {self.corpus_dir}: {report.reason}",
                          RuntimeWarning, stacklevel=4)


_SHARED: dict[str, IndexHandle] = {}
_SHARED_LOCK = threading.Lock()


def shared_handle(corpus_dir=None, index_dir=None) -> IndexHandle:
    """The process's one handle on a corpus and its index (the defaults when not given),
    brought up to date first."""
    corpus = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    index = Path(index_dir) if index_dir is not None else default_index_dir(corpus)
    key = f"{corpus.resolve()}|{index.resolve()}"
    with _SHARED_LOCK:
        handle = _SHARED.get(key)
        if handle is None:
            handle = _SHARED[key] = IndexHandle(index, corpus)
    return handle.up_to_date()


def index_and_name(index_dir=None) -> tuple[index_files.IndexData, str]:
    """The index in ``index_dir``, or the default one brought up to date first, and how
    messages name it."""
    if index_dir is None:
        return shared_handle().data, "the default index"
    return index_files.load_index(index_dir), str(index_dir)


def check_index_dates(data: index_files.IndexData, where: str = "the index") -> None:
    """Refuse an index whose passages carry no resolved dates, or dates of an older version:
    it would answer "when" questions as if the sentences held no dates."""
    if data.extra.get("dates") != dates.VERSION:
        raise IndexMismatchError(
            f"{where} was built without resolved dates (or with an older version of them); "
            "run `qa index` to update it"
        )
