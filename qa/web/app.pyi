"""The web chat: ask the articles questions, read cited passages, add articles.

``python app.py`` or ``qa serve`` runs :func:`main`; :func:`build_app` gives the Gradio
Blocks for embedding or tests. Nothing heavy happens at import: Gradio is imported and
the index prepared only when the app is built or served.

>>> from qa.web import ChatService, build_app
>>> service = ChatService(corpus_dir="corpus", index_dir="index")
>>> service.prepare()                       # build or update the index if missing or stale
>>> build_app(service=service).launch(server_name="127.0.0.1", server_port=7860)

Every article-derived string (headline, publisher, passage) is escaped before it enters
the page, so markup inside a document is shown as text and never runs.
"""
from __future__ import annotations

import argparse
import html
import os
import re
import sys
import tempfile
import threading
import time
import unicodedata
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from ..config import default_corpus_dir, default_index_dir
from .login_limit import login_limit_middleware
from ..ingest.documents import SUPPORTED_SUFFIXES, read_document
from ..errors import DocumentError, IndexCorruptError, IndexMismatchError, QAError, QuestionError, StorageError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
CHAT_SOURCES = 3  # passages shown under each answer
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
EXAMPLES = [
    "When was the improvement notice closed?",
    "When was the improvement notice issued?",
    "What did inspectors say about care leavers?",
    "How often must the improvement board meet?",
]
TITLE = "Ask the news articles"
INTRO = (
    "Every answer is a sentence quoted from the articles, with its source. "
    "When the articles do not answer a question, the reply says so. "
    "Follow-up questions (\u201cand when was it closed?\u201d) are read with the one before."
)
CSS = """
.qa-short { font-size: 1.1em; line-height: 1.5; padding: .5em .8em; border-left: 4px solid #f59e0b;
            background: var(--background-fill-primary); border-radius: 4px; }
.qa-query, .qa-meta { color: var(--body-text-color); opacity: .75; font-size: .9em; }
.qa-chat mark { background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px; }
.qa-chat blockquote { margin: .3em 0 .9em 0; }
#documents-table table * { font-family: var(--font); }
"""

# When a question or its reply appears, scroll the chat so that the question sits at the
# top: the reply opens with its answer, which Gradio's autoscroll (to the bottom) would hide.
SCROLL_JS = """
() => {
  const chat = () => document.getElementById("answers");
  const toLatestQuestion = () => {
    const questions = chat() ? chat().querySelectorAll('[data-testid="user"]') : [];
    const last = questions[questions.length - 1];
    let box = last && last.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight && /auto|scroll/.test(getComputedStyle(box).overflowY))) {
      box = box.parentElement;
    }
    if (box) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 44;
  };
  let messages = 0;
  new MutationObserver(() => {
    const n = chat() ? chat().querySelectorAll('[data-testid="user"], [data-testid="bot"]').length : 0;
    if (n !== messages) { messages = n; requestAnimationFrame(toLatestQuestion); }
  }).observe(document.body, {childList: true, subtree: true});
}
"""


class UploadError(QAError):
    """An uploaded file cannot be added to the corpus; the message says why."""


# --- the app's state: one corpus, one index -----------------------------------------

class ChatService:
    """What the web page calls: answers, the document list, uploads. No Gradio in here."""

    def __init__(self, corpus_dir=None, index_dir=None):
        self.corpus_dir = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir(self.corpus_dir)
        self._retriever = None
        self._upload_lock = threading.Lock()

    def prepare(self):
        """Build the index, or update it if the corpus changed since; return the retriever."""
        from ..answer.retriever import default_retriever

        self._retriever = default_retriever(self.corpus_dir, self.index_dir)
        return self._retriever

    @property
    def retriever(self):
        # The retriever reloads by itself when manifest.json changes (an upload, `qa index`).
        return self._retriever or self.prepare()

    def answer(self, message: str, history=None):
        """The :class:`~qa.answer.Answer` to ``message``; a damaged index is rebuilt first."""
        *_, (answer, _rebuild) = self._answer_steps(message, history)
        return answer

    def _answer_steps(self, message, history):
        """Yields ``(None, reason)`` when the index must be rebuilt before answering (so the
        asker can be told at once), then ``(answer, reason or "")``."""
        try:
            yield self.retriever.answer(message, history=history, k=CHAT_SOURCES), ""
            return
        except (IndexCorruptError, IndexMismatchError) as exc:
            # The index was damaged or replaced while the app runs: prepare() rebuilds it
            # from the corpus (with a warning in the log), then the question is answered.
            reason = rebuild_reason(exc)
        yield None, reason
        self._retriever = None
        yield self.retriever.answer(message, history=history, k=CHAT_SOURCES), reason

    def reply_steps(self, message: str, history=None):
        """The chat's reply as it grows, as Markdown: a notice first when the index has to
        be rebuilt (which takes a while), then the answer with that notice above it. A
        problem is reported, not raised."""
        started = time.perf_counter()
        try:
            for answer, reason in self._answer_steps(message, history):
                if answer is None:
                    yield (f'<span class="qa-rebuild">Rebuilding the index from the articles before answering: '
                           f"it cannot be used ({escape_text(reason)}). This can take a minute.</span>")
                elif reason:
                    yield (f'<span class="qa-rebuild">The index was rebuilt from the articles in '
                           f"{time.perf_counter() - started:.0f} s before this answer: it could not be used "
                           f"({escape_text(reason)}).</span>\n\n{render_answer(answer)}")
                else:
                    yield render_answer(answer)
        except QAError as exc:
            yield f"**Cannot answer:** {escape_text(str(exc))}"

    def reply(self, message: str, history=None) -> str:
        """The chat's reply to ``message``, as Markdown; a problem is reported, not raised."""
        *_, last = self.reply_steps(message, history)
        return last

    def documents(self) -> list[list]:
        """One row per indexed article: headline, publisher, date, passages, file, link."""
        docs = self.retriever.data.documents
        rows = [
            [meta.get("title", ""), meta.get("publisher", ""), meta.get("published", ""),
             int(meta.get("passages", 0)), meta.get("source", doc_id), meta.get("url", "")]
            for doc_id, meta in docs.items()
        ]
        return sorted(rows, key=lambda r: (r[2], r[0]), reverse=True)

    def add_files(self, paths, progress=None) -> str:
        """Store uploaded articles in the corpus and update the index in place.

        Each file is checked (type, size, readable as an article, not clashing with a
        corpus file of the same name) before it is stored under a sanitised name. Returns
        a Markdown report; ``progress(done, total, stage)`` follows the embedding.
        """
        paths = [p for p in (paths or []) if p]
        if not paths:
            return "Choose one or more articles (.txt, .md or .html) first."
        from ..store.transaction import UNCHANGED, corpus_update

        with self._upload_lock:
            lines, added = [], []
            try:
                # One transaction: on any error (a full disk, a bug) the corpus and the index
                # are left as they were, so adding the same files again works.
                with corpus_update(self.corpus_dir, self.index_dir) as update:
                    for path in paths:
                        try:
                            added.append(store_upload(Path(path), self.corpus_dir, update=update))
                        except UploadError as exc:
                            lines.append(f"- **Not added:** {escape_text(str(exc))}")
                        except FileExistsError as exc:
                            lines.append(f"- {escape_text(str(exc))}")
                    report = update.build(progress=progress) if added else None
            except QAError as exc:
                message = str(exc) if isinstance(exc, StorageError) else f"{exc}; {UNCHANGED}"
                return "\n".join(lines + [f"- **Not added:** {_names(added)}the index could not be updated: "
                                           f"{escape_text(message)}"])
            except Exception as exc:  # noqa: BLE001 - the page must say what happened, whatever it was
                return "\n".join(lines + [f"- **Not added:** {_names(added)}the index could not be updated "
                                           f"({escape_text(type(exc).__name__)}: {escape_text(str(exc))}); "
                                           "nothing was changed: the corpus and the index are as they were; "
                                           "try again, and report it if it happens again"])
            if report is not None:
                lines.extend(self._report_added(added, report))
        return "\n".join(lines)

    def _report_added(self, added: list[Path], report) -> list[str]:
        skipped = dict(report.skipped)
        lines = []
        documents = self.retriever.data.documents
        for path in added:
            source = path.relative_to(self.corpus_dir).as_posix()
            if source in skipped:
                path.unlink(missing_ok=True)  # not in the index (same text as another article): not in the corpus
                lines.append(f"- **Not added:** {escape_text(path.name)}: {escape_text(skipped[source])}")
                continue
            meta = documents.get(path.relative_to(self.corpus_dir).with_suffix("").as_posix(), {})
            lines.append(
                f"- **Added** {escape_text(path.name)}: \u201c{escape_text(meta.get('title', ''))}\u201d, "
                f"{_count(int(meta.get('passages', 0)), 'passage')}"
            )
        lines.append(f"\nIndex updated in {report.seconds:.1f} s: {_count(report.passages_embedded, 'passage')} embedded.")
        return lines


def _names(paths: list[Path]) -> str:
    return f"{escape_text(', '.join(p.name for p in paths))}: " if paths else ""


def rebuild_reason(exc: Exception) -> str:
    """Why an index cannot be used, for people reading the chat (no command to run)."""
    from ..store.index_files import _REBUILD

    return str(exc).replace(f"; {_REBUILD}", "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def safe_filename(name: str) -> str:
    """A corpus file name for an uploaded ``name``: its last path part, letters, digits,
    ``.-_`` only, a supported lower-case suffix. Raises :class:`UploadError` otherwise."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise UploadError(
            f"{base or name!r} is not a .txt, .md or .html file (type {suffix or 'none'}); save the article as one of those"
        )
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:100] or "article"
    if f"{stem}{suffix}".lower() == "readme.md":  # the corpus skips its README
        stem = "readme-article"
    return f"{stem}{suffix}"


def store_upload(upload: Path, corpus_dir: Path, max_bytes: int = MAX_UPLOAD_BYTES, update=None) -> Path:
    """Copy one uploaded file into ``corpus_dir`` after checking it; the stored path.

    Raises :class:`UploadError` (wrong type, too big, not a usable article, a different
    file of that name exists) or :class:`FileExistsError` when the same file is there.
    With ``update`` (a :class:`~qa.store.transaction.CorpusUpdate`) the file is written
    through it, so that a later failure takes it out again.
    """
    name = safe_filename(upload.name)
    try:
        size = upload.stat().st_size
    except OSError as exc:
        raise UploadError(f"{name}: the upload cannot be read ({exc.strerror})") from exc
    if size > max_bytes:
        raise UploadError(f"{name} is {size / 1e6:.1f} MB; articles up to {max_bytes // (1024 * 1024)} MB are accepted")
    data = upload.read_bytes()
    with tempfile.TemporaryDirectory() as staging:
        staged = Path(staging) / name
        staged.write_bytes(data)
        try:
            read_document(staged, staging)
        except DocumentError as exc:
            raise UploadError(f"{name} {exc.reason}") from exc
    corpus = Path(corpus_dir)
    corpus.mkdir(parents=True, exist_ok=True)
    dest = corpus / name
    if dest.resolve().parent != corpus.resolve():  # pragma: no cover - safe_filename rules it out
        raise UploadError(f"{name}: not a plain file name")
    if os.path.lexists(dest):
        if dest.is_file() and not dest.is_symlink() and dest.read_bytes() == data:
            raise FileExistsError(f"{name} is already in the corpus; nothing to do")
        raise UploadError(f"the corpus already has a different {name}; rename the file to add it as another article")
    if update is not None:
        return update.put(name, data)
    tmp = corpus / f".upload-{os.getpid()}-{threading.get_ident()}-{name}"
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    return dest


# --- rendering an answer --------------------------------------------------------------

# Markdown punctuation, written as entities so that article text cannot become a link,
# emphasis, code or a table; html.escape deals with < > & first (its entities use
# none of these characters, and "#" is only taken at the start of a line).
_MARKDOWN_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_[]~|$"})


def escape_text(text: str) -> str:
    """``text`` as inert Markdown/HTML: shown exactly as written, never interpreted."""
    escaped = html.escape(str(text), quote=False).translate(_MARKDOWN_ENTITIES)
    # "# heading", "- item", "+ item", "2016. Then..." at the start of a line are block syntax.
    escaped = re.sub(r"(?m)^(\s*)([#=+-])", lambda m: f"{m.group(1)}&#{ord(m.group(2))};", escaped)
    return re.sub(r"(?m)^(\s*\d+)\.", r"\1&#46;", escaped)


def safe_url(url: str) -> str | None:
    """``url`` if it is an http(s) link with a host, else None (javascript:, data:, ...)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not re.search(r"[\s<>\"']", url):
        return url
    return None


def format_date(published: str, note: str = "") -> str:
    """ "2018-07-23" -> "23 July 2018", "2016-08" -> "August 2016"; anything else as it is."""
    text = (published or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    if m:
        try:
            year, month = int(m.group(1)), int(m.group(2))
            d = date(year, month, int(m.group(3) or 1))
            text = f"{d.day} {d:%B %Y}" if m.group(3) else f"{d:%B %Y}"
        except ValueError:
            pass
    if not text:
        return "date unknown"
    return f"{text} (date not stated in the article)" if note else text


def passage_markdown(hit) -> str:
    """The passage as a Markdown quote, the answering sentence in ``<mark>``."""
    s, e = hit.highlight
    paragraphs = []
    for m in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*", hit.text):
        a, b = m.start(), m.end()
        ms, me = max(a, s), min(b, e)
        if ms < me:
            para = (escape_text(hit.text[a:ms]) + "<mark>" + escape_text(hit.text[ms:me]) + "</mark>"
                    + escape_text(hit.text[me:b]))
        else:
            para = escape_text(hit.text[a:b])
        paragraphs.append(" ".join(para.split()))
    return "\n>\n".join(f"> {p}" for p in paragraphs if p)


def source_markdown(n: int, hit) -> str:
    """One numbered source: headline, then publisher · date · link · relevance, then the passage."""
    meta = [escape_text(hit.publisher or "publisher unknown"), escape_text(format_date(hit.published, hit.published_note))]
    url = safe_url(hit.url)
    if url:
        host = urlsplit(url).netloc.lower().removeprefix("www.")
        meta.append(f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
                    f"{escape_text(host)}</a>")
    meta.append(f"relevance {hit.score:.2f}")
    return (
        f"**[{n}] {escape_text(hit.title or hit.doc_id)}**  \n"
        f'<span class="qa-meta">{" · ".join(meta)}</span>\n\n'
        f"{passage_markdown(hit)}"
    )


def render_answer(answer) -> str:
    """The chat reply for an :class:`~qa.answer.Answer`: the short answer (quoted sentence
    and marker [1]) first, then the numbered sources; or an honest "not answered"."""
    parts = []
    if answer.found:
        parts.append(f'<div class="qa-short">{escape_text(answer.text)}</div>')
    else:
        parts.append(f'<div class="qa-short"><strong>{escape_text(answer.text)}</strong></div>')
    if answer.query and answer.query != answer.question:
        parts.append(f'<span class="qa-query">Read as a follow-up; searched for: '
                     f"\u201c{escape_text(answer.query)}\u201d</span>")
    if answer.citations:
        sources = "\n\n".join(source_markdown(n, hit) for n, hit in enumerate(answer.citations, start=1))
        if answer.found:
            parts.append("**Sources**\n\n" + sources)
        else:
            parts.append("<details><summary>The closest passages, none of which answers it</summary>\n\n"
                         f"{sources}\n\n</details>")
    return "\n\n".join(parts)


# --- the page: one function per tab -----------------------------------------------------

def build_app(corpus_dir=None, index_dir=None, service: ChatService | None = None):
    """The Gradio Blocks: a Chat tab (API name ``/chat``) and a Documents tab.

    The index is prepared on the first question if :meth:`ChatService.prepare` was not
    called before; :func:`serve` calls it before the server starts.
    """
    import gradio as gr

    service = service or ChatService(corpus_dir, index_dir)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat_tab(service)
            with gr.Tab("Documents", id="documents"):
                documents_tab(service, app)
            with gr.Tab("Timeline", id="timeline") as timeline:
                timeline_tab(service, app, timeline)
    return app


def chat_tab(service: ChatService):
    import gradio as gr

    def chat(message: str, history: list):
        """Answer a question about the articles. Returns Markdown: the answering sentence,
        quoted, with its marker [1], then the numbered sources with the sentence in <mark>."""
        if not isinstance(message, str):
            # Only an API client can send this; Gradio would fail on it after the answer.
            # Refused with the Python API's own message.
            raise gr.Error(str(non_text_question(message)), print_exception=False)
        yield from service.reply_steps(message, history)

    chatbot = question_as_text_chatbot()(
        label="Answers",
        height="65vh",
        min_height=420,
        latex_delimiters=[],  # "$5m and $6m" is money, not mathematics
        feedback_options=None,
        buttons=["copy"],
        elem_id="answers",
        elem_classes=["qa-chat"],
        autoscroll=False,  # SCROLL_JS keeps the latest question and the start of its answer in view
        placeholder="Ask a question about the articles, or pick an example below.",
    )
    return gr.ChatInterface(
        chat,
        chatbot=chatbot,
        textbox=question_box()(placeholder="Ask about the articles\u2026", submit_btn=True, show_label=False,
                               max_length=1000, autofocus=True, elem_id="question"),
        examples=EXAMPLES,
        api_name="chat",
        fill_height=True,
    )


def non_text_question(value) -> QuestionError:
    """The error the Python API raises for a question that is not text."""
    from ..answer.retriever import check_question

    try:
        check_question(value)
    except QuestionError as exc:
        return exc
    raise ValueError(f"{value!r} is text")  # pragma: no cover - callers pass non-text only


def question_box():
    """A Textbox that hands its value to the chat as it came: Gradio's own turns a number,
    a list or a dict from an API client into text, which would then be answered."""
    import gradio as gr

    class QuestionBox(gr.Textbox):
        def preprocess(self, payload):
            return payload

    return QuestionBox


def question_as_text_chatbot():
    """A Chatbot that shows the asker's own messages as plain text. Gradio renders every
    message as Markdown with HTML, so a question holding ``<img src=http://...>`` would make
    the browser fetch that address; answers stay Markdown (they are escaped when built).
    The text goes to the page escaped and comes back from it unescaped, so the chat
    function sees the history exactly as typed."""
    import gradio as gr
from gradio.events import Dependency

    class QuestionAsTextChatbot(gr.Chatbot):
        def postprocess(self, value):
            data = super().postprocess(value)
            for message in data.root:
                if message.role == "user":
                    for content in message.content:
                        if getattr(content, "type", None) == "text":
                            content.text = escape_text(content.text)
            return data

        def preprocess(self, payload):
            messages = super().preprocess(payload)
            for message in messages:
                if message.get("role") == "user":
                    for content in message.get("content") or []:
                        if isinstance(content, dict) and content.get("type") == "text":
                            content["text"] = html.unescape(content["text"])
            return messages

    return QuestionAsTextChatbot


def documents_tab(service: ChatService, app):
    import gradio as gr

    headers = ["Headline", "Publisher", "Published", "Passages", "File", "Link"]
    gr.Markdown(
        "Add articles as **.txt** (headline on the first line), **.md** (YAML front matter: title, "
        "publisher, published, url) or **.html**, up to 5 MB each. They are stored in the corpus "
        "folder and the index is updated in place."
    )
    files = gr.File(label="Articles to add", file_count="multiple", file_types=list(SUPPORTED_SUFFIXES),
                    type="filepath", height=150, elem_id="upload")
    with gr.Row():
        add = gr.Button("Add to the index", variant="primary", scale=0, min_width=200)
        status = gr.Markdown(elem_id="upload-status")
    table = gr.Dataframe(headers=headers, datatype="str", interactive=False, wrap=True,
                         column_widths=["30%", "17%", "10%", "8%", "15%", "20%"],
                         label="Indexed articles", elem_id="documents-table")

    def add_files(paths, progress=gr.Progress()):
        def report(done: int, total: int, stage: str) -> None:
            progress((done, total), desc=stage, unit="texts")

        progress(0, desc="checking the articles")
        try:
            message = service.add_files(paths, progress=report)
        finally:
            delete_uploaded(paths)  # stored in the corpus or refused: Gradio's copy is done with
        return message, None, service.documents()

    add.click(add_files, inputs=files, outputs=[status, files, table], api_name="add_documents",
              concurrency_limit=1)
    app.load(service.documents, outputs=table, api_visibility="undocumented")
    return table


def delete_uploaded(paths) -> None:
    """Delete Gradio's copies of uploaded files (and their folders, once empty); paths
    outside Gradio's upload folder are never touched."""
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder()).resolve()
    for name in paths or []:
        if not name:
            continue
        path = Path(name).resolve()
        if root not in path.parents or path.is_dir():
            continue
        path.unlink(missing_ok=True)
        folder = path.parent
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()  # only when empty: another upload may share it
            except OSError:
                break
            folder = folder.parent


ALL_ARTICLES = "__all__"  # the timeline filter's value for "every article"


def timeline_choices(service: ChatService) -> list[tuple[str, str]]:
    """The timeline filter's options: every article, then each one by headline and date."""
    docs = service.retriever.data.documents
    ordered = sorted(docs.items(), key=lambda item: (item[1].get("published", ""), item[0]))
    return [("All articles", ALL_ARTICLES)] + [
        (f"{meta.get('title') or doc_id} ({format_date(meta.get('published', ''))})", doc_id)
        for doc_id, meta in ordered
    ]


def timeline_html(service: ChatService, doc_id: str | None = None) -> str:
    """The timeline as an HTML list, oldest first: date, sentence with the date marked,
    source. A problem (an index to update, an unknown article) is shown, not raised."""
    from ..answer.chronology import timeline_of

    try:
        entries = timeline_of(service.retriever.data, doc_id=None if doc_id in (None, "", ALL_ARTICLES) else doc_id,
                              where=str(service.index_dir))
    except QAError as exc:
        return f'<p class="qa-timeline-error"><strong>Cannot show the timeline:</strong> {html.escape(str(exc))}</p>'
    if not entries:
        return '<p class="qa-timeline-empty">No dated sentences in these articles.</p>'
    items = []
    for e in entries:
        if e.kind == "published":
            text = f"Article published: \u201c{html.escape(e.text)}\u201d"
        else:
            text = ("\u201c" + html.escape(e.text[:e.date_start]) + "<mark>"
                    + html.escape(e.text[e.date_start:e.date_end]) + "</mark>"
                    + html.escape(e.text[e.date_end:]) + "\u201d")
        source = [f"\u201c{html.escape(e.title or e.doc_id)}\u201d", html.escape(e.publisher or "publisher unknown"),
                  html.escape(format_date(e.published, e.published_note))]
        url = safe_url(e.url)
        if url:
            host = urlsplit(url).netloc.lower().removeprefix("www.")
            source.append(f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
                          f"{html.escape(host)}</a>")
        items.append(
            f'<li class="qa-timeline-entry" data-value="{html.escape(e.value)}" data-kind="{e.kind}" '
            f'data-doc="{html.escape(e.doc_id, quote=True)}" style="margin-bottom:.9em">'
            f'<div class="qa-timeline-date"><strong>{html.escape(e.label)}</strong></div>'
            f'<div class="qa-timeline-text">{text}</div>'
            f'<div class="qa-timeline-source" style="opacity:.75;font-size:.9em">{" · ".join(source)}</div></li>'
        )
    return f'<ol class="qa-timeline" style="list-style:none;padding-left:0">{"".join(items)}</ol>'


def timeline_tab(service: ChatService, app, tab=None):
    """Every dated sentence across the articles in date order, filterable by article.
    Refreshed when the page loads and whenever the tab is opened (after an upload)."""
    import gradio as gr

    gr.Markdown(
        "Every dated sentence in the articles, oldest first, with its source. A date without a "
        "year (\u201cin May\u201d) is read against the article's publication date; \u201cabout\u201d "
        "marks a date that rests on a publication date the article does not state."
    )
    choice = gr.Dropdown(choices=[("All articles", ALL_ARTICLES)], value=ALL_ARTICLES, label="Article",
                         interactive=True, elem_id="timeline-filter")
    entries = gr.HTML(elem_id="timeline")

    def refresh(doc_id):
        choices = timeline_choices(service)
        doc_id = doc_id if doc_id in {value for _, value in choices} else ALL_ARTICLES
        return gr.Dropdown(choices=choices, value=doc_id), timeline_html(service, doc_id)

    choice.input(lambda doc_id: timeline_html(service, doc_id), inputs=choice, outputs=entries,
                 api_name="timeline")
    app.load(refresh, inputs=choice, outputs=[choice, entries], api_visibility="undocumented")
    if tab is not None:
        tab.select(refresh, inputs=choice, outputs=[choice, entries], api_visibility="undocumented")
    return entries


# --- running it -------------------------------------------------------------------------

AUTH_ENV = "QA_AUTH"


def auth_from_env(value: str | None = None) -> tuple[str, str] | None:
    """The login the app asks for, from ``QA_AUTH="user:password"``; None (no login) when unset.

    Everything after the first colon is the password, so it may contain colons itself."""
    value = os.environ.get(AUTH_ENV, "") if value is None else value
    if not value.strip():
        return None
    user, colon, password = value.partition(":")
    if not colon or not user.strip() or not password:
        raise QAError(f"{AUTH_ENV} must be user:password; set it so, or unset it to run without a login")
    return user.strip(), password


def serve(host: str = DEFAULT_HOST, port: int | None = None, corpus_dir=None, index_dir=None,
          block: bool = True):
    """Prepare the index, then start the app on ``host:port`` (``GRADIO_SERVER_PORT`` or 7860).

    Only this machine can connect unless ``host`` says otherwise; ``QA_AUTH`` adds a login."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if port is None:
        port = int(os.environ.get("GRADIO_SERVER_PORT") or DEFAULT_PORT)
    auth = auth_from_env()  # a malformed value stops the start, before any slow work
    if auth is None and host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {host} without a login; anyone who can reach it can read and add "
              f"articles. Set {AUTH_ENV}=user:password to require one.", file=sys.stderr, flush=True)
    service = ChatService(corpus_dir, index_dir)
    print(f"Preparing the index of {service.corpus_dir} in {service.index_dir} ...", flush=True)
    retriever = service.prepare()
    retriever.warm()  # load the model and read the sentences now, not on the first question
    print(f"{len(retriever.data.documents)} articles, {len(retriever.data.passages)} passages indexed", flush=True)
    app = build_app(service=service)
    app.queue(default_concurrency_limit=4)
    # Failed logins are limited per client address (Gradio's login has no limit of its own).
    middleware = [login_limit_middleware()] if auth else []
    app.launch(server_name=host, server_port=port, prevent_thread_lock=not block, show_error=True,
               max_file_size=MAX_UPLOAD_BYTES, ssr_mode=False, css=CSS, js=SCROLL_JS, theme=theme(),
               auth=auth, app_kwargs={"middleware": middleware})
    return app


def theme():
    """Gradio's default look with the system's fonts: the page loads nothing from the internet."""
    import gradio as gr

    return gr.themes.Default(font=["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
                             font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"])


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=None,
                        help=f"port (default: $GRADIO_SERVER_PORT or {DEFAULT_PORT})")
    return parser


def main(argv=None, corpus_dir=None, index_dir=None) -> int:
    """``python app.py [--host H] [--port P]``: the web chat over $QA_CORPUS_DIR / $QA_INDEX_DIR."""
    parser = add_arguments(argparse.ArgumentParser(prog="app.py", description="Start the web chat."))
    args = parser.parse_args(argv)
    try:
        serve(host=args.host, port=args.port, corpus_dir=corpus_dir, index_dir=index_dir)
    except QAError as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0