"""The web chat's page and server: three tabs (Chat, Documents, Timeline), the login, serving.

``python app.py`` or ``qa serve`` runs :func:`main`; :func:`build_app` gives the Gradio
Blocks for embedding or tests: ``build_app(service=ChatService(corpus_dir="corpus",
index_dir="index"))``. Nothing heavy happens at import: Gradio is imported and the index
prepared only when the app is built or served.
"""
from __future__ import annotations

import argparse
import html
import os
import sys

from ..chronology.timeline import timeline_of
from ..errors import QAError
from ..ingest.readers import READERS, describe_formats_with_hints
from ..store.console import build_if_missing
from .components import article_files, question_as_text_chatbot, question_box
from .login_limit import MAX_FAILURES, WINDOW_S, login_limit_middleware, trusted_proxies
from .render import format_date
from .service import ChatService
from .timeline_view import about_events, timeline_html
from .uploads import MAX_UPLOAD_BYTES, delete_uploaded

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
LOGIN_RULE = (f"After {MAX_FAILURES} failed logins within {WINDOW_S:.0f} seconds from one address, "
              "logins from it are refused until a minute has passed.")
EXAMPLES = [
    "When was the improvement notice closed?",
    "When was the improvement notice issued?",
    "What did inspectors say about care leavers?",
    "How often must the improvement board meet?",
]
TITLE = "Ask the news articles"
INTRO = (
    "Every answer is a sentence quoted from the articles, with its source. "
    "When the articles do not answer a question, or no sentence answers it surely, the reply says so. "
    "Follow-up questions (\u201cand when was it closed?\u201d) are read with the one before."
)
CSS = """
.qa-short { font-size: 1.1em; line-height: 1.5; padding: .5em .8em; border-left: 4px solid #f59e0b;
            background: var(--background-fill-primary); border-radius: 4px; }
.qa-query, .qa-meta, .qa-rebuild { color: var(--body-text-color); opacity: .75; font-size: .9em; }
.qa-chat mark { background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px; }
.qa-chat .qa-closest { text-decoration: underline dotted #9ca3af; text-underline-offset: .2em; }
.qa-chat .qa-date-note { cursor: help; border-bottom: 1px dotted currentColor; opacity: .8; font-size: .95em; }
.qa-chat blockquote { margin: .3em 0 .9em 0; }
#documents-table table * { font-family: var(--font); }
"""

# When a question or its reply appears, scroll the chat so that the question sits at the
# top: the reply opens with its answer, which Gradio's autoscroll (to the bottom) would hide.
# A blank question is stopped in the page, before Gradio adds it to the chat as an empty
# bubble (Gradio's own validator answers from the server, and its message showed only at times).
PAGE_JS = """
() => {
  const stopBlankQuestion = (event) => {
    const box = document.querySelector("#question textarea");
    if (!box || box.value.trim()) return;
    const enter = event.type === "keydown" && event.key === "Enter" && !event.shiftKey && event.target === box;
    const button = event.type === "click" && event.target.closest && event.target.closest("#question button");
    if (!enter && !button) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    box.placeholder = "Type a question about the articles first.";
  };
  document.addEventListener("keydown", stopBlankQuestion, true);
  document.addEventListener("click", stopBlankQuestion, true);
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
        quoted, with its marker [1], then the numbered sources with the sentence in <mark>.
        A notice comes first when a damaged index has to be rebuilt before answering."""
        yield from service.reply_steps(message, history)

    # Questions shown as typed, never as markup; non-text input refused (qa.web.components).
    # As tall as its messages (from a few lines up to most of the window, then it scrolls):
    # a fixed height left a blank box under the first answer.
    chatbot = question_as_text_chatbot(
        label="Answers",
        height=None,
        min_height=260,
        max_height="72vh",
        latex_delimiters=[],  # "$5m and $6m" is money, not mathematics
        feedback_options=None,
        buttons=["copy"],
        elem_id="answers",
        elem_classes=["qa-chat"],
        autoscroll=False,  # PAGE_JS keeps the latest question and the start of its answer in view
        placeholder="Ask a question about the articles, or pick an example below.",
    )
    return gr.ChatInterface(
        chat,
        chatbot=chatbot,
        textbox=question_box(label="Question", placeholder="Ask about the articles\u2026", submit_btn=True, show_label=False,
                             max_length=1000, autofocus=True, elem_id="question"),
        examples=EXAMPLES,
        api_name="chat",
        fill_height=False,
    )


def _gradio_progress(progress):
    """A build's progress callback (done, total, stage) drawn as Gradio's progress bar."""
    return lambda done, total, stage: progress((done, total), desc=stage, unit="texts")


def _article_filter(doc_id):
    """The Timeline tab's article choice as a filter: None for every article."""
    return None if doc_id in (None, "", ALL_ARTICLES) else doc_id


def documents_tab(service: ChatService, app):
    import gradio as gr

    headers = ["Headline", "Publisher", "Published", "Passages", "File", "Link"]
    gr.Markdown(
        f"Add articles as {describe_formats_with_hints()}, up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB each, "
        "or by web address. They are stored in the corpus folder and the index is updated in place. A "
        "publication date is taken only from what an article states about itself; otherwise it shows as "
        "\u201cdate unknown\u201d."
    )
    files = article_files(label="Articles to add", file_count="multiple", file_types=list(READERS), height=150,
                          elem_id="upload")
    with gr.Row():
        add = gr.Button("Add to the index", variant="primary", scale=0, min_width=200)
        status = gr.Markdown(elem_id="upload-status")
    table = gr.Dataframe(headers=headers, datatype="str", interactive=False, wrap=True,
                         column_widths=["30%", "17%", "10%", "8%", "15%", "20%"],
                         label="Indexed articles", elem_id="documents-table")

    def add_files(paths, progress=gr.Progress()):
        progress(0, desc="checking the articles")
        try:
            message = service.add_files(paths, progress=_gradio_progress(progress))
        finally:
            delete_uploaded(paths)  # stored in the corpus or refused: Gradio's copy is done with
        return message, None, service.documents()

    add.click(add_files, inputs=files, outputs=[status, files, table], api_name="add_documents",
              concurrency_limit=1)
    with gr.Row(equal_height=True):
        address = gr.Textbox(label="Web address of an article, or of a news feed (RSS or Atom)",
                             placeholder="https://", max_length=2000, scale=4, elem_id="address")
        add_page = gr.Button("Add the article", scale=0, min_width=160, elem_id="add-page")
        add_items = gr.Button("Add the feed's new items", scale=0, min_width=200, elem_id="add-feed")

    def add_from(feed: bool):
        def run(url, progress=gr.Progress()):
            progress(0, desc="fetching " + ("the feed" if feed else "the page"))
            return service.add_address(url, feed=feed, progress=_gradio_progress(progress)), service.documents()
        return run

    add_page.click(add_from(False), inputs=address, outputs=[status, table], api_name="add_address",
                   concurrency_limit=1)
    add_items.click(add_from(True), inputs=address, outputs=[status, table], api_name="add_feed",
                    concurrency_limit=1)
    app.load(service.documents, outputs=table, api_visibility="undocumented")
    return table


ALL_ARTICLES = "__all__"  # the timeline filter's value for "every article"


def timeline_choices(service: ChatService) -> list[tuple[str, str]]:
    """The timeline filter's options: every article, then each one by headline and date."""
    docs = service.retriever.data.documents
    ordered = sorted(docs.items(), key=lambda item: (item[1].published, item[0]))
    return [("All articles", ALL_ARTICLES)] + [
        (f"{document.title or doc_id} ({format_date(document.published)})", doc_id)
        for doc_id, document in ordered
    ]


def timeline_sections(service: ChatService, doc_id: str | None = None, query: str = ""):
    """The Timeline tab's three parts for its filters: the events chart (a Plotly figure, or
    None), the events list and every dated sentence (HTML), the sentences narrowed to the
    events when a query filters them. A problem is shown, not raised."""
    from .events_view import events_figure, events_html

    doc_id, query = _article_filter(doc_id), query.strip()
    try:
        entries = timeline_of(service.retriever.data, doc_id=doc_id, where=str(service.index_dir))
    except QAError as exc:
        error = f'<p class="qa-timeline-error"><strong>Cannot show the timeline:</strong> {html.escape(str(exc))}</p>'
        return None, "", error
    try:
        found = service.events(query=query or None, doc_id=doc_id)
    except QAError as exc:
        listing = f'<p class="qa-events-error"><strong>Cannot show the events:</strong> {html.escape(str(exc))}</p>'
        return None, listing, timeline_html(entries)
    if query:
        entries = about_events(entries, found)
    empty = f"No dated events about \u201c{query}\u201d." if query else "No dated events in these articles."
    sentences_empty = f"No dated sentences about \u201c{query}\u201d." if query else "No dated sentences in these articles."
    return (events_figure(found) if found else None), events_html(found, empty=empty), \
        timeline_html(entries, empty=sentences_empty)


def timeline_tab(service: ChatService, app, tab=None):
    """The happenings across the articles as a chart and a list (each with every source and
    the dates sources disagree on), then every dated sentence in date order; filtered by
    article and by what the events are about. Refreshed when the page loads and whenever the
    tab is opened (after an upload)."""
    import gradio as gr

    gr.Markdown(
        "What happened, oldest first: one entry per happening with every article that reports it, "
        "and the dates sources disagree on. Diamonds are plans. A date without a year "
        "(\u201cin May\u201d) is read against the article's publication date; \u201cabout\u201d marks a "
        "date that rests on a publication date the article does not state; an article without a "
        "publication date gives only its full dates."
    )
    with gr.Row():
        choice = gr.Dropdown(choices=[("All articles", ALL_ARTICLES)], value=ALL_ARTICLES, label="Article",
                             interactive=True, elem_id="timeline-filter", scale=2)
        query = gr.Textbox(label="About", placeholder="improvement notice", elem_id="events-query", scale=1,
                           max_length=200)
    chart = gr.Plot(label="Events", elem_id="events-chart", show_label=False)
    listing = gr.HTML(elem_id="events")
    gr.Markdown("#### Every dated sentence")
    entries = gr.HTML(elem_id="timeline")

    def show(doc_id, about):
        return timeline_sections(service, doc_id, about or "")

    def refresh(doc_id, about):
        choices = timeline_choices(service)
        doc_id = doc_id if doc_id in {value for _, value in choices} else ALL_ARTICLES
        return (gr.Dropdown(choices=choices, value=doc_id),) + show(doc_id, about)

    outputs = [chart, listing, entries]
    choice.input(show, inputs=[choice, query], outputs=outputs, api_name="timeline")
    query.submit(show, inputs=[choice, query], outputs=outputs, api_visibility="undocumented")
    app.load(refresh, inputs=[choice, query], outputs=[choice] + outputs, api_visibility="undocumented")
    if tab is not None:
        tab.select(refresh, inputs=[choice, query], outputs=[choice] + outputs, api_visibility="undocumented")
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
    # The steps of a start, said as they begin: a first start builds the index (a progress
    # bar) and loads the model, which takes a minute or two and must not look like a hang.
    print(f"[1/3] Preparing the index of {service.corpus_dir} in {service.index_dir} ...", flush=True)
    build_if_missing(service.corpus_dir, service.index_dir, say=lambda line: print(line, flush=True))
    retriever = service.prepare()
    print(f"[2/3] {len(retriever.data.documents)} articles, {len(retriever.data.passages)} passages indexed; "
          "loading the model ...", flush=True)
    retriever.warm()  # load the model and read the sentences now, not on the first question
    print("[3/3] Starting the web server ...", flush=True)
    app = build_app(service=service)
    app.queue(default_concurrency_limit=4)
    # Failed logins are limited per client address (Gradio's login has no limit of its own).
    middleware = [login_limit_middleware()] if auth else []
    # The web server (uvicorn) takes a client's address from X-Forwarded-For when the
    # connection comes from an address in FORWARDED_ALLOW_IPS, by default 127.0.0.1: any
    # program on this machine could then claim a fresh address per login. Only the
    # proxies QA_TRUSTED_PROXIES names are believed.
    os.environ["FORWARDED_ALLOW_IPS"] = trusted_proxies()
    # quiet: Gradio's own banner ends with a hint to make a public link (share=True), which
    # this app never does; the address is printed here instead.
    app.launch(server_name=host, server_port=port, prevent_thread_lock=True, show_error=True,
               max_file_size=MAX_UPLOAD_BYTES, ssr_mode=False, css=CSS, js=PAGE_JS, theme=theme(),
               auth=auth, quiet=True, app_kwargs={"middleware": middleware},
               # Gradio's login page shows nothing on a refusal (429), so the rule is stated up front.
               auth_message=LOGIN_RULE if auth else None)
    print(f"Running on {app.local_url}  (Ctrl+C stops it)", flush=True)
    if block:
        app.block_thread()
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
