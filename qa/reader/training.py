"""Training the reader: a cross-encoder that reads a question and a candidate sentence
together and scores how well the sentence answers it.

Started from the shipped all-MiniLM-L6-v2 weights (its first ``layers`` layers), trained on
SQuAD questions (``../shared/benchmarks/squad-train``; public, CC BY-SA 4.0, in no
evaluation set), each question's answering sentence against harder and easier other
sentences: the sentences of its article most like the question (by the embedding model's
cosine and shared words, leaving out every sentence that holds the answer's text), others
of its paragraph, and one of another article. The loss is the softmax cross-entropy of the
group (the answer must win) plus a pointwise logistic loss (each score means something on
its own, which abstention needs). SQuAD 2.0's unanswerable questions may join
(``--unanswerable-squad``) as groups with no answer: the sentence of the plausible answer
and the negatives all count as not answering, through the pointwise loss alone. Exported
to ONNX and quantised to int8 (:mod:`qa.reader.export`).

    python -m qa.reader.training --squad ../shared/benchmarks/squad-train/squad-v1.1-dev-train-pool.json \\
        --out build/reader

Everything is seeded; on 2 CPU cores the shipped settings (6 layers, one pass) take about 40 minutes.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..files import file_sha256
from ..text import QUESTION_WORDS, STOPWORDS, content_stems, stem, words
from .inputs import pair_text
from .settings import TrainingSettings
from .squad import SquadArticle, read_squad, split_articles


# A candidate sentence as the reader reads it: the sentence and the one before it in its
# article ("" for the first).
Sentence = tuple[str, str]


@dataclass
class Group:
    question: str
    title: str
    positive: Sentence
    hard: list[Sentence]
    paragraph: list[Sentence]
    others: list[tuple[str, Sentence]]  # (title, sentence) of other articles
    answered: bool = True  # false: ``positive`` only seems to answer (SQuAD 2.0's plausible answer)


def _in_context(article: SquadArticle) -> list[Sentence]:
    texts = [article.sentence_text(i) for i in range(len(article.sentences))]
    return [(text, texts[i - 1] if i else "") for i, text in enumerate(texts)]


def build_groups(articles: list[SquadArticle], settings: TrainingSettings, embed) -> list[Group]:
    """One group per question: the answering sentence and pools of negatives to draw from.
    ``embed`` maps texts to unit vectors (the product's embedding model)."""
    groups: list[Group] = []
    in_context_of = {article.title: _in_context(article) for article in articles}
    for article in articles:
        in_context = in_context_of[article.title]
        texts = [text for text, _ in in_context]
        if not article.questions:
            continue
        sentence_vectors = embed(texts)
        question_vectors = embed([q.question for q in article.questions])
        stems = [content_stems(t) for t in texts]
        for q, qv in zip(article.questions, question_vectors):
            answer = q.answer.lower()
            # Nothing answers an unanswerable question: only its plausible answer's sentence is set apart.
            banned = {i for i, t in enumerate(texts) if q.answered and answer in t.lower()} | {q.sentence}
            q_stems = content_stems(q.question)
            share = np.array([len(q_stems & s) / max(1, len(q_stems)) for s in stems])
            score = sentence_vectors @ qv + 0.5 * share
            order = [i for i in np.argsort(-score) if i not in banned]
            hard = [in_context[i] for i in order[: settings.hard_pool]]
            paragraph = [in_context[i] for i, p in enumerate(article.paragraph_of) if p == q.paragraph and i not in banned]
            groups.append(Group(q.question, article.title, in_context[q.sentence], hard, paragraph, [],
                                answered=q.answered))
    # Other articles' sentences: any article but the group's own.
    titles = sorted(in_context_of)
    rng = random.Random(settings.seed)
    for g in groups:
        for _ in range(8):
            title = rng.choice([t for t in titles if t != g.title])
            sentences = in_context_of[title]
            g.others.append((title, sentences[rng.randrange(len(sentences))]))
    return groups


def reworded(question: str, sentence: str, rng: random.Random) -> str:
    """``question`` as a reader might ask it without the article in front of them: of the
    content words it shares with its answering ``sentence`` one is kept, drawn at random,
    and the others are dropped (names and numbers stay, as a reader keeps them). SQuAD's
    questions copy the article's words; this teaches the reader the questions that do not.

    >>> reworded("When did the council close the leisure centre?",
    ...          "The council closed the leisure centre in May.", random.Random(1))
    'When did the close the?'
    """
    tokens = question.split()
    answer_stems = content_stems(sentence)
    shared = []
    for i, token in enumerate(tokens):
        found = words(token)
        if len(found) != 1 or found[0] in STOPWORDS or found[0] in QUESTION_WORDS:
            continue
        if (i > 0 and token[0].isupper()) or any(c.isdigit() for c in token):
            continue  # a name or a number
        if stem(found[0]) in answer_stems:
            shared.append(i)
    if len(shared) < 2:
        return question
    keep = rng.choice(shared)
    kept = [t for i, t in enumerate(tokens) if i == keep or i not in shared]
    ending = tokens[-1][-1] if tokens[-1][-1] in "?." else ""
    text = " ".join(kept)
    return text if not ending or text.endswith(ending) else text.rstrip(".,;:") + ending


def draw(group: Group, settings: TrainingSettings, rng: random.Random) -> list[tuple[str, str, Sentence]]:
    """``(question, title, sentence)`` pairs of one group, the answer first."""
    question = group.question
    # Drawn only when asked for: with the share at 0 the draws, and the weights, are the shipped reader's.
    if settings.paraphrase_share and rng.random() < settings.paraphrase_share:
        question = reworded(question, group.positive[0], rng)
    question = question.lower() if rng.random() < settings.lowercase_share else question
    hard = group.hard[:]
    rng.shuffle(hard)
    hard = sorted(hard[: settings.hard_pool // 2], key=group.hard.index)[: settings.hard_negatives]
    chosen = set(hard)
    paragraph = [s for s in group.paragraph if s not in chosen]
    rng.shuffle(paragraph)
    negatives = [(group.title, s) for s in hard + paragraph[: settings.paragraph_negatives]]
    negatives += rng.sample(group.others, settings.other_article_negatives)
    want = settings.hard_negatives + settings.paragraph_negatives + settings.other_article_negatives
    while len(negatives) < want:  # a short article: fill from other articles
        negatives.append(rng.choice(group.others))
    return [(question, group.title, group.positive)] + [(question, t, s) for t, s in negatives]


def train(squad: Path, out: Path, settings: TrainingSettings, base_model: Path | None = None, log=print,
          more: list[Path] = (), more_articles: int | None = None, unanswerable: Path | None = None) -> Path:
    """Train the reader and save it (a transformers folder) in ``out``; returns ``out``.
    ``more``: SQuAD files whose articles are trained on as well, never held out (the
    answer model is fitted on the same held-out articles of ``squad`` either way), the
    first ``more_articles`` of each (all by default); an article of one of them that
    ``squad`` holds too is refused. ``unanswerable``: a SQuAD 2.0 file whose unanswerable
    questions are trained on as questions with no answer (its articles, like ``more``'s,
    never held out; one that ``squad`` holds is refused)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from ..embedding.embedder import get_embedder
    from ..embedding.model_files import default_model_path

    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    base = Path(base_model) if base_model else default_model_path()
    articles, held_out = split_articles(read_squad(squad), settings.held_out_articles)
    known = {a.title for a in articles + held_out}
    of_squad = set(known)
    for path in more:
        extra = read_squad(path)[:more_articles]
        shared = sorted(known & {a.title for a in extra})
        if shared:
            raise SystemExit(f"{path} holds articles of {squad} too ({', '.join(shared[:3])}); train on each once")
        articles += extra
        known |= {a.title for a in extra}
    unanswered = 0
    if unanswerable:
        by_title = {a.title: a for a in articles}
        for article in read_squad(unanswerable, unanswerable=True):
            if article.title in of_squad:
                raise SystemExit(f"{unanswerable} holds articles of {squad} too ({article.title}); "
                                 "its unanswerable questions must come from other articles")
            if not article.questions:
                continue
            unanswered += len(article.questions)
            if article.title in by_title:  # an article of --more-squad: its answered questions are there already
                by_title[article.title].questions.extend(article.questions)
            else:
                articles.append(article)
        log(f"{unanswered} unanswerable questions of {unanswerable} trained on as questions with no answer")
    log(f"training on {len(articles)} articles ({sum(len(a.questions) for a in articles)} questions); "
        f"held out: {', '.join(a.title for a in held_out)}")
    embedder = get_embedder()
    groups = build_groups(articles, settings, lambda texts: embedder.encode(texts, batch_size=64))
    log(f"{len(groups)} groups built")
    teacher = teacher_vectors(groups, settings, log) if settings.teacher and settings.teacher_weight else None

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1)
    model.bert.encoder.layer = model.bert.encoder.layer[: settings.layers]
    model.config.num_hidden_layers = settings.layers
    if settings.frozen_layers:  # keep what the embedding model knows of paraphrase in its lower layers
        for module in [model.bert.embeddings, *model.bert.encoder.layer[: settings.frozen_layers]]:
            for parameter in module.parameters():
                parameter.requires_grad = False
    model.train()
    optimiser = torch.optim.AdamW(parameter_groups(model, settings), lr=settings.learning_rate)
    steps_per_epoch = math.ceil(len(groups) / settings.groups_per_step)
    total = steps_per_epoch * settings.epochs
    warmup = max(1, int(settings.warmup_share * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    size = 1 + settings.hard_negatives + settings.paragraph_negatives + settings.other_article_negatives
    started, step = time.time(), 0
    for epoch in range(settings.epochs):
        order = list(range(len(groups)))
        rng.shuffle(order)
        running = []
        for at in range(0, len(order), settings.groups_per_step):
            pairs = [p for i in order[at: at + settings.groups_per_step] for p in draw(groups[i], settings, rng)]
            batch = tokenizer([q for q, _, _ in pairs],
                              [pair_text(t, s, previous if settings.context_sentences else "")
                               for _, t, (s, previous) in pairs],
                              truncation="only_second", max_length=settings.max_length,
                              padding=True, return_tensors="pt")
            logits = model(**batch).logits.view(-1, size)
            answered = torch.tensor([groups[i].answered for i in order[at: at + settings.groups_per_step]])
            labels = torch.zeros_like(logits)
            labels[:, 0] = answered.float()
            # The answer must win its group; a group with no answer has nothing to win.
            listwise = (torch.nn.functional.cross_entropy(logits[answered], torch.zeros(int(answered.sum()), dtype=torch.long))
                        if answered.any() else logits.sum() * 0.0)
            pointwise = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
            loss = listwise + settings.pointwise_weight * pointwise
            if teacher is not None:
                loss = loss + settings.teacher_weight * teacher.divergence(pairs, logits, size)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            running.append(loss.item())
            if step % 25 == 0 or step == total:
                log(f"epoch {epoch + 1} step {step}/{total} loss {np.mean(running[-25:]):.4f} "
                    f"({time.time() - started:.0f} s)")
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    (out / "training.json").write_text(json.dumps({
        "settings": asdict(settings), "held_out": [a.title for a in held_out],
        "trained_on": [a.title for a in articles], "questions": len(groups),
        "more_squad": [{"file": Path(path).name, "sha256": file_sha256(Path(path)), "articles": more_articles}
                       for path in more],
        "unanswerable_squad": ({"file": Path(unanswerable).name, "sha256": file_sha256(Path(unanswerable)),
                                "questions": unanswered} if unanswerable else None),
        "seconds": round(time.time() - started)}, indent=2) + "\n", encoding="utf-8")
    log(f"saved to {out} after {time.time() - started:.0f} s")
    return out


class TeacherCosines:
    """An embedding model's view of each training pair: the cosine of question and sentence,
    read from vectors embedded once before training. A question lower-cased by ``draw`` is
    read as the question it came from."""

    def __init__(self, questions: dict[str, np.ndarray], sentences: dict[str, np.ndarray], temperature: float):
        self.questions, self.sentences, self.temperature = questions, sentences, temperature

    def divergence(self, pairs, logits, size: int):
        """KL(teacher's softmax over each group || the reader's), averaged over the groups."""
        import torch

        cosines = np.array([float(self.questions[q] @ self.sentences[s]) for q, _, (s, _) in pairs], dtype=np.float32)
        target = torch.softmax(torch.from_numpy(cosines).view(-1, size) / self.temperature, dim=-1)
        return torch.nn.functional.kl_div(torch.log_softmax(logits, dim=-1), target, reduction="batchmean")


def teacher_vectors(groups: list[Group], settings: TrainingSettings, log=print) -> TeacherCosines:
    """Every question and candidate sentence of ``groups`` embedded by ``settings.teacher``."""
    from ..embedding.embedder import get_embedder

    teacher = get_embedder(settings.teacher)
    questions = sorted({g.question for g in groups})
    sentences = sorted({s for g in groups for s, _ in [g.positive, *g.hard, *g.paragraph, *(x for _, x in g.others)]})
    started = time.time()
    q_vectors = teacher.encode(questions, batch_size=64)
    s_vectors = teacher.encode(sentences, batch_size=64)
    log(f"{len(questions)} questions and {len(sentences)} sentences embedded by {settings.teacher} "
        f"in {time.time() - started:.0f} s")
    by_question = dict(zip(questions, q_vectors))
    by_question.update({q.lower(): v for q, v in zip(questions, q_vectors)})
    return TeacherCosines(by_question, dict(zip(sentences, s_vectors)), settings.teacher_temperature)


def parameter_groups(model, settings: TrainingSettings) -> list[dict]:
    """The optimiser's groups: no weight decay for biases and LayerNorm weights, and each
    layer's learning rate ``settings.layer_decay`` times the one above it (the head and the
    top layer at ``settings.learning_rate``, the embeddings lowest). Frozen parameters are left out."""
    top = len(model.bert.encoder.layer)  # the top layer's depth and the head's; the embeddings' is 0

    def depth(name: str) -> int:
        if name.startswith("bert.embeddings."):
            return 0
        layer = re.match(r"bert\.encoder\.layer\.(\d+)\.", name)
        return int(layer.group(1)) + 1 if layer else top

    groups: dict[tuple[float, float], list] = {}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            weight_decay = 0.0 if any(k in name for k in ("bias", "LayerNorm")) else settings.weight_decay
            rate = settings.learning_rate * settings.layer_decay ** (top - depth(name))
            groups.setdefault((weight_decay, rate), []).append(parameter)
    return [{"params": ps, "weight_decay": wd, "lr": lr} for (wd, lr), ps in groups.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.reader.training", description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, required=True, help="a SQuAD v1.1 JSON file to train on")
    parser.add_argument("--out", type=Path, required=True, help="folder for the trained model")
    parser.add_argument("--more-squad", type=Path, action="append", default=[],
                        help="another SQuAD file (v1.1 or v2.0) to train on too, never held out; may repeat")
    parser.add_argument("--more-articles", type=int, default=None,
                        help="of each --more-squad file, only its first N articles")
    parser.add_argument("--unanswerable-squad", type=Path, default=None,
                        help="a SQuAD 2.0 file whose unanswerable questions are trained on as questions with no answer")
    parser.add_argument("--layers", type=int, default=TrainingSettings.layers)
    parser.add_argument("--epochs", type=int, default=TrainingSettings.epochs)
    parser.add_argument("--seed", type=int, default=TrainingSettings.seed)
    parser.add_argument("--paraphrase-share", type=float, default=TrainingSettings.paraphrase_share,
                        help="share of questions reworded to keep one word of their answer (see reworded)")
    parser.add_argument("--frozen-layers", type=int, default=TrainingSettings.frozen_layers,
                        help="keep the embeddings and this many lower layers as the base model has them")
    parser.add_argument("--layer-decay", type=float, default=TrainingSettings.layer_decay,
                        help="each layer's learning rate this times the one above it (1: every layer alike)")
    parser.add_argument("--context-sentences", type=int, choices=(0, 1), default=TrainingSettings.context_sentences,
                        help="1: the reader also reads the sentence before each candidate")
    parser.add_argument("--max-length", type=int, default=TrainingSettings.max_length,
                        help="tokens of question and sentence read together, at most")
    parser.add_argument("--teacher", default=TrainingSettings.teacher,
                        help="an embedding model (e.g. all-mpnet-base-v2) whose cosines the reader learns to rank by too")
    parser.add_argument("--teacher-weight", type=float, default=None,
                        help=f"the weight of the teacher's ranking in the loss (default {TrainingSettings.teacher_weight:g})")
    args = parser.parse_args(argv)
    if not 0 < args.layer_decay <= 1:
        parser.error("--layer-decay must be above 0 and at most 1")
    if args.teacher_weight is not None and not args.teacher:
        parser.error("--teacher-weight needs --teacher MODEL")
    teacher_weight = TrainingSettings.teacher_weight if args.teacher_weight is None else args.teacher_weight
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    settings = TrainingSettings(layers=args.layers, epochs=args.epochs, seed=args.seed, max_length=args.max_length,
                                paraphrase_share=args.paraphrase_share, frozen_layers=args.frozen_layers,
                                layer_decay=args.layer_decay,
                                context_sentences=args.context_sentences, teacher=args.teacher,
                                teacher_weight=teacher_weight)
    train(args.squad, args.out, settings, more=args.more_squad, more_articles=args.more_articles,
          unanswerable=args.unanswerable_squad)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
