"""Events on the page: the Timeline tab's chart and list, and the chat's reply to "timeline of X".

One :class:`~qa.chronology.events.Event` is one mark on a time axis (planned events drawn apart:
open diamonds, another colour) and one entry in the list below it, with its sources as
"CYP Now, 23 July 2018 · Your Local Guardian, July 2018" and, where reports disagree,
"sources disagree: January 2016 (Your Local Guardian) · February 2016 (CYP Now)".
"""
from __future__ import annotations

import datetime as dt
import html
import textwrap

from ..chronology.events import Event, byline, conflicts_line, period_of, sources_line
from .render import escape_text, external_link, literal_markdown, marked_html, safe_url

PAST_COLOUR = "#2563eb"
PLANNED_COLOUR = "#d97706"
CONFLICT_COLOUR = "#9ca3af"
SEPARATOR = " \u00b7 "


def _wrapped(text: str, width: int = 70) -> str:
    return "<br>".join(html.escape(line, quote=False) for line in textwrap.wrap(text, width)) or ""


def _middle(first: dt.date, last: dt.date) -> dt.date:
    return first + (last - first) / 2


def events_figure(found: list[Event]):
    """A Plotly figure: one row per event, oldest at the top; a mark at its date (a bar over
    the whole period when the date is a month or a year), planned events as open diamonds;
    the dates other sources give as grey crosses on the same row. Hovering a mark shows the
    sentence and its sources."""
    import plotly.graph_objects as go  # here: only the web page draws charts

    rows = list(range(len(found)))[::-1]  # the oldest event on the top row
    fig = go.Figure()
    for planned in (False, True):
        chosen = [(row, e) for row, e in zip(rows, found) if e.planned == planned]
        if not chosen:
            continue
        colour = PLANNED_COLOUR if planned else PAST_COLOUR
        spans_x, spans_y = [], []
        for row, e in chosen:
            first, last = period_of(e.value)
            if first != last:
                spans_x += [first, last, None]
                spans_y += [row, row, None]
        if spans_x:
            fig.add_trace(go.Scatter(x=spans_x, y=spans_y, mode="lines", hoverinfo="skip", showlegend=False,
                                     line={"color": colour, "width": 8, "dash": "dot" if planned else "solid"},
                                     opacity=0.35))
        fig.add_trace(go.Scatter(
            x=[_middle(*period_of(e.value)) for _, e in chosen],
            y=[row for row, _ in chosen],
            mode="markers",
            name="planned" if planned else "happened",
            marker={"size": 13, "color": colour, "symbol": "diamond-open" if planned else "circle",
                    "line": {"width": 2, "color": colour}},
            customdata=[_hover(e) for _, e in chosen],
            hovertemplate="%{customdata}<extra></extra>",
        ))
    conflicts = [(row, e, c) for row, e in zip(rows, found) for c in e.conflicts]
    if conflicts:
        fig.add_trace(go.Scatter(
            x=[_middle(*period_of(c.value)) for _, _, c in conflicts],
            y=[row for row, _, _ in conflicts],
            mode="markers", name="another source's date",
            marker={"size": 11, "color": CONFLICT_COLOUR, "symbol": "x"},
            customdata=[f"<b>{html.escape(c.label)}</b> according to {html.escape(c.publishers())}<br>"
                        f"{_wrapped(c.sources[0].sentence)}" for _, _, c in conflicts],
            hovertemplate="%{customdata}<extra></extra>",
        ))
    fig.update_layout(
        height=max(260, 46 * len(found) + 110),
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        hovermode="closest",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        plot_bgcolor="white",
        xaxis={"type": "date", "showgrid": True, "gridcolor": "#eee", "title": None, "range": _date_range(found)},
        yaxis={"tickmode": "array", "tickvals": rows, "ticktext": [_tick(e) for e in found],
               "range": [-0.7, len(found) - 0.3], "showgrid": False, "automargin": True},
    )
    return fig


# The least span the time axis shows: Plotly's own range around a single day is a few
# milliseconds wide, ticked "23:59:59.999".
MIN_AXIS_DAYS = 60


def _date_range(found: list[Event]) -> list[str]:
    """The time axis from a little before the earliest date drawn to a little after the
    latest, and at least :data:`MIN_AXIS_DAYS` wide."""
    periods = [period_of(e.value) for e in found] + [period_of(c.value) for e in found for c in e.conflicts]
    first, last = min(p[0] for p in periods), max(p[1] for p in periods)
    pad = max((last - first) / 20, (dt.timedelta(days=MIN_AXIS_DAYS) - (last - first)) / 2, dt.timedelta(days=1))
    return [(first - pad).isoformat(), (last + pad).isoformat()]


def _tick(e: Event) -> str:
    kinds = "/".join(e.kinds[:2]) or "event"
    return f"{e.label} \u00b7 {kinds}"


def _hover(e: Event) -> str:
    lines = [f"<b>{html.escape(e.label)}</b>" + (" (planned)" if e.planned else ""), _wrapped(e.text),
             "<i>" + _wrapped(sources_line(e)) + "</i>"]
    if e.conflicts:
        lines.append(_wrapped(conflicts_line(e)))
    return "<br>".join(lines)


def events_html(found: list[Event], empty: str = "No dated events in these articles.") -> str:
    """The events as an HTML list, oldest first: date (and "planned"), the clearest sentence,
    the sources, and what sources disagree about."""
    if not found:
        return f'<p class="qa-events-empty">{html.escape(empty)}</p>'
    items = []
    for e in found:
        planned = ' <span class="qa-event-planned" style="color:%s">planned</span>' % PLANNED_COLOUR if e.planned else ""
        bylines = []
        seen = set()
        for c in e.sources:
            line = byline(c.source)
            if line in seen:
                continue
            seen.add(line)
            url = safe_url(c.source.url)
            bylines.append(external_link(url, html.escape(line)) if url else html.escape(line))
        conflict = (f'<div class="qa-event-conflict" style="color:#b45309">{html.escape(conflicts_line(e))}</div>'
                    if e.conflicts else "")
        items.append(
            f'<li class="qa-event" data-value="{html.escape(e.value)}" data-tense="{e.tense}" '
            f'data-sources="{len(e.sources)}" data-conflicts="{len(e.conflicts)}" style="margin-bottom:.9em">'
            f'<div class="qa-event-date"><strong>{html.escape(e.label)}</strong>{planned}</div>'
            f'<div class="qa-event-text">\u201c{_marked(e)}\u201d</div>'
            f'<div class="qa-event-sources" style="opacity:.8;font-size:.9em">{SEPARATOR.join(bylines)}</div>'
            f"{conflict}</li>"
        )
    return f'<ol class="qa-events" style="list-style:none;padding-left:0">{"".join(items)}</ol>'


def _marked(e: Event) -> str:
    """The event's sentence with its date marked: a sentence that dates two happenings ("found
    good when last inspected in 2012" and "visited in November and December") shows which."""
    cited = next((c for c in e.sources if c.sentence == e.text), None)
    if cited is None:
        return html.escape(e.text)
    return marked_html(e.text, cited.date.start, cited.date.end)


def events_reply(topic: str, found: list[Event]) -> str:
    """The chat's answer to "timeline of X" / "what happened to X?": the events, oldest first,
    each quoted and cited, as Markdown. (Without events the chat answers as for any question.)"""
    lines = [f"**Timeline of {literal_markdown(topic)}** ({len(found)} event{'s' if len(found) != 1 else ''}, oldest first)", ""]
    for n, e in enumerate(found, start=1):
        planned = " (planned)" if e.planned else ""
        lines.append(f"{n}. **{escape_text(e.label)}**{planned}: \u201c{escape_text(e.text)}\u201d  ")
        lines.append(f"   <span class=\"qa-meta\">{escape_text(sources_line(e))}</span>")
        if e.conflicts:
            lines[-1] += "  "
            lines.append(f"   *{escape_text(conflicts_line(e))}*")
    return "\n".join(lines)
