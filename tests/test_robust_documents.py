"""Bad documents: each is indexed if its text is usable, or skipped with the file and the
reason, and nothing else in the index is lost."""
import random
import time

import pytest

import qa
from qa.store import index_files as store
from qa.store.build import build_index
from qa.cli import main
from qa.ingest.documents import MAX_BODY_CHARS, MAX_FILE_BYTES, load_corpus, read_document
from qa.errors import CorpusError, DocumentError

GOOD = "---\ntitle: Harbour bridge reopens\npublisher: Coast Times\n---\n\nThe harbour bridge reopened on Friday. Engineers replaced the cables.\n"


def skipped(report) -> dict[str, str]:
    return {path.rsplit("/", 1)[-1]: reason for path, reason in report.skipped}


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD)
    return folder


def test_empty_and_blank_files_are_skipped_by_name(corpus, tmp_path, hash_embedder):
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "blank.txt").write_text("  \n\n\t\n")
    (corpus / "only-front-matter.md").write_text("---\ntitle: Nothing here\n---\n")
    report = build_index(corpus, tmp_path / "index", embedder=hash_embedder)
    reasons = skipped(report)
    assert "is empty" in reasons["empty.md"] and "is empty" in reasons["blank.txt"]
    assert "no article text" in reasons["only-front-matter.md"]
    assert report.added == ["good"]
    assert "skipped   " in report.summary() and "empty.md: is empty" in report.summary()


def test_binary_files_are_skipped_even_without_nul_bytes(corpus):
    rng = random.Random(7)
    noise = bytes(b for b in rng.randbytes(20_000) if b)  # no NUL: only the content check can tell
    (corpus / "photo.md").write_bytes(noise)
    (corpus / "nul.txt").write_bytes(b"PK\x03\x04\x00\x00binary zip")
    docs, problems = load_corpus(corpus)
    assert [d.doc_id for d in docs] == ["good"]
    reasons = {p.path.rsplit("/", 1)[-1]: p.reason for p in problems}
    assert "binary" in reasons["photo.md"] and "binary" in reasons["nul.txt"]


def test_utf16_text_with_byte_order_mark_is_read(corpus):
    text = "Council opens new park\n\nThe park opened today. It has a pond and a café.\n"
    (corpus / "park.txt").write_bytes(text.encode("utf-16"))  # BOM + NUL-rich bytes
    doc = read_document(corpus / "park.txt", corpus)
    assert doc.title == "Council opens new park" and doc.body.endswith("a pond and a café.")


def test_latin1_and_windows1252_files_are_decoded(corpus, tmp_path, hash_embedder):
    latin = "---\ntitle: Le café de la gare\n---\n\nLe café de la gare a rouvert. Ça coûte très cher à Noël.\n"
    cp1252 = "---\ntitle: Council’s “notice” closed\n---\n\nThe council’s “improvement notice” was closed – at last. It cost £40.\n"
    (corpus / "latin.md").write_bytes(latin.encode("latin-1"))
    (corpus / "windows.md").write_bytes(cp1252.encode("cp1252"))
    report = build_index(corpus, tmp_path / "index", embedder=hash_embedder)
    assert sorted(report.added) == ["good", "latin", "windows"] and not report.skipped
    data = store.load_index(tmp_path / "index")
    assert data.documents["latin"].title == "Le café de la gare"
    assert data.documents["windows"].title == "Council’s “notice” closed"
    texts = " ".join(p.text for p in data.passages)
    assert "Ça coûte très cher à Noël." in texts and "“improvement notice” was closed – at last" in texts


def test_ten_megabyte_file_is_skipped_quickly_with_the_limit(corpus, tmp_path, hash_embedder):
    sentence = "The committee met again on Tuesday to discuss the budget in detail. "
    (corpus / "huge.txt").write_text("Huge file\n\n" + sentence * (10 * 1024 * 1024 // len(sentence)))
    started = time.perf_counter()
    report = build_index(corpus, tmp_path / "index", embedder=hash_embedder)
    assert time.perf_counter() - started < 10
    reason = skipped(report)["huge.txt"]
    assert "is 10.0 MB, over the 5.0 MB limit for an article; split it" in reason
    assert MAX_FILE_BYTES == 5 * 1024 * 1024
    assert report.added == ["good"]


def test_text_over_the_character_limit_is_skipped(corpus):
    sentence = "The committee met again on Tuesday to discuss the budget in detail. "
    body = sentence * (MAX_BODY_CHARS // len(sentence) + 100)
    assert len(body.encode()) < MAX_FILE_BYTES
    (corpus / "book.txt").write_text("A book, not an article\n\n" + body)
    with pytest.raises(DocumentError, match=r"book.txt: has [\d,]+ characters of text, over the 200,000 limit"):
        read_document(corpus / "book.txt", corpus)
    # the limits are arguments: a caller who wants it can index it
    assert len(read_document(corpus / "book.txt", corpus, max_chars=10**7).body) > MAX_BODY_CHARS


def test_duplicate_content_is_indexed_once(corpus, tmp_path, hash_embedder):
    (corpus / "zz-copy.md").write_text(GOOD.replace("Engineers", "Engineers ").replace("\n\n", "\n\n\n"))
    report = build_index(corpus, tmp_path / "index", embedder=hash_embedder)
    assert report.added == ["good"]
    assert skipped(report)["zz-copy.md"] == "same text and publisher as good.md; not indexed twice"
    hits = qa.Retriever(tmp_path / "index", embedder=hash_embedder).retrieve("bridge cables", k=5)
    assert {h.doc_id for h in hits} == {"good"}


def test_missing_front_matter_uses_heading_or_file_name(corpus):
    (corpus / "headed.md").write_text("# Ferry sinks at dawn\n\nThe ferry sank at dawn. All were rescued.\n")
    (corpus / "bare-article.md").write_text("The ferry sank at dawn. All were rescued by lifeboats.\n")
    headed = read_document(corpus / "headed.md", corpus)
    bare = read_document(corpus / "bare-article.md", corpus)
    assert headed.title == "Ferry sinks at dawn" and headed.body == "The ferry sank at dawn. All were rescued."
    assert bare.title == "bare article" and bare.body.startswith("The ferry sank")
    assert headed.warnings == bare.warnings == []


@pytest.mark.parametrize("front, title", [
    ("title: Breaking: council fails inspection\npublisher: Coast Times", "Breaking: council fails inspection"),
    ("title: [click](javascript:alert(1)) council\npublisher: Coast Times", "[click](javascript:alert(1)) council"),
    ("title: 'Council fails'\npublished: 2016-13-45\npublisher: Coast Times", "Council fails"),
    ("- a list\n- not a mapping", "bad"),
])
def test_malformed_front_matter_keeps_the_text_and_what_fields_it_can(corpus, tmp_path, hash_embedder, front, title):
    (corpus / "bad.md").write_text(f"---\n{front}\n---\n\nThe inspectors found serious failings. The council apologised.\n")
    doc = read_document(corpus / "bad.md", corpus)
    assert doc.body == "The inspectors found serious failings. The council apologised."
    assert doc.title == title
    assert doc.publisher == ("Coast Times" if "publisher" in front else "")
    assert doc.warnings and doc.warnings[0].startswith("front matter is not valid YAML")
    report = build_index(corpus, tmp_path / "index", embedder=hash_embedder)
    assert sorted(report.added) == ["bad", "good"]
    assert "warning   bad.md: front matter is not valid YAML" in report.summary()


def test_front_matter_alias_bomb_is_refused_quickly(corpus):
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdef", "bcdefg"):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 8)}]")  # 8**7 values once expanded
    (corpus / "bomb.md").write_text("---\ntitle: Laughs\n" + "\n".join(lines) + "\n---\n\nA short article. It has words.\n")
    started = time.perf_counter()
    doc = read_document(corpus / "bomb.md", corpus)
    assert time.perf_counter() - started < 1
    assert "aliases" in doc.warnings[0] and doc.title == "Laughs" and doc.extra == {}
    assert doc.body == "A short article. It has words."


def test_headline_markup_is_kept_as_text(corpus, tmp_path, hash_embedder):
    (corpus / "md.md").write_text('---\ntitle: <script>alert(1)</script> Council <b>fails</b>\n---\n\nThe council failed its inspection badly.\n')
    (corpus / "heading.md").write_text("# <i>Ferry</i> sinks & <img src=x onerror=alert(1)>\n\nThe ferry sank at dawn yesterday.\n")
    (corpus / "plain.txt").write_text("<a href=\"javascript:alert(1)\">Library</a> opens\n\nThe library opened on Sunday morning.\n")
    build_index(corpus, tmp_path / "index", embedder=hash_embedder)
    docs = store.load_index(tmp_path / "index").documents
    assert docs["md"].title == "<script>alert(1)</script> Council <b>fails</b>"
    assert docs["heading"].title == "<i>Ferry</i> sinks & <img src=x onerror=alert(1)>"
    assert docs["plain"].title == '<a href="javascript:alert(1)">Library</a> opens'
    hit = qa.Retriever(tmp_path / "index", embedder=hash_embedder).retrieve("council failed inspection", k=1)[0]
    assert hit.title == "<script>alert(1)</script> Council <b>fails</b>"


def test_bad_files_do_not_cost_the_index_anything(corpus, tmp_path, hash_embedder):
    index = tmp_path / "index"
    (corpus / "second.md").write_text("---\ntitle: Library\n---\n\nThe library opens on Sundays. Volunteers help.\n")
    build_index(corpus, index, embedder=hash_embedder)
    before = store.load_index(index)
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "blob.txt").write_bytes(b"\x00" * 100)
    (corpus / "second-copy.md").write_text((corpus / "second.md").read_text())
    report = build_index(corpus, index, embedder=hash_embedder)
    # "second-copy" sorts first, yet the article already indexed keeps its place
    assert sorted(report.unchanged) == ["good", "second"] and report.added == report.removed == []
    assert skipped(report)["second-copy.md"] == "same text and publisher as second.md; not indexed twice"
    assert len(report.skipped) == 3
    after = store.load_index(index)
    assert after.passages == before.passages and after.documents == before.documents


def test_qa_index_exit_code_is_non_zero_only_when_nothing_was_indexed(corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    index = tmp_path / "index"
    (corpus / "empty.md").write_bytes(b"")
    assert main(["index", "--corpus", str(corpus), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "added     good" in out and "empty.md: is empty" in out and "1 skipped" in out

    (corpus / "good.md").unlink()  # the corpus left with nothing readable
    (corpus / "blob.txt").write_bytes(b"\x00\x01")
    assert main(["index", "--corpus", str(corpus), "--index", str(index)]) == 1
    err = capsys.readouterr().err
    assert "nothing to index" in err and "empty.md: is empty" in err and "blob.txt: looks like a binary file" in err
    assert list(store.load_index(index).documents) == ["good"]  # the index it had is kept


def test_nothing_usable_raises_corpus_error(tmp_path, hash_embedder):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "empty.md").write_bytes(b"")
    with pytest.raises(CorpusError, match="empty.md: is empty"):
        build_index(tmp_path / "c", tmp_path / "index", embedder=hash_embedder)
