"""A save writes what changed: each update adds one segment of passages, sentence vectors
and BM25, marks the rows of removed passages dead, and merges segments as they pile up;
whatever the history, the index reads back as a fresh build of the same corpus would."""
from __future__ import annotations

import numpy as np
import pytest

from qa.store import index_files, segments
from qa.store.build import build_index

TOWNS = ["Ashby", "Brill", "Corfe", "Dent", "Eyam", "Frome", "Goole", "Hythe", "Ilkley", "Jarrow", "Kendal",
         "Looe", "Mere", "Nairn", "Olney", "Penryn", "Rye", "Selby", "Thame", "Usk"]


SUBJECTS = ["council", "school", "hospital", "library", "harbour", "museum", "railway", "market", "theatre",
            "brewery", "farm", "bakery"]
EVENTS = ["closed for repairs", "won a national award", "lost its funding", "opened a new wing",
          "was sold to a charity", "flooded after the storm", "hired forty workers", "changed its name"]
PEOPLE = ["mayor", "head teacher", "owner", "chairman", "vicar", "inspector", "treasurer"]


def article(town: str, n: int) -> str:
    """A made-up local story, different enough from the others not to be a syndicated copy."""
    thing, other = SUBJECTS[n % len(SUBJECTS)], SUBJECTS[(3 * n + 5) % len(SUBJECTS)]
    event, later = EVENTS[n % len(EVENTS)], EVENTS[(n + 3) % len(EVENTS)]
    person = PEOPLE[n % len(PEOPLE)]
    return (f"---\ntitle: {town} {thing} {event}\npublisher: Shire Post\npublished: 2024-03-{n % 27 + 1:02d}\n---\n\n"
            f"In {town} the {thing} {event} on day {n + 1} of the month. Its {person} said {n + 2} people "
            f"would be affected.\n\nMeanwhile the {other} near {town} {later}, according to reports from "
            f"{TOWNS[(n + 7) % len(TOWNS)]}.\n")


def write(corpus, towns):
    corpus.mkdir(exist_ok=True)
    for n, town in enumerate(towns):
        (corpus / f"{town.lower()}.md").write_text(article(town, n), encoding="utf-8")


def view(index):
    """What a reader of the index sees: each passage's text with its sentence vectors, in
    order, and BM25's scores for a few questions."""
    data = index_files.load_index(index)
    passages = [(p.doc_id, p.text, data.sentence_vectors[p.sentence_rows].round(6).tolist()) for p in data.passages]
    lexical = [data.lexical.scores(q) for q in ("bridge repairs Ashby", "bus route", "library Thursdays Usk")]
    return data, passages, lexical


def same_as_fresh(corpus, index, tmp_path, hash_embedder):
    fresh = tmp_path / "fresh-index"
    build_index(corpus, fresh, embedder=hash_embedder, rebuild=True)
    data, passages, lexical = view(index)
    _, fresh_passages, fresh_lexical = view(fresh)
    assert sorted(passages) == sorted(fresh_passages)
    by_text = {text: i for i, (_, text, _) in enumerate(fresh_passages)}
    for scores, fresh_scores in zip(lexical, fresh_lexical):  # the same score for the same passage
        order = [by_text[text] for _, text, _ in passages]
        np.testing.assert_array_equal(scores, fresh_scores[order])
    return data


def test_adding_an_article_writes_one_segment_and_leaves_the_rest(tmp_path, hash_embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, TOWNS[:6])
    build_index(corpus, index, embedder=hash_embedder)
    first = index_files.read_manifest(index)
    old_files = {e["name"]: (index / e["name"]).stat().st_ino for k, e in first["files"].items() if k != "vectors"}
    write(corpus, TOWNS[:7])
    report = build_index(corpus, index, embedder=hash_embedder)
    assert report.added == ["goole"] and len(report.unchanged) == 6
    manifest = index_files.read_manifest(index)
    assert [s["generation"] for s in manifest["segments"]] == [1, 2]
    assert manifest["segments"][1]["rows"] == report.passages_embedded
    # The first segment's files are the same files, not written again.
    assert {name: (index / name).stat().st_ino for name in old_files} == old_files
    same_as_fresh(corpus, index, tmp_path, hash_embedder)


def test_a_removed_article_leaves_dead_rows_that_nobody_reads(tmp_path, hash_embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, TOWNS[:10])
    build_index(corpus, index, embedder=hash_embedder)
    (corpus / "brill.md").unlink()
    assert build_index(corpus, index, embedder=hash_embedder).removed == ["brill"]
    manifest = index_files.read_manifest(index)
    (segment,) = manifest["segments"]
    assert segment["generation"] == 1 and segment["dead"]  # not rewritten: a tenth is dead
    data = same_as_fresh(corpus, index, tmp_path, hash_embedder)
    assert "brill" not in {p.doc_id for p in data.passages}
    assert not data.lexical.scores("Brill").any()


def test_an_edited_article_is_a_dead_row_and_a_new_one(tmp_path, hash_embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, TOWNS[:10])
    build_index(corpus, index, embedder=hash_embedder)
    path = corpus / "corfe.md"
    path.write_text(path.read_text() + "\nA ferry crossing to the island opened too.\n")
    assert build_index(corpus, index, embedder=hash_embedder).updated == ["corfe"]
    assert [len(s["dead"]) > 0 for s in index_files.read_manifest(index)["segments"]] == [True, False]
    data = same_as_fresh(corpus, index, tmp_path, hash_embedder)
    assert data.passages[int(np.argmax(data.lexical.scores("ferry crossing")))].doc_id == "corfe"


def test_many_updates_merge_segments_and_read_back_as_a_fresh_build(tmp_path, hash_embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, TOWNS[:12])
    build_index(corpus, index, embedder=hash_embedder)
    counts = []
    for n in range(12, len(TOWNS)):
        write(corpus, TOWNS[:n + 1])
        if n % 5 == 0:
            (corpus / f"{TOWNS[n - 3].lower()}.md").unlink()
        build_index(corpus, index, embedder=hash_embedder)
        manifest = index_files.read_manifest(index)
        counts.append(len(manifest["segments"]))
        assert counts[-1] <= segments.MAX_SEGMENTS
    assert max(counts) == segments.MAX_SEGMENTS and counts[-1] < max(counts)  # they piled up, then merged
    assert manifest["segments"][0]["generation"] == 1  # the first, large segment was never rewritten
    data = same_as_fresh(corpus, index, tmp_path, hash_embedder)
    # Sentence vectors no passage reads are those of dead rows, none once merged away.
    read = {r for p in data.passages for r in p.sentence_rows}
    assert len(data.sentence_vectors) >= len(read)
    if not any(s["dead"] for s in manifest["segments"]):
        assert len(data.sentence_vectors) == len(read)


def test_a_segment_file_named_wrongly_in_the_manifest_is_refused(tmp_path, hash_embedder):
    import json

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    write(corpus, TOWNS[:3])
    build_index(corpus, index, embedder=hash_embedder)
    path = index / index_files.MANIFEST
    manifest = json.loads(path.read_text())
    manifest["segments"][0]["rows"] += 1
    path.write_text(json.dumps(manifest))
    with pytest.raises(index_files.IndexCorruptError, match="segment 1 does not hold the rows"):
        index_files.load_index(index)
