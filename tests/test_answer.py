"""Short answers and follow-up questions, with the hashing embedder (no model)."""
import pytest

import qa
from qa.answer.compose import NOT_FOUND, NOT_SURE, Answer, compose_answer
from qa.answer.question import follow_up_query, is_follow_up, user_questions
from qa.errors import QuestionError
from qa.records import DateMention


@pytest.mark.parametrize("question", [
    "and when was it closed?",        # opens with "and", points back with "it"
    "And who chaired it?",
    "what about the library?",        # a continuation
    "but why?",
    "why?",                           # no content words of its own
    "who closed it?",                 # a pronoun and one content word
    "What did they find?",
    "When was that notice closed?",
])
def test_questions_that_lean_on_the_previous_one_are_follow_ups(question):
    assert is_follow_up(question)


@pytest.mark.parametrize("question", [
    "When was the improvement notice closed?",
    "Who rated Wandsworth's children's services inadequate?",
    "Who said that children in Wandsworth are safe?",  # "that" with four words of its own
    "How often must the improvement board meet?",
    "Android phones",  # "and" only as a word's start
])
def test_questions_that_stand_alone_are_not_follow_ups(question):
    assert not is_follow_up(question)


def test_a_follow_up_folds_in_the_previous_questions_topic():
    query = follow_up_query("and when was it closed?", ["when was the notice issued?"])
    assert query == "and when was it closed? notice"


def test_a_follow_up_with_its_own_predicate_leaves_the_earlier_one_behind():
    # "it" stands for the notice, not for its closing: searching "closed" again quoted the
    # closing sentence for "when was it issued?".
    history = ["when was the improvement notice closed?"]
    assert follow_up_query("and when was it issued?", history) == "and when was it issued? improvement notice"
    # A follow-up with no words of its own asks about the same happening.
    assert follow_up_query("and why?", history) == "and why? improvement notice closed"
    assert follow_up_query("who is going to reopen it?", ["when will the council close the library?"]) == \
        "who is going to reopen it? council close library"


def test_a_follow_up_with_no_words_of_its_own_asks_a_named_question_again():
    # The earlier question names its topic: its names alone used to be carried, so "What was
    # it before that?" searched "... Ofsted Wandsworth" without the rating it asks about.
    history = ["What rating did Ofsted give Wandsworth's children's services in 2018?"]
    assert follow_up_query("What was it before that?", history) == \
        "What was it before that? rating Ofsted give Wandsworth's children's services 2018"
    assert follow_up_query("and why?", ["When did Ofsted inspect Heckmondwike Primary?"]) == \
        "and why? Ofsted inspect Heckmondwike Primary"
    # With a word of its own it carries the topic only, as before.
    assert follow_up_query("And what rating did it end up with?", ["When did Ofsted inspect Heckmondwike Primary?"]) == \
        "And what rating did it end up with? Ofsted Heckmondwike Primary"


def test_a_question_that_stands_alone_is_searched_unchanged():
    history = ["when was the notice issued?"]
    assert follow_up_query("When was the improvement notice closed?", history) == "When was the improvement notice closed?"
    assert follow_up_query("and when was it closed?", []) == "and when was it closed?"
    assert follow_up_query("and when was it closed?", None) == "and when was it closed?"


def test_a_chain_of_follow_ups_keeps_its_topic():
    history = ["when was the notice issued?", "and when was it closed?"]
    # "closed" is already in the question; the topic words come through the middle question.
    assert follow_up_query("who closed it?", history) == "who closed it? notice"


def test_a_new_topic_breaks_the_chain():
    history = ["when was the notice issued?", "How often must the improvement board meet?"]
    assert follow_up_query("who chairs it?", history) == "who chairs it? often must improvement board meet"


def test_folding_adds_only_words_the_question_lacks_and_at_most_eight():
    long = "When did the council, the board, the inspectors, the ministers and the chairman agree the plan budget?"
    query = follow_up_query("and why?", [long])
    assert query.startswith("and why? ")
    assert len(query.split()) == 2 + 8
    assert follow_up_query("and was the notice issued then?", ["when was the notice issued?"]) == \
        "and was the notice issued then?"


def test_history_in_gradio_message_format_uses_the_users_text_only():
    history = [
        {"role": "user", "content": "when was the notice issued?"},
        {"role": "assistant", "content": "“It was given on August 11.” [1] about the board"},
        {"role": "user", "content": [{"type": "text", "text": "how often must the board meet?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "every four weeks"}]},
        {"role": "user", "content": [{"type": "file", "file": {"path": "x.png"}}]},
    ]
    assert user_questions(history) == ["when was the notice issued?", "how often must the board meet?"]
    assert follow_up_query("and who chairs it?", history) == "and who chairs it? often must board meet"


def test_compose_answer_quotes_the_sentence_or_says_there_is_no_sure_answer_or_none(tiny_corpus, tmp_path, hash_embedder):
    qa.build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    hits = retriever.retrieve("how much did the harbour bridge repairs cost?", k=2)

    found = compose_answer("how much?", hits, confidence=0.9, threshold=0.5, query="q")
    assert found.found and found.query == "q" and found.citations == hits and found.confidence == 0.9
    assert found.text == f"\u201c{hits[0].highlight_text}\u201d [1]"

    unsure = compose_answer("how much?", hits, confidence=0.4, threshold=0.5, k=1)
    assert not unsure.found and unsure.unsure and unsure.text == NOT_SURE and unsure.query == "how much?"
    assert unsure.citations == hits[:1] and "probability 0.40" in unsure.reason
    # Names the articles never mention, or nothing found: the documents do not answer.
    elsewhere = retriever.answer("How much did Riverton pay for the harbour bridge repairs?", k=2)
    assert not elsewhere.found and not elsewhere.unsure and elsewhere.text == NOT_FOUND and "Riverton" in elsewhere.reason
    nothing = compose_answer("anything?", [], confidence=1.0, threshold=0.5)
    assert nothing.found is False and nothing.text == NOT_FOUND


def test_retriever_answer_searches_the_folded_query(tiny_corpus, tmp_path, hash_embedder):
    qa.build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)

    alone = retriever.answer("and how much did it cost?", k=2)
    assert alone.query == "and how much did it cost?"

    answer = retriever.answer("and how much did it cost?", history=["when did the harbour bridge reopen?"], k=2)
    assert isinstance(answer, Answer)
    assert answer.question == "and how much did it cost?"
    assert answer.query == "and how much did it cost? harbour bridge reopen"
    assert answer.citations[0].doc_id == "harbour"
    assert answer.to_dict()["query"] == answer.query


def test_retriever_answer_refuses_an_empty_question(tiny_corpus, tmp_path, hash_embedder):
    qa.build_index(tiny_corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    with pytest.raises(QuestionError, match="empty"):
        retriever.answer("   ", history=["when did the harbour bridge reopen?"])


def test_a_follow_up_carries_the_earlier_names_not_the_earlier_predicate():
    query = follow_up_query("And what rating did it end up with?", ["When did Ofsted inspect Heckmondwike Primary?"])
    assert query == "And what rating did it end up with? Ofsted Heckmondwike Primary"
    # "what about X" asks the earlier question again of X
    assert follow_up_query("What about Midlothian?", ["How many teaching jobs does Glasgow want to cut?"]) == \
        "How many teaching jobs does Midlothian want to cut?"


class _Recorder:
    """A retriever that records what it was asked and answers from fixed hits per article.
    Its confidence is how far the first hit's support leads the next of its article's."""

    threshold = 0.2

    def __init__(self, hits):
        self.hits, self.calls = hits, []

    def confidence(self, hits):
        rivals = [h.score for h in hits[1:5] if h.doc_id == hits[0].doc_id]
        return hits[0].score - max(rivals, default=0.0) if hits else 0.0

    def retrieve(self, query, k=5, doc_ids=None):
        self.calls.append((query, None if doc_ids is None else set(doc_ids)))
        return [h for h in self.hits if doc_ids is None or h.doc_id in doc_ids][:k]


def _hit(doc_id, text, probability, missing=()):
    from qa.records import Hit, Source

    return Hit(f"{doc_id}#p0", doc_id, text, probability, Source(title=doc_id), 0, len(text), (0, len(text)),
               missing_names=list(missing))


def test_a_follow_up_without_names_is_answered_from_the_conversations_article_first():
    # The earlier question's best hit misses its name; the second names it: that article is the topic.
    hits = [_hit("other", "Riverton council paid for the bridge in 2019.", 0.9, missing=["Kingsport"]),
            _hit("kingsport", "Kingsport Council paid for the library in 2020.", 0.8)]
    retriever = _Recorder(hits)
    answer = qa.answer.compose.answer(retriever, "and who paid for it?", history=["When did the Kingsport library open?"])
    assert retriever.calls[0] == ("When did the Kingsport library open?", None)  # where the conversation is
    assert retriever.calls[1][1] == {"kingsport"}
    assert answer.found and answer.citations[0].doc_id == "kingsport"
    assert len(retriever.calls) == 2  # answered there: no search of every article

    # Nothing answers in that article: every article is searched.
    weak = _Recorder([_hit("other", "Riverton council paid for the bridge.", 0.9, missing=["Kingsport"]),
                      _hit("kingsport", "Kingsport library.", 0.1)])
    qa.answer.compose.answer(weak, "and who paid for it?", history=["When did the Kingsport library open?"])
    assert [doc_ids for _, doc_ids in weak.calls] == [None, {"kingsport"}, None]

    # A follow-up with a name of its own is searched everywhere at once.
    named = _Recorder(hits)
    qa.answer.compose.answer(named, "What about Riverton?", history=["When did the Kingsport library open?"])
    assert [doc_ids for _, doc_ids in named.calls] == [None]


def test_hit_scores_are_never_negative_and_relevance_follows_the_ranking(seed_corpus, tmp_path, hash_embedder):
    qa.build_index(seed_corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    for question in ("When was the improvement notice closed?", "Which submarine sank?", "budget"):
        hits = retriever.retrieve(question, k=8)
        scores = [h.score for h in hits]
        relevance = [h.relevance for h in hits]
        assert all(s >= 0 for s in scores) and scores == sorted(scores, reverse=True)
        assert all(0 <= r < 1 for r in relevance) and relevance == sorted(relevance, reverse=True)


def test_a_when_answer_lists_a_date_it_cannot_resolve_instead_of_choosing_another():
    from qa.answer.compose import date_note
    from qa.records import Hit
    from qa.ingest.dates import find_dates
    from qa.records import Source

    text = "On 19 November, the authority received a challenge to a closure date of 31 August 2025."
    undated = Hit("a#p0", "a", text, 1.0, Source(), 0, len(text), (0, len(text)),
                  dates=find_dates(text, ""))
    assert date_note(undated).short == "19 November (year unknown), 31 Aug 2025"
    assert date_note(undated).detail == (
        "dates in the sentence: \u201c19 November\u201d (its year is not stated and the article's date is not "
        "known); 31 August 2025 (as stated in the sentence)")
    dated = Hit("a#p0", "a", text, 1.0, Source(published="2024-12-01"), 0, len(text), (0, len(text)),
                dates=find_dates(text, "2024-12-01"))
    assert date_note(dated).short == "19 Nov 2024, 31 Aug 2025"
    assert date_note(dated).detail.startswith("dates of the events, as stated in the sentence: 19 November 2024")


class _ByQuestion(_Recorder):
    """Fixed hits per question, chosen by the question's first word."""

    def __init__(self, by_first_word):
        super().__init__([])
        self.by_first_word = by_first_word

    def retrieve(self, query, k=5, doc_ids=None):
        self.hits = self.by_first_word[query.split()[0]]
        return super().retrieve(query, k, doc_ids)


def _dated(hit, *dates):
    """``hit`` with date mentions ``(text, value, relation)`` placed where ``text`` is in it."""
    hit.dates = [DateMention(text=t, start=hit.text.index(t), end=hit.text.index(t) + len(t), value=v,
                             precision="year" if len(v) == 4 else "month", relation=r) for t, v, r in dates]
    return hit


def test_a_follow_up_is_about_the_time_of_the_earlier_answer():
    visit = _dated(_hit("school", "Inspectors visited Kingsport Primary in March 2023.", 1.0), ("March 2023", "2023-03", ""))
    now = _hit("school", "Kingsport Primary has dropped from a rating of Good to Inadequate.", 0.70)
    before = _dated(_hit("school", "The school was last inspected in 2017 and rated Good.", 0.72), ("2017", "2017", ""))
    # As the follow-up's hits, the visit sentence supports a rating poorly.
    visit_again = _dated(_hit("school", visit.text, 0.3), ("March 2023", "2023-03", ""))
    retriever = _ByQuestion({"When": [visit, now, before], "And": [now, before, visit_again]})
    answer = qa.answer.compose.answer(retriever, "And what rating did it end up with?",
                                      history=["When did inspectors visit Kingsport Primary?"])
    # The 2017 rating is about another time than March 2023's visit: neither the answer nor its rival.
    assert answer.found and answer.citations[0] is now
    assert before not in answer.citations

    # Asked about another time, nothing is left out (and here nothing is clearly ahead).
    again = qa.answer.compose.answer(_ByQuestion({"When": [visit, now, before], "And": [now, before, visit_again]}),
                                     "And what was it before that?",
                                     history=["When did inspectors visit Kingsport Primary?"])
    assert not again.found and before in again.citations


def test_only_sentences_wholly_before_the_earlier_answer_are_left_out():
    from qa.answer.compose import asks_about_another_time, at_the_time_of

    said = _dated(_hit("d", "The plan was agreed in 2021 and revised in 2022.", 1.0),
                  ("2021", "2021", ""), ("2022", "2022", ""))
    older = _dated(_hit("d", "The first plan dates from 2019.", 0.5), ("2019", "2019", ""))
    spanning = _dated(_hit("d", "Costs rose between 2019 and 2023.", 0.5), ("2019", "2019", ""), ("2023", "2023", ""))
    since = _dated(_hit("d", "Costs have risen since 2015.", 0.5), ("2015", "2015", "since"))
    undated = _hit("d", "Costs rose.", 0.5)
    assert at_the_time_of([said, older, spanning, since, undated], said) == [said, spanning, since, undated]
    # An earlier answer without a year sets no time.
    assert at_the_time_of([older], undated) == [older]
    assert asks_about_another_time("What was it previously?") and not asks_about_another_time("Who paid?")
    # A follow-up asking for a date or a duration may be about any time.
    assert asks_about_another_time("And when did it open?") and asks_about_another_time("How long was it shut?")
    assert not asks_about_another_time("Then what did it get?")


def test_a_question_about_now_is_answered_by_the_newest_article_that_names_its_subject(tmp_path, hash_embedder):
    from tests.conftest import write_articles

    article = """\
        ---
        title: Riverton library news
        publisher: Coast Times
        published: {date}
        ---

        The Riverton library is closed on Sundays. {other}
        """
    corpus = write_articles(tmp_path / "corpus", {
        "a-2018.md": article.format(date="2018-05-01", other="Volunteers run the reading group."),
        "b-2016.md": article.format(date="2016-05-01", other="It is still closed on Sundays in winter."),
        "c-2020.md": article.replace("Riverton", "Kingsport").format(date="2020-05-01", other="It has a cafe."),
    })
    qa.build_index(corpus, tmp_path / "index", embedder=hash_embedder)
    retriever = qa.Retriever(index_dir=tmp_path / "index", embedder=hash_embedder)
    now = retriever.retrieve("Is the Riverton library still closed on Sundays?", k=3)
    # 2016's report is superseded by 2018's on the same subject; 2020's names Kingsport, not Riverton.
    assert now[0].doc_id == "a-2018" and "b-2016" not in {h.doc_id for h in now}
    then = retriever.retrieve("Was the Riverton library closed on Sundays in winter?", k=3)
    assert "b-2016" in {h.doc_id for h in then}  # not a question about now: every article answers
