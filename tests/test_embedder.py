"""The embedder: backends, passage + sentence vectors from one pass, the ONNX export cache."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from qa import ModelError
from qa.embedder import (
    HashingEmbedder,
    MeanPoolingEmbedder,
    encode_passages,
    get_embedder,
    is_mean_pooling_model,
)
from tests.conftest import ROOT

SENTENCES = [
    "when was the improvement notice closed?",
    "Ofsted",
    "The improvement notice was issued in 2016, but this has been closed following Ofsted's latest visit.",
    "Wandsworth Council's children's services have been rated as requiring improvement.",
    "Inspectors praised the council's leadership and its work with care leavers. " * 4,
]
PASSAGE = "The notice was issued in 2016. It has been closed following Ofsted's latest visit. The board meets monthly."


def _spans(text: str) -> list[tuple[int, int]]:
    from qa.passages import split_sentences

    return split_sentences(text)


# --- without a model --------------------------------------------------------------------

def test_other_embedders_get_sentence_vectors_by_embedding_each_distinct_sentence_once():
    embedder = HashingEmbedder(64)
    second = "It has been closed following Ofsted's latest visit. A new board was formed."
    passages, sentences = encode_passages(embedder, [PASSAGE, second], [_spans(PASSAGE), _spans(second)])
    assert passages.shape == (2, 64) and [s.shape for s in sentences] == [(3, 64), (2, 64)]
    assert np.allclose(passages, embedder.encode([PASSAGE, second]))
    closed = "It has been closed following Ofsted's latest visit."
    assert np.allclose(sentences[0][1], embedder.encode([closed])[0])
    assert np.allclose(sentences[1][0], sentences[0][1])
    embedded = [t for batch in embedder.calls for t in batch]
    assert embedded.count(closed) == 2  # once in the direct check above, once in encode_passages


def test_unknown_backend_is_refused_with_the_choices(monkeypatch):
    with pytest.raises(ModelError, match="auto, onnx, torch"):
        get_embedder("hash:16", backend="tensorflow")
    monkeypatch.setenv("QA_BACKEND", "gpu")
    with pytest.raises(ModelError, match="QA_BACKEND='gpu'.*auto, onnx, torch"):
        get_embedder("hash:16")


def test_onnx_backend_refuses_a_model_it_cannot_run(tmp_path):
    with pytest.raises(ModelError, match="QA_BACKEND=torch"):
        get_embedder(str(tmp_path / "not-a-model"), backend="onnx")


def _model_folder(tmp_path, pooling: dict) -> object:
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 32, **pooling}))
    (folder / "tokenizer.json").write_text("{}")
    return folder


def test_only_mean_pooling_models_run_as_mean_pooling(tmp_path):
    mean = _model_folder(tmp_path / "a", {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False})
    cls = _model_folder(tmp_path / "b", {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True})
    assert is_mean_pooling_model(mean) and not is_mean_pooling_model(cls)
    assert not is_mean_pooling_model(tmp_path / "missing")
    embedder = get_embedder(str(mean), backend="torch")
    assert isinstance(embedder, MeanPoolingEmbedder) and embedder.dimension == 32


# --- the real model ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def torch_reference():
    """all-MiniLM-L6-v2 through sentence-transformers on torch: the vectors to match."""
    from sentence_transformers import SentenceTransformer

    from qa.embedder import default_model_path

    model = SentenceTransformer(str(default_model_path()), device="cpu")
    return lambda texts: model.encode(list(texts), normalize_embeddings=True)


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_backends_give_the_sentence_transformers_vectors(backend, torch_reference):
    embedder = get_embedder("all-MiniLM-L6-v2", backend=backend)
    got = embedder.encode(SENTENCES, batch_size=2)  # several batches, padded within each
    assert embedder.backend == backend
    cosine = np.sum(got * torch_reference(SENTENCES), axis=1)
    assert cosine.min() > 0.999, cosine
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


@pytest.mark.integration
def test_onnx_and_torch_agree_on_passage_and_sentence_vectors():
    texts = [PASSAGE, SENTENCES[2], SENTENCES[4]]
    spans = [_spans(t) for t in texts]
    onnx = get_embedder("all-MiniLM-L6-v2", backend="onnx").encode_passages(texts, spans)
    torch = get_embedder("all-MiniLM-L6-v2", backend="torch").encode_passages(texts, spans)
    assert np.sum(onnx[0] * torch[0], axis=1).min() > 0.999
    for a, b in zip(onnx[1], torch[1]):
        assert np.sum(a * b, axis=1).min() > 0.999


@pytest.mark.integration
def test_sentence_vectors_from_the_passage_match_the_question_to_its_sentence():
    embedder = get_embedder("all-MiniLM-L6-v2")
    text = ("The harbour bridge reopened on Friday after six months of repairs. The council said the repairs "
            "cost four million pounds. The town library will open on Sundays from October.")
    _, (sentences,) = embedder.encode_passages([text], [_spans(text)])
    questions = embedder.encode(["how much did the repairs cost?", "when does the library open on Sundays?"])
    assert np.argmax(sentences @ questions.T, axis=0).tolist() == [1, 2]


@pytest.mark.integration
def test_a_sentence_past_the_token_limit_is_embedded_on_its_own(torch_reference):
    filler = "Word " * 300 + "ends here."  # more than 256 tokens: the second sentence is cut off
    text = filler + " The ferry zebra timetable changed."
    spans = _spans(text)
    assert len(spans) == 2
    _, (sentences,) = get_embedder("all-MiniLM-L6-v2").encode_passages([text], [spans])
    alone = torch_reference(["The ferry zebra timetable changed."])[0]
    assert float(sentences[1] @ alone) > 0.999


@pytest.mark.integration
def test_onnx_export_is_cached_and_the_query_path_loads_no_torch():
    from qa import onnx_export
    from qa.embedder import DEFAULT_MODEL_SHA256

    get_embedder("all-MiniLM-L6-v2", backend="onnx").encode(["warm the cache"])
    folder = onnx_export.export_folder(DEFAULT_MODEL_SHA256)
    record = json.loads((folder / "export.json").read_text())
    assert record["weights_sha256"] == DEFAULT_MODEL_SHA256 and record["min_cosine_vs_torch"] >= 0.9999
    probe = (
        "import sys, json, qa\n"
        "e = qa.get_embedder('all-MiniLM-L6-v2', backend='onnx')\n"
        "v = e.encode(['when was the improvement notice closed?'])\n"
        "print(json.dumps([e.backend, v.shape[1], 'torch' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["onnx", 384, False]


@pytest.mark.integration
def test_a_damaged_export_falls_back_to_torch_and_is_redone(tmp_path, monkeypatch):
    from qa import onnx_export
    from qa.embedder import DEFAULT_MODEL_SHA256

    get_embedder("all-MiniLM-L6-v2", backend="onnx").encode(["warm the cache"])
    source = onnx_export.export_folder(DEFAULT_MODEL_SHA256)
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    copy = onnx_export.export_folder(DEFAULT_MODEL_SHA256)
    shutil.copytree(source, copy)
    size = (copy / "model.onnx").stat().st_size
    (copy / "model.onnx").write_bytes(b"\0" * size)  # same size, not a model

    embedder = MeanPoolingEmbedder("all-MiniLM-L6-v2", backend="auto", verify_default=True)
    with pytest.warns(RuntimeWarning, match="embedding with torch instead"):
        vector = embedder.encode(["when was the improvement notice closed?"])
    assert embedder.backend == "torch" and vector.shape == (1, 384)
    assert not (copy / "export.json").exists()  # the next use exports again
