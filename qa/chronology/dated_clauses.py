"""The dated clauses of the indexed articles: what each says happened, when, and about whom.

A dated sentence gives one clause per date it dates a happening with ("a visit in May ...
since inspectors graded them inadequate in December 2015" gives two). Each clause is a
:class:`Statement`: its :class:`Citation` (the article, the sentence, the date mention, the
passage), the days its date may cover, the kinds of happening it reports (:data:`EVENT_KINDS`),
the names it and its article give, its content words, and its sentence's vector row.

>>> kinds_of("rated inadequate in January 2016")
frozenset({'rated'})
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from ..ingest import dates
from ..records import Citation, DateMention, Passage, Source
from ..text import content_stems, stem


# Kinds of happening, each with the word stems that report it. Two sentences can only be the
# same happening when they share a kind: "inspected in December" and "closed in December" are
# two things that happened in the same month.
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "inspected": ("inspect", "inspection", "inspector", "visit", "audit"),
    "rated": ("rate", "rat", "grade", "grad", "judg", "judgement", "deem", "brand", "rule", "rul",
              "verdict", "score"),
    "issued": ("issu", "given", "impos", "notice", "notic", "serv"),
    "closed": ("close", "clos", "lift", "remov", "withdrawn", "withdraw", "shut", "scrap"),
    "published": ("publish", "releas", "issu"),
    "met": ("meet", "met", "conven"),
    "opened": ("open", "reopen", "launch", "unveil"),
    "appointed": ("appoint", "hire", "hir", "elect"),
    "resigned": ("resign", "quit", "sack", "stood"),
    "decided": ("approv", "vote", "vot", "agre", "decid", "decis", "reject"),
    "announced": ("announc", "declar", "confirm"),
    "changed": ("cut", "rais", "rise", "rose", "increas", "fell", "reduc", "doubl"),
    "legal": ("charg", "arrest", "sentenc", "convict", "fine", "sue", "trial", "jail"),
    "built": ("build", "built", "construct", "complet", "demolish"),
    "died": ("die", "death", "kill", "dead"),
}
_KIND_OF_STEM: dict[str, set[str]] = {}
for _kind, _stems in EVENT_KINDS.items():
    for _stem in _stems:
        _KIND_OF_STEM.setdefault(_stem, set()).add(_kind)

_NAME = re.compile(r"\b[A-Z][\w&'’-]+(?:\s+(?:of\s+|for\s+)?[A-Z][\w&'’-]+)*")
_NOT_NAMES = frozenset(dates.MONTH_NAMES) | frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday The A An It In On At But And "
    "He She They We This That These Those Following After Before Since When While Its Their "
    "Council Mr Mrs Ms Dr Cllr Councillor".split())
# Relations that still date the happening itself ("subject to a notice since August 2016":
# the notice began then); "before May", "by 2020", "until June" do not.
_DATING_RELATIONS = ("", "since", "from")
# A clause about an earlier happening of the same kind: "when it was last inspected in 2012",
# "its previous inspection". It is not the happening the other reports are about.
_EARLIER = re.compile(r"\b(?:previous|prior|earlier|last\s+(?:inspected|visited|rated|judged|inspection|visit))\b",
                      re.IGNORECASE)
# What joins two dates into one span: "in November and December", "from May to July".
_SPAN_JOIN = re.compile(r"^\s*(?:and|to|until|till|through|-|\u2013)\s*$")
# Where one clause of a sentence ends and the next begins, between two dates.
_CLAUSE_BREAK = re.compile(r"(?:,|;|\bsince\b|\bafter\b|\bfollowing\b|\bwhen\b|\bbut\b|\bwhile\b|"
                           r"\bwhich\b|\bbefore\b|\bthen\b)", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")


def kinds_of(text: str) -> frozenset[str]:
    """The kinds of happening a clause reports: "rated inadequate in January 2016" -> {"rated"}.
    Words are compared as stems, whole: "services" is not "served"."""
    found: set[str] = set()
    for word in _WORD.findall(text.lower()):
        found |= _KIND_OF_STEM.get(stem(word), set())
    return frozenset(found)


def names_in(text: str, common: frozenset[str] | set[str] | None = None) -> frozenset[str]:
    """Proper names in a clause, lower-cased: "Wandsworth Council" -> {"wandsworth"}. Months,
    weekdays and a sentence's capitalised first word that is also written in lower case
    (in ``common``, by default the words of ``text``: "Children's services ...") are not."""
    if common is None:
        common = lower_case_words(text)
    names = set()
    for match in _NAME.finditer(text):
        words = match.group().split()
        if (match.start() == 0 or _SENTENCE_START.search(text, 0, match.start())) and \
                re.sub(r"['’]s?$", "", words[0].lower()) in common:
            words = words[1:]
        for word in words:
            word = word.strip("'’-")
            if word and word[0].isupper() and word not in _NOT_NAMES and word.lower() not in ("of", "for"):
                names.add(re.sub(r"['’]s?$", "", word.lower()))
    return frozenset(names)


def lower_case_words(text: str) -> frozenset[str]:
    return frozenset(re.sub(r"['’]s?$", "", w) for w in re.findall(r"\b[a-z][\w'’]*", text))


_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*)[\"“‘'(]?\s*$")


@dataclass
class Statement:
    """One dated clause: what the grouping compares. ``row`` is its sentence's vector in the
    index; ``first``/``last`` the days its date may cover."""

    citation: Citation
    clause: str
    value: str
    precision: str
    first: Any
    last: Any
    future: bool
    kinds: frozenset[str]
    names: frozenset[str]
    stems: frozenset[str]
    row: int
    earlier: bool = False  # about an earlier happening of its kind ("last inspected in 2012")
    subject: frozenset[str] = frozenset()  # the clause's names and its article's

    @property
    def doc_id(self) -> str:
        return self.citation.doc_id

    @property
    def width(self) -> int:
        return (self.last - self.first).days


def statements_of(data, doc_id: str | None = None) -> list[Statement]:
    """Every dated clause in the index (or in one article), once: passages overlap by a
    sentence, so the same sentence is met twice."""
    out: list[Statement] = []
    seen: set[tuple[str, int]] = set()
    # Each article's names: who a clause is about when it says only "the council"; and its
    # lower-case words, which tell a name from a capitalised first word ("Children's ...").
    texts = _article_texts(data)
    article_words = {doc_id: lower_case_words(text) for doc_id, text in texts.items()}
    article_names = {doc_id: names_in(text, article_words[doc_id]) for doc_id, text in texts.items()}
    for passage in data.passages:
        if doc_id is not None and passage.doc_id != doc_id:
            continue
        source = data.documents[passage.doc_id].source
        for (s, e), row in zip(passage.sentences, passage.sentence_rows):
            key = (passage.doc_id, passage.start + s)
            if key in seen:
                continue
            inside = [d for d in passage.dates if s <= d.start and d.end <= e]
            if not inside:
                continue
            seen.add(key)
            sentence = passage.text[s:e]
            for mentions, clause in _dated_clauses(sentence, [d.shifted(s) for d in inside]):
                statement = _statement(source, passage, key, sentence, e - s, mentions, clause, row,
                                       article_words.get(passage.doc_id, frozenset()))
                statement.subject = statement.names | article_names.get(passage.doc_id, frozenset())
                out.append(statement)
    return out


def _article_texts(data) -> dict[str, str]:
    texts: dict[str, list[str]] = {doc_id: [document.title] for doc_id, document in data.documents.items()}
    for passage in data.passages:
        texts.setdefault(passage.doc_id, []).append(passage.text)
    return {doc_id: " ".join(parts) for doc_id, parts in texts.items()}


def _dated_clauses(sentence: str, mentions: list[DateMention]) -> list[tuple[list[DateMention], str]]:
    """The sentence's dates that date a happening, each with its clause. A date that only
    qualifies another ("November and December last year": "last year") is dropped; dates
    joined by "and"/"to" make one span; a sentence with two separate dates gives two clauses,
    split at the last clause break between them ("a visit in May ... since inspectors graded
    them inadequate in December 2015")."""
    usable = [d for d in mentions if d.relation in _DATING_RELATIONS]

    def period(d: DateMention):
        return dates.parse_period(d.value)

    kept = []
    for d in usable:
        p = period(d)
        if p is None:
            continue
        finer = [o for o in usable if o is not d and (po := period(o)) and po.first >= p.first and po.last <= p.last
                 and (po.last - po.first) < (p.last - p.first)]
        if not finer:
            kept.append(d)
    kept.sort(key=lambda d: d.start)
    groups: list[list[DateMention]] = []
    for d in kept:
        if groups and _SPAN_JOIN.match(sentence[groups[-1][-1].end:d.start]):
            groups[-1].append(d)
        else:
            groups.append([d])
    bounds = [0]
    for left, right in zip(groups, groups[1:]):
        gap_start, gap_end = left[-1].end, right[0].start
        breaks = list(_CLAUSE_BREAK.finditer(sentence, gap_start, gap_end))
        bounds.append(breaks[-1].start() if breaks else (gap_start + gap_end) // 2)
    bounds.append(len(sentence))
    return [(group, sentence[bounds[i]:bounds[i + 1]]) for i, group in enumerate(groups)]


def _statement(source: Source, passage: Passage, key, sentence: str, length: int, mentions: list[DateMention],
               clause: str, row: int, common: frozenset[str] = frozenset()) -> Statement:
    periods = [dates.parse_period(d.value) for d in mentions]
    first, last = min(p.first for p in periods), max(p.last for p in periods)
    if len(mentions) == 1:
        mention = mentions[0]
        value, precision = periods[0].value, periods[0].precision
    else:  # a span: "in November and December" is 2015-11/2015-12
        value = f"{periods[0].value}/{periods[-1].value}"
        precision = max((p.precision for p in periods), key=lambda x: dates._RANK[x])
        mention = replace(mentions[0], text=sentence[mentions[0].start:mentions[-1].end], end=mentions[-1].end,
                          value=value, precision=precision, relative=any(m.relative for m in mentions),
                          approximate=any(m.approximate for m in mentions), future=any(m.future for m in mentions))
    citation = Citation(source=source, sentence=sentence, date=mention, passage_id=passage.passage_id,
                        doc_id=passage.doc_id, start=key[1], end=key[1] + length)
    words_only = clause
    for m in mentions:  # the date's own words are not what the clause is about
        words_only = words_only.replace(m.text, " ")
    return Statement(
        citation=citation, clause=clause, value=value, precision=precision, first=first, last=last,
        future=any(m.future for m in mentions), kinds=kinds_of(words_only),
        names=names_in(words_only, common | lower_case_words(words_only)), stems=frozenset(content_stems(words_only)),
        row=int(row), earlier=bool(_EARLIER.search(clause)),
    )
