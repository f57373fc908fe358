"""Splitting an article body into sentences and overlapping passages, keeping offsets.

A passage is a run of whole sentences; its text is exactly ``body[start:end]``, so a
citation can point at the very characters of the article.
"""
from __future__ import annotations

import re

from ..records import Passage

# Words that end with a full stop without ending a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "rev", "gen", "col", "lt", "sgt", "capt",
    "cllr", "hon", "gov", "sen", "rep", "inc", "ltd", "co", "corp", "plc", "vs", "etc", "no",
    "nos", "fig", "al", "approx", "dept", "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "e.g", "i.e", "u.s", "u.k", "a.m", "p.m",
}
# A candidate end: . ! ? (or …), closing quotes/brackets, then white space.
_END = re.compile(r"([.!?…]+)([\"'”’)\]]*)(\s+)")
_OPENER = re.compile(r"[\"'“‘(\[]*[A-Z0-9£$€]")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence in ``text``; a paragraph break always ends one."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
        p_start, chunk = para.start(), para.group()
        cursor = 0
        for m in _END.finditer(chunk):
            cut = m.end(2)
            if not _OPENER.match(chunk, m.end()):
                continue
            if m.group(1) == ".":
                word = re.search(r"([\w.]+)$", chunk[cursor:m.start(1)])
                token = word.group(1).lower() if word else ""
                if token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token):
                    continue
            _append(spans, chunk, p_start, cursor, cut)
            cursor = m.end()
        _append(spans, chunk, p_start, cursor, len(chunk))
    return spans


def _append(spans, chunk, offset, start, end):
    piece = chunk[start:end]
    lead = len(piece) - len(piece.lstrip())
    trail = len(piece) - len(piece.rstrip())
    if piece.strip():
        spans.append((offset + start + lead, offset + end - trail))


def in_quotation(text: str, sentences: list[tuple[int, int]]) -> list[bool]:
    """For each sentence of ``text``, whether it starts inside a quotation opened in an
    earlier sentence of its paragraph: the second sentence of
    ``"It is poor. It is worse practice."`` does. Straight quotes open and close in turn,
    curly ones say which they are; every paragraph starts outside (news opens each paragraph
    of a long quotation with a quote mark of its own).

    >>> text = '"It is poor. It is worse practice." The council agreed.'
    >>> in_quotation(text, split_sentences(text))
    [False, True, False]
    """
    inside, open_quote, previous_end = [], False, 0
    for start, end in sentences:
        if text.count("\n", previous_end, start) >= 2:
            open_quote = False  # a new paragraph
        inside.append(open_quote)
        for char in text[start:end]:
            if char == "\u201c":
                open_quote = True
            elif char == "\u201d":
                open_quote = False
            elif char == '"':
                open_quote = not open_quote
        previous_end = end
    return inside


def split_passages(
    doc_id: str,
    body: str,
    max_words: int = 90,
    max_sentences: int = 4,
    overlap: int = 1,
    start_in_quotation: bool = False,
) -> list[Passage]:
    """Group sentences into passages of up to ``max_words`` words, overlapping by ``overlap``
    sentences so that an answer lying across a boundary is whole in one passage. The
    passages have no vector-store id, sentence rows or dates yet: the build gives them.

    A sentence longer than ``max_words`` becomes a passage of its own; no sentence is cut.
    Unless ``start_in_quotation``, a passage does not start inside a quotation begun in the
    sentence before (it would open with words no one seems to say, and end on a stray
    closing quote, ``practice."``): it starts where the quotation opens, overlapping more, or
    else just after it closes, when either is within the sentences it may start at.
    """
    if max_words < 1 or max_sentences < 1 or overlap < 0:
        raise ValueError("max_words and max_sentences must be positive and overlap not negative")
    sentences = split_sentences(body)
    inside = [False] * len(sentences) if start_in_quotation else in_quotation(body, sentences)
    words = [len(body[s:e].split()) for s, e in sentences]
    passages: list[Passage] = []
    i = 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and j - i < max_sentences and (j == i or total + words[j] <= max_words):
            total += words[j]
            j += 1
        start, end = sentences[i][0], sentences[j - 1][1]
        passages.append(
            Passage(
                passage_id=f"{doc_id}#p{len(passages)}",
                doc_id=doc_id,
                text=body[start:end],
                start=start,
                end=end,
                sentences=[(s - start, e - start) for s, e in sentences[i:j]],
            )
        )
        if j >= len(sentences):
            break
        # Step forward, keeping ``overlap`` sentences, but always advancing by at least one,
        # and never to a start inside a quotation that an earlier start or sentence j avoids.
        i = _next_start(max(j - overlap, i + 1), i, j, inside)
    return passages


def _next_start(preferred: int, previous: int, limit: int, inside: list[bool]) -> int:
    """The next passage's first sentence: ``preferred`` unless it is inside a quotation, then
    the latest sentence after ``previous`` that is not, else the first up to ``limit`` (the
    first sentence not yet in a passage) that is not, else ``preferred``."""
    if not inside[preferred]:
        return preferred
    earlier = [k for k in range(preferred - 1, previous, -1) if not inside[k]]
    later = [k for k in range(preferred + 1, limit + 1) if not inside[k]]
    return (earlier or later or [preferred])[0]


def split_paged_passages(doc_id: str, body: str, pages: list[tuple[int, int]], **splitter) -> list[Passage]:
    """:func:`split_passages` page by page: ``pages`` are the (start, end) of each page in
    ``body``, page 1 first. No passage runs across a page break, so each cites one page;
    offsets stay offsets into the whole ``body`` and ids run on across pages."""
    passages: list[Passage] = []
    for number, (page_start, page_end) in enumerate(pages, start=1):
        for p in split_passages(doc_id, body[page_start:page_end], **splitter):
            passages.append(Passage(
                passage_id=f"{doc_id}#p{len(passages)}", doc_id=doc_id, text=p.text,
                start=page_start + p.start, end=page_start + p.end, sentences=p.sentences, page=number,
            ))
    return passages
