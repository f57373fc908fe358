"""The qa command, invoked in-process with its output asserted."""
import json
import subprocess
import sys

import qa
from qa.cli import main

from conftest import write_articles




def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys\nfrom qa.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "import qa\n"
        "print(sorted(m for m in ('torch', 'faiss', 'sentence_transformers', 'numpy', 'gradio') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "usage: qa" in out
    assert out.strip().splitlines()[-1] == "[]"


def test_index_then_unchanged(env, capsys):
    assert main(["index"]) == 0
    out = capsys.readouterr().out
    assert "added     harbour" in out and "2 added, 0 updated, 0 removed, 0 unchanged" in out
    assert main(["index"]) == 0
    assert "0 added, 0 updated, 0 removed, 2 unchanged" in capsys.readouterr().out


def test_ask_prints_cited_passages_with_marked_sentence(env, capsys):
    assert main(["ask", "how much did the bridge repairs cost?", "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert "[1] Harbour bridge reopens after repairs" in out
    assert "Coast Times, 2020-03-14" in out and "https://example.org/harbour" in out
    assert ">>> The council said the repairs cost four million pounds. <<<" in out


def test_ask_json(env, capsys):
    assert main(["ask", "library Sundays", "--json", "-k", "1"]) == 0
    answer = json.loads(capsys.readouterr().out)
    hit = answer["citations"][0]
    assert hit["doc_id"] == "library" and hit["publisher"] == "Inland Post"
    assert hit["text"][hit["highlight"][0]:hit["highlight"][1]] == hit["highlight_text"]
    assert {"passage_id", "score", "title", "published", "url", "start", "end"} <= set(hit)


def test_add_copies_and_indexes(env, tmp_path, capsys):
    assert main(["index"]) == 0
    capsys.readouterr()
    new = write_articles(tmp_path / "incoming", {"ferry.md": "---\ntitle: Ferry sinks\n---\n\nThe ferry sank at dawn. All were rescued.\n"})
    assert main(["add", str(new / "ferry.md")]) == 0
    out = capsys.readouterr().out
    assert "added     ferry" in out and "2 unchanged" in out
    assert (qa.config.default_corpus_dir() / "ferry.md").exists()


def test_add_refuses_unusable_file(env, tmp_path, capsys):
    (tmp_path / "empty.md").write_text("")
    assert main(["add", str(tmp_path / "empty.md")]) == 1
    assert "is empty" in capsys.readouterr().err
    assert not (qa.config.default_corpus_dir() / "empty.md").exists()


def test_errors_are_clean_messages(tmp_path, capsys):
    assert main(["ask", "anything", "--index", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("qa: error:") and "qa index" in err and "Traceback" not in err


def test_python_retrieve_builds_default_index_when_missing(env):
    hits = qa.retrieve("ferry OR bridge cables corroded", k=1)
    assert hits[0].doc_id == "harbour"
    assert (env / "index" / "manifest.json").exists()


def test_add_of_a_pdf_whose_text_is_indexed_refuses_it_and_keeps_nothing(env, tmp_path, capsys):
    from test_crafted_pdf import TEXT, one_page_pdf

    corpus = qa.config.default_corpus_dir()
    (corpus / "council-report.pdf").write_bytes(one_page_pdf(TEXT))
    assert main(["index"]) == 0
    capsys.readouterr()
    (tmp_path / "report-copy.pdf").write_bytes(one_page_pdf(TEXT))
    assert main(["add", str(tmp_path / "report-copy.pdf")]) == 1
    out = capsys.readouterr().out
    assert f"not added {tmp_path / 'report-copy.pdf'}: same text and publisher as council-report.pdf; not indexed twice" in out
    assert "copied" not in out
    assert not (corpus / "report-copy.pdf").exists()
    assert "report-copy" not in qa.Retriever(index_dir=env / "index").data.documents


def test_ask_json_into_a_closed_pipe_ends_quietly(env):
    """`qa ask --json | head -c 1`: the reader is gone before the answer is written."""
    import os

    from conftest import ROOT

    assert main(["index"]) == 0
    child = subprocess.Popen([sys.executable, "-m", "qa", "ask", "library Sundays", "--json"], cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    child.stdout.close()  # as `head` does once it has what it wants
    err = child.stderr.read().decode()
    child.wait(timeout=120)
    assert err == "" and child.returncode == 141


def test_ask_a_when_question_gives_a_short_date_note_and_its_detail_below(env, capsys):
    assert main(["ask", "When did the harbour bridge reopen?", "-k", "1"]) == 0
    first, second = capsys.readouterr().out.splitlines()[:2]
    # 14 March 2020 was a Saturday: "reopened on Friday" is the day before.
    assert first == "\u201cThe harbour bridge reopened on Friday after six months of repairs.\u201d [1] \u2014 13 Mar 2020"
    assert second == ("    date: 13 March 2020 (the date of the event, \u201cFriday\u201d in the sentence, "
                      "read against the article's date, 14 March 2020)")


def test_train_refuses_a_more_squad_file_that_is_not_there(tmp_path, capsys):
    squad = tmp_path / "squad.json"
    squad.write_text('{"version": "1.1", "data": []}', encoding="utf-8")
    code = main(["train", "--squad", str(squad), "--more-squad", str(tmp_path / "gone.json"),
                 "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out")])
    assert code == 1 and "no SQuAD file at" in capsys.readouterr().err
    assert not (tmp_path / "work").exists()  # refused before any training
    code = main(["train", "--squad", str(squad), "--calibrate-unanswerable", str(tmp_path / "gone.json"),
                 "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out")])
    assert code == 1 and "no SQuAD 2.0 file at" in capsys.readouterr().err
    assert not (tmp_path / "work").exists()
    # A SQuAD 2.0 file that repeats a training article is refused before the reader is trained.
    article = {"title": "Riverton_Bridge", "paragraphs": [{"context": "The bridge opened in 1904.", "qas": []}]}
    squad.write_text(json.dumps({"version": "1.1", "data": [article]}), encoding="utf-8")
    code = main(["train", "--squad", str(squad), "--calibrate-unanswerable", str(squad),
                 "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out")])
    assert code == 1 and "holds articles of the training file too" in capsys.readouterr().err
    assert not (tmp_path / "work").exists()
