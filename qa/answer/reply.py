"""The one reply every face gives (the chat, ``qa ask``, :meth:`qa.Retriever.reply`), so
the same question gets the same reply wherever it is asked.

"Timeline of the improvement notice" or "what happened to the improvement notice?" is
answered by the events the articles report about it, each cited (:mod:`qa.chronology.events`);
when they report none, and for every other question, by a quoted sentence or an honest "the
documents do not answer" (:mod:`qa.answer.compose`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Union

from ..chronology.events import Event, conflicts_line, event_dict, events_of, events_topic, sources_line
from .compose import Answer


@dataclass
class EventsReply:
    """The events of ``topic``, oldest first, as the reply to ``question``."""

    question: str
    topic: str
    events: list[Event] = field(default_factory=list)
    found: bool = True

    @property
    def text(self) -> str:
        """The events as lines of text: date, what happened, where it was reported."""
        lines = [f"What the articles report about {self.topic}, oldest first:"]
        for event in self.events:
            lines.append(f"- {event.label}: \u201c{event.text}\u201d ({sources_line(event)})")
            if conflicts_line(event):
                lines.append(f"    {conflicts_line(event)}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"question": self.question, "topic": self.topic, "found": True, "text": self.text,
                "events": [event_dict(e) for e in self.events]}


Reply = Union[Answer, EventsReply]


def reply(retriever, question: str, history: Iterable | None = None, k: int = 5) -> Reply:
    """The reply to ``question`` (after ``history``, the earlier questions) from ``retriever``."""
    topic = events_topic(question)
    if topic is not None:
        found = events_of(retriever.data, query=topic, where=str(retriever.index_dir))
        if found:
            return EventsReply(question, topic, found)
    return retriever.answer(question, history=history, k=k)
