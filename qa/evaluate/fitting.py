"""Fitting the answer model (:mod:`qa.answer.answer_model`) on public training data,
through the very code that answers: SQuAD articles are written as a corpus, indexed by
:func:`qa.build_index`, and every question goes through :meth:`qa.Retriever.sentence_pool`
and :meth:`qa.Retriever.read`.

* **first stage**: a conditional logit (a softmax over each question's candidate
  sentences) on the cheap signals, fitted on the questions of the articles the reader was
  trained on (it does not involve the reader);
* **final**: a conditional logit over the sentences the reader reads, fitted on the
  held-out articles (the reader never saw their questions);
* **calibration**: logistic regressions, on final scores of the held-out questions
  computed without their own article (leave one article out), of whether a sentence answers
  and whether the best sentence answers. Each question is asked twice: as it is, and as if
  the corpus did not answer it (its answering paragraph and every sentence holding the answer
  left out of the candidates): a realistic unanswerable question, on topic but not answered.
  With ``unanswerable_squad`` (a SQuAD 2.0 file), its unanswerable questions, written to
  seem answered by their paragraph, are asked too, their articles in the corpus: every
  answer to one is wrong; they and the questions asked as unanswerable each weigh half of
  the unanswerable share.
* **threshold**: the lowest answer probability at which answers are right at least
  ``target`` of the time (:data:`TARGET_PRECISION`), on probabilities calibrated without
  the question's own article.

``qa train`` runs it after training the reader; ``qa train --fit-only`` refits the
shipped reader's answer model.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from ..answer.abstention import missing_names
from ..answer.answer_model import ANSWER_SIGNALS, FINAL_SIGNALS, RIVALS, SIGNALS, AnswerModel, answer_signals
from ..answer.ranking import Ranking, reader_set, score_pool
from ..answer.retriever import Retriever
from ..config import AnswerSettings
from ..reader.squad import SquadArticle, read_squad, read_unanswerable, split_articles, squad_json
from ..store.build import build_index

# How often the held-out training questions answered must be right. The issue asked 0.95; on
# newsqa-dev's tune half 0.95, 0.9, 0.85 and 0.8 gave right minus wrong 5, 7, 4, 4, the last
# two with more than 5% wrong (experiments/reader/variants.py, docs/reader.md).
TARGET_PRECISION = 0.9
# The share of questions the corpus does not answer that the threshold's precision assumes:
# one in six, as in a set of questions written by readers after reading the articles
# (chosen among 1/2, 1/4 and 1/6 on the tune half of newsqa-dev; docs/reader.md).
UNANSWERABLE_SHARE = 1 / 6
L2 = 1e-3  # ridge on every weight, per question: the signals are on unit scales
Log = Callable[[str], None]


def write_corpus(articles: list[SquadArticle], folder: Path) -> Path:
    """The articles as Markdown files (title as headline, paragraphs as blocks), as the
    evaluation sets are written; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        slug = re.sub(r"[^a-z0-9]+", "-", article.title.lower()).strip("-")
        text = (f"---\ntitle: {json.dumps(article.title)}\npublisher: Wikipedia\n"
                f"published_note: \"not stated (SQuAD v1.1 snapshot of the Wikipedia article)\"\n---\n{article.body}\n")
        path = folder / f"wikipedia-{slug}.md"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return folder


@dataclass
class Asked:
    """One question's candidates as answering computed them. ``positive`` marks the pool
    sentences that are its answer; ``excluded`` those left out when it is asked as
    unanswerable; ``article`` is the question's article (for leaving one out)."""

    question: str
    article: str
    signals: np.ndarray
    first: np.ndarray
    positive: np.ndarray
    excluded: np.ndarray
    keys: list[tuple[str, int]]
    doc_ids: list[str]
    read: dict | None = None  # per case ("answerable", "unanswerable"): (indices, reader scores)
    pool: object = None  # the SentencePool until it is read
    answered: bool = True  # False: a question its corpus does not answer (SQuAD 2.0's unanswerable)


def collect(retriever: Retriever, articles: list[SquadArticle], doc_of: dict[str, str]) -> list[Asked]:
    """Each question of ``articles`` through :meth:`Retriever.sentence_pool`."""
    out = []
    for article in articles:
        doc_id = doc_of[article.title]
        starts = {s: i for i, (s, _) in enumerate(article.sentences)}
        for q in article.questions:
            pool = retriever.sentence_pool(q.question)
            keys = [pool.key(i) for i in range(len(pool))]
            index = [starts.get(start, -1) if doc == doc_id else -1 for doc, start in keys]
            positive = np.array([i == q.sentence for i in index])
            answer = q.answer.lower()
            excluded = np.array([i >= 0 and (article.paragraph_of[i] == q.paragraph
                                             or answer in article.sentence_text(i).lower()) for i in index])
            out.append(Asked(q.question, article.title, pool.signals, pool.first, positive, excluded, keys,
                             [d for d, _ in keys], pool=pool))
    return out


def _conditional_logit(groups: list[tuple[np.ndarray, np.ndarray]], size: int, l2: float = L2) -> np.ndarray:
    """Weights maximising the log of the softmax mass on each group's positives (rows of
    features, mask of positives); groups without a positive are skipped."""
    from scipy.optimize import minimize

    usable = [(x, p) for x, p in groups if p.any() and len(x)]

    def loss(w):
        total, grad = 0.0, np.zeros(size)
        for x, p in usable:
            z = x @ w
            z = z - z.max()
            e = np.exp(z)
            prob = e / e.sum()
            mass = prob[p].sum()
            total -= np.log(max(mass, 1e-300))
            posterior = np.where(p, prob, 0.0) / max(mass, 1e-300)
            grad -= x.T @ (posterior - prob)
        n = max(1, len(usable))
        return total / n + l2 * w @ w, grad / n + 2 * l2 * w

    return minimize(loss, np.zeros(size), jac=True, method="L-BFGS-B").x


def _logistic(x: np.ndarray, y: np.ndarray, l2: float = L2) -> np.ndarray:
    """Logistic regression weights (the last column of ``x`` is the bias, not penalised)."""
    from scipy.optimize import minimize

    penalty = np.ones(x.shape[1])
    penalty[-1] = 0.0

    def loss(w):
        z = x @ w
        p = 1.0 / (1.0 + np.exp(-z))
        eps = 1e-12
        value = -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)) + l2 * np.sum(penalty * w * w)
        return value, x.T @ (p - y) / len(y) + 2 * l2 * penalty * w

    return minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x


def fit_first(asked: list[Asked]) -> np.ndarray:
    return _conditional_logit([(a.signals, a.positive) for a in asked], len(SIGNALS))


def collect_unanswered(retriever: Retriever, questions: list[tuple[str, str]]) -> list[Asked]:
    """Each ``(article title, question)`` that the corpus does not answer, through
    :meth:`Retriever.sentence_pool`: no sentence is its answer, none is left out. A question
    whose names the best article never mentions is left out: the names check refuses it
    before any probability is read (with the provisional model's ranking)."""
    out = []
    for title, question in questions:
        answer = retriever.answer(question)
        if missing_names(answer.query, answer.citations):
            continue
        pool = retriever.sentence_pool(question)
        keys = [pool.key(i) for i in range(len(pool))]
        none = np.zeros(len(keys), dtype=bool)
        out.append(Asked(question, title, pool.signals, pool.first, none, none.copy(), keys, [d for d, _ in keys],
                         pool=pool, answered=False))
    return out


def read_all(retriever: Retriever, asked: list[Asked], model: AnswerModel, limit: int) -> None:
    """The reader's scores of each question's reader set, as answerable and as unanswerable."""
    titles = retriever.titles()
    for a in asked:
        pool = a.pool
        pool.first = model.first_scores(pool.signals)
        a.first = pool.first
        a.read = {}
        cases = (("answerable", None), ("unanswerable", ~a.excluded)) if a.answered else (("unanswered", None),)
        for case, allowed in cases:
            chosen = reader_set(pool, limit, allowed)
            scores = retriever.reader.score(a.question, pool.reader_inputs(chosen, titles, retriever.reader.reads_context))
            a.read[case] = (chosen, scores)


def _final_rows(a: Asked, case: str) -> tuple[np.ndarray, np.ndarray, list[tuple[str, int]], list[str]]:
    chosen, scores = a.read[case]
    x = np.column_stack([scores, a.first[chosen], a.signals[chosen]]) if len(chosen) else np.zeros((0, len(FINAL_SIGNALS)))
    positive = a.positive[chosen] if case == "answerable" else np.zeros(len(chosen), dtype=bool)
    return x, positive, [a.keys[i] for i in chosen], [a.doc_ids[i] for i in chosen]


def fit_final(asked: list[Asked]) -> np.ndarray:
    return _conditional_logit([_final_rows(a, "answerable")[:2] for a in asked if a.answered], len(FINAL_SIGNALS))


class Outcome(NamedTuple):
    """One held-out question in one case, ranked as answering ranks."""

    article: str
    signals: np.ndarray  # the answer's signals (qa.answer.answer_model.answer_signals)
    right: bool  # whether the first sentence shown is right
    final: np.ndarray  # the read sentences' final scores
    positive: np.ndarray  # which of them are right
    case: str  # "answerable", "unanswerable" (its paragraph left out) or "unanswered" (SQuAD 2.0's)


def _outcomes(asked: list[Asked], model: AnswerModel) -> list[Outcome]:
    """Per question and case, ranked as answering ranks."""
    rows = []
    for a in asked:
        for case, (chosen, scores) in a.read.items():
            if not len(chosen):
                continue
            scored = score_pool(a.pool, chosen, scores, model)
            allowed = ~a.excluded if case == "unanswerable" else None
            shown = Ranking.of(a.pool, scored, allowed).shown(RIVALS + 1)
            positive = a.positive if case == "answerable" else np.zeros(len(a.positive), dtype=bool)
            signals = answer_signals(scored.final[shown], [a.doc_ids[i] for i in shown])
            rows.append(Outcome(a.article, signals, bool(positive[shown[0]]), scored.final[chosen], positive[chosen],
                                case))
    return rows


@dataclass
class Gathered:
    """What fitting reads, gathered once (the costly part): the first-stage weights, and the
    held-out questions with their pools and the reader's scores."""

    first: np.ndarray
    asked: list[Asked]
    provisional: AnswerModel
    train_titles: list[str]
    held_out_titles: list[str]


def gather(retriever: Retriever, train: list[SquadArticle], held_out: list[SquadArticle], doc_of: dict[str, str],
           settings: AnswerSettings, log: Log = print, unanswered: list[tuple[str, str]] = ()) -> Gathered:
    """The first stage fitted on ``train``; ``held_out``'s questions (and ``unanswered``, the
    corpus's unanswerable ``(title, question)``) through it and the reader."""
    log(f"first stage: {sum(len(a.questions) for a in train)} questions of {len(train)} articles")
    # Pools are gathered before any weights exist: their first-stage scores are not used here.
    retriever.answer_model = AnswerModel((0.0,) * len(SIGNALS), (0.0,) * len(FINAL_SIGNALS), (1.0, 0.0),
                                         (0.0,) * len(ANSWER_SIGNALS), 0.5)
    first_w = fit_first(collect(retriever, train, doc_of))
    provisional = AnswerModel(tuple(first_w), (1.0,) + (0.0,) * (len(FINAL_SIGNALS) - 1), (1.0, 0.0),
                              (1.0, 0.0, 0.0, 0.0), 0.5)
    retriever.answer_model = provisional  # the pools' first stage is the one just fitted
    asked = collect(retriever, held_out, doc_of)
    log(f"final and calibration: {len(asked)} questions of {len(held_out)} held-out articles")
    if unanswered:
        kept = collect_unanswered(retriever, list(unanswered))
        asked += kept
        log(f"calibration: {len(kept)} questions the corpus does not answer, of {len(unanswered)} "
            f"(the others fail the names check)")
    read_all(retriever, asked, provisional, settings.reader_candidates)
    return Gathered(first_w, asked, provisional, [a.title for a in train], [a.title for a in held_out])


def fit(retriever: Retriever, train: list[SquadArticle], held_out: list[SquadArticle], doc_of: dict[str, str],
        settings: AnswerSettings, log: Log = print, unanswered: list[tuple[str, str]] = ()) -> AnswerModel:
    """The answer model, fitted as the module's text says."""
    return fit_gathered(gather(retriever, train, held_out, doc_of, settings, log, unanswered), settings, log=log)


def fit_gathered(gathered: Gathered, settings: AnswerSettings, unanswerable_share: float = UNANSWERABLE_SHARE,
                 target_precision: float = TARGET_PRECISION, log: Log = print) -> AnswerModel:
    """The final weights, the calibrations and the threshold from what :func:`gather` read.
    ``unanswerable_share``: the share of questions the corpus does not answer that the
    threshold's precision assumes (each held-out question is asked both ways; the
    unanswerable cases are weighed to that share); ``target_precision``: how often the
    answers given on the held-out questions must be right."""
    asked, provisional = gathered.asked, gathered.provisional
    # Final scores of each article's questions from weights fitted without that article.
    articles = sorted({a.article for a in asked})
    out_of_fold = []
    for article in articles:
        weights = fit_final([a for a in asked if a.article != article])
        out_of_fold += _outcomes([a for a in asked if a.article == article], _with_final(provisional, weights))
    final_w = fit_final(asked)
    # Calibration of one sentence: every read sentence, of both cases.
    xs = np.concatenate([np.column_stack([o.final, np.ones(len(o.final))]) for o in out_of_fold])
    ys = np.concatenate([o.positive for o in out_of_fold]).astype(float)
    sentence_w = _logistic(xs, ys)
    # Calibration of the answer, and its threshold on probabilities fitted without the article.
    xa = np.array([o.signals for o in out_of_fold])
    ya = np.array([o.right for o in out_of_fold], dtype=float)
    answerable_case = np.array([o.case == "answerable" for o in out_of_fold])
    unanswered_case = np.array([o.case == "unanswered" for o in out_of_fold])
    held_probability = np.zeros(len(ya))
    labels = np.array([o.article for o in out_of_fold])
    for article in articles:
        w = _logistic(xa[labels != article], ya[labels != article])
        held_probability[labels == article] = 1.0 / (1.0 + np.exp(-xa[labels == article] @ w))
    answer_w = _logistic(xa, ya)
    weight = case_weights(answerable_case, unanswered_case, unanswerable_share)
    threshold, coverage = choose_threshold(held_probability, ya.astype(bool), target_precision, weight)
    right_first = float(np.mean(ya[answerable_case]))
    log(f"held out: best sentence right for {right_first:.3f} of the answerable; threshold {threshold:.3f} "
        f"answers {coverage:.3f} of the answerable at precision >= {target_precision:g} "
        f"(a share {unanswerable_share:g} of questions not answered by the corpus)")
    return AnswerModel(
        first=tuple(float(w) for w in gathered.first), final=tuple(float(w) for w in final_w),
        sentence=(float(sentence_w[0]), float(sentence_w[1])), answer=tuple(float(w) for w in answer_w),
        threshold=float(threshold),
        fitted_on={"data": "squad-train (SQuAD v1.1, CC BY-SA 4.0)", "first_stage_articles": gathered.train_titles,
                   "held_out_articles": gathered.held_out_titles, "reader_candidates": settings.reader_candidates,
                   "target_precision": target_precision, "unanswerable_share": unanswerable_share,
                   "held_out_best_right": round(right_first, 4), "held_out_coverage": round(float(coverage), 4),
                   **({"unanswered_questions": int(unanswered_case.sum())} if unanswered_case.any() else {})})


def case_weights(answerable: np.ndarray, unanswered: np.ndarray, share: float) -> np.ndarray:
    """How much each case counts in the threshold's precision: the unanswerable ones (asked
    without their paragraph, or ``unanswered``: SQuAD 2.0's) make up ``share`` of all, each
    of the two kinds present weighing the same.

    >>> case_weights(np.array([True, True, True, False, False, False]),
    ...              np.array([False, False, False, False, False, True]), 0.25).tolist()
    [1.0, 1.0, 1.0, 0.25, 0.25, 0.5]
    """
    share = min(max(share, 1e-6), 1 - 1e-6)
    kinds = [k for k in (~answerable & ~unanswered, unanswered) if k.any()]
    weight = np.ones(len(answerable))
    for kind in kinds:
        weight[kind] = share / (1 - share) * answerable.sum() / kind.sum() / len(kinds)
    return weight


def _with_final(model: AnswerModel, final: np.ndarray) -> AnswerModel:
    return AnswerModel(model.first, tuple(float(w) for w in final), model.sentence, model.answer, model.threshold)


def choose_threshold(probability: np.ndarray, right: np.ndarray, target: float,
                     weight: np.ndarray | None = None) -> tuple[float, float]:
    """The lowest threshold at which the answers given (probability at least the
    threshold) are right at least ``target`` of the time (each case counted ``weight``
    times), and the share of the right answers it keeps; ``(1.0, 0.0)`` when no threshold
    reaches ``target``."""
    weight = np.ones(len(probability)) if weight is None else np.asarray(weight, dtype=np.float64)
    order = np.argsort(-probability, kind="stable")
    hits = np.cumsum(right[order])
    precision = np.cumsum((weight * right)[order]) / np.cumsum(weight[order])
    good = np.flatnonzero(precision >= target)
    if not len(good):
        return 1.0, 0.0
    last = int(good[-1])
    return float(probability[order[last]]), float(hits[last] / max(1, int(right.sum())))


def train_answer_model(squad: Path, work: Path, settings: AnswerSettings, held_out_articles: int = 5,
                       embedding_model: str | None = None, log: Log = print,
                       unanswerable_squad: Path | None = None) -> AnswerModel:
    """Write the SQuAD articles as a corpus in ``work``, index them with ``embedding_model``
    (default: the product's), and fit; ``unanswerable_squad``: a SQuAD 2.0 file whose
    articles join the corpus and whose unanswerable questions join the calibration."""
    from ..config import default_model

    articles = read_squad(squad)
    train, held_out = split_articles(articles, held_out_articles)
    extra, unanswered = unanswerable_articles(unanswerable_squad, articles) if unanswerable_squad else ([], [])
    corpus = write_corpus(articles + extra, work / "articles")
    model = embedding_model or default_model()
    index = work / f"index-{model.rsplit('/', 1)[-1]}"
    build_index(corpus_dir=corpus, index_dir=index, model=model, wait=True)
    retriever = Retriever(index_dir=index, settings=settings)
    data = retriever.data
    doc_of = {}
    for doc_id, document in data.documents.items():
        doc_of[document.title] = doc_id
    return fit(retriever, train, held_out, doc_of, settings, log, unanswered)


def unanswerable_articles(path: Path, articles: list[SquadArticle]) -> tuple[list[SquadArticle], list[tuple[str, str]]]:
    """The articles of a SQuAD 2.0 file (for the corpus) and its unanswerable questions;
    an article that ``articles`` holds too is refused (its questions would be fitted twice)."""
    data = squad_json(path)  # read once, for both
    extra = read_squad(data)
    shared = sorted({a.title for a in articles} & {a.title for a in extra})
    if shared:
        raise ValueError(f"{path} holds articles of the training file too ({', '.join(shared[:3])})")
    return extra, read_unanswerable(data)
