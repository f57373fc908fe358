"""The type of answer a question asks for, and whether a sentence holds evidence of that
type: one of the signals the answer model weighs (:mod:`qa.answer.answer_model`).

Types: ``person`` (who is the head ..., which councillor ...), ``recipient`` (who received
...: a person or an organisation), ``agent`` (who did ...: a person or an organisation, not
one named only as receiving something), ``organisation`` (which council / charity / body ...),
``place`` (where ...), ``vote`` (how did they vote ...: a tally or a decision), ``rating``
(what grade ...), ``money`` (how much did it cost, how much was spent ...),
``percentage`` (what share, what proportion, by how much did it rise ...), ``count`` (how
many ...), ``date`` (when, which year ...), ``duration`` (how long ...). A question
of none of these (why, how, what did they say ...) has type None and no evidence is asked.

The patterns are written from how English questions ask for each type, never from the
words of one question of a development set; ``qa eval DIR`` measures what they give.

>>> asked_type("How many employees quit?"), gives_type("count", "Eight members of staff have left.")
('count', True)
>>> asked_type("Who is the head of the school?"), gives_type("person", "The council met on Tuesday.")
('person', False)
>>> asked_type("Who replaced the director?"), gives_type("agent", "The council replaced her.")
('agent', True)
"""
from __future__ import annotations

import functools
import re

from ..ingest.dates import MONTH_ABBREVIATIONS, MONTH_NAMES, WEEKDAYS

TYPES = ("person", "recipient", "agent", "organisation", "place", "money", "percentage", "count", "date",
         "duration", "vote", "rating")

_I = re.I
_LEAD = r"^(?:(?:and|but|so|then|also|ok|okay)\b[\s,]*)?"
_ORG_NOUNS = (r"charity|charities|council|councils|authority|authorities|company|companies|firm|firms|"
              r"organisation|organisations|organization|body|bodies|group|groups|committee|committees|"
              r"union|unions|party|parties|department|departments|agency|agencies|watchdog|regulator|"
              r"contractor|provider|trust|trusts|government|club|clubs|school|schools|team")
_PERSON_NOUNS = (r"person|people|man|woman|official|officer|minister|spokesperson|spokesman|spokeswoman|"
                 r"leader|head|headteacher|chief|chair|chairman|chairwoman|director|councillor|mp|mayor|"
                 r"inspector|executive|manager|member|teacher")
_PLACE_NOUNS = r"town|towns|city|cities|village|villages|area|areas|county|counties|region|country|place|places|site|sites|location|locations"

_QUESTION_TYPES = [
    ("date", re.compile(
        _LEAD + r"when\b|\b(?:since|until|till|by) when\b"
        r"|\b(?:what|which|in what|in which|on what|on which|by what|by which|from what|from which) "
        r"(?:date|day|month|year|time|week)\b|\bhow long ago\b", _I)),
    ("duration", re.compile(r"\bhow long\b|\bfor how many (?:years|months|weeks|days|hours)\b", _I)),
    ("percentage", re.compile(
        r"\bwhat (?:share|proportion|percentage|fraction|per ?cent)\b|\bby what (?:share|proportion|percentage)\b"
        r"|\bhow much of\b|\bwhat part of\b|\bby how much\b.*\b(?:rise|rising|raise|increase|fall|drop|cut|grow|put up)\b"
        r"|\bhow big a (?:rise|cut|increase|share)\b", _I)),
    ("money", re.compile(
        r"\bhow much (?:money|cash|funding)\b|\bhow much (?:\w+ )*?(?:cost|costs|spent|spend|spending|pay|paid|"
        r"raise|raised|owe|owed|save|saved|earn|earned|charge|charged|fund|funded|compensation|budget)\b"
        r"|\bwhat (?:did|does|will|would) (?:it|that|this|they) cost\b"
        r"|\bwhat (?:would|will|does|did|do) (?:a |an |the )?(?:[\w'’]+ ){0,6}(?:pay|cost|charge)\b(?! for)"
        r"|\bhow (?:large|big|much) (?:is|was|are|were) (?:the |its |their )?(?:[\w'’]+ ){0,3}"
        r"(?:deficit|budget|gap|overspend|debt|bill|shortfall|fine|cost|price)\b"
        r"|\bhow much\b(?! of\b)", _I)),
    # "How did councillors vote on the rise?": a result (a tally, approved, rejected...), not the rise itself.
    ("vote", re.compile(r"\bhow (?:did|do|does|will|would) (?:[\w’'-]+ ){1,4}vote\b"
                        r"|\bwhat was the (?:outcome|result) of the vote\b", _I)),
    # "What grade did the inspectors give?": a rating ("requires improvement", rated 'Good').
    ("rating", re.compile(r"\b(?:what|which) (?:\w+ )?(?:grade|grades|rating|ratings|verdict)\b", _I)),
    ("count", re.compile(
        r"\bhow many\b|\bin how many\b|\bwhat (?:number|score|total|count)\b"
        r"|\bhow often\b|\bhow old\b|\bat what age\b", _I)),
    ("person", re.compile(
        _LEAD + r"who (?:is|was|are|were|will be) (?:the|its|their|his|her|[\w’']+['’]s) (?:\w+ )?(?:" + _PERSON_NOUNS + r")\b"
        r"|\b(?:which|what) (?:\w+ )?(?:" + _PERSON_NOUNS + r")s?\b", _I)),
    # "Who received the award?": a person or an organisation, the one something came to.
    ("recipient", re.compile(_LEAD + r"who (?:has |have |had |will |would )?(?:received|receives|receive|got|gets|"
                             r"faces|faced|face|was given|was sent|was handed|was served)\b", _I)),
    # "Who made the challenge?": a person or an organisation, not the one it came to.
    ("agent", re.compile(_LEAD + r"who\b|\bwhom\b|\bwhose\b", _I)),
    # "Which of the threatened schools ...?" asks for one of them.
    # "Which of the two schools ...?" asks for one of them.
    ("organisation", re.compile(r"\b(?:which|what) (?:of the (?:[\w’'-]+ ){0,3})?(?:\w+ )?(?:" + _ORG_NOUNS + r")\b",
                                _I)),
    ("place", re.compile(_LEAD + r"where\b|\b(?:which|what) (?:" + _PLACE_NOUNS + r")\b|\bin which (?:part|area)\b", _I)),
]

_MONTH = "(?:" + "|".join(MONTH_NAMES + MONTH_ABBREVIATIONS) + ")"
_WEEKDAY = "(?:" + "|".join(WEEKDAYS) + ")"
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                 r"hundred|thousand|million|billion|dozen|dozens|hundreds|thousands|millions|half|quarter|third|"
                 r"once|twice")
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d(?:/\d\d)?s?\b")
_EVIDENCE = {
    "date": re.compile(rf"\b(?:{_MONTH}|(?:19|20)\d\d|last (?:year|month|week)|next (?:year|month|week)|yesterday|"
                       rf"today|tomorrow|{_WEEKDAY}|this (?:year|month|week)|earlier this)\b", _I),
    "duration": re.compile(rf"\b(?:\d[\d,.]*|{_NUMBER_WORDS}|a|an|several|many)\s+(?:more\s+)?"
                           r"(?:years?|months?|weeks?|days?|hours?|decades?)\b|\bsince\b", _I),
    "money": re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:pounds|pence|p|dollars|euros|bn|m|k)\b"
                        r"|\b(?:million|billion|thousand) (?:pounds|dollars|euros)\b", _I),
    "percentage": re.compile(rf"\d\s?%|\bper ?cent\b|\bpercent\b|\b(?:\d+|{_NUMBER_WORDS}) (?:in|out of|of) "
                             rf"(?:every )?(?:\d+|{_NUMBER_WORDS})\b|\b(?:half|third|quarter|fifth|tenth)s?\b", _I),
    "count": re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", _I),
    # A person: a title, or two capitalised words in a row that are not an organisation's name.
    "person": re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Cllr|Councillor|Sir|Dame|Lord|Lady|Professor|Prof)\.?\s+[A-Z]"
                         r"|\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?\s+(?:[A-Z]\.\s+)?(?:Mc|Mac|O['’]|De|Di|Le|La)?[A-Z][a-z]{2,}"
                         r"(?:-[A-Z][a-z]+)?\b"
                         r"|\b(?:he|she|him|her)\b"),
    "organisation": re.compile(r"\b[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*)*\s+(?:Council|Association|Agency|Trust|"
                               r"Commission|Ombudsman|Committee|Department|Ltd|plc|Group|Union|Party|"
                               r"Services|Authority|Board|Office|School|Academy|College|University)\b"
                               r"|\b[A-Z]{2,}\b|\b(?i:council|councils|charity|committee|"
                               r"watchdog|government|ministers|cabinet|authority)\b"),
    "vote": re.compile(r"\bvot(?:e|ed|es|ing)\b|\b(?:approved|backed|rejected|agreed|passed|turned down|threw out|"
                       r"thrown out|endorsed|unanimous|unanimously|majority|abstained|in favour)\b"
                       r"|\b\d+\s*(?:to|-|–)\s*\d+\b", _I),
    "rating": re.compile(r"\b(?:rated|rating|ratings|graded|grade|grades|judged|inadequate|requires? improvement|"
                         r"outstanding|satisfactory|stars?)\b|[‘'\"“](?:good|poor|excellent|weak)[’'\"”]", _I),
    # A place is named: "in Falmouth", "at the Town Hall"; "wants to cut" names none.
    "place": re.compile(r"\b(?:in|at|into|from|near|outside|across)\s+(?:the\s+)?[A-Z][a-z]+"),
}
_MONEY_SPAN = re.compile(r"[£$€]\s?\d[\d,.]*(?:\s?(?:m|bn|k|million|billion|thousand)\b)?"
                         r"|\b\d[\d,.]*\s?(?:pounds|pence|dollars|euros)\b", _I)
_PERCENT_SPAN = re.compile(r"\b\d[\d,.]*\s?(?:%|per ?cent\b|percent\b)", _I)
_DAY_SPAN = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s+(?:and|to|-|–)\s+\d{{1,2}}(?:st|nd|rd|th)?)?\s+{_MONTH}\b"
                       rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:\s+(?:and|to|-|–)\s+\d{{1,2}}(?:st|nd|rd|th)?)?\b", _I)
# Someone named as the one a thing came to: "the authority received ...", "Riverton Council faces ...".
_RECEIVER = re.compile(r"(?:\b(?:[Tt]he|[Aa]n?|[Ii]ts|[Tt]heir)\s+)?\b[\w'’-]+(?:\s+[A-Z][\w'’-]*)*\s+"
                       r"(?:has\s+|have\s+|had\s+)?(?:received|receives|faces|faced|was served|were served|"
                       r"was handed|were handed|was sent|were sent|was given|were given)\b")
_ORGANISATION_WORDS = frozenset(
    "council county city borough school primary academy college university association agency trust "
    "commission ombudsman committee department services authority board office government ministry "
    "local news post times guardian children street road lane".split())


@functools.lru_cache(maxsize=4096)
def asked_type(question: str) -> str | None:
    """The first type in :data:`TYPES` order of precedence that the question asks for, or None."""
    q = question.strip()
    for name, pattern in _QUESTION_TYPES:
        if pattern.search(q):
            return name
    return None


def gives_type(kind: str | None, sentence: str) -> bool:
    """Whether ``sentence`` holds evidence of an answer of type ``kind`` (None: True)."""
    if kind is None:
        return True
    if kind == "count":
        # A count is a number that is not a year, a day of a month, an amount of money or a percentage.
        rest = _MONEY_SPAN.sub(" ", sentence)
        rest = _PERCENT_SPAN.sub(" ", rest)
        rest = _DAY_SPAN.sub(" ", rest)
        return bool(_EVIDENCE["count"].search(_YEAR.sub(" ", rest)))
    if kind == "recipient":
        return gives_type("person", sentence) or gives_type("organisation", sentence)
    if kind == "agent":
        # "The authority received a formal challenge" does not say who made it.
        rest = _RECEIVER.sub(" ", sentence)
        return gives_type("person", rest) or gives_type("organisation", rest)
    if kind == "person":
        for m in _EVIDENCE["person"].finditer(sentence):
            text = m.group()
            if text[0].islower() or any(w in _ORGANISATION_WORDS for w in text.lower().split()):
                continue
            if m.start() == 0 and " " in text:  # a sentence's first word is capitalised anyway
                first, second = text.split()[0], text.split()[-1]
                if first.lower() in _ORGANISATION_WORDS or second.lower() in _ORGANISATION_WORDS:
                    continue
            return True
        # A person named by a singular role: "the DfE will appoint an independent chairman".
        return bool(re.search(r"\b(?:a|an|the|its|their)\s+(?:\w+\s+)?(?:headteacher|head teacher|leader|"
                              r"spokesperson|spokesman|spokeswoman|director|chief executive|councillor|minister|"
                              r"mayor|chair|chairman|chairwoman|commissioner|chief)\b(?!s)", sentence, _I))
    return bool(_EVIDENCE[kind].search(sentence))


def is_when_question(question: str) -> bool:
    """Whether ``question`` asks for a date ("when ...", "what date / which year ...", "how long ago").

    >>> is_when_question("And when was it closed?"), is_when_question("What happens when a child goes missing?")
    (True, False)
    """
    return asked_type(question) == "date"
