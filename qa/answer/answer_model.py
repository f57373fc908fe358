"""The learned part of answering: which sentences the reader reads, how its score and the
cheap signals combine into one, and how sure that makes an answer.

Every sentence of the hybrid search's candidate passages has cheap signals
(:data:`SIGNALS`: its cosine with the question and with the question without its names,
the share of the question's other words it holds, the share of the question's names its
article holds, whether it shows the type of answer asked for, and its passage's fused
dense and BM25 score). The **first stage** weighs them into one score; the best
``reader_candidates`` sentences are read by the reader (:mod:`qa.reader.model`), and the
**final** score weighs the reader's score with the cheap signals. A sentence the reader did
not read counts as the weakest it read. Two calibrations turn scores into probabilities:
that a sentence answers (``sentence``), and that the best sentence answers (``answer``,
from its score and how far it leads the next sentences). An answer is given when the
latter reaches ``threshold``.

Every number here is fitted on public training data by ``qa train`` (:mod:`qa.evaluate.fitting`)
and read from ``answer_model.json`` beside the reader; none is set by hand.

>>> model = AnswerModel(first=(1, 0, 0, 0, 0, 0), final=(1, 0, 0, 0, 0, 0, 0, 0),
...                     sentence=(1.0, 0.0), answer=(1.0, 0.0, 0.0, 0.0), threshold=0.5)
>>> round(model.answer_probability([2.0, 1.0], ["a", "b"]), 3)
0.881
"""
from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelError

# An answer is judged against the sentences shown after it: the next hits, up to this many.
RIVALS = 4
# The lead of a sentence with no rival shown (the corpus holds nothing else like it).
NO_RIVAL = 5.0
SIGNALS = ("cosine", "unnamed_cosine", "word_share", "name_share", "gives_type", "fused")
FINAL_SIGNALS = ("reader", "first", *SIGNALS)
ANSWER_SIGNALS = ("top", "lead", "lead_in_article", "bias")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


@dataclass(frozen=True)
class AnswerModel:
    """Fitted weights (see the module's text). ``first`` is over :data:`SIGNALS`, ``final``
    over :data:`FINAL_SIGNALS`; ``sentence`` is ``(scale, offset)`` of the final score;
    ``answer`` is over :data:`ANSWER_SIGNALS`."""

    first: tuple[float, ...]
    final: tuple[float, ...]
    sentence: tuple[float, float]
    answer: tuple[float, ...]
    threshold: float
    fitted_on: dict = field(default_factory=dict)

    def __post_init__(self):
        for name, values, size in (("first", self.first, len(SIGNALS)), ("final", self.final, len(FINAL_SIGNALS)),
                                   ("sentence", self.sentence, 2), ("answer", self.answer, len(ANSWER_SIGNALS))):
            if len(values) != size:
                raise ModelError(f"the answer model's {name} weights have {len(values)} values, not {size}; "
                                 "fit it again with `qa train`")

    def first_scores(self, signals: np.ndarray) -> np.ndarray:
        """The first-stage score of each row of ``signals`` (columns :data:`SIGNALS`)."""
        return np.asarray(signals, dtype=np.float64) @ np.asarray(self.first, dtype=np.float64)

    def final_scores(self, reader: np.ndarray, first: np.ndarray, signals: np.ndarray) -> np.ndarray:
        columns = np.column_stack([reader, first, signals]).astype(np.float64)
        return columns @ np.asarray(self.final, dtype=np.float64)

    def sentence_probability(self, final: np.ndarray) -> np.ndarray:
        scale, offset = self.sentence
        return _sigmoid(scale * np.asarray(final, dtype=np.float64) + offset)

    def answer_probability(self, finals, doc_ids) -> float:
        """How likely the first of the shown sentences answers (:func:`answer_signals`)."""
        return float(_sigmoid(answer_signals(finals, doc_ids) @ np.asarray(self.answer, dtype=np.float64)))

    def to_json(self) -> str:
        data = asdict(self)
        data["signals"] = {"first": list(SIGNALS), "final": list(FINAL_SIGNALS), "answer": list(ANSWER_SIGNALS)}
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "AnswerModel":
        data = json.loads(text)
        names = data.pop("signals", None)
        if names and (names.get("first") != list(SIGNALS) or names.get("final") != list(FINAL_SIGNALS)
                      or names.get("answer") != list(ANSWER_SIGNALS)):
            raise ModelError("the answer model was fitted on other signals than this version computes; "
                             "fit it again with `qa train`")
        return cls(first=tuple(data["first"]), final=tuple(data["final"]), sentence=tuple(data["sentence"]),
                   answer=tuple(data["answer"]), threshold=float(data["threshold"]),
                   fitted_on=data.get("fitted_on") or {})

    @classmethod
    def load(cls, path: str | Path) -> "AnswerModel":
        path = Path(path)
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"the answer model {path} cannot be read ({exc}); reinstall qa-news or fit it "
                             "again with `qa train`") from exc


def answer_signals(finals, doc_ids) -> np.ndarray:
    """The :data:`ANSWER_SIGNALS` of the first of the sentences shown (final scores, best
    first, with their articles): its final score, how far it leads the best of the next
    :data:`RIVALS`, and how far it leads the best of those from its own article (facts
    repeat across articles on one story; within one, two rivals mean the ranking cannot tell).

    >>> answer_signals([2.0, 1.5, 0.5], ["a", "b", "a"]).tolist()
    [2.0, 0.5, 1.5, 1.0]
    """
    finals = np.asarray(finals, dtype=np.float64)
    top = float(finals[0])
    rivals = finals[1: RIVALS + 1]
    same = [f for f, d in zip(rivals, doc_ids[1: RIVALS + 1]) if d == doc_ids[0]]
    lead = top - float(rivals.max()) if len(rivals) else NO_RIVAL
    lead_in_article = top - max(same) if same else NO_RIVAL
    return np.array([top, min(lead, NO_RIVAL), min(lead_in_article, NO_RIVAL), 1.0])


_LOADED: dict[str, AnswerModel] = {}
_LOCK = threading.Lock()


def load_answer_model(path: str | Path) -> AnswerModel:
    """:meth:`AnswerModel.load`, once per file."""
    key = str(Path(path).resolve())
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = AnswerModel.load(key)
        return _LOADED[key]
