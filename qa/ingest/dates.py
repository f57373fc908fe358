"""Date expressions in article text, resolved against the article's publication date.

News dates events in words that only make sense beside the article's own date: "following
a visit in May" in an article of 23 July 2018 means May 2018, "given on August 11" in an
August 2016 article means 11 August 2016. :func:`find_dates` finds such expressions with
regular expressions (so that each span is exact), resolves each with dateparser, using
the publication date as the reference, and keeps the precision that the words carry:

>>> [(m.text, m.value, m.precision) for m in find_dates("Following a visit in May inspectors "
...     "found progress since December 2015.", published="2018-07-23")]
[('May', '2018-05', 'month'), ('December 2015', '2015-12', 'month')]

A value is ISO at its precision: ``2016-08-11`` (day), ``2018-05`` (month), ``2015`` (year).
A value that depends on the publication date is ``relative``; when that date is itself
partial or uncertain (``published: 2016-08`` with a ``published_note``) the value is also
``approximate``, and says so wherever it is shown.
"""
from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, Iterable

from ..records import DateMention
from .tense import said_as_plan

# Stored with the index: when finding or resolving changes, an index built with an older
# version is rebuilt in full, because its passages would keep the old dates.
VERSION = 3  # 2: future tense, weeks ("last week"), "earlier this month"; 3: a past clause after "will"

PRECISIONS = ("day", "week", "month", "year")

# The one list of month and weekday names (metadata's datelines and the answer types read them too).
MONTH_NAMES = tuple(calendar.month_name[i] for i in range(1, 13))
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sept", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = tuple(calendar.day_name)
# Month names are matched capitalised only: lower-case "may" and "march" are other words.
_MONTH = "(?:" + "|".join(MONTH_NAMES) + "|(?:" + "|".join(MONTH_ABBREVIATIONS) + r")\.?)"
_WEEKDAY = "(?:" + "|".join(WEEKDAYS) + ")"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]|20)\d\d"
_NOT_DIGIT_AFTER = r"(?![\d,]\d)(?!\d)"

# Longest forms first: at one position the first alternative that matches wins.
_FORMS = [
    ("day_month_year", rf"(?:{_WEEKDAY},?\s+)?{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}\b"),
    ("month_day_year", rf"(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"),
    ("iso_day", rf"\b{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b"),
    ("day_month", rf"(?:{_WEEKDAY},?\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}\b"),
    ("month_day", rf"(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAY}\b{_NOT_DIGIT_AFTER}"),
    ("month_year", rf"{_MONTH},?\s+{_YEAR}\b"),
    ("relative_day", r"\b(?:[Yy]esterday|[Tt]oday|[Tt]omorrow)\b"),
    ("relative_period", r"\b(?:[Ll]ast|[Tt]his|[Nn]ext)\s+(?:year|month|week)\b"),
    ("weekday", rf"\b(?:(?:[Ll]ast|[Tt]his|[Nn]ext)\s+)?{_WEEKDAY}\b"),
    ("month", rf"\b{_MONTH}\b"),
    ("year", rf"\b{_YEAR}\b"),
]
_FINDER = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _FORMS))

# The word before a month standing alone, or a bare year, that makes it a date: "in May",
# "a February ruling", "their 2015 visit". Without it "May" is likely a name or a verb.
_CONTEXT_WORDS = (
    "in|on|since|from|until|till|by|during|of|early|late|mid|last|next|this|between|and|or|to|"
    "before|after|following|through|throughout|a|an|the|their|its|his|her|our|each|every|"
    "spring|summer|autumn|winter|end|start|beginning"
)
_CONTEXT_BEFORE = re.compile(rf"(?:\b(?:{_CONTEXT_WORDS})\s+|\bmid-)$", re.IGNORECASE)
# "May" alone needs a preposition: "Theresa May", "the May government" are not dates.
_MAY_CONTEXT_BEFORE = re.compile(
    r"(?:\b(?:in|since|from|until|till|by|during|of|early|late|last|next|this|between|and|or|to|"
    r"before|after|following|through|throughout|a)\s+|\bmid-)$", re.IGNORECASE)
# A number that only looks like a year: "2000 people", "£2015", "2,015", "1999%".
_COUNTED_AFTER = re.compile(
    r"^\s*(?:%|per\s*cent|people|children|pupils|staff|jobs|homes|houses|cases|workers|families|"
    r"residents|members|employees|students|patients|households|pounds|miles|metres|meters|km|kg|"
    r"tonnes|acres|square|words|votes|calls|visitors)\b", re.IGNORECASE)
_RELATIONS = {
    "since": "since", "until": "until", "till": "until", "by": "by", "before": "before",
    "after": "after", "following": "after", "from": "from",
}
_RELATION_BEFORE = re.compile(r"\b(since|until|till|by|before|after|following|from)\s+$", re.IGNORECASE)

# What each form needs from the publication date to be resolved at all.
_NEEDS = {"relative_day": "day", "weekday": "day", "relative_period": None, "day_month": "month",
          "month_day": "month", "month": "year"}
_RANK = {"day": 0, "week": 1, "month": 1, "year": 2}


@dataclass(frozen=True)
class Period:
    """A date at some precision, as the first and last day it may be."""

    value: str  # ISO at its precision: 2016-08-11, 2016-08, 2016
    precision: str  # "day", "month" or "year"
    first: _dt.date
    last: _dt.date


def parse_period(value: Any) -> Period | None:
    """``2018-07-23``, ``2016-08``, ``2016`` (or a ``datetime.date``) as a :class:`Period`;
    None for anything else."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return Period(value.isoformat(), "day", value, value)
    week = re.fullmatch(r"\s*(\d{4})-W(\d{2})\s*", str(value or ""))
    if week:
        try:
            first = _dt.date.fromisocalendar(int(week.group(1)), int(week.group(2)), 1)
        except ValueError:  # week 54
            return None
        return Period(f"{week.group(1)}-W{week.group(2)}", "week", first, first + _dt.timedelta(days=6))
    match = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*", str(value or ""))
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if day is not None:
            first = _dt.date(year, month, day)
            return Period(first.isoformat(), "day", first, first)
        if month is not None:
            last_day = calendar.monthrange(year, month)[1]
            return Period(f"{year:04d}-{month:02d}", "month", _dt.date(year, month, 1), _dt.date(year, month, last_day))
        return Period(f"{year:04d}", "year", _dt.date(year, 1, 1), _dt.date(year, 12, 31))
    except ValueError:  # month 13, 30 February
        return None


def format_date(value: str, short: bool = False) -> str:
    """An ISO value at its precision for people: "11 August 2016", "May 2018", "2015";
    ``short`` abbreviates the month ("11 Aug 2016"), for a note beside a quotation."""
    period = parse_period(value)
    if period is None:
        return str(value)
    month = (calendar.month_abbr if short else calendar.month_name)[period.first.month]
    if period.precision == "day":
        return f"{period.first.day} {month} {period.first.year}"
    if period.precision == "month":
        return f"{month} {period.first.year}"
    if period.precision == "week":
        return f"the week of {period.first.day} {month} {period.first.year}"
    return str(period.first.year)


def find_dates(text: str, published: Any = "", published_note: str = "") -> list[DateMention]:
    """The date expressions in ``text``, resolved against the publication date ``published``
    (ISO, possibly partial). Expressions that need a more precise publication date than
    there is (a weekday in an article dated only by month) are left out rather than guessed.
    """
    publication = parse_period(published)
    uncertain = publication is not None and (publication.precision != "day" or bool(published_note.strip()))
    parser = None  # dateparser, built when a date first needs it (loading it takes ~0.4 s)
    future_parser = None  # built when a sentence first speaks of a plan
    mentions = []
    for match in _FINDER.finditer(text):
        form = match.lastgroup
        if not _is_date(form, match, text):
            continue
        relative = form in _NEEDS
        if relative:
            needs = _NEEDS[form] or _PERIOD_NEEDS[match.group().split()[-1].lower()]
            if publication is None or _RANK[publication.precision] > _RANK[needs]:
                continue
        said_future = said_as_plan(text, match.start(), match.end())
        if form == "relative_period":
            value, precision = _relative_period(match.group(), publication)
        elif form == "weekday" and publication and match.group() == publication.first.strftime("%A"):
            # "reopened on Friday" in an article of Friday 13 March means that same Friday.
            value, precision = publication.value, "day"
        elif said_future and relative and publication is not None:
            # "will meet on August 25" in an article of 12 August 2016 is 25 August 2016:
            # the next such date from the article's first possible day, not the last past one.
            future_parser = future_parser or _parser(publication, prefer="future")
            value, precision = _resolve(future_parser, form, match.group())
        elif (written := _written_out(form, match.group())) is not None:
            value, precision = written
        else:
            parser = parser or _parser(publication)
            value, precision = _resolve(parser, form, match.group())
        if not value:
            continue
        period = parse_period(value)
        # A date read before the article ("yesterday", "last week") is no plan, whatever the tense.
        before_article = bool(publication and period and period.last < publication.first)
        future = (said_future and not before_article) or bool(publication and period and period.first > publication.last)
        before = _RELATION_BEFORE.search(text, max(0, match.start() - 12), match.start())
        mentions.append(DateMention(
            text=match.group(),
            start=match.start(),
            end=match.end(),
            value=value,
            precision=precision,
            relative=relative,
            approximate=relative and uncertain,
            relation=_RELATIONS[before.group(1).lower()] if before else "",
            future=future,
        ))
    return mentions


_PERIOD_NEEDS = {"year": "year", "month": "month", "week": "day"}
_STEP = {"last": -1, "this": 0, "next": 1}


def _relative_period(words: str, publication: Period) -> tuple[str, str]:
    """ "last week", "this month", "next year" against the publication date (its first day:
    the article may be dated only to the month, and then only months and years are asked)."""
    which, unit = words.lower().split()
    step, base = _STEP[which], publication.first
    if unit == "year":
        return f"{base.year + step:04d}", "year"
    if unit == "month":
        month_index = base.year * 12 + base.month - 1 + step
        return f"{month_index // 12:04d}-{month_index % 12 + 1:02d}", "month"
    year, week, _ = (base + _dt.timedelta(weeks=step)).isocalendar()
    return f"{year:04d}-W{week:02d}", "week"


def unresolved_dates(text: str, published: Any = "") -> list[str]:
    """The date expressions in ``text`` that :func:`find_dates` leaves out because the
    publication date is missing or too coarse to resolve them ("19 November" in an undated
    article): a reader should be told they are there, with their year unknown.

    >>> unresolved_dates("On 19 November it was told of a closure on 31 August 2025.", "")
    ['19 November']
    """
    publication = parse_period(published)
    left = []
    for match in _FINDER.finditer(text):
        form = match.lastgroup
        if form in _NEEDS and _is_date(form, match, text):
            needs = _NEEDS[form] or _PERIOD_NEEDS[match.group().split()[-1].lower()]
            if publication is None or _RANK[publication.precision] > _RANK[needs]:
                left.append(match.group())
    return left


def dates_within(mentions: Iterable[DateMention], start: int, end: int) -> list[DateMention]:
    """The mentions lying inside ``[start, end)`` of the text, with offsets relative to
    ``start`` (how a passage stores the dates of its article)."""
    return [m.shifted(start) for m in mentions if m.start >= start and m.end <= end]


def publication_bound(value: Any, name: str = "published_after") -> _dt.date | None:
    """A ``published_after``/``published_before`` argument as the first day it names:
    a ``datetime.date`` or ISO text, possibly partial ("2016-08" is 1 August 2016)."""
    from ..errors import QuestionError

    if value is None or value == "":
        return None
    if isinstance(value, (_dt.date, str)):
        period = parse_period(value)
        if period is not None:
            return period.first
    raise QuestionError(
        f"{name} must be a date (datetime.date) or ISO text such as '2016-08-11', '2016-08' or '2016', "
        f"not {value!r}"
    )


def published_between(published: Any, after: _dt.date | None, before: _dt.date | None) -> bool:
    """Whether an article published at ``published`` (ISO, possibly partial) may fall on or
    after ``after`` and strictly before ``before``. A partial date is the whole period it
    names, and counts when any of it is in range: an article of "2016-08" is kept for
    ``after=2016-08-15``, since it may well be from the second half of the month. An
    article without a publication date never matches a range."""
    period = parse_period(published)
    if period is None:
        return False
    if after is not None and period.last < after:
        return False
    return before is None or period.first < before


def _is_date(form: str, match: re.Match, text: str) -> bool:
    before = text[max(0, match.start() - 16):match.start()]
    if form == "month":
        word = match.group().rstrip(".")
        if word not in MONTH_NAMES:  # "Dec" alone is too often something else
            return False
        context = _MAY_CONTEXT_BEFORE if word == "May" else _CONTEXT_BEFORE
        return bool(context.search(before))
    if form == "year":
        if before.endswith("mid-"):
            return True
        if re.search(r"[£$€\d.,/-]$", before) or re.match(r"[\d,%]|\.\d|/", text[match.end():match.end() + 2]):
            return False
        if _COUNTED_AFTER.match(text[match.end():match.end() + 20]):
            return False
        return bool(_CONTEXT_BEFORE.search(before)) or text.startswith("'s", match.end())
    if form == "weekday":
        # "Good Friday", "Black Friday" are names, not the most recent Friday.
        return not re.search(r"\b(?:Good|Black|Cyber|Easter|Shrove|Ash|Holy|Palm)\s+$", before)
    return True


_MONTH_NUMBERS = {name.lower(): i for i, name in enumerate(MONTH_NAMES, 1)}
_MONTH_NUMBERS.update({name.lower(): _MONTH_NUMBERS[full.lower()] for name, full in zip(
    MONTH_ABBREVIATIONS, ("January", "February", "March", "April", "June", "July", "August", "September",
                          "September", "October", "November", "December"))})


def _written_out(form: str, text: str) -> tuple[str, str] | None:
    """ISO value and precision of a date that names its year (``("", "")`` when it is no
    real day, "31 February 2016"), read here as dateparser reads it, without the ~0.4 s of
    loading dateparser; None for the forms that need the article's own date."""
    if form not in ("year", "iso_day", "month_year", "day_month_year", "month_day_year"):
        return None
    year = int(re.findall(r"\d{4}", text)[-1])
    if form == "year":
        return f"{year:04d}", "year"
    if form == "iso_day":
        year, month, day = (int(part) for part in text.split("-"))
    else:
        month = _MONTH_NUMBERS[re.search(_MONTH, text).group().rstrip(".").lower()]
        if form == "month_year":
            return f"{year:04d}-{month:02d}", "month"
        day = int(re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", re.sub(r"\d{4}", "", text)).group(1))
    try:
        return _dt.date(year, month, day).isoformat(), "day"
    except ValueError:
        return "", ""


def _parser(publication: Period | None, prefer: str = "past"):
    import dateparser.date  # here, not at import: `import qa` stays light

    # For the past, the last day the article may have been published: "August 11" in an
    # article of August 2016 is then 11 August 2016, "May" in a July 2018 article May 2018.
    # For plans, its first day: "will meet on August 25" in an August 2016 article.
    if publication is None:
        base = _dt.date.today()
    else:
        base = publication.last if prefer == "past" else publication.first
    settings = {
        "RELATIVE_BASE": _dt.datetime(base.year, base.month, base.day),
        # News reports what has happened: a month without a year is the latest one so far,
        # unless the sentence says it is a plan.
        "PREFER_DATES_FROM": prefer,
        "PREFER_DAY_OF_MONTH": "first",
    }
    return dateparser.date.DateDataParser(languages=["en"], settings=settings)


def _resolve(parser, form: str, text: str) -> tuple[str, str]:
    """ISO value and precision of one expression, or ("", "") when it is no real date."""
    cleaned = re.sub(r"\b(\d{1,2})(?:st|nd|rd|th)\b", r"\1", text)
    cleaned = re.sub(rf"^{_WEEKDAY},?\s+(?=\S*\d|{_MONTH})", "", cleaned)  # the day number decides
    cleaned = re.sub(r"\b(?:the|of)\s+", "", cleaned).replace(",", " ")
    cleaned = re.sub(r"\b([A-Z][a-z]{2,3})\.", r"\1", cleaned)  # "Sept." -> "Sept"
    cleaned = " ".join(cleaned.split())
    data = parser.get_date_data(cleaned)
    when, period = data.date_obj, data.period
    if when is None:  # "31 February"
        return "", ""
    if form in ("year",) or period == "year":
        return f"{when.year:04d}", "year"
    if form in ("month", "month_year") or period == "month":
        return f"{when.year:04d}-{when.month:02d}", "month"
    if period in ("day", "time"):
        return when.date().isoformat(), "day"
    return "", ""  # a week: no precision of ours fits it
