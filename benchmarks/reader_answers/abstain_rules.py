"""Abstention rules compared offline on newsqa-dev (round 2): every question is retrieved once,
then each rule decides. Right / wrong confident per half, and the seed set's answered count.
PYTHONPATH=. python benchmarks/reader_answers/abstain_rules.py"""
from __future__ import annotations

import json

import numpy as np

from qa.answer import abstention
from qa.answer.question import follow_up_query
from qa.answer.retriever import Retriever
from qa.evaluate.newsqa import _contains, index_folder
from benchmarks.reader_answers.probe import FOLDER, items


def margin_of(hits, attr, same_article=True):
    top = hits[0]
    others = [getattr(h, attr) for h in hits[1:] if not same_article or h.doc_id == top.doc_id]
    return getattr(top, attr) - max(others) if others else float("inf")


def collect(retriever, questions):
    rows = []
    for item in questions:
        query = follow_up_query(item.question, item.history or None)
        hits = retriever.retrieve(query, k=5)
        base = abstention.abstain_reason(query, hits, min_support=-1e9, min_margin=-1e9)
        rows.append(dict(item=item, query=query, hits=hits, checks=base is None,
                         right=bool(hits) and _contains(item.expect, hits[0].highlight_text)))
    return rows


def score(rows, rule):
    out = {}
    for part in ("tune", "report"):
        sel = [r for r in rows if r["item"].part == part]
        right = sum(1 for r in sel if r["checks"] and rule(r) and r["right"])
        wrong = sum(1 for r in sel if r["checks"] and rule(r) and not r["right"])
        out[part] = (right, wrong)
    return out


def main():
    retriever = Retriever(index_dir=index_folder(FOLDER))
    rows = collect(retriever, items(retriever))
    rules = {
        "in use: support>=.47, support margin>=.09": lambda r: r["hits"][0].support >= .47 and margin_of(r["hits"], "support") >= .09,
    }
    for t in (0.0, 0.05, 0.09, 0.12, 0.15, 0.2, 0.25, 0.3):
        rules[f"score margin >= {t}"] = lambda r, t=t: r["hits"][0].support >= .47 and margin_of(r["hits"], "score") >= t
        rules[f"score margin all >= {t}"] = lambda r, t=t: r["hits"][0].support >= .47 and margin_of(r["hits"], "score", False) >= t
    for name, rule in rules.items():
        s = score(rows, rule)
        print(f"{name:45} tune {s['tune'][0]:2}/{s['tune'][1]}  report {s['report'][0]:2}/{s['report'][1]}")


if __name__ == "__main__":
    main()
