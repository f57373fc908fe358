"""The reader: the shipped cross-encoder (its hash, its scores, its tokenisation beside the
library it was trained with) and the training command end to end on a tiny SQuAD file."""
from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest

from qa.errors import ModelError
from qa.reader.inputs import pair_text
from qa.reader.model import MODEL_DIR, Reader, default_reader

PAIRS = [
    ("When was the improvement notice closed?",
     [("Notice closed", "The improvement notice has been closed following Ofsted's latest visit in May."),
      ("Notice closed", "Inspectors praised the council's leadership."),
      ("Notice closed", "The board must meet at least every four weeks.")]),
    ("How many people signed the petition?",
     [("Library saved", "The library opened in 1904 and was extended in 1970."),
      ("Library saved", "More than 3,000 people signed a petition to keep it open.")]),
    ("Who chairs the improvement board?",
     [("Board", "The board meets every month in the town hall."),
      ("Board", "The board is chaired by Jane Smith, a former director of children's services.")]),
]
ANSWERS = [0, 1, 1]


def test_the_shipped_reader_prefers_the_sentence_that_answers():
    reader = default_reader()
    for (question, candidates), answer in zip(PAIRS, ANSWERS):
        scores = reader.score(question, candidates)
        assert scores.shape == (len(candidates),) and int(np.argmax(scores)) == answer, (question, scores)
    assert reader.score("anything?", []).shape == (0,)
    # Batched or alone, a pair gets nearly the same score and the same place: int8 dynamic
    # quantisation scales activations per batch, so a score moves with its batch companions
    # (up to 0.8, mean 0.08, on 480 squad-train pairs; experiments/reader/README.md), but
    # padding is masked out and the order holds.
    question, candidates = PAIRS[0]
    alone = np.array([float(reader.score(question, [c])[0]) for c in candidates])
    batched = reader.score(question, candidates)
    np.testing.assert_allclose(batched, alone, atol=0.8)
    assert list(np.argsort(batched)) == list(np.argsort(alone))
    # The same batch gives the same scores every time.
    np.testing.assert_array_equal(reader.score(question, candidates), batched)


def test_the_reader_manifest_names_the_graph_and_its_hash():
    manifest = json.loads((MODEL_DIR / "reader.json").read_text(encoding="utf-8"))
    assert (MODEL_DIR / manifest["graph"]).is_file() and len(manifest["sha256"]) == 64
    assert manifest["training"]["settings"]["layers"] >= 1
    assert (MODEL_DIR / "answer_model.json").is_file() and (MODEL_DIR / "MODEL_CARD.md").is_file()


def test_a_changed_graph_is_refused_with_what_to_do(tmp_path):
    copy = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, copy)
    graph = copy / json.loads((copy / "reader.json").read_text(encoding="utf-8"))["graph"]
    data = bytearray(graph.read_bytes())
    data[-100] ^= 0xFF
    graph.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="reinstall qa-news or train the reader again"):
        Reader(copy).score("q?", [("", "s.")])
    with pytest.raises(ModelError, match="manifest"):
        Reader(tmp_path / "nowhere")


def test_pairs_are_tokenised_as_the_training_library_tokenised_them():
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    from qa.embedding.model_files import default_model_path

    manifest = json.loads((MODEL_DIR / "reader.json").read_text(encoding="utf-8"))
    fast = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    fast.enable_truncation(manifest["max_length"], strategy="only_second")
    training = AutoTokenizer.from_pretrained(str(default_model_path()))  # what qa.reader.training reads with
    long_sentence = " ".join(["The council said the budget gap would be closed by cuts."] * 20)
    for question, title, sentence in [("when was it closed?", "Notice closed", "It closed in May 2018."),
                                      ("How much?", "", long_sentence), ("Qui a gagné ?", "Été", "L’équipe a gagné.")]:
        ours = fast.encode(question, pair_text(title, sentence))
        theirs = training(question, pair_text(title, sentence), truncation="only_second",
                          max_length=manifest["max_length"])
        assert ours.ids == theirs["input_ids"] and ours.type_ids == theirs["token_type_ids"]


TINY_SQUAD = {"version": "1.1", "data": [
    {"title": f"Town_{n}", "paragraphs": [
        {"context": f"Town {n} has a bridge. The bridge opened in {1900 + n}. About {100 * n} cars cross it daily. "
                    f"The mayor of town {n} is called Ann {n}.",
         "qas": [{"id": f"{n}a", "question": f"When did the bridge in town {n} open?",
                  "answers": [{"text": str(1900 + n), "answer_start": 43 + len(str(n)) * 2}]},
                 {"id": f"{n}b", "question": f"How many cars cross the bridge of town {n}?",
                  "answers": [{"text": str(100 * n), "answer_start": 0}]}]}]}
    for n in range(1, 9)]}


@pytest.mark.integration
def test_the_training_command_trains_exports_and_loads_a_reader(tmp_path):
    from qa.reader.export import export
    from qa.reader.settings import TrainingSettings
    from qa.reader.training import train

    for article in TINY_SQUAD["data"]:  # answer offsets from the text, as SQuAD gives them
        context = article["paragraphs"][0]["context"]
        for qa in article["paragraphs"][0]["qas"]:
            qa["answers"][0]["answer_start"] = context.index(qa["answers"][0]["text"])
    squad = tmp_path / "squad.json"
    squad.write_text(json.dumps(TINY_SQUAD), encoding="utf-8")
    settings = TrainingSettings(layers=1, epochs=1, held_out_articles=2, max_length=48, hard_negatives=1,
                                paragraph_negatives=1, other_article_negatives=1)
    # Another SQuAD file is trained on too, never held out; one that repeats an article is refused.
    first, *others = TINY_SQUAD["data"]
    more = tmp_path / "more.json"
    more.write_text(json.dumps({"version": "v2.0", "data": [{**first, "title": "Another " + first["title"]}]}),
                    encoding="utf-8")
    repeated = tmp_path / "repeated.json"
    repeated.write_text(json.dumps({"data": [first]}), encoding="utf-8")
    with pytest.raises(SystemExit, match="holds articles of"):
        train(squad, tmp_path / "refused", settings, log=lambda message: None, more=[repeated])
    # A SQuAD 2.0 file's unanswerable questions join as questions with no answer; one of an
    # article of the training file is refused.
    ferry = "Millbrook has a ferry. It carries 40 cars a trip."
    unanswerable = tmp_path / "unanswerable.json"
    unanswerable.write_text(json.dumps({"version": "v2.0", "data": [{"title": "Millbrook_Ferry", "paragraphs": [
        {"context": ferry, "qas": [{"id": "u1", "question": "How many lorries does the ferry carry?",
                                    "is_impossible": True, "answers": [],
                                    "plausible_answers": [{"text": "40", "answer_start": ferry.index("40")}]}]}]}]}),
        encoding="utf-8")
    with pytest.raises(SystemExit, match="must come from other articles"):
        train(squad, tmp_path / "refused", settings, log=lambda message: None, unanswerable=squad)
    # With a teacher (here the hashing embedder), whose cosines are a second target.
    taught = dataclasses.replace(settings, teacher="hash:32", teacher_weight=0.5)
    trained = train(squad, tmp_path / "trained", taught, log=lambda message: None, more=[more],
                    unanswerable=unanswerable)
    record = json.loads((trained / "training.json").read_text(encoding="utf-8"))
    assert record["settings"]["layers"] == 1 and len(record["held_out"]) == 2
    assert record["settings"]["teacher"] == "hash:32" and record["settings"]["teacher_weight"] == 0.5
    assert "Another " + first["title"].replace("_", " ") in record["trained_on"]
    assert record["questions"] == 12 + len(first["paragraphs"][0]["qas"]) + 1
    assert record["unanswerable_squad"]["questions"] == 1 and "Millbrook Ferry" in record["trained_on"]
    assert record["more_squad"][0]["file"] == "more.json" and len(record["more_squad"][0]["sha256"]) == 64
    out = export(trained, tmp_path / "reader", max_length=48)
    reader = Reader(out)
    assert reader.score("When did the bridge open?", [("Town", "The bridge opened in 1901."), ("Town", "Hi.")]).shape == (2,)
    assert json.loads((out / "reader.json").read_text(encoding="utf-8"))["training"]["settings"]["max_length"] == 48


def test_an_unanswerable_question_is_a_group_whose_every_sentence_does_not_answer():
    from qa.reader.settings import TrainingSettings
    from qa.reader.squad import read_squad
    from qa.reader.training import build_groups

    context = "Millbrook has a ferry. It carries 40 cars a trip. The old ferry carried 40 cars too."
    qas = [{"id": "a", "question": "How many cars does the ferry carry?",
            "answers": [{"text": "40", "answer_start": context.index("40")}]},
           {"id": "u", "question": "How many lorries does the ferry carry?", "is_impossible": True, "answers": [],
            "plausible_answers": [{"text": "40", "answer_start": context.index("40")}]}]
    data = {"version": "v2.0", "data": [{"title": "Millbrook", "paragraphs": [{"context": context, "qas": qas}]},
                                        {"title": "Riverton", "paragraphs": [{"context": "Riverton is a town.", "qas": []}]}]}
    embed = lambda texts: np.eye(len(texts), 8, dtype=np.float32)  # noqa: E731
    [group] = build_groups(read_squad(data), TrainingSettings(), embed)
    [empty] = build_groups(read_squad(data, unanswerable=True), TrainingSettings(), embed)
    assert group.answered and not empty.answered
    assert group.positive == empty.positive == ("It carries 40 cars a trip.", "Millbrook has a ferry.")
    # The other sentence holding "40" answers the answerable question too, so it is never its
    # negative; for the unanswerable one nothing answers, and it may be.
    holding = "The old ferry carried 40 cars too."
    assert holding not in [s for s, _ in group.hard] and holding in [s for s, _ in empty.hard]


def test_a_teacher_s_cosines_pull_the_reader_toward_its_ranking():
    torch = pytest.importorskip("torch")
    from qa.reader.training import TeacherCosines

    unit = lambda *v: np.array(v, dtype=np.float32) / np.linalg.norm(v)  # noqa: E731
    question = "Who leads the council?"
    sentences = {"Jane Smith leads it.": unit(1, 0.1), "The budget is £7m.": unit(0, 1), "Hi.": unit(0.2, 1)}
    teacher = TeacherCosines({question: unit(1, 0), question.lower(): unit(1, 0)}, sentences, temperature=0.05)
    pairs = [(question, "Council", (s, "")) for s in sentences]
    agreeing = torch.tensor([[4.0, 0.0, 0.0]])
    disagreeing = torch.tensor([[0.0, 4.0, 0.0]])
    assert float(teacher.divergence(pairs, agreeing, 3)) < 0.1 < float(teacher.divergence(pairs, disagreeing, 3))
    # A question lower-cased by the draws is read as the question it came from.
    lowered = [(question.lower(), t, s) for _, t, s in pairs]
    assert float(teacher.divergence(lowered, agreeing, 3)) == pytest.approx(float(teacher.divergence(pairs, agreeing, 3)))


def test_the_training_command_wants_a_teacher_for_a_teacher_s_weight(capsys):
    from qa.reader.training import main

    with pytest.raises(SystemExit):
        main(["--squad", "x.json", "--out", "out", "--teacher-weight", "0.5"])
    assert "--teacher-weight needs --teacher MODEL" in capsys.readouterr().err


def test_each_layer_learns_at_its_share_of_the_rate_above_it():
    from transformers import BertConfig, BertForSequenceClassification

    from qa.reader.settings import TrainingSettings
    from qa.reader.training import parameter_groups

    model = BertForSequenceClassification(BertConfig(hidden_size=16, num_hidden_layers=3, num_attention_heads=2,
                                                     intermediate_size=32, num_labels=1))
    model.bert.encoder.layer[0].output.dense.weight.requires_grad = False  # frozen: left out

    def rate_of(settings):
        groups = parameter_groups(model, settings)
        rates = {id(p): (g["lr"], g["weight_decay"]) for g in groups for p in g["params"]}
        return {n: rates.get(id(p)) for n, p in model.named_parameters()}

    alike = rate_of(TrainingSettings(layer_decay=1.0))  # as shipped: one rate, no decay for biases and norms
    assert alike["classifier.weight"] == (4e-5, 0.01) and alike["bert.embeddings.LayerNorm.weight"] == (4e-5, 0.0)
    assert alike["bert.encoder.layer.0.output.dense.weight"] is None
    decayed = rate_of(TrainingSettings(layer_decay=0.5))
    assert decayed["classifier.weight"][0] == decayed["bert.encoder.layer.2.output.dense.weight"][0] == 4e-5
    assert decayed["bert.encoder.layer.1.attention.self.query.bias"] == (2e-5, 0.0)
    assert decayed["bert.encoder.layer.0.attention.self.query.weight"] == (1e-5, 0.01)
    assert decayed["bert.embeddings.word_embeddings.weight"] == (5e-6, 0.01)


def test_the_training_command_refuses_a_layer_decay_outside_0_to_1(capsys):
    from qa.reader.training import main

    with pytest.raises(SystemExit):
        main(["--squad", "x.json", "--out", "out", "--layer-decay", "1.5"])
    assert "--layer-decay must be above 0 and at most 1" in capsys.readouterr().err
