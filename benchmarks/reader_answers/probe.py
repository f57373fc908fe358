"""Every newsqa-dev question with its abstention reason and top hits (round 2 diagnosis).
PYTHONPATH=. python benchmarks/reader_answers/probe.py [tune|report|all]"""
from __future__ import annotations

import sys

from qa.answer.abstention import abstain_reason, answer_margin
from qa.answer.retriever import Retriever
from qa.evaluate.newsqa import Item, _ask, _subject_part, index_folder, read_folder, split_articles

FOLDER = "../shared/benchmarks/newsqa-dev"


def items(retriever, part=None):
    articles, questions, followups = read_folder(FOLDER)
    names = [p.name for p in sorted(articles.iterdir()) if p.is_file()]
    parts = split_articles(names)
    bodies = {n: (articles / n).read_text(encoding="utf-8").lower() for n in names}
    out = []
    for row in questions + followups:
        kind = row.get("kind") or "follow-up"
        item = Item(row["q"], kind, row.get("doc"), row.get("expect"), _subject_part(row, parts, bodies),
                    history=row.get("history", []))
        if part in (None, "all", item.part):
            out.append(item)
    return out


def main(part="all"):
    retriever = Retriever(index_dir=index_folder(FOLDER))
    for item in items(retriever, part):
        _ask(retriever, item, 5)
        answer = retriever.answer(item.question, history=item.history or None)
        hits = answer.citations
        status = "RIGHT" if item.right else ("WRONG" if item.wrong_confident else ("q-right" if item.top_right else "-"))
        print(f"[{item.part}] {item.kind:12} {status:8} {item.question}")
        print(f"    reason: {abstain_reason(answer.query, hits)}  margin {answer_margin(hits):.2f}")
        for h in hits[:5]:
            mark = "*" if item.expect and item.expect.lower()[:30] in h.text.lower() else " "
            print(f"   {mark} {h.doc_id[:18]:18} s={h.support:.2f} sc={h.score:.2f} {h.highlight_text[:90]!r}")


if __name__ == "__main__":
    main(*(sys.argv[1:] or ["all"]))
