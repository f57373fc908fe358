"""Fitting the answer model end to end (`qa train --fit-only`'s path) on a tiny SQuAD file:
the corpus written and indexed, every question through the answering code, the weights,
calibrations and threshold fitted; and with a SQuAD 2.0 file's unanswerable questions in
the calibration."""
from __future__ import annotations

import json

import pytest

from qa.config import AnswerSettings
from qa.evaluate.fitting import train_answer_model


def _town(n: int, questions: list[dict]) -> dict:
    context = (f"Town {n} has a bridge. The bridge opened in {1900 + n}. About {100 * n} cars cross it daily. "
               f"The mayor of town {n} is called Ann {n}.")
    for qa in questions:
        for answer in qa["answers"]:
            answer["answer_start"] = context.index(answer["text"])
    return {"title": f"Town_{n}", "paragraphs": [{"context": context, "qas": questions}]}


def _answered(n: int) -> list[dict]:
    return [{"id": f"{n}a", "question": f"When did the bridge in town {n} open?", "answers": [{"text": str(1900 + n)}]},
            {"id": f"{n}b", "question": f"How many cars cross the bridge of town {n} daily?",
             "answers": [{"text": str(100 * n)}]},
            {"id": f"{n}c", "question": f"Who is the mayor of town {n}?", "answers": [{"text": f"Ann {n}"}]}]


@pytest.mark.integration
def test_the_answer_model_is_fitted_through_the_answering_code(tmp_path):
    squad = tmp_path / "squad.json"
    squad.write_text(json.dumps({"version": "1.1", "data": [_town(n, _answered(n)) for n in range(1, 9)]}),
                     encoding="utf-8")
    settings = AnswerSettings(reader_candidates=2)
    model = train_answer_model(squad, tmp_path / "work", settings, held_out_articles=3, embedding_model="hash:64",
                               log=lambda message: None)
    assert 0.0 <= model.threshold <= 1.0
    assert len(model.fitted_on["held_out_articles"]) == 3 and len(model.fitted_on["first_stage_articles"]) == 5
    assert "unanswered_questions" not in model.fitted_on

    # A SQuAD 2.0 file: its articles join the corpus, its unanswerable questions the calibration,
    # except one whose name its best article never mentions (the names check refuses it first).
    v2 = tmp_path / "v2.json"
    unanswerable = [{"id": f"{n}x", "question": f"Who built the bridge in town {n}?", "is_impossible": True,
                     "answers": []} for n in (11, 12)]
    unanswerable.append({"id": "12y", "question": "Who built the bridge in Zanzibar?", "is_impossible": True,
                         "answers": []})
    v2.write_text(json.dumps({"version": "v2.0", "data": [
        _town(11, _answered(11)[:1] + unanswerable[:1]), _town(12, unanswerable[1:])]}), encoding="utf-8")
    model = train_answer_model(squad, tmp_path / "work-v2", settings, held_out_articles=3, embedding_model="hash:64",
                               log=lambda message: None, unanswerable_squad=v2)
    assert model.fitted_on["unanswered_questions"] == 2 and 0.0 <= model.threshold <= 1.0
    # A file that repeats a training article is refused: its questions would be fitted twice.
    with pytest.raises(ValueError, match="holds articles of the training file too"):
        train_answer_model(squad, tmp_path / "work-v2", settings, held_out_articles=3, embedding_model="hash:64",
                           log=lambda message: None, unanswerable_squad=squad)
