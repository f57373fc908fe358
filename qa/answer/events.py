"""Events across articles: one entry per happening, with every source, disagreements shown.

The sentence timeline (:mod:`qa.chronology`) lists each dated sentence; eight reports of one
story then show the same inspection four times in different words. Here the dated sentences
that say the same thing about the same subject become one :class:`Event`: sentences whose
dates agree are its ``sources``, and sentences that say the same thing with a date that cannot
be the same (January 2016 against February 2016) are its ``conflicts``, each with its sources.

>>> import qa
>>> for event in qa.events(index_dir="index", query="improvement notice"):  # doctest: +SKIP
...     print(event.label, event.tense, event.text)
...     print("   ", event.sources_line())
...     if event.conflicts:
...         print("   ", event.conflicts_line())

Two sentences are the same happening (:func:`same_thing`) when they share a kind of event
(inspected, rated, issued, closed, published, met ...; :data:`EVENT_KINDS`) and their sentence
vectors, content words and names are close enough (:class:`Thresholds`, chosen on labelled
pairs: ``python -m qa.evaluate.events``). Dates are compatible when their periods overlap:
"2015" and "December 2015" are, "January 2016" and "February 2016" are not.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..errors import QAError
from ..ingest import dates
from ..records import DateMention, Passage, Source
from ..text import content_stems, stem

# --- records ------------------------------------------------------------------------------


def short_publisher(source: Source) -> str:
    """The name readers use: "CYP Now" for "Children & Young People Now (CYP Now)"."""
    short = re.search(r"\(([^()]+)\)\s*$", source.publisher)
    return short.group(1).strip() if short else source.publisher


def byline(source: Source) -> str:
    """Publisher and publication date as a source line: "CYP Now, 23 July 2018",
    "Your Local Guardian, July 2018", "Porthaven Residents, date not known"."""
    period = dates.parse_period(source.published)
    when = dates.format_date(period.value) if period else "date not known"
    return ", ".join(p for p in (short_publisher(source) or source.title, when) if p)


@dataclass(frozen=True)
class Citation:
    """One sentence that dates a happening: where it comes from, the sentence itself, and the
    date mention it gives (offsets within ``sentence``)."""

    source: Source
    sentence: str
    date: DateMention
    passage_id: str
    doc_id: str
    start: int  # the sentence's offsets in the article body
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DateClaim:
    """A date some sources give for a happening, with those sources."""

    value: str
    label: str
    sources: list[Citation] = field(default_factory=list)

    def publishers(self) -> str:
        """ "Your Local Guardian" or "CYP Now, SW Londoner": who gives this date."""
        return ", ".join(_unique(short_publisher(c.source) or c.doc_id for c in self.sources))


@dataclass
class Event:
    """One happening. ``value`` is ISO at the precision the sources allow (``2016-08-11``,
    ``2015-12``, ``2016-W31``, ``2015``); ``label`` the same for people ("about 11 August
    2016"); ``text`` the clearest sentence that reports it; ``tense`` "past", or "future" for
    a plan ("will meet on August 25"). ``sources`` agree on the date, oldest report first;
    ``conflicts`` are the other dates other sources give for the same happening."""

    value: str
    label: str
    text: str
    tense: str
    kinds: tuple[str, ...]
    sources: list[Citation]
    conflicts: list[DateClaim] = field(default_factory=list)

    @property
    def planned(self) -> bool:
        return self.tense == "future"

    def publishers(self) -> list[str]:
        return _unique(short_publisher(c.source) or c.doc_id for c in self.sources)

    def sources_line(self) -> str:
        """ "CYP Now, 23 July 2018 · Your Local Guardian, July 2018": each article once."""
        return " \u00b7 ".join(_unique(byline(c.source) for c in self.sources))

    def conflicts_line(self) -> str:
        """ "sources disagree: December 2015 (CYP Now) · January 2016 (Your Local Guardian)",
        this event's own date first; "" when the sources agree."""
        if not self.conflicts:
            return ""
        claims = [DateClaim(self.value, self.label, self.sources)] + self.conflicts
        return "sources disagree: " + " \u00b7 ".join(f"{c.label} ({c.publishers()})" for c in claims)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sources_line"], d["conflicts_line"] = self.sources_line(), self.conflicts_line()
        return d


# --- what a sentence says happened --------------------------------------------------------

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
_NOT_NAMES = frozenset(dates._MONTH_NAMES) | frozenset(
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
        source = Source.from_metadata(data.documents.get(passage.doc_id, {}))
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
    texts: dict[str, list[str]] = {doc_id: [meta.get("title", "")] for doc_id, meta in data.documents.items()}
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


# --- are two statements the same happening? ------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """How alike two clauses must be to report the same happening: ``score`` is
    ``vector * cosine + words * shared content words + names * shared names`` (both
    Jaccard), and must reach ``same``. Chosen on labelled pairs (``python -m
    qa.evaluate_events``); see docs/timeline.md for the figures."""

    vector: float = 1.0
    words: float = 1.0
    names: float = 0.5
    same: float = 0.625
    # Reports that disagree about a date disagree by weeks or months; two inspections years
    # apart are two inspections. Days between the two periods beyond which dates that cannot
    # agree mean two happenings rather than a conflict.
    conflict_gap_days: int = 120


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class PairFeatures:
    cosine: float
    words: float
    names: float
    shared_kinds: frozenset[str]

    def score(self, t: Thresholds) -> float:
        return t.vector * self.cosine + t.words * self.words + t.names * self.names


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def name_weights(statements: list[Statement]) -> dict[str, float]:
    """How much sharing a name says: a name in every article of a story (the inspectorate in a
    story about inspections) says little, a name in few (one county) a lot: inverse document
    frequency over the articles the statements come from."""
    docs: dict[str, frozenset[str]] = {}
    for s in statements:
        docs[s.doc_id] = docs.get(s.doc_id, frozenset()) | s.subject
    n = max(len(docs), 1)
    counts: dict[str, int] = {}
    for names in docs.values():
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return {name: float(np.log(1 + n / c)) for name, c in counts.items()}


def _weighted_overlap(a: frozenset, b: frozenset, weights: dict[str, float]) -> float:
    """Shared names over the names of the one with fewer (by weight): a short report that
    names only the council and the inspectorate is about the same subject as a long one that names
    twenty people besides."""
    smaller = min(sum(weights.get(x, 1.0) for x in a), sum(weights.get(x, 1.0) for x in b))
    return sum(weights.get(x, 1.0) for x in a & b) / smaller if smaller else 0.0


def gap_days(a: Statement, b: Statement) -> int:
    """Days between two dates' periods; 0 when they overlap."""
    return max((b.first - a.last).days, (a.first - b.last).days, 0)


def pair_features(a: Statement, b: Statement, vectors: np.ndarray,
                  weights: dict[str, float] | None = None) -> PairFeatures:
    cosine = float(vectors[a.row] @ vectors[b.row]) if len(vectors) else 0.0
    names = _weighted_overlap(a.subject or a.names, b.subject or b.names, weights or {})
    return PairFeatures(cosine=cosine, words=_jaccard(a.stems, b.stems), names=names,
                        shared_kinds=a.kinds & b.kinds)


def compatible(a: Statement, b: Statement) -> bool:
    """Whether the two dates can be the same happening's: their periods overlap."""
    return a.first <= b.last and b.first <= a.last


def same_thing(a: Statement, b: Statement, features: PairFeatures,
               thresholds: Thresholds = DEFAULT_THRESHOLDS) -> bool:
    """Whether two clauses report the same happening, whatever their dates say. Within one
    article, two dates that cannot agree are two happenings: an article does not contradict
    itself about when, it reports two visits."""
    if not features.shared_kinds or a.future != b.future or a.earlier != b.earlier:
        return False
    if not compatible(a, b) and (a.doc_id == b.doc_id or gap_days(a, b) > thresholds.conflict_gap_days):
        return False
    if a.doc_id == b.doc_id and a.citation.start == b.citation.start:
        return False
    return features.score(thresholds) >= thresholds.same


# --- grouping --------------------------------------------------------------------------------


NEIGHBOURS = 64  # candidate partners per clause, by sentence-vector cosine


def candidate_pairs(statements: list[Statement], vectors: np.ndarray,
                    neighbours: int = NEIGHBOURS) -> list[tuple[int, int]]:
    """The pairs worth scoring, ``(i, j)`` with ``i < j``: clauses sharing a kind of event,
    each with its ``neighbours`` closest by sentence vector. Every pair of a small corpus;
    a large one (thousands of dated clauses) would otherwise take minutes of pure Python."""
    n = len(statements)
    if n <= neighbours + 1 or not len(vectors):
        return [(i, j) for i in range(n) for j in range(i + 1, n) if statements[i].kinds & statements[j].kinds]
    rows = vectors[[s.row for s in statements]]
    found: set[tuple[int, int]] = set()
    for start in range(0, n, 1024):
        block = rows[start:start + 1024] @ rows.T
        nearest = np.argpartition(-block, neighbours, axis=1)[:, :neighbours + 1]
        for offset, partners in enumerate(nearest):
            i = start + offset
            for j in map(int, partners):
                if i != j and statements[i].kinds & statements[j].kinds:
                    found.add((min(i, j), max(i, j)))
    return sorted(found)


def group_statements(statements: list[Statement], vectors: np.ndarray,
                     thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[list[int]]:
    """Statements in groups, one per happening. Pairs are merged best first, and two groups
    only when most of their cross pairs are the same thing: one loose link does not chain
    unrelated happenings together."""
    n = len(statements)
    same: set[tuple[int, int]] = set()
    pairs = []
    weights = name_weights(statements)
    for i, j in candidate_pairs(statements, vectors):
        a, b = statements[i], statements[j]
        features = pair_features(a, b, vectors, weights)
        if same_thing(a, b, features, thresholds):
            same.add((i, j))
            same.add((j, i))
            pairs.append((features.score(thresholds), i, j))
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    for _, i, j in sorted(pairs, reverse=True):
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        left, right = members[gi], members[gj]
        agreeing = sum((x, y) in same for x in left for y in right)
        blocked = any(statements[x].doc_id == statements[y].doc_id and not compatible(statements[x], statements[y])
                      for x in left for y in right)
        if blocked or agreeing * 2 < len(left) * len(right):
            continue
        members[gi] = left + right
        for k in right:
            group_of[k] = gi
        del members[gj]
    return list(members.values())


def event_of(group: list[Statement], vectors: np.ndarray) -> Event:
    """One happening from its statements: the date most publishers agree on is the event's,
    each other date that cannot agree with it is a conflict."""
    claims: list[list[Statement]] = []
    for s in sorted(group, key=lambda s: (s.width, s.first)):  # the most precise dates first
        fits = [c for c in claims if all(compatible(s, o) for o in c)]
        if fits:
            max(fits, key=lambda c: (len({o.citation.source.publisher for o in c}), len(c))).append(s)
        else:
            claims.append([s])
    claims.sort(key=lambda c: (-len({o.citation.source.publisher for o in c}), -len(c), c[0].first))
    main, others = claims[0], claims[1:]
    value = main[0].value  # the narrowest date those sources give
    rows = [s.row for s in group]
    centre = vectors[rows].mean(axis=0) if len(vectors) else None
    clearest = min(main, key=lambda s: (
        dates._RANK[s.precision] if "/" not in s.value else 1,  # the most precise date
        len(s.clause.strip()) < len(s.citation.sentence.strip()),  # a sentence about this alone
        s.citation.date.approximate,
        -(float(vectors[s.row] @ centre) if centre is not None else 0.0), len(s.citation.sentence)))
    kinds = sorted(set.intersection(*(set(s.kinds) for s in group)) or set().union(*(s.kinds for s in group)))
    return Event(
        value=value,
        label=_label(value, approximate=all(s.citation.date.approximate for s in main)),
        text=clearest.citation.sentence,
        tense="future" if sum(s.future for s in main) * 2 > len(main) else "past",
        kinds=tuple(kinds),
        sources=_citations(main),
        conflicts=[DateClaim(c[0].value, _label(c[0].value, all(s.citation.date.approximate for s in c)),
                             _citations(c)) for c in sorted(others, key=lambda c: c[0].first)],
    )


def _citations(statements: list[Statement]) -> list[Citation]:
    def reported(s: Statement):
        p = dates.parse_period(s.citation.source.published)
        return (p.first if p else s.first, s.doc_id, s.citation.start)

    return [s.citation for s in sorted(statements, key=reported)]


def _label(value: str, approximate: bool = False) -> str:
    if "/" in value:
        first, last = value.split("/")
        a, b = dates.parse_period(first), dates.parse_period(last)
        label = (f"{dates.calendar.month_name[a.first.month]}\u2013{dates.format_date(last)}"
                 if a.precision == b.precision == "month" and a.first.year == b.first.year
                 else f"{dates.format_date(first)} \u2013 {dates.format_date(last)}")
    else:
        label = dates.format_date(value)
    return f"about {label}" if approximate else label


def period_of(value: str) -> tuple[Any, Any]:
    """First and last day of an event value, spans (``2015-11/2015-12``) included."""
    parts = [dates.parse_period(v) for v in value.split("/")]
    return parts[0].first, parts[-1].last


# --- the public function -----------------------------------------------------------------------


def events(index_dir: str | Path | None = None, query: str | None = None, doc_id: str | None = None,
           thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Event]:
    """The happenings reported in the articles of ``index_dir``, oldest first, each with its
    sources and the dates other sources disagree on.

    ``query`` keeps the events about it ("improvement notice"); ``doc_id`` those that one
    article reports (with their sources in other articles too). Without ``index_dir`` the
    default index is used, built or updated first as :func:`qa.retrieve` does. A date that
    needs the publication date ("in May", "last week") is left out of an article whose
    publication date is not known: it cannot be placed.
    """
    from ..store import index_files as store

    if index_dir is None:
        from .retriever import default_retriever

        data, where = default_retriever().data, "the default index"
    else:
        data, where = store.load_index(index_dir), str(index_dir)
    return events_of(data, query=query, doc_id=doc_id, thresholds=thresholds, where=where)


def events_of(data, query: str | None = None, doc_id: str | None = None,
              thresholds: Thresholds = DEFAULT_THRESHOLDS, where: str = "the index") -> list[Event]:
    """:func:`events` over an index already in memory (a retriever's ``data``)."""
    dates.check_index_dates(data, where)
    if doc_id is not None and doc_id not in data.documents:
        known = ", ".join(sorted(data.documents)) or "none"
        raise QAError(f"no article {doc_id!r} in {where}; choose one of: {known}")
    statements = statements_of(data)
    vectors = np.asarray(data.sentence_vectors, dtype=np.float32)
    found = [event_of([statements[i] for i in group], vectors)
             for group in group_statements(statements, vectors, thresholds)]
    if doc_id is not None:
        found = [e for e in found if any(c.doc_id == doc_id for c in _all_citations(e))]
    if query is not None and query.strip():
        found = about(found, query)
    found.sort(key=lambda e: (period_of(e.value)[0], e.planned, period_of(e.value)[1], e.text))
    return found


def about(found: list[Event], query: str) -> list[Event]:
    """The events whose sentences hold every content word of ``query`` (as stems); when none
    holds them all, those holding the most, if that is at least half."""
    wanted = content_stems(query)
    if not wanted:
        raise QAError(f"the query {query!r} has no words to look for; name what the events are about, "
                      "such as 'improvement notice'")

    def share(event: Event) -> float:
        return max(len(wanted & content_stems(c.sentence)) for c in _all_citations(event)) / len(wanted)

    shares = [share(e) for e in found]
    best = max(shares, default=0.0)
    if best < 0.5:
        return []
    return [e for e, s in zip(found, shares) if s == best]


def _all_citations(event: Event) -> Iterable[Citation]:
    yield from event.sources
    for claim in event.conflicts:
        yield from claim.sources


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


# --- the chat's question for it ----------------------------------------------------------------

_EVENTS_QUESTION = re.compile(
    r"^\s*(?:(?:show|give|list)\s+(?:me\s+)?)?(?:the\s+|a\s+)?(?:timeline|chronology|history)\s+(?:of|for)\s+(?P<a>.+?)"
    r"|^\s*what\s+(?:has\s+)?happened\s+(?:to|with)\s+(?P<b>.+?)",
    re.IGNORECASE)


def events_topic(message: str) -> str | None:
    """What a chat message asks the timeline of: "timeline of the improvement notice" and
    "what happened to the improvement notice?" -> "the improvement notice"; None for other
    questions."""
    match = _EVENTS_QUESTION.fullmatch(message.strip().rstrip("?.! ").strip())
    if not match:
        return None
    topic = (match.group("a") or match.group("b") or "").strip()
    return topic or None
