"""The chat's reply as Markdown: the quoted answer, then numbered sources with the answering
sentence marked. Every article-derived string is escaped before it enters the page, so
markup inside a document is shown as text and never runs.

>>> escape_text("<b>*bold*</b>")
'&lt;b&gt;&#42;bold&#42;&lt;/b&gt;'
>>> format_date("2018-07-23")
'23 July 2018'
"""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from ..answer.compose import stated_date_note
from ..ingest import dates


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


def literal_markdown(text: str) -> str:
    """``text`` as Markdown that shows exactly these characters: every character but
    letters, digits, spaces and line breaks becomes an entity, so no syntax, HTML tag or
    bare link (``http://...``, ``www.``) can form. For text from the person asking."""
    return "".join(c if c.isalnum() or c in " \n" else f"&#{ord(c)};" for c in str(text))


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


def external_link(url: str, label: str) -> str:
    """An anchor that opens ``url`` (checked by :func:`safe_url`) in a new tab; ``label`` is
    markup already escaped for where it goes."""
    return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{label}</a>'


def marked_html(text: str, start: int, end: int) -> str:
    """``text`` as HTML with ``text[start:end]`` in ``<mark>``."""
    return f"{html.escape(text[:start])}<mark>{html.escape(text[start:end])}</mark>{html.escape(text[end:])}"


def format_date(published: str, note: str = "") -> str:
    """ "2018-07-23" -> "23 July 2018", "2016-08" -> "August 2016" (:func:`qa.ingest.dates.format_date`);
    "date unknown" when there is none."""
    text = (published or "").strip()
    if not text:
        return "date unknown"
    text = dates.format_date(text)
    return f"{text} (date not stated in the article)" if note else text


# The sentence of a source that is the answer, highlighted; a source's closest sentence
# when it is not the answer, shown quietly (qa.web.app.CSS styles both).
ANSWER_OPEN, ANSWER_CLOSE = "<mark>", "</mark>"
CLOSEST_OPEN = '<span class="qa-closest" title="the closest sentence in this source; not the answer">'
CLOSEST_CLOSE = "</span>"


def passage_markdown(hit, answers: bool = True) -> str:
    """The passage as a Markdown quote, its chosen sentence in ``<mark>`` when it is the
    answer (``answers``), else in a quieter ``<span class="qa-closest">``."""
    s, e = hit.highlight
    opening, closing = (ANSWER_OPEN, ANSWER_CLOSE) if answers else (CLOSEST_OPEN, CLOSEST_CLOSE)
    paragraphs = []
    for m in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*", hit.text):
        a, b = m.start(), m.end()
        ms, me = max(a, s), min(b, e)
        if ms < me:
            para = (escape_text(hit.text[a:ms]) + opening + escape_text(hit.text[ms:me]) + closing
                    + escape_text(hit.text[me:b]))
        else:
            para = escape_text(hit.text[a:b])
        paragraphs.append(" ".join(para.split()))
    return "\n>\n".join(f"> {p}" for p in paragraphs if p)


def source_markdown(n: int, hit, answers: bool = True) -> str:
    """One numbered source: headline, then publisher · author · date · page · link · relevance,
    the syndicated copies ("also in: ..."), then the passage, its sentence marked as the
    answer only when it is (``answers``)."""
    meta = [escape_text(hit.publisher or "publisher unknown")]
    if hit.author:
        meta.append(f"by {escape_text(hit.author)}")
    meta.append(escape_text(format_date(hit.published, hit.published_note)))
    if hit.page is not None:
        meta.append(f"p. {int(hit.page)}")
    url = safe_url(hit.url)
    if url:
        meta.append(_link(url))
    meta.append(f"relevance {hit.relevance:.2f}")
    also = ""
    if hit.also_published:
        copies = []
        for copy in hit.also_published:
            name = escape_text(copy.publisher or copy.title or "another publisher")
            link = safe_url(copy.url)
            if link:
                name = external_link(link, name)
            copies.append(f"{name} ({escape_text(format_date(copy.published))})")
        also = f'  \n<span class="qa-meta qa-also">also in: {"; ".join(copies)}</span>'
    return (
        f"**[{n}] {escape_text(hit.title or hit.doc_id)}**  \n"
        f'<span class="qa-meta">{" · ".join(meta)}</span>{also}\n\n'
        f"{passage_markdown(hit, answers)}"
    )


def _link(url: str) -> str:
    host = urlsplit(url).netloc.lower().removeprefix("www.")
    return external_link(url, escape_text(host))


def short_answer_markdown(answer) -> str:
    """The short answer with its marker "[1]" as written (a plain-Markdown reader sees
    "[1]", not "&#91;1&#93;") and everything from the article escaped. A date note ("—
    reported 23 Jul 2018") says whose date it is when hovered (its title)."""
    quoted = f"\u201c{answer.citations[0].highlight_text}\u201d [1]" if answer.citations else None
    if quoted is None or not answer.text.startswith(quoted):
        return escape_text(answer.text)
    sentence = escape_text(answer.citations[0].highlight_text)
    rest = answer.text[len(quoted):]
    note = stated_date_note(answer)
    if note is not None and rest == f" \u2014 {note.short}":
        rest_html = (f' <span class="qa-date-note" title="{html.escape(note.detail, quote=True)}">'
                     f"\u2014 {escape_text(note.short)}</span>")
    else:
        rest_html = escape_text(rest)
    return f"\u201c{sentence}\u201d [1]{rest_html}"


def render_answer(answer) -> str:
    """The chat reply for an :class:`~qa.answer.compose.Answer`: the short answer (quoted sentence
    and marker [1]) first, then the numbered sources; or an honest "not answered" or "no sure
    answer", the closest passages folded away (for the latter, with how sure the first is)."""
    parts = []
    if answer.found:
        parts.append(f'<div class="qa-short">{short_answer_markdown(answer)}</div>')
    else:
        parts.append(f'<div class="qa-short"><strong>{escape_text(answer.text)}</strong></div>')
    if answer.query and answer.query != answer.question:
        # The asker's own words (with the earlier topic): shown as typed, never as a link.
        parts.append(f'<span class="qa-query">Read as a follow-up; searched for: '
                     f"\u201c{literal_markdown(answer.query)}\u201d</span>")
    if answer.citations:
        sources = "\n\n".join(source_markdown(n, hit, answers=answer.found and _same_sentence(hit, answer.citations[0]))
                                for n, hit in enumerate(answer.citations, start=1))
        if answer.found:
            parts.append("**Sources**\n\n" + sources)
        else:
            # Folded away either way; when only the probability fell short, the fold says how sure the first is.
            why = (f"the first answers with probability {answer.confidence:.2f}, too low to quote"
                   if answer.unsure else "none answers clearly enough to quote")
            parts.append(f"<details><summary>The closest passages ({why})</summary>\n\n{sources}\n\n</details>")
    return "\n\n".join(parts)


def _same_sentence(hit, answering) -> bool:
    """Whether ``hit``'s chosen sentence is the answer's: the same words (the same sentence
    in an overlapping passage, or in a copy of the article)."""
    return " ".join(hit.highlight_text.split()) == " ".join(answering.highlight_text.split())
