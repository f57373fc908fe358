"""What kind of answer a question asks for (a date, a number, an amount), and whether a
sentence gives one.

"When was the notice closed?" is answered by a sentence that carries a date, "how many
visits?" by one with a number, "how much did it cost?" by one with an amount. Sentence
choice prefers such sentences, and an answer whose passage has none is no answer.

>>> asked_kind("When was the improvement notice closed?"), asked_kind("How often must the board meet?")
('date', 'number')
>>> gives_kind("number", "The board must meet at least every four weeks.")
True
"""
from __future__ import annotations

import functools
import re
from typing import Iterable

KINDS = ("date", "number", "amount")

_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_DATE = re.compile(rf"\b(?:{_MONTH}|(?:19|20)\d\d|last (?:year|month|week)|yesterday|today|{_WEEKDAY})\b", re.I)
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                 r"hundred|thousand|million|billion|dozen|half|quarter|third|once|twice")
_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b|\bper ?cent\b", re.I)
_MONEY = re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:pounds|pence|dollars|euros|million|billion|bn|m|k)\b", re.I)

# "when" opens the question (maybe after "and", "but"...); elsewhere it is a conjunction
# ("what happens when a child goes missing?") and asks for no date.
_WHEN = re.compile(
    r"^(?:(?:and|but|so|then|also|ok|okay)\b[\s,]*)?when\b|\b(?:since|until|till) when\b"
    r"|\b(?:what|which|in what|in which|on what|on which) (?:date|day|month|year|time|week)\b|\bhow long ago\b",
    re.I,
)
_AMOUNT = re.compile(r"\bhow much\b|\bwhat (?:did|does|will|would) (?:it|that|this|they) cost\b", re.I)
_COUNT = re.compile(
    r"\bhow (?:many|often|old|long|far|frequently)\b"
    r"|\bwhat (?:proportion|percentage|share|fraction|number|age|ages)\b|\bat what age\b",
    re.I,
)
# "What is the population / budget / salary of ...": a quantity asked for by its name.
_QUANTITY_NOUN = re.compile(
    r"\bwhat (?:is|was|are|were|will be) (?:the |its |their |his |her )?(?:\w+ )?"
    r"(?:population|budget|cost|price|salary|wage|pay|income|revenue|spending|size|total|amount|figure|"
    r"percentage|proportion|number|age|height|length|distance|score|value)\b",
    re.I,
)
_MONEY_NOUN = re.compile(r"\b(?:budget|cost|price|salary|wage|pay|income|revenue|spending|value)\b", re.I)
# Years and dates are not counts: "since August 2016" does not say how many schools.
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d(?:s)?\b")
# A question about what is yet to happen, and a sentence that speaks of the future.
_FUTURE_QUESTION = re.compile(r"\bwill\b|\bgoing to\b|\bnext\b|\bin future\b|\bin the future\b|\bupcoming\b", re.I)
_FUTURE_SENTENCE = re.compile(
    r"\bwill\b|\bwould\b|\bshall\b|\bgoing to\b|\bnext\b|\bfuture\b|\bexpected\b|\bplan(?:s|ned)?\b"
    r"|\bdue to\b|\bto be\b|\bmust\b|\bahead\b|\bfrom (?:now|next)\b|\bupcoming\b|\bsoon\b",
    re.I,
)


def is_when_question(question: str) -> bool:
    """Whether ``question`` asks for a date: "when ...", "what date / which year ...", "how long ago"."""
    return bool(_WHEN.search(question.strip()))


@functools.lru_cache(maxsize=1024)  # asked once per candidate passage while ranking
def asked_kind(question: str) -> str | None:
    """``"date"``, ``"amount"`` (how much), ``"number"`` (how many, how often, how old...) or None."""
    if is_when_question(question):
        return "date"
    if _AMOUNT.search(question):
        return "amount"
    if _COUNT.search(question):
        return "number"
    quantity = _QUANTITY_NOUN.search(question)
    if quantity:
        return "amount" if _MONEY_NOUN.search(quantity.group()) else "number"
    return None


def asks_about_future(question: str) -> bool:
    """Whether ``question`` asks what will happen ("when will ...", "what happens next")."""
    return bool(_FUTURE_QUESTION.search(question))


_PRESENT_QUESTION = re.compile(r"\b(?:still|now|currently|current|latest|at present|these days|this time|any more|anymore)\b",
                               re.I)


def asks_about_present(question: str) -> bool:
    """Whether ``question`` asks how things stand now ("are ... still rated inadequate?",
    "what grade did it get this time?"): the newest article on the subject answers it.

    >>> asks_about_present("Are Wandsworth's children's services still rated inadequate?")
    True
    >>> asks_about_present("When was the notice issued?")
    False
    """
    return bool(_PRESENT_QUESTION.search(question))


def speaks_of_future(sentence: str) -> bool:
    """Whether ``sentence`` states a plan, a requirement or an expectation (will, must, plans...)."""
    return bool(_FUTURE_SENTENCE.search(sentence))


def gives_kind(kind: str | None, sentence: str, dates: Iterable = ()) -> bool:
    """Whether ``sentence`` holds an answer of ``kind``. ``dates`` are date mentions already
    found in it (from :mod:`qa.ingest.dates`); any one of them answers a "when" question. A number
    or an amount must be more than a year: "in 2016" says when, not how many."""
    if kind is None:
        return False
    if kind == "date":
        return bool(list(dates)) or bool(_DATE.search(sentence))
    if _MONEY.search(sentence):
        return True
    return bool(_NUMBER.search(_YEAR.sub(" ", sentence)))
