"""SQuAD's JSON read as articles and questions, each question tied to the sentence that
answers it: the public training data of the reader (:mod:`qa.reader.training`) and of the
learned answer model (:mod:`qa.reader.fitting`).

An article's body is its paragraphs, one block each (a blank line between blocks), as the
evaluation sets are written; sentences are split by the product's own splitter
(:func:`qa.ingest.passages.split_sentences`), so the reader learns on the sentences it will
be shown. A question whose answer crosses a sentence boundary is left out.

>>> data = {"data": [{"title": "Riverton", "paragraphs": [{"context": "Riverton is a town. It has 900 people.",
...          "qas": [{"id": "q1", "question": "How many people live in Riverton?",
...                   "answers": [{"text": "900", "answer_start": 27}]}]}]}]}
>>> [a] = read_squad(data)
>>> a.sentence_text(a.questions[0].sentence)
'It has 900 people.'
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..ingest.passages import split_sentences


@dataclass(frozen=True)
class SquadQuestion:
    """One question, its answer's text and the index of the body sentence that holds it.
    An unanswerable question (``answered`` false, SQuAD 2.0) has its plausible answer
    instead: the text that seems to answer it, and the sentence that almost does."""

    id: str
    question: str
    answer: str
    sentence: int
    paragraph: int
    answered: bool = True


@dataclass
class SquadArticle:
    """One article: its title, body (paragraphs as blocks), sentences as ``(start, end)``
    offsets into the body, each sentence's paragraph, and its questions."""

    title: str
    body: str
    sentences: list[tuple[int, int]]
    paragraph_of: list[int]
    questions: list[SquadQuestion] = field(default_factory=list)

    def sentence_text(self, i: int) -> str:
        s, e = self.sentences[i]
        return self.body[s:e]

    @property
    def key(self) -> str:
        """A stable hash of the title: how articles are split into training and held-out groups."""
        return hashlib.sha256(self.title.encode("utf-8")).hexdigest()


def _flat(text: str) -> str:
    # A few SQuAD paragraphs hold line breaks (subscripts): spaces keep offsets and blocks.
    return re.sub(r"[\n\r\t]", " ", text)


def squad_json(source: str | Path | dict) -> dict:
    """A SQuAD file parsed (a path), or the parsed JSON itself."""
    return source if isinstance(source, dict) else json.loads(Path(source).read_text(encoding="utf-8"))


def read_squad(source: str | Path | dict, unanswerable: bool = False) -> list[SquadArticle]:
    """The articles of a SQuAD file (a path or the parsed JSON): v1.1, or v2.0 whose
    unanswerable questions (no answer given) are left out; with ``unanswerable``, a v2.0
    file's unanswerable questions alone, each tied to its plausible answer's sentence."""
    data = squad_json(source)
    articles = []
    for entry in data["data"]:
        paragraphs = [_flat(p["context"]).strip() for p in entry["paragraphs"]]
        offsets, body, cursor = [], [], 0
        for text in paragraphs:
            offsets.append(cursor)
            body.append(text)
            cursor += len(text) + 2
        body_text = "\n\n".join(body)
        sentences = split_sentences(body_text)
        paragraph_of = []
        p = 0
        for s, _ in sentences:
            while p + 1 < len(offsets) and offsets[p + 1] <= s:
                p += 1
            paragraph_of.append(p)
        title = entry["title"].replace("_", " ")
        article = SquadArticle(title, body_text, sentences, paragraph_of)
        for p_index, raw in enumerate(entry["paragraphs"]):
            lead = len(_flat(raw["context"])) - len(_flat(raw["context"]).lstrip())
            for qa in raw["qas"]:
                if bool(qa.get("is_impossible") or not qa["answers"]) != unanswerable:
                    continue
                answers = qa.get("plausible_answers") if unanswerable else qa["answers"]
                if not answers:
                    continue
                answer = answers[0]
                start = offsets[p_index] + answer["answer_start"] - lead
                end = start + len(answer["text"])
                found = [i for i, (s, e) in enumerate(sentences) if s <= start and end <= e]
                if not found or body_text[start:end] != _flat(answer["text"]):
                    continue  # crosses a sentence boundary, or an offset SQuAD got wrong
                article.questions.append(SquadQuestion(qa["id"], qa["question"].strip(), answer["text"],
                                                       found[0], p_index, answered=not unanswerable))
        articles.append(article)
    return articles


def read_unanswerable(source: str | Path | dict) -> list[tuple[str, str]]:
    """``(article title, question)`` of each unanswerable question of a SQuAD 2.0 file: on
    topic and plausible, written so that its paragraph seems to answer it, but unanswered."""
    data = squad_json(source)
    return [(entry["title"].replace("_", " "), qa["question"].strip())
            for entry in data["data"] for raw in entry["paragraphs"] for qa in raw["qas"]
            if qa.get("is_impossible") or not qa.get("answers")]


def split_articles(articles: list[SquadArticle], held_out: int) -> tuple[list[SquadArticle], list[SquadArticle]]:
    """``(training, held out)``: the ``held_out`` articles whose title hashes sort first are
    kept apart (the answer model is fitted on them, on reader scores the reader never saw)."""
    ranked = sorted(articles, key=lambda a: a.key)
    held = {a.title for a in ranked[:held_out]}
    return [a for a in articles if a.title not in held], [a for a in articles if a.title in held]
