"""Whose fact a sentence gives: the part of a sentence about the subject the question names.

News packs parallel subjects into one sentence: "Glasgow has drawn up plans to cut 800
posts, while Edinburgh has said all options are being looked at and Midlothian has
published proposals to lose 174 teachers." The sentence names Edinburgh and gives a count,
but not Edinburgh's count. So when a sentence splits into clauses (at ";", ", while",
", whereas", ", but", ", and", or "and" before a capitalised word) and the question's names
are in some clauses but another clause names something else, the answer the question asks
for must be in the clauses that hold its names (:func:`subject_span`). A sentence that does
not name the question's subject at all ("the council said ...") is left whole: news names its
subject once and then says "the council".

>>> s = "Riverton will cut 80 posts, while Kingsport has said all options are open."
>>> start, end = subject_span(s, ["Kingsport"])
>>> s[start:end]
'Kingsport has said all options are open.'
>>> subject_span(s, ["Riverton"])
(0, 26)
>>> subject_span("The council will cut 80 posts.", ["Riverton"])
(0, 30)
"""
from __future__ import annotations

import re

from ..text import STOPWORDS, content_words

# Where a sentence turns to a parallel subject. "and" alone joins too much ("cleaning drains
# and fixing street lighting"), so it counts only before a capitalised word or after a comma.
_CLAUSE_BREAK = re.compile(r";\s*|,\s+(?:while|whereas|but|and|although)\s+|\s+(?:and|while|whereas)\s+(?=[A-Z])")
MIN_CLAUSE_WORDS = 4
_NAME = re.compile(r"(?<![\w’'])[A-Z][\w’'-]*")


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I) is not None


def clauses(sentence: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each clause of ``sentence``, in order (the whole sentence when it has one)."""
    spans, start = [], 0
    for m in _CLAUSE_BREAK.finditer(sentence):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    # A short part is the end of a list ("after Birmingham and Croydon LBC"), not a clause.
    merged = [spans[0]]
    for s, e in spans[1:]:
        if len(sentence[s:e].split()) < MIN_CLAUSE_WORDS:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _other_names(clause: str, names: list[str], opens_sentence: bool) -> list[str]:
    """Capitalised words of ``clause`` other than ``names`` (the sentence's first word only
    when it is not a common word: "The", "In" are capitalised whatever follows)."""
    found = []
    for m in _NAME.finditer(clause):
        word = re.sub(r"['’]s$", "", m.group())
        if opens_sentence and m.start() == 0 and (word.lower() in STOPWORDS or not content_words(word)):
            continue
        if any(_mentions(word, n) or _mentions(n, word) for n in names):
            continue
        found.append(word)
    return found


def subject_span(sentence: str, names: list[str]) -> tuple[int, int]:
    """``(start, end)`` of the part of ``sentence`` about the subject the question names: from
    the first to the last clause holding one of ``names``, when another clause names something
    else; else the whole sentence."""
    whole = (0, len(sentence))
    if not names:
        return whole
    spans = clauses(sentence)
    if len(spans) < 2:
        return whole
    holding = [i for i, (s, e) in enumerate(spans) if any(_mentions(sentence[s:e], n) for n in names)]
    if not holding or len(holding) == len(spans):
        return whole
    if not any(_other_names(sentence[s:e], names, opens_sentence=s == 0)
               for i, (s, e) in enumerate(spans) if i not in holding):
        return whole
    return spans[holding[0]][0], spans[holding[-1]][1]
