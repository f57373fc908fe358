"""The learned answer model: its file, its arithmetic, and the fitting that makes it
(conditional logit, logistic calibration, the threshold for a target precision)."""
from __future__ import annotations

import numpy as np
import pytest

from qa.answer.answer_model import (
    ANSWER_SIGNALS, FINAL_SIGNALS, NO_RIVAL, SIGNALS, AnswerModel, answer_signals,
)
from qa.errors import ModelError
from qa.evaluate.fitting import _conditional_logit, _logistic, choose_threshold


def model(**changes) -> AnswerModel:
    values = dict(first=tuple(range(len(SIGNALS))), final=tuple(range(len(FINAL_SIGNALS))), sentence=(2.0, -1.0),
                  answer=(1.0, 0.5, 0.25, -2.0), threshold=0.7, fitted_on={"data": "test"})
    values.update(changes)
    return AnswerModel(**values)


def test_the_model_file_round_trips():
    m = model()
    assert AnswerModel.from_json(m.to_json()) == m


def test_a_model_fitted_on_other_signals_is_refused_with_what_to_do():
    text = model().to_json().replace('"word_share"', '"overlap"')
    with pytest.raises(ModelError, match="qa train"):
        AnswerModel.from_json(text)
    with pytest.raises(ModelError, match="weights have 2 values"):
        model(first=(1.0, 2.0))


def test_scores_are_the_weighted_signals():
    m = model()
    signals = np.array([[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]], dtype=float)
    assert m.first_scores(signals).tolist() == [0.0, 5.0]
    final = m.final_scores(np.array([1.0, 2.0]), np.array([0.0, 1.0]), signals)
    assert final.tolist() == [0 * 1 + 1 * 0 + 2 * 1, 0 * 2 + 1 * 1 + 7 * 1]
    assert m.sentence_probability(np.array([0.5])).tolist() == [0.5]


def test_the_answer_is_judged_against_the_sentences_shown_after_it():
    assert answer_signals([3.0], ["a"]).tolist() == [3.0, NO_RIVAL, NO_RIVAL, 1.0]
    # Only the next few count, and a rival of the same article counts twice.
    assert answer_signals([3.0, 2.0, 2.5], ["a", "a", "b"]).tolist() == [3.0, 0.5, 1.0, 1.0]
    m = model()
    near = m.answer_probability([3.0, 2.9], ["a", "a"])
    clear = m.answer_probability([3.0, 0.0], ["a", "b"])
    assert 0.0 < near < clear < 1.0


def test_conditional_logit_finds_the_signal_that_marks_the_answer():
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(200):
        x = rng.normal(size=(8, 3))
        scores = 3.0 * x[:, 1] + rng.normal(scale=0.5, size=8)
        positive = np.zeros(8, dtype=bool)
        positive[np.argmax(scores)] = True
        groups.append((x, positive))
    w = _conditional_logit(groups, 3, l2=1e-4)
    assert w[1] > 2.0 and abs(w[0]) < 0.5 and abs(w[2]) < 0.5


def test_logistic_calibration_matches_frequencies():
    rng = np.random.default_rng(1)
    score = rng.normal(size=4000)
    truth = rng.random(4000) < 1.0 / (1.0 + np.exp(-(2.0 * score - 1.0)))
    w = _logistic(np.column_stack([score, np.ones_like(score)]), truth.astype(float), l2=0.0)
    assert w == pytest.approx([2.0, -1.0], abs=0.2)


def test_the_threshold_is_the_lowest_that_keeps_the_precision():
    probability = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    right = np.array([True, True, True, False, True, False])
    assert choose_threshold(probability, right, 0.75) == (0.5, 1.0)
    assert choose_threshold(probability, right, 1.0) == (0.7, 0.75)
    assert choose_threshold(probability, np.zeros(6, dtype=bool), 0.5) == (1.0, 0.0)


def test_signal_names_are_what_the_model_file_lists():
    assert model().to_json().count('"fused"') == 2 and len(ANSWER_SIGNALS) == 4


def test_each_embedding_model_gets_the_answer_model_fitted_for_it():
    """Cosines are signals, so the answer model is fitted per embedding model: all-mpnet-base-v2
    has its own (qa train --fit-only --model all-mpnet-base-v2); a model without one falls back
    to the default model's, and every shipped one loads."""
    from qa.answer.answer_model import AnswerModel
    from qa.config import AnswerSettings

    settings = AnswerSettings()
    folder = settings.reader_folder()
    assert settings.answer_model_path() == folder / "answer_model.json"
    assert settings.answer_model_path("sentence-transformers/all-mpnet-base-v2") == \
        folder / "answer_model-all-mpnet-base-v2.json"
    assert settings.answer_model_path("some/other-model") == folder / "answer_model.json"
    assert settings.answer_model_path("all-mpnet-base-v2-int8") == folder / "answer_model-all-mpnet-base-v2-int8.json"
    default, mpnet, int8 = (AnswerModel.load(settings.answer_model_path(m))
                            for m in (None, "all-mpnet-base-v2", "all-mpnet-base-v2-int8"))
    assert len({default.threshold, mpnet.threshold, int8.threshold}) == 3 and 0 < int8.threshold < 1
