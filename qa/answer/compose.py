"""Turning ranked passages into a short, cited answer, or an honest "not in the documents".

A question can lean on the conversation ("and when was it closed?" after "when was the
notice issued?"). No LLM rewrites it: :func:`follow_up_query` applies a rule you can read
and folds the earlier question's topic words into what is searched.

>>> a = Retriever(index_dir="index").answer("and when was it closed?", history=["when was the notice issued?"])
>>> a.query
'and when was it closed? notice issued'
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from .abstention import MIN_SUPPORT, is_answered
from ..ingest.dates import date_note
from .answer_kind import is_when_question
from .retriever import MAX_QUESTION_CHARS, Hit, check_question
from ..text import content_words, stem, words

# Below this support (the answering sentence's score), nothing answers; it and the other
# checks are in qa.abstention, calibrated as the README's "Quality" section says.
MIN_SCORE = MIN_SUPPORT


@dataclass
class Answer:
    """``text`` is the short answer (the answering sentence, quoted, with its marker [1]);
    ``citations`` are the passages shown as sources, best first."""

    question: str
    found: bool
    text: str
    citations: list[Hit] = field(default_factory=list)
    query: str = ""  # what was actually searched (a follow-up folds in earlier questions)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "query": self.query,
            "found": self.found,
            "text": self.text,
            "citations": [h.to_dict() for h in self.citations],
        }


NOT_FOUND = "The documents do not answer this question."


def compose_answer(question: str, hits: list[Hit], query: str = "", min_score: float = MIN_SCORE) -> Answer:
    """An :class:`Answer` from ranked ``hits``: found only when the best answers what was
    searched (``query``, else ``question``): see :func:`qa.abstention.abstain_reason`."""
    if not hits or not is_answered(query or question, hits, min_score):
        return Answer(question=question, found=False, text=NOT_FOUND, citations=hits, query=query or question)
    top = hits[0]
    text = f"\u201c{top.highlight_text}\u201d [1]"
    if is_when_question(question):
        # The quoted sentence may date the event itself or only the report of it; say which.
        text += f" \u2014 {date_note(top)}"
    return Answer(question=question, found=True, text=text, citations=hits, query=query or question)


# --- follow-up questions ----------------------------------------------------------------

# A question that opens with one of these continues the previous one ("and when ...?").
CONTINUATIONS = ("and", "but", "also", "so", "then", "what about", "how about", "what else")
# Pronouns that point back at something named earlier. With few words of its own around
# them, a question that uses one is about the earlier question's topic.
ANAPHORA = frozenset("it its itself this that these those they them their theirs he him his she her hers".split())
MAX_OWN_WORDS = 3  # a question with more content words than this stands on its own
MAX_FOLDED_WORDS = 8  # earlier words added to a query, at most


def is_follow_up(question: str) -> bool:
    """Whether ``question`` leans on the one before it.

    The rule: it opens with a continuation ("and", "but", "also", "so", "then", "what
    about", "how about", "what else"); or it has no content words of its own ("why?");
    or it uses a pointing pronoun (it, this, that, they, them, his, her...) and has at
    most three content words, so the pronoun stands in for the topic.
    """
    tokens = words(question)
    text = " ".join(tokens)
    if any(text == c or text.startswith(c + " ") for c in CONTINUATIONS):
        return True
    own = content_words(question)
    if not own:
        return True
    return len(own) <= MAX_OWN_WORDS and any(t in ANAPHORA for t in tokens)


def fold_query(question: str, previous_query: str) -> str:
    """``question`` followed by the earlier query's content words that it does not already have."""
    have = {stem(w) for w in content_words(question)}
    extra: list[str] = []
    for w in content_words(previous_query):
        if stem(w) not in have:
            have.add(stem(w))
            extra.append(w)
    folded = f"{question} {' '.join(extra[:MAX_FOLDED_WORDS])}" if extra else question
    return folded if len(folded) <= MAX_QUESTION_CHARS else question


def follow_up_query(question: str, history: Iterable | None = None) -> str:
    """What to search for ``question`` given the earlier questions in ``history``.

    Each earlier question is resolved the same way in turn, so a chain of follow-ups
    keeps its topic: after "when was the notice issued?", "and when was it closed?"
    searches "and when was it closed? notice issued", and then "who closed it?" searches
    "who closed it? notice issued". A question that stands on its own is searched as it is.
    """
    query = ""
    for earlier in [*user_questions(history), question]:
        query = fold_query(earlier, query) if query and is_follow_up(earlier) else earlier
    return query


def user_questions(history: Iterable | None) -> list[str]:
    """The user's earlier questions from ``history``.

    ``history`` is a list of earlier questions (strings), or a chat history as Gradio
    gives it: messages ``{"role": "user" | "assistant", "content": str | [{"type": "text",
    "text": str}, ...]}``; only the user's text messages count.
    """
    questions: list[str] = []
    for item in history or []:
        if isinstance(item, str):
            text = item
        elif isinstance(item, dict):
            if item.get("role", "user") != "user":
                continue
            text = _message_text(item.get("content"))
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            text = item[0]  # an old-style (user, assistant) pair
        else:
            continue
        text = re.sub(r"\s+", " ", text).strip()
        if text and words(text):
            questions.append(text)
    return questions


def _message_text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return content.get("text", "") if content.get("type", "text") == "text" else ""
    if isinstance(content, (list, tuple)):
        return " ".join(_message_text(part) for part in content)
    return ""


def answer(retriever, question: str, history: Iterable | None = None, k: int = 5) -> Answer:
    """A short cited answer to ``question`` from ``retriever``; a follow-up is read in the
    light of the earlier questions in ``history`` (see :func:`follow_up_query`)."""
    question = check_question(question)
    query = follow_up_query(question, history)
    hits = retriever.retrieve(query, k=k)
    return compose_answer(question, hits, query=query)
