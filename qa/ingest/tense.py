"""Whether a sentence speaks of a date as still to come: the tense that decides which way a
date without a year, or a bare weekday, is read from the article's publication date.

News reports what has happened, so "confirmed on Wednesday" in the paper of Thursday 14
March 2024 is the Wednesday before, 13 March. A plan points forward: "the board will meet
on Wednesday" is 20 March. A future word earlier in the sentence only makes a plan of the
date when the date belongs to its clause; in "The library will close, the town council
confirmed on Wednesday" the date belongs to "confirmed", which is past.

>>> said_as_plan("The board will meet on Wednesday.", 26, 35)
True
>>> said_as_plan("The library will close, the town council confirmed on Wednesday.", 55, 64)
False
"""
from __future__ import annotations

import re

# Words that put what a sentence says after the article: "the board will meet on August 25",
# "a decision is due in March". Read before the date, within its sentence.
_FUTURE_BEFORE = re.compile(
    r"\b(?:will|shall|is\s+(?:due|set|expected|scheduled|planned|going)\s+to|are\s+(?:due|set|expected|"
    r"scheduled|planned|going)\s+to|(?:is|are)\s+due|plans?\s+to|planning\s+to|intends?\s+to|"
    r"scheduled\s+for|planned\s+for|due\s+(?:on|in|by))\b", re.IGNORECASE)
# A date that opens its sentence, then a future word: "On August 25 the board will meet".
_FUTURE_AFTER = re.compile(r"^[^.!?\n,]{0,40}?\b(?:will|shall|is\s+due|are\s+due)\b", re.IGNORECASE)
_SENTENCE_ENDS = (". ", "? ", "! ", "\n")

# A finite verb in the past between a future word and the date: the date belongs to it.
# "was", "were", "had", "did" are past wherever they stand ("..., it was announced on Monday").
_PAST_AUXILIARY = re.compile(r"\b(?:was|were|had|did)\b", re.IGNORECASE)
# Otherwise a past verb that opens a clause of its own: after a comma or a conjunction and
# at most six words of subject ("..., the town council confirmed on", "after the board voted on").
_CLAUSE_OPENER = re.compile(
    r"[,;:\u2014\u2013]|\b(?:after|when|since|because|as|that|who|which|and|but|once|before)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
_SUBJECT_WORDS = 6
_IRREGULAR_PAST = frozenset(
    "said told met made gave took held led spoke wrote began left sent found saw came went got heard paid "
    "sold bought brought thought felt kept knew lost won ran stood understood".split())
# Words ending in -ed that are not verbs.
_NOT_VERBS = frozenset("hundred speed breed indeed greed creed embed".split())
# After these a participle is not a past verb of its own: "will be confirmed on Monday",
# "has been approved", "the revised plan".
_NOT_FINITE_AFTER = frozenset("and be been being have has is are will would shall should to the a an its their".split())


def said_as_plan(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]``, a date, is spoken of as still to come: a future word
    before it in its sentence whose clause it belongs to ("the board will meet on August
    25"), or one just after a date that opens the sentence ("On August 25 the board will
    meet")."""
    sentence_start = max(text.rfind(end_mark, 0, start) for end_mark in _SENTENCE_ENDS) + 1
    before = text[sentence_start:start][-90:]
    plans = list(_FUTURE_BEFORE.finditer(before))
    if plans:
        return not _past_clause_between(before[plans[-1].end():])
    opens_sentence = len(text[sentence_start:start].strip()) <= len("On the ")
    return opens_sentence and bool(_FUTURE_AFTER.match(text[end:end + 60]))


def _past_clause_between(words: str) -> bool:
    """Whether ``words`` (from a future word up to a date) hold a past verb of their own,
    so that the date belongs to it and not to the plan."""
    if _PAST_AUXILIARY.search(words):
        return True
    for opener in _CLAUSE_OPENER.finditer(words):
        # A subject comes first ("..., the council confirmed"), except in "as agreed on Monday";
        # a participle right after "and" is more often an adjective ("and proposed changes").
        previous = "" if opener.group().lower() == "as" else "and"
        for word in _WORD.findall(words[opener.end():])[:_SUBJECT_WORDS + 1]:
            word = word.lower()
            if _is_past_verb(word) and previous not in _NOT_FINITE_AFTER:
                return True
            previous = word
    return False


def _is_past_verb(word: str) -> bool:
    return word in _IRREGULAR_PAST or (word.endswith("ed") and len(word) > 4 and word not in _NOT_VERBS)
