"""Confidence signals for abstention (round 2, idea c), per question: the top hit's support,
support margin (same article), score margin, whether the dense passage ranking agrees with the
chosen passage, the quoted sentence's position in its article, its cosine with the headline, and
the share of the question's names in the quoted passage. Written for tune, report and the seed set.
PYTHONPATH=. python benchmarks/reader_answers/confidence.py > /tmp/conf.jsonl"""
from __future__ import annotations

import json

import numpy as np

from qa.answer import abstention
from qa.answer.question import context_names, follow_up_query, strip_names
from qa.answer.retriever import Retriever
from qa.evaluate.newsqa import _contains, index_folder
from qa.evaluate.questions import read_questions
from qa.store.build import build_index
from benchmarks.reader_answers.probe import FOLDER, items

SEED_INDEX = "benchmarks/.cache/index-seed"


def margin(hits, attr, same=True):
    others = [getattr(h, attr) for h in hits[1:] if not same or h.doc_id == hits[0].doc_id]
    return float(getattr(hits[0], attr) - max(others)) if others else 9.0


def features(retriever, question, query, expect, part, kind):
    hits = retriever.retrieve(query, k=5)
    if not hits:
        return None
    top = hits[0]
    data = retriever.data
    q = retriever.encode_question(query)
    title = str((data.documents.get(top.doc_id) or {}).get("title", ""))
    t = retriever.encode_question(title) if title else q
    passages = [p for p in data.passages if p.doc_id == top.doc_id]
    first = min(p.start for p in passages)
    sentence_start = top.start + top.highlight[0]
    position = sum(1 for p in passages for s, e in p.sentences if p.start + s < sentence_start and p.start + s >= first)
    passage = data.passage(next(p.id for p in passages if p.passage_id == top.passage_id))
    row = passage.sentence_rows[[s for s, e in passage.sentences].index(top.highlight[0])]
    sv = data.sentence_vectors[row]
    dense = np.array([data.sentence_vectors[p.sentence_rows].max(axis=0) @ q for p in passages]) if passages else None
    names = context_names(query)
    return dict(
        part=part, kind=kind, q=question,
        checks=abstention.abstain_reason(query, hits, min_support=-1e9, min_margin=-1e9) is None,
        right=_contains(expect, top.highlight_text) if expect else False, answerable=expect is not None,
        support=top.support, margin=margin(hits, "support"), smargin=margin(hits, "score"),
        amargin=margin(hits, "support", False), score=top.score,
        cos=float(sv @ q), cos_unnamed=float(sv @ retriever.encode_question(strip_names(query))),
        head=float(sv @ t), position=position,
        names_in_passage=(sum(n.lower() in top.text.lower() for n in names) / len(names)) if names else 1.0,
    )


def main():
    retriever = Retriever(index_dir=index_folder(FOLDER))
    for item in items(retriever):
        query = follow_up_query(item.question, item.history or None)
        f = features(retriever, item.question, query, item.expect, item.part, item.kind)
        if f:
            print(json.dumps(f))
    build_index(corpus_dir="corpus", index_dir=SEED_INDEX, wait=True)
    seed = Retriever(index_dir=SEED_INDEX)
    for q, expect in read_questions("tests/data/dev_questions.jsonl"):
        f = features(seed, q, q, expect, "seed", "seed")
        if f:
            # seed expects are phrases of the passage: right = the passage holds it
            hits = seed.retrieve(q, k=1)
            f["right"] = bool(expect) and _contains(expect, hits[0].text)
            print(json.dumps(f))


if __name__ == "__main__":
    main()
