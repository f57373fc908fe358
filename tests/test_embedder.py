"""The embedder: backends that give the same vectors, and the ONNX export cache."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from qa import ModelError
from qa.embedding.embedder import MeanPoolingEmbedder, get_embedder
from qa.embedding.model_files import is_mean_pooling_model
from tests.conftest import ROOT

SENTENCES = [
    "when was the improvement notice closed?",
    "Ofsted",
    "The improvement notice was issued in 2016, but this has been closed following Ofsted's latest visit.",
    "Wandsworth Council's children's services have been rated as requiring improvement.",
    "Inspectors praised the council's leadership and its work with care leavers. " * 4,
]


# --- without a model --------------------------------------------------------------------

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


def test_batches_are_sorted_by_length_and_bounded_in_texts_and_tokens(monkeypatch):
    from qa.embedding import embedder

    monkeypatch.setattr(embedder, "BATCH_TOKENS", 100)
    lengths = [30, 5, 12, 40, 5, 7, 60, 12]
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches = list(embedder._batches(order, lengths, batch_size=3))
    assert [i for b in batches for i in b] == order  # every text once, shortest first
    assert all(len(b) <= 3 and lengths[b[-1]] * len(b) <= 100 for b in batches)
    assert [len(b) for b in batches] == [3, 3, 1, 1]  # 12x3 fits, 40x2 would not


def test_parallel_batches_put_every_vector_in_its_own_row(monkeypatch):
    """With a stand-in for the transformer (token id -> one-hot row), each text's vector is
    the normalised histogram of its token ids: batching, padding and threads must keep it."""
    from qa.embedding import embedder
    from qa.embedding.model_files import default_model_dir

    dim = 384  # the model's own dimension, read from its configuration

    def one_hot(ids, mask):
        return np.eye(dim, dtype=np.float32)[ids % dim]

    one_hot.bulk = one_hot  # batches side by side, as the ONNX backend runs them
    model = MeanPoolingEmbedder("stand-in", model_dir=default_model_dir())
    model._tokenizer = model._load_tokenizer(model.model_dir)
    model._run = one_hot
    monkeypatch.setattr(embedder, "WORKERS", 3)
    texts = [" ".join(["word"] * n) + f" number {n}" for n in (9, 1, 30, 4, 4, 17, 2, 60, 11)]
    got = model.encode(texts, batch_size=2)
    for text, vector in zip(texts, got):
        ids = np.array(model._tokenizer.encode(text).ids)
        want = np.bincount(ids % dim, minlength=dim).astype(np.float32)
        assert np.allclose(vector, want / np.linalg.norm(want), atol=1e-6)


# --- the real model ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def torch_reference():
    """all-MiniLM-L6-v2 through sentence-transformers on torch: the vectors to match."""
    from sentence_transformers import SentenceTransformer

    from qa.embedding.model_files import default_model_path

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
def test_onnx_export_is_cached_and_the_query_path_loads_no_torch():
    from qa.embedding import onnx_export
    from qa.embedding.model_files import DEFAULT_MODEL_SHA256

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
    from qa.embedding import onnx_export
    from qa.embedding.model_files import DEFAULT_MODEL_SHA256

    get_embedder("all-MiniLM-L6-v2", backend="onnx").encode(["warm the cache"])
    source = onnx_export.export_folder(DEFAULT_MODEL_SHA256)
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    copy = onnx_export.export_folder(DEFAULT_MODEL_SHA256)
    shutil.copytree(source, copy)
    size = (copy / "model.onnx").stat().st_size
    (copy / "model.onnx").write_bytes(b"\0" * size)  # same size, not a model

    embedder = MeanPoolingEmbedder("all-MiniLM-L6-v2", backend="auto")
    with pytest.warns(RuntimeWarning, match="embedding with torch instead"):
        vector = embedder.encode(["when was the improvement notice closed?"])
    assert embedder.backend == "torch" and vector.shape == (1, 384)
    assert not (copy / "export.json").exists()  # the next use exports again


@pytest.mark.integration
def test_a_model_s_int8_copy_is_another_model_run_by_onnx_runtime_alone(tmp_path, monkeypatch):
    from qa.embedding import onnx_export
    from qa.embedding.model_files import DEFAULT_MODEL_SHA256

    get_embedder("all-MiniLM-L6-v2", backend="onnx").encode(["warm the cache"])
    source = onnx_export.export_folder(DEFAULT_MODEL_SHA256)
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(source, onnx_export.export_folder(DEFAULT_MODEL_SHA256))  # as a first use leaves it
    int8 = MeanPoolingEmbedder("all-MiniLM-L6-v2-int8", backend="auto", int8=True)
    full = MeanPoolingEmbedder("all-MiniLM-L6-v2", backend="onnx")
    a, b = int8.encode(SENTENCES), full.encode(SENTENCES)
    cosines = np.sum(a * b, axis=1)
    assert a.shape == b.shape and int8.backend == "onnx"
    # Close to the float32 model, but not its vectors: an index holds one model's or the other's.
    assert 0.9 < cosines.min() and cosines.max() < 0.99999
    # The int8 copy is made once, from the float32 export, and cached beside it.
    record = json.loads((onnx_export.export_folder(DEFAULT_MODEL_SHA256, int8=True) / "export.json").read_text())
    assert record["weights_sha256"] == DEFAULT_MODEL_SHA256 and "int8" in record["quantisation"]
    assert 0.9 < record["min_cosine_vs_float32"] < 1
    assert (onnx_export.export_folder(DEFAULT_MODEL_SHA256) / "export.json").is_file()
    # The name says which: "-int8" after a shipped model's name.
    assert get_embedder("all-MiniLM-L6-v2-int8").int8 and not get_embedder("all-MiniLM-L6-v2").int8
    with pytest.raises(ModelError, match="ONNX Runtime only"):
        get_embedder("all-MiniLM-L6-v2-int8", backend="torch")
