"""Speed features that must not change answers: the question cache, the index type chosen
by corpus size, and nothing heavy loaded on ``import qa``."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import qa
import qa.store.index_files as store
from qa.store import faiss_store
from qa.store.build import build_index
from qa.store.faiss_store import FaissStore
from qa.answer.retriever import QuestionCache
from tests.conftest import ROOT, write_articles

HEAVY = ("torch", "faiss", "onnxruntime", "sentence_transformers", "transformers", "gradio")


def _modules_after(code: str) -> set[str]:
    """Top-level modules loaded by running ``code`` in a fresh interpreter."""
    probe = code + "\nimport sys, json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_qa_loads_no_model_or_index_library():
    loaded = _modules_after("import qa; qa.QAError; qa.get_embedder")
    assert "qa" in loaded
    assert not loaded.intersection(HEAVY)


def test_qa_help_loads_no_model_or_index_library():
    loaded = _modules_after(
        "import contextlib, io\n"
        "from qa.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])"
    )
    assert not loaded.intersection(HEAVY)


def test_getting_the_default_embedder_loads_no_model():
    # The dimension comes from the model's configuration; build_index asks for it first.
    loaded = _modules_after("import qa; e = qa.get_embedder(); assert e.dimension == 384, e.dimension")
    assert not loaded.intersection(HEAVY)


# --- the question cache -----------------------------------------------------------------

def test_repeated_question_skips_the_embedder_and_answers_the_same(tiny_corpus, tmp_path, hash_embedder):
    build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(tmp_path / "index", embedder=hash_embedder)
    hash_embedder.calls.clear()

    first = retriever.retrieve("when did the harbour bridge reopen?", k=3)
    assert hash_embedder.calls == [["when did the harbour bridge reopen?"]]
    again = retriever.retrieve("when did the harbour bridge reopen?", k=3)
    assert len(hash_embedder.calls) == 1  # answered from the cache
    assert [h.to_dict() for h in again] == [h.to_dict() for h in first]
    assert first[0].doc_id == "harbour"
    assert retriever.question_vectors.hits == 1

    retriever.retrieve("who staffs the reading rooms?", k=3)
    assert len(hash_embedder.calls) == 2  # another question is embedded


def test_a_question_with_names_is_embedded_with_its_name_free_twin_unless_settings_say_not(
        tiny_corpus, tmp_path, hash_embedder):
    import dataclasses

    from qa.config import AnswerSettings

    build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    question = "when did the Harbour Bridge reopen?"
    hash_embedder.calls.clear()
    qa.Retriever(tmp_path / "index", embedder=hash_embedder).retrieve(question, k=3)
    assert hash_embedder.calls == [[question, "when did the reopen?"]]  # one batch, the twin second
    hash_embedder.calls.clear()
    settings = dataclasses.replace(AnswerSettings(), name_free_twin=False)
    alone = qa.Retriever(tmp_path / "index", embedder=hash_embedder, settings=settings)
    assert alone.retrieve(question, k=3)[0].doc_id == "harbour"
    assert hash_embedder.calls == [[question]]
    assert "no name-free twin" in settings.describe() and "twin" not in AnswerSettings().describe()


def test_warming_reads_every_passage_once_and_changes_no_answer(tiny_corpus, tmp_path, hash_embedder):
    build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    cold = qa.Retriever(tmp_path / "index", embedder=hash_embedder)
    before = [h.to_dict() for h in cold.retrieve("who praised the librarians?", k=3)]
    hash_embedder.calls.clear()

    warmed = qa.Retriever(tmp_path / "index", embedder=hash_embedder)
    warmed.warm()
    assert hash_embedder.calls == [["warm up"]]  # the model is loaded, once
    sentences, articles = warmed._sentence_chooser(warmed.data)
    assert len(sentences) == len(warmed.data.passages)  # every passage's sentences read
    assert len(articles) == len(warmed.data.documents) > 1  # every article's words counted
    assert [h.to_dict() for h in warmed.retrieve("who praised the librarians?", k=3)] == before
    assert len(sentences) == len(warmed.data.passages)


def test_question_cache_forgets_the_least_recently_used():
    cache = QuestionCache(maxsize=2)
    a, b, c = (np.full(4, v, dtype=np.float32) for v in (1, 2, 3))
    cache.put("a", a)
    cache.put("b", b)
    assert cache.get("a") is not None  # "a" is now the most recent
    cache.put("c", c)
    assert cache.get("b") is None and len(cache) == 2
    assert np.array_equal(cache.get("a"), a) and np.array_equal(cache.get("c"), c)
    cache.clear()  # what the benchmarks do between runs
    assert len(cache) == 0 and cache.hits == 0 and cache.get("a") is None


def test_cached_vectors_cannot_be_changed_by_a_caller():
    cache = QuestionCache()
    stored = cache.put("q", np.ones(4, dtype=np.float32))
    with pytest.raises(ValueError):
        stored[0] = 5.0
    assert cache.get("q")[0] == 1.0


def test_question_cache_of_size_zero_keeps_nothing():
    cache = QuestionCache(maxsize=0)
    cache.put("q", np.ones(4))
    assert cache.get("q") is None and len(cache) == 0
    with pytest.raises(ValueError, match="must not be negative"):
        QuestionCache(maxsize=-1)


# --- the index type follows the corpus size ---------------------------------------------

def _unit_rows(n: int, dim: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _store_with(vectors: np.ndarray) -> tuple[FaissStore, np.ndarray]:
    store = FaissStore.empty(vectors.shape[1])
    ids = np.arange(len(vectors), dtype=np.int64) * 3 + 7  # ids that are not row numbers
    store.add(ids, vectors)
    return store, ids


def test_small_index_stays_exact():
    vectors = _unit_rows(50, 16)
    store, _ = _store_with(vectors)
    assert not store.fit_to_size(threshold=100)
    assert store.index_kind == "flat"


def test_large_index_becomes_ivf_with_the_same_ids_and_vectors():
    vectors = _unit_rows(400, 16)
    store, ids = _store_with(vectors)
    assert store.fit_to_size(threshold=100)
    index = store.index
    assert store.index_kind == "ivf" and len(store) == 400
    assert index.nlist == faiss_store.ivf_lists(400) == 64 and index.nprobe == faiss_store.IVF_NPROBE
    # Every list searched: the same answers as brute force, under the same ids.
    index.nprobe = index.nlist
    queries = _unit_rows(5, 16, seed=1)
    _, got = index.search(queries, 5)
    want = ids[np.argsort(-(queries @ vectors.T), axis=1)[:, :5]]
    assert np.array_equal(got, want)
    # Ids can still be read back and removed (incremental updates need both).
    assert np.allclose(store.reconstruct(ids[:3]), vectors[:3])
    assert store.remove(ids[:10]) == 10
    assert len(store) == 390 and set(store.ids().tolist()) == set(ids[10:].tolist())
    assert not store.fit_to_size(threshold=100)  # already the right type


def test_index_shrinking_below_the_threshold_becomes_exact_again():
    store, ids = _store_with(_unit_rows(300, 16))
    store.fit_to_size(threshold=100)
    store.remove(ids[:250])
    assert store.fit_to_size(threshold=100)
    assert store.index_kind == "flat" and len(store) == 50


@pytest.mark.faiss_file
def test_build_switches_to_ivf_past_the_threshold_and_updates_incrementally(tmp_path, monkeypatch, hash_embedder):
    import textwrap

    monkeypatch.setattr(faiss_store, "ANN_THRESHOLD", 20)
    articles = {
        f"story{n}.md": f"---\ntitle: Story {n}\n---\n\n" + " ".join(
            f"Item {n} {w} sentence {m} mentions the word{n}x{m} once." for m, w in enumerate(
                ["river", "school", "market", "bridge", "council", "library"]))
        for n in range(12)  # two passages each
    }
    corpus = write_articles(tmp_path / "corpus", articles)
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, embedder=hash_embedder)
    manifest = store.read_manifest(index_dir)
    assert manifest["store"]["index"] == "ivf" and manifest["store"]["ntotal"] >= 20
    assert manifest["store"]["nprobe"] == manifest["store"]["nlist"]  # tiny: every list searched

    hit = qa.Retriever(index_dir, embedder=hash_embedder).retrieve("word3x4", k=1)[0]
    assert hit.doc_id == "story3" and "word3x4" in hit.text

    (corpus / "story3.md").unlink()
    (corpus / "extra.md").write_text(textwrap.dedent("""\
        ---
        title: Extra
        ---

        The ferry zebra timetable changed. Nobody expected the ferry zebra.
        """))
    report = build_index(corpus, index_dir, embedder=hash_embedder)
    assert report.added == ["extra"] and report.removed == ["story3"] and not report.full_rebuild
    retriever = qa.Retriever(index_dir, embedder=hash_embedder)
    assert retriever.data.vector_store.index_kind == "ivf"
    assert retriever.retrieve("ferry zebra", k=1)[0].doc_id == "extra"
    assert all(h.doc_id != "story3" for h in retriever.retrieve("word3x4", k=10))
