"""qa.retrieve compares the corpus with its index only when a file changed since they were
last found in step (qa.store.corpus_stamp); every change is still seen."""
import os
import time

import pytest

import qa
from qa.store import handle as handle_module
from qa.store import corpus_stamp as stamp_module
from qa.store.corpus_stamp import corpus_stamp
from conftest import record_calls


@pytest.fixture
def settled(monkeypatch):
    """Trust stamps at once (files written by a test are younger than the settling time)."""
    monkeypatch.setattr(stamp_module, "SETTLE_SECONDS", 0.0)


@pytest.fixture
def comparisons(monkeypatch):
    """How many times qa.retrieve compared the corpus with the index."""
    return record_calls(monkeypatch, handle_module, "corpus_state", lambda corpus_dir, *_: corpus_dir)


def ask(corpus, tmp_path, question="ferry sank at dawn"):
    return qa.retrieve(question, k=1, corpus_dir=corpus, index_dir=tmp_path / "index")


def test_unchanged_corpus_is_not_read_again(tiny_corpus, tmp_path, monkeypatch, settled, comparisons):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    ask(tiny_corpus, tmp_path)  # builds the index
    ask(tiny_corpus, tmp_path)  # compares once, finds it in step, keeps the stamp
    before = len(comparisons)
    for _ in range(3):
        ask(tiny_corpus, tmp_path)
    assert len(comparisons) == before


def test_edited_added_and_removed_articles_are_seen(tiny_corpus, tmp_path, monkeypatch, settled):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    ask(tiny_corpus, tmp_path)
    ask(tiny_corpus, tmp_path)
    # Edited in place, same size: the change time still moves.
    harbour = tiny_corpus / "harbour.md"
    text = harbour.read_text(encoding="utf-8")
    harbour.write_text(text.replace("corroded cables", "corroded girder"), encoding="utf-8")
    assert "girder" in ask(tiny_corpus, tmp_path, "corroded girder")[0].text
    # Added in a subfolder, then removed.
    (tiny_corpus / "later").mkdir()
    (tiny_corpus / "later" / "ferry.md").write_text("---\ntitle: Ferry\n---\n\nThe ferry sank at dawn off Skye.\n")
    assert ask(tiny_corpus, tmp_path)[0].doc_id.endswith("ferry")
    (tiny_corpus / "later" / "ferry.md").unlink()
    assert not any(h.doc_id.endswith("ferry") for h in qa.retrieve("ferry sank at dawn off Skye", k=5,
                                                                    corpus_dir=tiny_corpus, index_dir=tmp_path / "index"))


def test_a_fresh_change_gives_no_stamp(tiny_corpus, tmp_path):
    """Within the settling time a rewrite could keep size and times: compare instead."""
    assert corpus_stamp(tiny_corpus, tmp_path / "index") is None
    past = time.time() - 60
    for path in tiny_corpus.iterdir():
        os.utime(path, (past, past))
    later = time.time() + 60  # as if asked a minute from now: the change times have settled
    stamp = corpus_stamp(tiny_corpus, tmp_path / "index", now=later)
    assert stamp is not None and stamp == corpus_stamp(tiny_corpus, tmp_path / "index", now=later)
    (tiny_corpus / "new.md").write_text("The ferry sank.")
    assert corpus_stamp(tiny_corpus, tmp_path / "index", now=later + 10) != stamp


def test_missing_corpus_gives_no_stamp(tmp_path):
    assert corpus_stamp(tmp_path / "nowhere", tmp_path / "index") is None


# --- `qa index` with nothing to do: the last build's stamp ---------------------------------

def test_an_unchanged_build_reads_no_article(tiny_corpus, tmp_path, hash_embedder, settled, monkeypatch):
    from qa.store.build import build_index

    (tiny_corpus / "notes.md").write_text("")  # skipped: the quick report still says so
    first = build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    assert first.added and first.skipped
    from qa.store import build as build_module

    def refused(*args, **kwargs):
        raise AssertionError("the corpus was read")

    monkeypatch.setattr(build_module, "load_corpus", refused)
    again = build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    assert not again.changed and sorted(again.unchanged) == sorted(first.added)
    assert again.skipped == first.skipped


def test_an_edit_after_the_build_is_built(tiny_corpus, tmp_path, hash_embedder, settled):
    from qa.store.build import build_index

    index = tmp_path / "index"
    build_index(tiny_corpus, index, embedder=hash_embedder)
    harbour = tiny_corpus / "harbour.md"
    harbour.write_text(harbour.read_text(encoding="utf-8").replace("corroded cables", "corroded girder"))
    assert build_index(tiny_corpus, index, embedder=hash_embedder).updated == ["harbour"]
    (tiny_corpus / "ferry.md").write_text("---\ntitle: Ferry\n---\n\nThe ferry sank at dawn off Skye.\n")
    assert build_index(tiny_corpus, index, embedder=hash_embedder).added == ["ferry"]
    (tiny_corpus / "ferry.md").unlink()
    assert build_index(tiny_corpus, index, embedder=hash_embedder).removed == ["ferry"]
    assert not build_index(tiny_corpus, index, embedder=hash_embedder).changed


def test_another_corpus_or_model_is_not_taken_for_unchanged(tiny_corpus, tmp_path, hash_embedder, settled):
    from qa.embedding.embedder import get_embedder
    from qa.store.build import build_index

    index = tmp_path / "index"
    build_index(tiny_corpus, index, embedder=hash_embedder)
    other = get_embedder("hash:32")
    assert build_index(tiny_corpus, index, embedder=other).full_rebuild
    assert build_index(tiny_corpus, index, rebuild=True, embedder=other).full_rebuild


def test_a_truncated_data_file_is_rebuilt_not_reported_unchanged(tiny_corpus, tmp_path, hash_embedder, settled):
    from qa.store import index_files
    from qa.store.build import build_index

    index = tmp_path / "index"
    build_index(tiny_corpus, index, embedder=hash_embedder)
    manifest = index_files.read_manifest(index)
    name = manifest["files"][f"passages.{manifest['generation']}"]["name"]
    (index / name).write_bytes((index / name).read_bytes()[:-10])
    report = build_index(tiny_corpus, index, embedder=hash_embedder)
    assert report.full_rebuild and "truncated" in report.reason


def test_a_changed_byte_is_repaired_when_the_index_is_next_used(tiny_corpus, tmp_path, hash_embedder, settled,
                                                                monkeypatch):
    """Same size, other bytes: the stamp cannot see it, every load checks sha256, and the
    handle rebuilds the index from its corpus (forgetting the stamp first)."""
    from qa.store import index_files
    from qa.store.build import build_index
    from qa.store.handle import IndexHandle

    monkeypatch.setenv("QA_MODEL", "hash:64")
    index = tmp_path / "index"
    build_index(tiny_corpus, index, embedder=hash_embedder)
    manifest = index_files.read_manifest(index)
    name = manifest["files"][f"passages.{manifest['generation']}"]["name"]
    raw = bytearray((index / name).read_bytes())
    raw[5] = ord("X") if raw[5] != ord("X") else ord("Y")
    (index / name).write_bytes(bytes(raw))
    with pytest.warns(RuntimeWarning, match="rebuilt"):
        handle = IndexHandle(index, tiny_corpus).up_to_date()
    assert len(handle.data.documents) == 2


def test_a_new_process_trusts_the_last_builds_stamp(tiny_corpus, tmp_path, hash_embedder, settled, comparisons,
                                                    monkeypatch):
    from qa.store.build import build_index
    from qa.store.handle import IndexHandle

    monkeypatch.setenv("QA_MODEL", "hash:64")
    build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    IndexHandle(tmp_path / "index", tiny_corpus).up_to_date()  # as a fresh `qa ask` does
    assert comparisons == []
    (tiny_corpus / "ferry.md").write_text("---\ntitle: Ferry\n---\n\nThe ferry sank at dawn off Skye.\n")
    handle = IndexHandle(tmp_path / "index", tiny_corpus).up_to_date()
    assert len(comparisons) == 1 and "ferry" in handle.data.documents


def test_lines_of_told_additions_follow_the_listing_they_were_added_to(tmp_path, settled):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir(), index.mkdir()
    (corpus / "a.md").write_text("The ferry sank.", encoding="utf-8")
    listing = stamp_module.take(corpus)
    stamp_module.record_build(index, 3, corpus, listing, {"skipped": [], "warnings": [], "copies": []})
    (corpus / "b.md").write_text("The ferry was raised.", encoding="utf-8")
    stamp_module.record_added(index, 3, 4, corpus, ["b.md"], {"skipped": [], "warnings": [], "copies": []})
    (corpus / "c.txt").write_text("not read", encoding="utf-8")
    stamp_module.record_added(index, 4, 5, corpus, ["c.txt"], {"skipped": [["c.txt", "not an article"]],
                                                               "warnings": [], "copies": []})
    # Generation 5 is the listing of generation 3 with both lines: the folder as it is now.
    changes = stamp_module.changes_since_build(index, corpus, 5, stamp_module.take(corpus))
    assert changes.unchanged and changes.found["skipped"] == [["c.txt", "not an article"]]
    assert stamp_module.changes_since_build(index, corpus, 4, stamp_module.take(corpus)) is None  # not as at 4
    # A new listing drops the lines; one of an older listing is passed over.
    stamp_module.record_build(index, 6, corpus, stamp_module.take(corpus), {"skipped": [], "warnings": [], "copies": []})
    assert not (index / stamp_module.ADDED_STAMP).exists()
    stamp_module.record_added(index, 5, 7, corpus, ["c.txt"], {"skipped": [], "warnings": [], "copies": []})
    assert stamp_module.changes_since_build(index, corpus, 7, stamp_module.take(corpus)) is None
    assert stamp_module.changes_since_build(index, corpus, 6, stamp_module.take(corpus)).unchanged
