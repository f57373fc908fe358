"""Bad questions: a QuestionError (both a qa.QAError and a ValueError) with a clear message,
never another exception; questions in other scripts are searched like any other."""
import pytest

import qa
from qa.store.build import build_index
from qa.cli import main
from qa.errors import QuestionError
from qa.answer.question import MAX_QUESTION_CHARS, check_question

from conftest import TINY_ARTICLES, write_articles

OTHER_SCRIPTS = {
    "moscow.md": "---\ntitle: Мост открыт\n---\n\nНовый мост через реку открыли в пятницу. Движение восстановлено.\n",
    "cairo.md": "---\ntitle: افتتاح المكتبة\n---\n\nافتتحت المكتبة الجديدة أبوابها يوم الأحد. حضر الافتتاح مئات الزوار.\n",
    "beijing.md": "---\ntitle: 图书馆开放\n---\n\n新图书馆 周日 开放。 数百名 读者 参加了 开幕式。\n",
}

UNUSABLE = [
    ("", "the question is empty"),
    ("   \n\t  ", "the question is empty"),
    ("?!?... ¿¡ —", "has no words to search for"),
    ("😀🎉🔥 👍🏽", "has no words to search for"),
    ("\u200b\u200b\u2060", "has no words to search for"),
    ("\x00\x01\x02", "the question is empty"),
    ("\ud800\udfff", "has no words to search for"),
    ("x" * 20_000, "is 20,000 characters long; keep it under 1,000"),
    ("why " * 300, "is 1,199 characters long"),
    (None, "must be text, not NoneType"),
    (b"when was it closed?", "must be text, not bytes"),
    (42, "must be text, not int"),
]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    from qa.embedding.embedder import HashingEmbedder

    base = tmp_path_factory.mktemp("questions")
    corpus = write_articles(base / "corpus", {**TINY_ARTICLES, **OTHER_SCRIPTS})
    embedder = HashingEmbedder(64)
    build_index(corpus, base / "index", embedder=embedder)
    return qa.Retriever(base / "index", embedder=embedder)


@pytest.mark.parametrize("question, message", UNUSABLE, ids=lambda v: repr(v)[:20] if not isinstance(v, str) or len(v) < 20 else f"{len(v)}chars")
def test_unusable_question_is_a_clear_value_error(retriever, question, message):
    calls = len(retriever.embedder.calls)
    for ask in (retriever.retrieve, retriever.answer):
        with pytest.raises(QuestionError, match=message) as caught:
            ask(question)
        assert isinstance(caught.value, qa.QAError) and isinstance(caught.value, ValueError)
    assert len(retriever.embedder.calls) == calls  # refused before any work


def test_qa_retrieve_refuses_before_building(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    with pytest.raises(QuestionError, match="no words"):
        qa.retrieve("???", corpus_dir=corpus, index_dir=tmp_path / "index")
    assert not (tmp_path / "index").exists()


@pytest.mark.parametrize("question", ["", "😀", "x" * 20_000])
def test_cli_prints_the_message_not_a_traceback(tmp_path, monkeypatch, capsys, question):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    corpus = write_articles(tmp_path / "corpus", TINY_ARTICLES)
    assert main(["ask", question, "--corpus", str(corpus)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("qa: error: the question") and "Traceback" not in err
    assert not (tmp_path / "index").exists()  # refused before building anything


@pytest.mark.parametrize("k", [0, -1, "5", 2.5])
def test_bad_k_is_a_clear_error(retriever, k):
    with pytest.raises(QuestionError, match="k must be a positive whole number"):
        retriever.retrieve("bridge repairs", k=k)


@pytest.mark.parametrize("question, doc_id", [
    ("Когда открыли новый мост?", "moscow"),
    ("متى افتتحت المكتبة الجديدة؟", "cairo"),
    ("新图书馆 什么时候 开放?", "beijing"),
    ("🌉 When did the harbour bridge reopen? 🎉", "harbour"),
])
def test_questions_in_other_scripts_and_with_emoji_are_searched(retriever, question, doc_id):
    hits = retriever.retrieve(question, k=3)
    assert hits[0].doc_id == doc_id
    answer = retriever.answer(question)
    assert answer.citations and isinstance(answer.text, str)


def test_the_longest_allowed_question_is_searched(retriever):
    question = ("bridge repairs " * 200)[:MAX_QUESTION_CHARS]
    assert retriever.retrieve(question, k=1)[0].doc_id == "harbour"


def test_unpaired_surrogates_and_control_characters_are_cleaned():
    """JSON from a client can carry a lone surrogate; the real tokenizer raises TypeError on it."""
    cleaned = check_question("when\x00 was the \ud800 bridge\x07 reopened?")
    cleaned.encode("utf-8")  # would raise UnicodeEncodeError with the surrogate left in
    assert cleaned == "when  was the ? bridge  reopened?"


@pytest.mark.integration
def test_real_model_survives_hostile_questions(real_retriever):
    for question in ("when was the \ud800 notice closed?", "Когда закрыли уведомление?", "委员会 通知", "Ofsted 😀"):
        answer = real_retriever.answer(question)
        assert isinstance(answer.found, bool) and answer.citations
