"""Word-level text helpers shared by lexical ranking and sentence highlighting.

>>> content_words("When was the council's notice closed?")
['council', 'notice', 'closed']
>>> sorted(content_stems("The notices were closing."))
['close', 'notic']
>>> overlap("when was the notice closed?", "The notice closes in May.")
1.0
"""
from __future__ import annotations

import functools
import re
import threading

# Function words that carry no topic; question words are kept apart in QUESTION_WORDS.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves also it's s t""".split()
)
QUESTION_WORDS = frozenset("what when where which who whom whose why how".split())
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, possessives folded ("council's" -> "council")."""
    out = []
    for w in _WORD.findall(text.lower()):
        if w.endswith(("'s", "’s")):
            w = w[:-2]
        out.append(w.replace("’", "'"))
    return out


def content_words(text: str) -> list[str]:
    """Words that carry topic: no stopwords, no question words."""
    return list(_content_words(text))


# Ranking scores every sentence of ~200 candidate passages against each question, and the
# same passage sentences come back question after question: their words are worked out
# once (a few ms per question saved from tens). Keys are whole texts, so the caches are
# bounded: 65,536 sentences is ~20 MB.
@functools.lru_cache(maxsize=65536)
def _content_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in words(text) if w not in STOPWORDS and w not in QUESTION_WORDS)


def content_stems(text: str) -> frozenset[str]:
    """The stems of the content words of ``text`` (what :func:`overlap` compares)."""
    return _content_stems(text)


@functools.lru_cache(maxsize=65536)
def _content_stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in _content_words(text))


_STEMMER = threading.local()  # a PyStemmer object is not safe to share between threads


def stemmer():
    """This thread's Snowball English stemmer (PyStemmer), made on first use; BM25
    (:mod:`qa.store.lexical`) and the word overlap below stem with the same one."""
    value = getattr(_STEMMER, "value", None)
    if value is None:
        import Stemmer

        value = _STEMMER.value = Stemmer.Stemmer("english")
    return value


@functools.lru_cache(maxsize=65536)  # a vocabulary, not a text: most words come back
def stem(word: str) -> str:
    """The Snowball English stem of ``word``: "closed", "closing", "closes" -> "close"."""
    return stemmer().stemWord(word)


def overlap(question: str, sentence: str) -> float:
    """Share of the question's content words (stemmed) that appear in ``sentence``, 0..1."""
    q = _content_stems(question)
    if not q:
        return 0.0
    return len(q & _content_stems(sentence)) / len(q)
