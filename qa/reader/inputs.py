"""What the reader reads: the question as the first text, and the candidate sentence with
its article's headline after it as the second (truncated from the end, so a long sentence
loses the headline first). Training and answering build pairs with this one function.

>>> pair_text("Notice closed", "The notice was closed in May.")
'The notice was closed in May. [SEP] Notice closed'
"""
from __future__ import annotations

MAX_TITLE_CHARS = 120


def pair_text(title: str, sentence: str) -> str:
    """The second text of a reader pair: the sentence, then its article's headline."""
    title = " ".join(str(title or "").split())[:MAX_TITLE_CHARS]
    sentence = " ".join(sentence.split())
    return f"{sentence} [SEP] {title}" if title else sentence
