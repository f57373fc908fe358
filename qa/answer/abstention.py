"""Whether the passages found answer the question, or the documents do not say.

Retrieval always returns something; a quoted sentence is only an answer when there is
evidence for it. The best hit's answering sentence must pass four checks, in order:

1. **names** — every name in the question (a capitalised word after its first word)
   appears in the passages found: no passage mentioning Lambeth answers "How did
   Lambeth's children's services do?";
2. **kind** — a question that asks for a date, a number or an amount
   (:mod:`qa.answer.answer_kind`) is answered by a sentence that gives one;
3. **tense** — a question about the future ("when will ...") is answered by a sentence
   that speaks of it (will, must, plans, expected...), not by a report of the past;
4. **support** — the hit's ``support`` (the sentence's cosine with the question plus half
   the share of the question's content words it holds) is at least :data:`MIN_SUPPORT`.

:data:`MIN_SUPPORT` is calibrated on the development questions
(``tests/data/dev_questions.jsonl``): it lies halfway between the best-scoring question the
articles cannot answer that checks 1-3 let through and the worst-scoring answerable one.
``docs/quality.md`` has the figures and the held-out checks.

>>> from qa.answer.hits import Hit
>>> from qa.records import Source
>>> hit = Hit("a#p0", "a", "Inspectors visited Kingsport in May.", 0.5, Source(), 0, 36, (0, 36), support=0.52)
>>> abstain_reason("Who visited Kingsport?", [hit])
'support 0.52 < 0.57'
>>> abstain_reason("Who visited Riverton?", [hit])
'the passages found do not mention Riverton'
"""
from __future__ import annotations

import re
from typing import Sequence

from .answer_kind import asked_kind, asks_about_future, gives_kind, speaks_of_future

# Calibrated on the development questions with all-MiniLM-L6-v2 (sentence vectors embedded
# sentence by sentence) and Snowball stems for the shared words: the best unanswerable
# question left by checks 1-3 has support 0.525, the worst answerable one 0.609 (the same
# with the earlier hand-written stemmer). `qa eval tests/data/dev_questions.jsonl` prints both.
MIN_SUPPORT = 0.57

_PUNCTUATION = "?!.,;:()[]\"“”‘’'"


def question_names(question: str) -> list[str]:
    """Capitalised words after the first, possessives dropped: the names a question is about.

    >>> question_names("How did Lambeth's services do in the last Ofsted inspection?")
    ['Lambeth', 'Ofsted']
    """
    names = []
    for token in question.split()[1:]:
        word = re.sub(r"['’]s$", "", token.strip(_PUNCTUATION))
        if len(word) > 1 and word[0].isupper():
            names.append(word)
    return names


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", text) is not None


def abstain_reason(question: str, hits: Sequence, min_support: float = MIN_SUPPORT) -> str | None:
    """Why the best of ``hits`` does not answer ``question``; None when it does."""
    if not hits:
        return "nothing found"
    top = hits[0]
    texts = " ".join(h.text.lower().replace("’", "'") for h in hits)
    missing = [name for name in question_names(question) if not _mentions(texts, name.replace("’", "'"))]
    if missing:
        return f"the passages found do not mention {', '.join(missing)}"
    start, end = top.highlight
    sentence = top.text[start:end]
    kind = asked_kind(question)
    if kind:
        dates = [d for d in getattr(top, "dates", []) or [] if start <= d.get("start", -1) < end]
        if not gives_kind(kind, sentence, dates):
            return f"the question asks for a{'n' if kind == 'amount' else ''} {kind} and the best sentence gives none"
    if asks_about_future(question) and not speaks_of_future(sentence):
        return "the question asks about the future and the best sentence reports the past"
    if top.support < min_support:
        return f"support {top.support:.2f} < {min_support:.2f}"
    return None


def is_answered(question: str, hits: Sequence, min_support: float = MIN_SUPPORT) -> bool:
    """True when the best hit answers ``question`` (see :func:`abstain_reason`)."""
    return abstain_reason(question, hits, min_support) is None
