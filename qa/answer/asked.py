"""What a question asks, read once: the names it is about (and its years), the other
words the answering sentence should hold, and the type of answer it wants. Ranking and
abstention read this one record (:class:`Asked`).

A question's **names** say which article it is about. A capitalised word after the first is
a name, unless the articles that might answer write it in lower case ("What did Boris
Johnson Say About It?": "say" is not a name there; "About" and "It" never are); a word the
question writes in lower case is a name when those articles write it capitalised in the
middle of a sentence ("how did heckmondwike primary do?"). Without articles to look at,
capitalisation alone decides.

>>> asked = read_question("When was the improvement notice for Wandsworth closed in 2018?")
>>> asked.names, asked.years, sorted(asked.words), asked.answer_type
(('Wandsworth',), ('2018',), ['close', 'improv', 'notic'], 'date')
>>> read_question("What did Boris Johnson Say About It?", lambda w: w.lower() != "say").names
('Boris', 'Johnson')
>>> read_question("how did heckmondwike primary do?", lambda w: True if w == "heckmondwike" else None).names
('heckmondwike',)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..text import QUESTION_WORDS, STOPWORDS, content_stems, stem, words
from .answer_type import asked_type

_PUNCTUATION = "?!.,;:()[]\"“”‘’'"
# A question about how things stand now: "are ... still rated inadequate?", "what grade did
# it get this time?", "who is the current head?".
_PRESENT = re.compile(r"\b(?:still|now|currently|current|latest|at present|these days|this time|any more|anymore)\b",
                      re.I)
_YEAR = re.compile(r"(?:19|20)\d\d")
_HOW = re.compile(r"\bhow\s+(\w+)", re.I)

# How the articles write a word: True as a name, False as a common word, None not at all.
WrittenAs = Callable[[str], "bool | None"]


@dataclass(frozen=True)
class Asked:
    """``names`` as the question writes them, ``years`` it names, ``words`` the stems of its
    other content words (not the word after "how", which marks the type of answer: "how
    much", "how long"), ``answer_type`` (:func:`qa.answer.answer_type.asked_type`),
    ``about_now`` whether it asks how things stand now."""

    text: str
    names: tuple[str, ...]
    years: tuple[str, ...]
    words: frozenset[str]
    answer_type: str | None
    about_now: bool = False

    @property
    def context_names(self) -> tuple[str, ...]:
        """The names and years: what the answering article must mention."""
        return self.names + self.years

    @property
    def name_stems(self) -> frozenset[str]:
        return frozenset(stem(w) for name in self.context_names for w in words(name))


def read_question(question: str, written_as: WrittenAs | None = None) -> Asked:
    """The :class:`Asked` of ``question``; ``written_as`` tells how the articles write a word."""
    names, years = [], []
    for i, token in enumerate(question.split()):
        word = re.sub(r"['’]s$", "", token.strip(_PUNCTUATION))
        if not word:
            continue
        if _YEAR.fullmatch(word):
            years.append(word)
            continue
        lower = word.lower()
        if len(word) < 2 or lower in STOPWORDS or lower in QUESTION_WORDS or not word[0].isalpha():
            continue
        seen = written_as(word) if written_as else None
        if i == 0 or not word[0].isupper():  # the first word is capitalised anyway
            if seen is True:
                names.append(word)
        elif seen is not False:
            names.append(word)
    name_stems = frozenset(stem(w) for name in names + years for w in words(name))
    asked_words = content_stems(question) - name_stems - content_stems(" ".join(_HOW.findall(question)))
    return Asked(question, tuple(names), tuple(years), asked_words, asked_type(question),
                 bool(_PRESENT.search(question)))
