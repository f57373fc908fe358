"""What is asked: checking a question before any work, and reading a follow-up with the
questions before it.

A question can lean on the conversation ("and when was it closed?" after "when was the
notice issued?"). No LLM rewrites it: :func:`follow_up_query` applies a rule you can read
and folds the earlier question's topic words into what is searched.

>>> follow_up_query("and when was it closed?", history=["when was the notice issued?"])
'and when was it closed? notice issued'
>>> check_question("  when was the notice closed?  ")
'when was the notice closed?'
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from ..errors import QuestionError
from ..text import content_words, stem, words

MAX_QUESTION_CHARS = 1000


def check_question(question) -> str:
    """The question, stripped; :class:`QuestionError` when there is nothing to search for."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    if len(question) > 4 * MAX_QUESTION_CHARS:  # refuse a huge paste before any work on it
        raise QuestionError(
            f"the question is {len(question):,} characters long; keep it under {MAX_QUESTION_CHARS:,} "
            "(ask about one thing at a time)"
        )
    # A lone surrogate (possible in JSON from a client) makes the model's tokenizer raise
    # TypeError, and control characters mean nothing: both become plain replacements.
    question = question.encode("utf-8", "replace").decode("utf-8")
    question = re.sub(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", " ", question)
    question = unicodedata.normalize("NFC", question).strip()
    if not question:
        raise QuestionError("the question is empty; type a question about the articles")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question):,} characters long; keep it under {MAX_QUESTION_CHARS:,} "
            "(ask about one thing at a time)"
        )
    if not words(question):
        raise QuestionError("the question has no words to search for; ask it in words")
    return question


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
