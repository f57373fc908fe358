"""What the web page calls, with no Gradio in it: answers, the document list, uploads."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..answer.retriever import default_retriever
from ..config import default_corpus_dir, default_index_dir
from ..errors import UNCHANGED, IndexCorruptError, IndexMismatchError, QAError, StorageError
from ..ingest.readers import describe_formats
from ..store.transaction import corpus_update
from .render import escape_text, literal_markdown, render_answer
from .uploads import UploadError, store_upload

if TYPE_CHECKING:  # imported when fetching, not with the page
    from ..ingest.fetch import FetchLimits

CHAT_SOURCES = 3  # passages shown under each answer


class ChatService:
    """What the web page calls: answers, the document list, uploads. No Gradio in here."""

    def __init__(self, corpus_dir=None, index_dir=None, fetch_limits: FetchLimits | None = None):
        self.corpus_dir = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir(self.corpus_dir)
        self.fetch_limits = fetch_limits  # None: the defaults (qa.ingest.fetch.FetchLimits), read when used
        self._retriever = None
        self._upload_lock = threading.Lock()

    def prepare(self):
        """Build the index, or update it if the corpus changed since; return the retriever."""
        self._retriever = default_retriever(self.corpus_dir, self.index_dir)
        return self._retriever

    @property
    def retriever(self):
        # Its index handle reloads by itself when manifest.json changes (an upload, `qa index`).
        return self._retriever or self.prepare()

    def answer(self, message: str, history=None):
        """The reply to ``message`` (:meth:`qa.Retriever.reply`); a damaged index is rebuilt first."""
        *_, (answer, _reason) = self._reply_steps(message, history)
        return answer

    def _reply_steps(self, message, history):
        """Yields ``(None, reason)`` when the index must be rebuilt before replying (so the
        asker can be told at once), then ``(reply, reason or "")``."""
        try:
            yield self.retriever.reply(message, history=history, k=CHAT_SOURCES), ""
            return
        except (IndexCorruptError, IndexMismatchError) as exc:
            # The index was damaged or replaced while the app runs: its handle rebuilds it
            # from the corpus (with a warning in the log), then the question is answered.
            reason = rebuild_reason(exc)
        yield None, reason
        self.retriever.handle.repair()
        yield self.retriever.reply(message, history=history, k=CHAT_SOURCES), reason

    def reply_steps(self, message: str, history=None):
        """The chat's reply as it grows, as Markdown: a notice first when the index has to
        be rebuilt (which takes a while), then the reply with that notice above it. A
        problem is reported, not raised."""
        from ..answer.reply import EventsReply

        started = time.perf_counter()
        try:
            for found, reason in self._reply_steps(message, history):
                if found is None:
                    yield (f'<span class="qa-rebuild">Rebuilding the index from the articles before answering: '
                           f"it cannot be used ({escape_text(reason)}). This can take a minute.</span>")
                    continue
                if isinstance(found, EventsReply):
                    from .events_view import events_reply

                    text = events_reply(found.topic, found.events)
                else:
                    text = render_answer(found)
                if reason:
                    yield (f'<span class="qa-rebuild">The index was rebuilt from the articles in '
                           f"{time.perf_counter() - started:.0f} s before this answer: it could not be used "
                           f"({escape_text(reason)}).</span>\n\n{text}")
                else:
                    yield text
        except QAError as exc:
            yield f"**Cannot answer:** {escape_text(str(exc))}"

    def reply(self, message: str, history=None) -> str:
        """The chat's reply to ``message``, as Markdown; a problem is reported, not raised."""
        *_, last = self.reply_steps(message, history)
        return last

    def events(self, query: str | None = None, doc_id: str | None = None):
        """The events of the indexed articles (see :func:`qa.events`)."""
        from ..chronology.events import events_of

        return events_of(self.retriever.data, query=query, doc_id=doc_id, where=str(self.index_dir))

    def documents(self) -> list[list]:
        """One row per indexed article: headline, publisher, date, passages, file, link."""
        docs = self.retriever.data.documents
        ordered = sorted(docs.items(), key=lambda item: (item[1].published, item[1].title), reverse=True)
        return [
            [document.title, document.publisher, document.published or "date unknown", document.passages,
             document.file or doc_id, document.url]
            for doc_id, document in ordered
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
        lines: list[str] = []

        def store(put) -> list[Path]:
            added = []
            for path in paths:
                try:
                    added.append(store_upload(Path(path), self.corpus_dir, put=put))
                except UploadError as exc:
                    lines.append(f"- **Not added:** {escape_text(str(exc))}")
                except FileExistsError as exc:
                    lines.append(f"- {escape_text(str(exc))}")
            return added

        return self._add(store, lines, progress)

    def add_address(self, url: str, feed: bool = False, progress=None) -> str:
        """Fetch the article at ``url`` (or, with ``feed``, every new item of the feed at
        ``url``), store it in the corpus and update the index; a Markdown report. Refusals
        (time-out, not a page, too big, a redirect to another scheme, an address that is not
        public) are reported and leave the corpus as it was.

        The fetching is done first, outside the lock that takes updates one at a time: a
        slow server holds up no upload, no other address and no question. Addresses and
        what a feed says are shown as plain text, never as links."""
        from ..ingest.adding import AlreadyInCorpus, fetch_web_article, store_fetched_article
        from ..ingest.feeds import read_feed, store_feed

        url = (url or "").strip()
        if not url:
            return "Paste the web address of an article" + (" feed" if feed else "") + " first."
        try:
            fetched = (read_feed(url, self.corpus_dir, self.fetch_limits) if feed
                       else fetch_web_article(url, self.corpus_dir, self.fetch_limits))
        except AlreadyInCorpus as exc:
            return f"- {literal_markdown(str(exc))}"
        except QAError as exc:  # refused (a fetch, a feed, a page without an article): nothing was stored
            return f"- **Not added:** {literal_markdown(str(exc))}"
        lines: list[str] = []

        def store(put) -> list[Path]:
            if not feed:
                return [store_fetched_article(url, fetched, self.corpus_dir, put=put)]
            report = store_feed(fetched, self.corpus_dir, put=put)
            lines.append(f"Feed \u201c{literal_markdown(report.title or url)}\u201d: "
                         f"{len(report.added)} new, {len(report.skipped)} skipped.")
            lines.extend(f"- Skipped {literal_markdown(item)}: {literal_markdown(reason)}"
                         for item, reason in report.skipped)
            return report.added

        return self._add(store, lines, progress, shown=literal_markdown)

    def _add(self, store, lines: list[str], progress, shown=escape_text) -> str:
        """Run ``store(put)`` (it stores articles through ``put`` and returns their paths) and
        the index update as one transaction (:mod:`qa.store.transaction`): on any error the
        corpus and the index are left as they were, so the same action works again later.
        ``lines`` (what ``store`` reported) and the outcome, as Markdown; ``shown`` makes an
        error's text Markdown."""
        from ..ingest.adding import AlreadyInCorpus

        added: list[Path] = []
        building = False
        with self._upload_lock:
            try:
                with corpus_update(self.corpus_dir, self.index_dir) as update:
                    added = store(update.put)
                    building = True
                    report = update.build(progress=progress) if added else None
                    refused = dict(update.not_indexed(report)) if report is not None else {}
            except AlreadyInCorpus as exc:
                return "\n".join(lines + [f"- {shown(str(exc))}"])
            except StorageError as exc:  # says what could not be written, and that nothing changed
                return "\n".join(lines + [f"- **Not added:** {_names(added)}{shown(str(exc))}"])
            except QAError as exc:
                if not building:  # refused: nothing was stored
                    return "\n".join(lines + [f"- **Not added:** {shown(str(exc))}"])
                return "\n".join(lines + [f"- **Not added:** {_names(added)}the index could not be updated: "
                                           f"{shown(str(exc))}; {UNCHANGED}"])
            except Exception as exc:  # noqa: BLE001 - the page must say what happened, whatever it was
                return "\n".join(lines + [f"- **Not added:** {_names(added)}could not be stored and indexed "
                                           f"({escape_text(type(exc).__name__)}: {shown(str(exc))}); "
                                           f"{UNCHANGED}; try again, and report it if it happens again"])
            if report is not None:
                lines.extend(self._report_added(added, report, refused))
        return "\n".join(lines)

    def _report_added(self, added: list[Path], report, refused: dict[Path, str]) -> list[str]:
        copies = dict(report.copies)
        lines = []
        documents = self.retriever.data.documents
        for path in added:
            relative = path.relative_to(self.corpus_dir)
            source = relative.as_posix()
            if path in refused:  # not in the index (same text as another article ...): not in the corpus
                lines.append(f"- **Not added:** {escape_text(path.name)}: {escape_text(refused[path])}")
                continue
            if source in copies:
                lines.append(f"- **Added** {escape_text(path.name)} as a copy of {escape_text(copies[source])}: "
                             "the same story, cited with it as also published")
                continue
            document = documents.get(relative.with_suffix("").as_posix())
            title, passages = (document.title, document.passages) if document else ("", 0)
            lines.append(
                f"- **Added** {escape_text(path.name)}: \u201c{escape_text(title)}\u201d, "
                f"{_count(passages, 'passage')}"
            )
        lines.append(f"\nIndex updated in {report.seconds:.1f} s: {_count(report.passages_embedded, 'passage')} embedded.")
        return lines


def _names(paths: list[Path]) -> str:
    return f"{escape_text(', '.join(p.name for p in paths))}: " if paths else ""


def rebuild_reason(exc: Exception) -> str:
    """Why an index cannot be used, for people reading the chat (no command to run)."""
    from ..store.index_files import REBUILD_ADVICE

    return str(exc).replace(f"; {REBUILD_ADVICE}", "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
