"""What is asked: checking a question before any work, and reading a follow-up with the
questions before it.

A question can lean on the conversation ("and when was it closed?" after "when was the
notice issued?"). No LLM rewrites it: :func:`follow_up_query` applies a rule you can read
and carries the earlier question's topic (its names, else its content words) into what is
searched, not its predicate.

A question's **names** (capitalised words after the first) and years say which article it
is about; the rest says which sentence answers (:func:`strip_names`, used by
:mod:`qa.answer.support`).

>>> follow_up_query("and when was it closed?", history=["when was the notice issued?"])
'and when was it closed? notice'
>>> follow_up_query("What about Midlothian?", history=["How many teaching jobs does Glasgow want to cut?"])
'How many teaching jobs does Midlothian want to cut?'
>>> check_question("  when was the notice closed?  ")
'when was the notice closed?'
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from ..errors import QuestionError
from ..text import content_words, stem, words
from .asked import read_question

MAX_QUESTION_CHARS = 1000
_PUNCTUATION = "?!.,;:()[]\"“”‘’'"
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


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


# --- what a question names ----------------------------------------------------------------

def question_names(question: str) -> list[str]:
    """The names a question is about, read from the question alone (capitalised words after
    the first that are not common words, possessives dropped; :func:`qa.answer.asked.read_question`
    also reads how the articles write each word).

    >>> question_names("How did Lambeth's services do in the last Ofsted inspection?")
    ['Lambeth', 'Ofsted']
    """
    return list(read_question(question).names)


def context_names(question: str) -> list[str]:
    """The names and years ("the 2018 report") of a question: what its article must hold,
    in its text or, for a year, its publication date."""
    return list(read_question(question).context_names)


def strip_names(question: str) -> str:
    """``question`` without its names and years (:func:`context_names`); the question
    itself when nothing else would be left. News names its subject once and then says "the
    school": the rest of the question is what the answering sentence says.

    >>> strip_names("Do a lot of the children at Heckmondwike regularly miss school?")
    'Do a lot of the children at regularly miss school?'
    """
    names = set(context_names(question))
    if not names:
        return question
    kept: list[str] = []
    for i, token in enumerate(question.split()):
        word = re.sub(r"['’]s$", "", token.strip(_PUNCTUATION))
        if i > 0 and word in names:
            if token.endswith("?") and kept:
                kept[-1] += "?"
            continue
        kept.append(token)
    stripped = " ".join(kept)
    return stripped if words(stripped) and stripped != question else question


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


_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\b", re.I)


def topic_query(question: str, previous: str) -> str | None:
    """The query for follow-up ``question`` after ``previous`` when the earlier question names
    its topic, else None. After "When did Ofsted inspect Heckmondwike Primary?", "And what
    rating did it end up with?" is about Heckmondwike Primary, not about inspecting: the
    earlier names are carried, not its predicate; "What about X?" with a name of its own
    asks the earlier question again of X.

    >>> topic_query("And what rating did it end up with?", "When did Ofsted inspect Heckmondwike Primary?")
    'And what rating did it end up with? Ofsted Heckmondwike Primary'
    """
    earlier = question_names(previous)
    if not earlier:
        return None
    own = question_names(question)
    if _WHAT_ABOUT.search(question) and own:
        # The earlier names (adjacent ones together) replaced by the new one.
        replaced, done = previous, False
        for name in earlier:
            pattern = rf"(?<!\w){re.escape(name)}(?:['’]s)?(?!\w)"
            if re.search(pattern, replaced):
                replaced = re.sub(pattern, "" if done else " ".join(own), replaced, count=1)
                done = True
        return re.sub(r"\s+", " ", replaced).strip()
    have = {n.lower() for n in own}
    extra = [n for n in earlier if n.lower() not in have]
    return f"{question} {' '.join(extra)}" if extra else question


# A word right after one of these is a verb ("must the board meet", "to close"), and so
# are words like "closed" and "given": the predicate of a question, not its topic.
_AUXILIARIES = frozenset("did does do will would can could should must may might shall to".split())
_IRREGULAR_PARTICIPLES = frozenset(
    "made paid sold spent cut set held given taken shut won lost told said found left built put "
    "run begun chosen sent brought bought kept met seen shown written hit quit".split())


def predicate_words(question: str) -> frozenset[str]:
    """The words of ``question`` that say what happened rather than to what: past
    participles ("closed", "issued", "given") and verbs right after an auxiliary ("will
    close", "to reopen"). A rule you can read, not a parser: it errs towards keeping words.

    >>> sorted(predicate_words("When was the improvement notice closed?"))
    ['closed']
    >>> sorted(predicate_words("When will the council close the library?"))
    []
    >>> sorted(predicate_words("When is the council going to close the library?"))
    ['close']
    """
    tokens = words(question)
    found = set()
    for i, token in enumerate(tokens):
        participle = (len(token) > 4 and token.endswith("ed") and not token.endswith("eed")
                      and token != "hundred") or token in _IRREGULAR_PARTICIPLES
        after_auxiliary = i > 0 and tokens[i - 1] in _AUXILIARIES
        if participle or after_auxiliary:
            found.add(token)
    return frozenset(found) & frozenset(content_words(question))


def fold_query(question: str, previous_query: str) -> str:
    """What to search for the follow-up ``question`` after ``previous_query``: the earlier
    topic (:func:`topic_query`) when it names one, else ``question`` followed by the
    earlier query's content words that it does not already have. A follow-up with words of
    its own asks something new about the same thing, so the earlier predicate stays
    behind: after "when was the improvement notice closed?", "and when was it issued?"
    searches "and when was it issued? improvement notice". One with none ("and why?")
    takes the predicate too: "what was it before that?" asks the earlier question again,
    of another time."""
    if not content_words(question):
        return _with_earlier_words(question, previous_query)
    carried = topic_query(question, previous_query)
    if carried is not None:
        return carried if len(carried) <= MAX_QUESTION_CHARS else question
    own = content_words(question)
    have = {stem(w) for w in own}
    left_behind = predicate_words(previous_query) if own else frozenset()
    extra: list[str] = []
    for w in content_words(previous_query):
        if stem(w) not in have and w not in left_behind:
            have.add(stem(w))
            extra.append(w)
    folded = f"{question} {' '.join(extra[:MAX_FOLDED_WORDS])}" if extra else question
    return folded if len(folded) <= MAX_QUESTION_CHARS else question


def _with_earlier_words(question: str, previous_query: str) -> str:
    """``question`` followed by every content word of ``previous_query`` (names as written),
    each once: a follow-up with no words of its own is the earlier question asked again.

    >>> _with_earlier_words("What was it before that?", "What rating did Ofsted give Wandsworth's services?")
    "What was it before that? rating Ofsted give Wandsworth's services"
    """
    wanted = set(content_words(previous_query))
    kept: list[str] = []
    seen: set[str] = set()
    for token in previous_query.split():
        word = token.strip(_PUNCTUATION)
        key = re.sub(r"['’]s$", "", word).lower()
        if key in wanted and key not in seen:
            seen.add(key)
            kept.append(word)
    folded = f"{question} {' '.join(kept[:MAX_FOLDED_WORDS])}" if kept else question
    return folded if len(folded) <= MAX_QUESTION_CHARS else question


def follow_up_query(question: str, history: Iterable | None = None) -> str:
    """What to search for ``question`` given the earlier questions in ``history``.

    Each earlier question is resolved the same way in turn, so a chain of follow-ups
    keeps its topic: after "when was the notice issued?", "and when was it closed?"
    searches "and when was it closed? notice", and then "who closed it?" searches "who
    closed it? notice". A question that stands on its own is searched as it is.
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
