"""Turning ranked passages into a short, cited answer, or an honest "not in the documents".

The answer is the best hit's answering sentence, quoted, with its marker [1]; a "when"
question also says whose date it is (:func:`date_note`). Whether there is an answer at all
is :mod:`qa.answer.abstention`'s call; a follow-up is read by :mod:`qa.answer.question`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from ..ingest.dates import format_date, parse_period, unresolved_dates
from ..records import DateMention
from .abstention import UNSURE, abstention
from .answer_model import RIVALS
from .answer_type import asked_type, is_when_question

from ..records import Answer, Hit  # noqa: F401  (Answer: what this module makes)
from .question import check_question, follow_up_query, is_follow_up, question_names, user_questions

NOT_FOUND = "The documents do not answer this question."
# Said when the closest sentences are there but none answers surely enough: they are worth reading.
NOT_SURE = "No sure answer in the documents; the closest passages are below."


def compose_answer(question: str, hits: list[Hit], confidence: float, threshold: float, query: str = "",
                   k: int | None = None) -> Answer:
    """An :class:`Answer` from ranked ``hits``: found only when the best answers what was
    searched (``query``, else ``question``) with ``confidence`` at least ``threshold``
    (:func:`qa.answer.abstention.abstention`); ``k`` hits are kept as citations. Otherwise
    it says the documents do not answer (:data:`NOT_FOUND`), or, when only the confidence
    falls short, that there is no sure answer (:data:`NOT_SURE`)."""
    shown = hits[:k] if k else hits
    withheld = abstention(query or question, hits, confidence, threshold)
    if withheld is not None:
        kind, reason = withheld
        return Answer(question=question, found=False, text=NOT_SURE if kind == UNSURE else NOT_FOUND,
                      citations=shown, query=query or question, confidence=confidence, reason=reason,
                      unsure=kind == UNSURE)
    top = hits[0]
    text = f"\u201c{top.highlight_text}\u201d [1]"
    if is_when_question(question):
        # The quoted sentence may date the event itself or only the report of it; say which.
        text += f" \u2014 {date_note(top)}"
    return Answer(question=question, found=True, text=text, citations=shown, query=query or question,
                  confidence=confidence)


def _compose(retriever, question: str, query: str, k: int, doc_ids=None, said: Hit | None = None) -> Answer:
    """Search ``query`` and judge the first hit against the next ones (at least
    :data:`~qa.answer.answer_model.RIVALS` of them, whatever ``k``)."""
    hits = retriever.retrieve(query, k=max(k, RIVALS + 1), doc_ids=doc_ids)
    if said is not None:
        hits = at_the_time_of(hits, said)
    confidence = retriever.confidence(hits)
    return compose_answer(question, hits, confidence, retriever.threshold, query=query, k=k)


def answer(retriever, question: str, history: Iterable | None = None, k: int = 5) -> Answer:
    """A short cited answer to ``question`` from ``retriever``; a follow-up is read in the
    light of the earlier questions in ``history`` (see :func:`follow_up_query`).

    A follow-up that names nothing of its own ("and what rating did it get?") is about the
    article the conversation is in (:func:`conversation_article`): it is answered from that
    article first, and from every article when that one gives no answer. One with a name of
    its own ("what about Midlothian?") is searched everywhere."""
    question = check_question(question)
    earlier = user_questions(history)
    query = follow_up_query(question, earlier)
    if earlier and is_follow_up(question) and not question_names(question):
        said = conversation_hit(retriever, follow_up_query(earlier[-1], earlier[:-1]), k)
        if said is not None:
            found = _compose(retriever, question, query, k, doc_ids={said.doc_id},
                             said=None if asks_about_another_time(question) else said)
            if found.found:
                return found
    return _compose(retriever, question, query, k)


# A follow-up that asks about another time than the earlier answer's ("what was it before
# that?", "and after that?", "what was it previously?"). Not "then": it also just continues
# ("then what did it get?").
_OTHER_TIME = re.compile(r"\b(?:before|after|previous|previously|earlier|later|since|until|used to|originally|at first|"
                         r"beforehand|afterwards|formerly)\b", re.I)


def asks_about_another_time(question: str) -> bool:
    """Whether follow-up ``question`` asks about a time other than the earlier answer's: it
    says so, or it asks for a date or a duration ("and when did it open?" may be years before
    the closure the conversation is about).

    >>> asks_about_another_time("What was it before that?"), asks_about_another_time("And what rating did it get?")
    (True, False)
    >>> asks_about_another_time("And when did it open?")
    True
    """
    return bool(_OTHER_TIME.search(question)) or asked_type(question) in ("date", "duration")


def _sentence_years(hit: Hit) -> list[int]:
    """The years of the dates stated in ``hit``'s highlighted sentence, leaving out those of a
    period running on from them ("since 2010", "until 2025", "by 2022") or starting after them."""
    lo, hi = hit.highlight
    years = []
    for d in hit.dates:
        if lo <= d.start < hi and not d.relation and d.value[:4].isdigit():
            years.append(int(d.value[:4]))
    return years


def at_the_time_of(hits: list[Hit], said: Hit) -> list[Hit]:
    """``hits`` without those about an earlier time than ``said`` (the earlier answer).

    A follow-up is about the time the conversation is in: after "When did Ofsted inspect the
    school?" (January 2023), "And what rating did it end up with?" is about January 2023's
    rating, and "The school was last visited in 2017 and rated as 'Good'" is about another
    time. A sentence counts as earlier when every year it states is before every year the
    earlier answer's sentence states; a sentence or an earlier answer without years is kept.
    Left out, such a sentence is neither the answer nor the runner-up that the margin
    check (:func:`qa.answer.abstention.answer_margin`) weighs the answer against."""
    anchor = _sentence_years(said)
    if not anchor:
        return hits
    return [h for h in hits if not ((years := _sentence_years(h)) and max(years) < min(anchor))]


def conversation_hit(retriever, previous_query: str, k: int = 5) -> Hit | None:
    """Where the earlier question was answered: its best hit whose article mentions every
    name the earlier question gives (even when that answer was withheld, the article is the
    subject); None when no hit's article does."""
    for hit in retriever.retrieve(previous_query, k=k):
        if not hit.missing_names:
            return hit
    return None


# --- the date beside an answer --------------------------------------------------------------

@dataclass(frozen=True)
class DateNote:
    """What an answer to a "when" question says about its date: ``short``, a few words
    beside the quotation ("reported 23 Jul 2018", "about 11 Aug 2016"), and ``detail``,
    whose date it is and why (shown on hover, and by ``qa ask``). ``str()`` is ``short``."""

    short: str
    detail: str

    def __str__(self) -> str:
        return self.short


def date_note(hit: Hit) -> DateNote:
    """What the answer to a "when" question should say about the date of ``hit``'s
    highlighted sentence: the date the sentence gives for the event, or, when it gives none,
    the date the article reported it, saying which it is.

    >>> from qa.records import Source
    >>> hit = Hit("a#p0", "a", "The notice was closed.", 0.8, Source(published="2018-07-23"), 0, 22, (0, 22))
    >>> note = date_note(hit)
    >>> print(note)
    reported 23 Jul 2018
    >>> print(note.detail)
    date: reported 23 July 2018 (the article's publication date; the sentence gives no date of its own)
    """
    lo, hi = hit.highlight
    in_sentence = [d for d in hit.dates if d.start >= lo and d.end <= hi]
    events = [d for d in in_sentence if not d.relation]
    unknown = unresolved_dates(hit.text[lo:hi], hit.published)
    if unknown:
        # "On 19 November ..." in an undated article: its date cannot be given, and a resolved
        # date beside it may belong to something else, so every date is listed, none chosen.
        sentence = hit.text[lo:hi]
        listed = [(d.start - lo, f"{_describe(d)} ({_source(d, hit)})", _describe(d, short=True)) for d in events]
        listed += [(sentence.find(text), f"\u201c{text}\u201d (its year is not stated and the article's date is not known)",
                    f"{text} (year unknown)") for text in unknown]
        listed.sort()
        return DateNote(", ".join(short for *_, short in listed),
                        f"dates in the sentence: {'; '.join(label for _, label, _ in listed)}")
    if events:
        parts = [_describe(d) for d in events]
        short = ", ".join(_describe(d, short=True) for d in events)
        if len(parts) == 1:
            return DateNote(short, f"date: {parts[0]} (the date of the event, {_source(events[0], hit)})")
        listed = "; ".join(f"{p} ({_source(d, hit)})" for p, d in zip(parts, events))
        return DateNote(short, f"dates of the events, as stated in the sentence: {listed}")
    publication = parse_period(hit.published)
    why = "the sentence gives no date of its own" if not in_sentence else _only_relations(in_sentence)
    if publication is None:
        return DateNote("date not known", f"date: not known ({why}, and the article's publication date is not recorded)")
    reported, short = format_date(publication.value), format_date(publication.value, short=True)
    if publication.precision != "day" or (hit.published_note or "").strip():
        reported, short = f"about {reported}", f"about {short}"
        whose = "the article's publication date, itself not certain"
    else:
        whose = "the article's publication date"
    return DateNote(f"reported {short}", f"date: reported {reported} ({whose}; {why})")


def stated_date_note(answer: Answer) -> DateNote | None:
    """The date note ``answer``'s text ends with (a "when" answer's), for showing its
    detail; None when the text carries none."""
    if not answer.found or not answer.citations:
        return None
    note = date_note(answer.citations[0])
    return note if answer.text.endswith(f" \u2014 {note.short}") else None


def _describe(d: DateMention, short: bool = False) -> str:
    label = format_date(d.value, short=short)
    return f"about {label}" if d.approximate else label


def _source(d: DateMention, hit: Hit) -> str:
    if not d.relative:
        return "as stated in the sentence"
    publication = parse_period(hit.published)
    against = format_date(publication.value) if publication else "the article's date"
    note = ", itself not certain" if d.approximate else ""
    return f"\u201c{d.text}\u201d in the sentence, read against the article's date, {against}{note}"


def _only_relations(dates: list[DateMention]) -> str:
    said = ", ".join(f"\u201c{d.relation} {d.text}\u201d" for d in dates)
    return f"the sentence dates the event only as {said}"
