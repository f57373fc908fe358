"""One reply for every face: the same question gets the same reply from the Python API
(Retriever.reply), `qa ask` and the web chat, a topic's events or a quoted answer alike."""
from __future__ import annotations

import json

import pytest

import qa
from qa.answer.reply import EventsReply
from qa.cli import main
from qa.web.service import ChatService


@pytest.fixture
def seed(seed_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MODEL", "hash:64")
    index = tmp_path / "index"
    qa.build_index(corpus_dir=seed_corpus, index_dir=index)
    return seed_corpus, index


def test_a_topics_timeline_is_the_reply_everywhere(seed, capsys):
    corpus, index = seed
    question = "timeline of the improvement notice"
    reply = qa.Retriever(index_dir=index).reply(question)
    assert isinstance(reply, EventsReply) and reply.topic == "the improvement notice" and reply.events
    assert main(["ask", question, "--index", str(index)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("What the articles report about the improvement notice, oldest first:")
    assert reply.events[0].label in printed
    assert main(["ask", question, "--index", str(index), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["events"][0]["label"] == reply.events[0].label
    chat = ChatService(corpus_dir=corpus, index_dir=index).reply(question)
    assert reply.events[0].label in chat and "Sources" not in chat


def test_a_question_gets_the_same_quoted_sentence_everywhere(seed, capsys):
    corpus, index = seed
    question = "How often must the improvement board meet?"
    answer = qa.Retriever(index_dir=index).reply(question)
    assert not isinstance(answer, EventsReply)
    top = answer.citations[0].highlight_text
    assert main(["ask", question, "--index", str(index), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["citations"][0]["highlight_text"] == top
    chat = ChatService(corpus_dir=corpus, index_dir=index).reply(question)
    withheld = "do not answer" in chat or "No sure answer" in chat
    assert top.split()[0] in chat and answer.found != withheld
