"""What the web page calls, with no Gradio in it: answers, the document list, uploads."""
from __future__ import annotations

import threading
from pathlib import Path

from ..answer.retriever import default_retriever
from ..config import default_corpus_dir, default_index_dir
from ..errors import IndexCorruptError, IndexMismatchError, QAError
from ..ingest.readers import describe_formats
from ..store import build
from .render import escape_text, render_answer
from .uploads import UploadError, store_upload

CHAT_SOURCES = 3  # passages shown under each answer


class ChatService:
    """What the web page calls: answers, the document list, uploads. No Gradio in here."""

    def __init__(self, corpus_dir=None, index_dir=None):
        self.corpus_dir = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir(self.corpus_dir)
        self._retriever = None
        self._upload_lock = threading.Lock()

    def prepare(self):
        """Build the index, or update it if the corpus changed since; return the retriever."""
        self._retriever = default_retriever(self.corpus_dir, self.index_dir)
        return self._retriever

    @property
    def retriever(self):
        # The retriever reloads by itself when manifest.json changes (an upload, `qa index`).
        return self._retriever or self.prepare()

    def answer(self, message: str, history=None):
        try:
            return self.retriever.answer(message, history=history, k=CHAT_SOURCES)
        except (IndexCorruptError, IndexMismatchError):
            # The index was damaged or replaced while the app runs: prepare() rebuilds it
            # from the corpus (with a warning saying why), then the question is answered.
            self._retriever = None
            return self.retriever.answer(message, history=history, k=CHAT_SOURCES)

    def reply(self, message: str, history=None) -> str:
        """The chat's reply to ``message``, as Markdown; a problem is reported, not raised."""
        from ..answer.events import events_topic

        try:
            topic = events_topic(message)  # "timeline of the improvement notice": the events, cited
            found = self.events(query=topic) if topic is not None else []
            if found:
                from .events_view import events_reply

                return events_reply(topic, found)
            return render_answer(self.answer(message, history))
        except QAError as exc:
            return f"**Cannot answer:** {escape_text(str(exc))}"

    def events(self, query: str | None = None, doc_id: str | None = None):
        """The events of the indexed articles (see :func:`qa.events`)."""
        from ..answer.events import events_of

        return events_of(self.retriever.data, query=query, doc_id=doc_id, where=str(self.index_dir))

    def documents(self) -> list[list]:
        """One row per indexed article: headline, publisher, date, passages, file, link."""
        docs = self.retriever.data.documents
        ordered = sorted(docs.items(), key=lambda item: (item[1].get("published", ""), item[1].get("title", "")),
                         reverse=True)
        return [
            [meta.get("title", ""), meta.get("publisher", ""), meta.get("published", "") or "date unknown",
             int(meta.get("passages", 0)), meta.get("source", doc_id), meta.get("url", "")]
            for doc_id, meta in ordered
        ]

    def add_files(self, paths, progress=None) -> str:
        """Store uploaded articles in the corpus and update the index in place.

        Each file is checked (type, size, readable as an article, not clashing with a
        corpus file of the same name) before it is stored under a sanitised name. Returns
        a Markdown report; ``progress(done, total, stage)`` follows the embedding.
        """
        paths = [p for p in (paths or []) if p]
        if not paths:
            return f"Choose one or more articles ({describe_formats()}) first."
        with self._upload_lock:
            lines, added = [], []
            for path in paths:
                try:
                    added.append(store_upload(Path(path), self.corpus_dir))
                except UploadError as exc:
                    lines.append(f"- **Not added:** {escape_text(str(exc))}")
                except FileExistsError as exc:
                    lines.append(f"- {escape_text(str(exc))}")
            if added:
                lines.extend(self._index(added, progress))
        return "\n".join(lines)

    def add_address(self, url: str, feed: bool = False, progress=None) -> str:
        """Fetch the article at ``url`` (or, with ``feed``, every new item of the feed at
        ``url``), store it in the corpus and update the index; a Markdown report. Refusals
        (time-out, not a page, too big, a redirect to another scheme) are reported and
        leave the corpus as it was."""
        from ..ingest.adding import AlreadyInCorpus, add_web_page
        from ..ingest.feeds import add_feed

        url = (url or "").strip()
        if not url:
            return "Paste the web address of an article" + (" feed" if feed else "") + " first."
        with self._upload_lock:
            lines, added = [], []
            try:
                if feed:
                    report = add_feed(url, self.corpus_dir)
                    added = report.added
                    lines.append(f"Feed \u201c{escape_text(report.title or url)}\u201d: "
                                 f"{len(report.added)} new, {len(report.skipped)} skipped.")
                    lines += [f"- Skipped {escape_text(item)}: {escape_text(reason)}" for item, reason in report.skipped]
                else:
                    added = [add_web_page(url, self.corpus_dir)]
            except AlreadyInCorpus as exc:
                return f"- {escape_text(str(exc))}"
            except QAError as exc:
                return f"- **Not added:** {escape_text(str(exc))}"
            if added:
                lines.extend(self._index(added, progress))
        return "\n".join(lines)

    def _index(self, added: list[Path], progress) -> list[str]:
        try:
            report = build.build_index(corpus_dir=self.corpus_dir, index_dir=self.index_dir, progress=progress)
        except QAError as exc:
            for path in added:  # keep the corpus as the index describes it
                path.unlink(missing_ok=True)
            return [f"- **Not added:** the index could not be updated ({escape_text(str(exc))})"]
        skipped = dict(report.skipped)
        copies = dict(report.copies)
        lines = []
        documents = self.retriever.data.documents
        for path in added:
            source = path.relative_to(self.corpus_dir).as_posix()
            if source in skipped:
                path.unlink(missing_ok=True)
                lines.append(f"- **Not added:** {escape_text(path.name)}: {escape_text(skipped[source])}")
                continue
            if source in copies:
                lines.append(f"- **Added** {escape_text(path.name)} as a copy of {escape_text(copies[source])}: "
                             "the same story, cited with it as also published")
                continue
            meta = documents.get(path.relative_to(self.corpus_dir).with_suffix("").as_posix(), {})
            lines.append(
                f"- **Added** {escape_text(path.name)}: \u201c{escape_text(meta.get('title', ''))}\u201d, "
                f"{_count(int(meta.get('passages', 0)), 'passage')}"
            )
        lines.append(f"\nIndex updated in {report.seconds:.1f} s: {_count(report.passages_embedded, 'passage')} embedded.")
        return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
