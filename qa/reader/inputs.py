"""What the reader reads: the question as the first text, and the candidate sentence with
its article's headline after it as the second, then (for a reader trained with context)
the sentence before it in its article. The second text is truncated from the end, so a
long sentence loses the sentence before it first, then the headline. Training and
answering build pairs with this one function.

>>> pair_text("Notice closed", "The notice was closed in May.")
'The notice was closed in May. [SEP] Notice closed'
>>> pair_text("Notice closed", "It was closed in May.", "Ofsted issued a notice in 2016.")
'It was closed in May. [SEP] Notice closed [SEP] Ofsted issued a notice in 2016.'
"""
from __future__ import annotations

MAX_TITLE_CHARS = 120


def pair_text(title: str, sentence: str, previous: str = "") -> str:
    """The second text of a reader pair: the sentence, then its article's headline, then
    the sentence before it (empty: none, or a reader trained without context)."""
    title = " ".join(str(title or "").split())[:MAX_TITLE_CHARS]
    sentence = " ".join(sentence.split())
    previous = " ".join(str(previous or "").split())
    text = f"{sentence} [SEP] {title}" if title else sentence
    return f"{text} [SEP] {previous}" if previous else text
