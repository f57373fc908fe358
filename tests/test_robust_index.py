"""Broken indexes: a QAError that says how to recover, or an automatic rebuild that says it
happened; never a crash, never a silently wrong answer. A lock keeps builds apart."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

import qa
from qa.store import index_files as store
from qa.store.build import build_index
from qa.cli import main
from qa.embedding.embedder import HashingEmbedder
from qa.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, QAError

from conftest import ROOT, TINY_ARTICLES, write_articles

QUESTION = "how much did the bridge repairs cost?"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A corpus and its index, built once; each test damages a copy."""
    base = tmp_path_factory.mktemp("pristine")
    corpus = write_articles(base / "corpus", TINY_ARTICLES)
    build_index(corpus, base / "index", embedder=HashingEmbedder(64))
    return base


@pytest.fixture
def site(pristine, tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    shutil.copytree(pristine, tmp_path / "site")
    return tmp_path / "site"


def manifest_of(index):
    return json.loads((index / "manifest.json").read_text())


def write_manifest(index, manifest):
    (index / "manifest.json").write_text(json.dumps(manifest))


def entries_of(index, manifest):
    """The entries of the manifest's articles, by id, as their file holds them."""
    name = manifest["files"][f"documents.{manifest['generation']}"]["name"]
    return dict(json.loads(line) for line in (index / name).read_text().splitlines())


def write_entries(index, manifest, articles):
    """Write the articles' file again, its size and sha256 in the manifest with it: only the
    entries are edited."""
    entry = manifest["files"][f"documents.{manifest['generation']}"]
    path = index / entry["name"]
    path.write_text("".join(json.dumps([doc_id, row]) + "\n" for doc_id, row in articles.items()))
    entry.update(bytes=path.stat().st_size, sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def assert_recovers(site, expect=IndexCorruptError):
    """A direct Retriever says how to recover; qa.retrieve rebuilds, warns, and answers right."""
    with pytest.raises(expect, match=r"qa index") as caught:
        qa.Retriever(site / "index").retrieve(QUESTION)
    assert isinstance(caught.value, QAError)
    with pytest.warns(RuntimeWarning, match="rebuilt the index in .*: the previous index could not be used"):
        hits = qa.retrieve(QUESTION, corpus_dir=site / "corpus", index_dir=site / "index")
    assert hits[0].doc_id == "harbour" and "four million pounds" in hits[0].highlight_text
    assert len(store.load_index(site / "index").documents) == 2
    return caught.value


def damage(path, how):
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flipped":  # same size: only the sha256 can tell
        i = len(data) // 2
        path.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
    elif how == "emptied":
        path.write_bytes(b"")
    elif how == "deleted":
        path.unlink()


@pytest.mark.parametrize("how", ["truncated", "flipped", "emptied", "deleted"])
def test_any_damaged_data_file_is_reported_and_rebuilt(pristine, tmp_path, monkeypatch, how):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    keys = list(manifest_of(pristine / "index")["files"])
    assert {"vectors", "passages", "sentence_vectors"} <= {key.split(".")[0] for key in keys}
    for key in keys:  # every data file the manifest names, whatever new ones appear
        site = tmp_path / key
        shutil.copytree(pristine, site)
        damage(site / "index" / manifest_of(site / "index")["files"][key]["name"], how)
        error = assert_recovers(site)
        assert "qa index --rebuild" in str(error), key


@pytest.mark.parametrize("how", ["truncated", "flipped", "deleted"])
def test_damaged_files_an_addition_wrote_are_reported_and_rebuilt(tmp_path, monkeypatch, how):
    """An addition writes its articles, and with FAISS its vectors, in files of their own
    beside the rest (qa.store.document_files, qa.store.added_vectors): damage to those is
    found and repaired like damage to any other."""
    monkeypatch.setenv("QA_MODEL", "hash:64")
    base = tmp_path / "added"
    corpus = write_articles(base / "corpus", {"harbour.md": TINY_ARTICLES["harbour.md"]})
    build_index(corpus, base / "index", embedder=HashingEmbedder(64))
    write_articles(corpus, {"library.md": TINY_ARTICLES["library.md"]})
    report = build_index(corpus, base / "index", embedder=HashingEmbedder(64))
    assert report.added == ["library"] and not report.full_rebuild
    manifest = manifest_of(base / "index")
    generation = manifest["generation"]
    keys = [key for key in (f"documents.{generation}", f"document_ids.{generation}", f"shingle_owners.{generation}",
                            f"added_vectors.{generation}") if key in manifest["files"]]
    assert keys[:3] == [f"documents.{generation}", f"document_ids.{generation}", f"shingle_owners.{generation}"]
    assert len(keys) == 4 or manifest["store"]["kind"] == "milvus"
    for key in keys:
        site = tmp_path / key
        shutil.copytree(base, site)
        damage(site / "index" / manifest["files"][key]["name"], how)
        error = assert_recovers(site)
        assert "qa index --rebuild" in str(error), key


@pytest.mark.parametrize("how", ["truncated", "flipped", "emptied"])
def test_damaged_manifest_is_reported_and_rebuilt(site, how):
    damage(site / "index" / "manifest.json", how)
    assert_recovers(site)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(model="hash:64"), "'model' is not a name with a positive dimension"),
    (lambda m: m["model"].update(dimension="64"), "'model' is not a name"),
    (lambda m: m.update(files=[]), "'files' is not a mapping"),
    (lambda m: m.update(next_id="12"), "'next_id' or 'documents' has the wrong type"),
    (lambda m: m["files"]["vectors"].pop("sha256"), "lacks name, bytes or sha256"),
    (lambda m: m["files"][passages_key(m)].update(name="../corpus/harbour.md"), "not a file in the index folder"),
    (lambda m: m["files"][passages_key(m)].update(name="/etc/passwd"), "not a file in the index folder"),
    (lambda m: m["segments"][0].update(dead="1"), "'segments' is not a list of segments"),
    (lambda m: m.pop("documents"), "lacks 'documents'"),
    (lambda m: m["documents"].update(harbour=1), "'documents' does not map each generation to its number of articles"),
    (lambda m: m["documents"].update({str(m["generation"]): "2"}), "does not map each generation to its number"),
    (lambda m: m["documents"].update({str(m["generation"] + 1): 1}), "whose articles' files the manifest does not name"),
    (lambda m: m["files"].pop(f"documents.{m['generation']}"), "whose articles' files the manifest does not name"),
    (lambda m: m["files"].pop(f"document_ids.{m['generation']}"), "whose articles' files the manifest does not name"),
    (lambda m: m.update(format="something-else"), "is not a qa index manifest"),
])
def test_edited_manifest_is_an_error_not_a_crash(site, edit, message):
    manifest = manifest_of(site / "index")
    edit(manifest)
    write_manifest(site / "index", manifest)
    error = assert_recovers(site)
    assert message in str(error) and "qa index --rebuild" in str(error)


@pytest.mark.parametrize("edit, message", [
    (lambda a: a.update(harbour="harbour.md"), "the entry of document 'harbour' is not a mapping"),
    (lambda a: a["harbour"].update(passages="3"), "document 'harbour' has 'passages' '3', not a count"),
    (lambda a: a["harbour"].update(extra="x"), "'extra' that is not a mapping"),
    (lambda a: a["harbour"].update(also_published=["copy.md"]), "not a list of mappings"),
    (lambda a: a.pop("harbour"), "holds 1 articles, the manifest says 2"),
    (lambda a: a.update(lib=a.pop("library")), "does not list the ids of documents-"),
])
def test_edited_list_of_articles_is_an_error_not_a_crash(site, edit, message):
    manifest = manifest_of(site / "index")
    articles = entries_of(site / "index", manifest)
    edit(articles)
    write_entries(site / "index", manifest, articles)
    write_manifest(site / "index", manifest)
    error = assert_recovers(site)
    assert message in str(error) and "qa index --rebuild" in str(error)


def test_index_of_another_format_version_is_a_mismatch(site):
    manifest = manifest_of(site / "index")
    manifest["format_version"] = 99
    write_manifest(site / "index", manifest)
    error = assert_recovers(site, expect=IndexMismatchError)
    assert "format 99" in str(error)


def test_missing_manifest_beside_stray_files_means_no_index(site):
    (site / "index" / "manifest.json").unlink()
    # The command that builds this very index: its corpus is the folder beside it.
    with pytest.raises(IndexNotFoundError, match=f"build it with `qa index --corpus {site / 'corpus'}`$"):
        qa.Retriever(site / "index")
    hits = qa.retrieve(QUESTION, corpus_dir=site / "corpus", index_dir=site / "index")
    assert hits[0].doc_id == "harbour"


def passages_key(manifest):
    """The manifest's key of the (first) passage table file."""
    return next(key for key in manifest["files"] if key.startswith("passages."))


def resave(index, change):
    """Write an inconsistent generation the way a buggy update would: hashes all match."""
    data = store.load_index(index)
    change(data)
    data.invalidate()
    data.segments = []  # written whole, the change with it
    store.save_index(data, index)


def drop_row(data):
    data.passages.pop()


def renumber_row(data):
    data.passages[0].id = 10_000


def orphan_row(data):
    data.documents.pop(data.passages[0].doc_id)


def shorten_row(data):
    data.passages[0].sentence_rows = data.passages[0].sentence_rows[:-1]


@pytest.mark.parametrize("change, message", [
    (drop_row, "the vector store holds 2 vectors but the passage table 1"),
    (renumber_row, "the vector store and the passage table hold different passage ids"),
    (orphan_row, "which the manifest does not list"),
    (shorten_row, "sentence offsets and vectors out of step"),
])
def test_passage_table_out_of_step_with_the_vector_store(site, change, message):
    assert len(store.load_index(site / "index").vector_store) == 2  # one passage per tiny article
    resave(site / "index", change)
    error = assert_recovers(site)
    assert message in str(error)


def test_index_built_with_another_model_is_a_mismatch(site):
    with pytest.raises(IndexMismatchError, match=r"built with model 'hash:64', not 'hash:32'.*--rebuild --model hash:32"):
        qa.Retriever(site / "index", model="hash:32")
    with pytest.raises(IndexMismatchError, match="not 'hash:32'"):
        qa.Retriever(site / "index", embedder=HashingEmbedder(32))


class Impostor(HashingEmbedder):
    """The same model name giving vectors of another size, as after a model folder is replaced."""

    def __init__(self):
        super().__init__(32)
        self.name = "hash:64"


def test_same_model_name_other_dimension_is_a_mismatch_not_a_faiss_abort(site):
    retriever = qa.Retriever(site / "index", embedder=Impostor())
    with pytest.raises(IndexMismatchError, match="holds 64-dimensional vectors but model 'hash:64' now gives 32; run `qa index --rebuild`"):
        retriever.retrieve(QUESTION)
    before = (site / "index" / "manifest.json").read_bytes()
    (site / "corpus" / "ferry.md").write_text("---\ntitle: Ferry\n---\n\nThe ferry sank. Nobody was hurt.\n")
    with pytest.raises(IndexMismatchError, match="gives 32-dimensional vectors, the index holds 64"):
        build_index(site / "corpus", site / "index", embedder=Impostor())
    assert (site / "index" / "manifest.json").read_bytes() == before


def test_cli_reports_damage_and_qa_index_repairs_it(site, capsys):
    index = site / "index"
    damage(index / manifest_of(index)["files"]["vectors"]["name"], "truncated")
    assert main(["ask", QUESTION, "--index", str(index)]) == 1
    err = capsys.readouterr().err
    assert "truncated or changed since it was written; run `qa index --rebuild`" in err and "Traceback" not in err
    assert main(["index", "--corpus", str(site / "corpus"), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "full rebuild: the previous index could not be used" in out and "2 added" in out
    assert main(["ask", QUESTION, "--index", str(index)]) == 0


# --- two processes at once -----------------------------------------------------------

SLOW_BUILD = textwrap.dedent("""\
    import sys, time
    from qa.embedding.embedder import HashingEmbedder
    from qa.cli import main
    real = HashingEmbedder.encode
    def slow(self, texts, batch_size=32, progress=None):
        print("building", flush=True)  # the lock is held from here on
        time.sleep(float(sys.argv[1]))
        return real(self, texts, batch_size, progress)
    HashingEmbedder.encode = slow
    sys.exit(main(["index", "--rebuild"]))
    """)


def start_slow_build(env, seconds):
    proc = subprocess.Popen([sys.executable, "-c", SLOW_BUILD, str(seconds)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "building", proc.stderr.read()
    return proc


@pytest.fixture
def env(site):
    return {**os.environ, "QA_MODEL": "hash:64", "QA_CORPUS_DIR": str(site / "corpus"),
            "QA_INDEX_DIR": str(site / "index"), "PYTHONPATH": str(ROOT)}


def test_second_qa_index_run_exits_with_a_clear_message(site, env):
    first = start_slow_build(env, 3)
    try:
        second = subprocess.run([sys.executable, "-m", "qa", "index"], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "another `qa index` is updating" in second.stderr and "wait for it to finish" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert "full rebuild: asked for with --rebuild" in out
    data = store.load_index(site / "index")  # the first build finished whole
    assert sorted(data.documents) == ["harbour", "library"]
    again = subprocess.run([sys.executable, "-m", "qa", "index"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0 and "2 unchanged" in again.stdout


def test_questions_wait_for_a_build_in_another_process(site, env, monkeypatch):
    (site / "corpus" / "ferry.md").write_text("---\ntitle: Ferry\n---\n\nThe ferry sank at dawn. Nobody was hurt.\n")
    first = start_slow_build(env, 2)
    try:
        started = time.perf_counter()
        hits = qa.retrieve("ferry sank at dawn", corpus_dir=site / "corpus", index_dir=site / "index")
        assert time.perf_counter() - started > 0.5  # it waited for the lock rather than failing
        assert hits[0].doc_id == "ferry"
    finally:
        first.communicate(timeout=60)
    assert first.returncode == 0
