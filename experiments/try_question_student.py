"""Could questions be embedded into all-mpnet-base-v2's space at all-MiniLM-L6-v2's cost?

mpnet gives 5 more right answers on newsqa-dev and on squad-dev (docs/quality.md), but a
question's vector costs about 7x MiniLM's, over the 60 ms budget. The articles are embedded
once, at indexing time, where mpnet's cost is paid once; only the question must be fast.
This script measures, with plain cosine over every sentence of a set (no reader, no
abstention), sentence@1 of:

* MiniLM question and sentences; mpnet question and sentences;
* a linear map of MiniLM's question vector into mpnet's space (least squares, fitted on
  squad-train's questions and sentences only), against mpnet's sentence vectors;
* with ``--student DIR``, a student model's question vectors against mpnet's sentences.

Texts to fit on: squad-train (`--squad`), and `--more-squad` files. Teacher vectors are
kept in ``build/student-texts.npz`` for the student's training.

    python experiments/try_question_student.py --more-squad build/squad-v2.0-train-first10.json \
        [--student build/question-student]

Result (ran on 2026-12-07 on 03060ff; 17,466 texts: squad-train's and the first ten SQuAD 2.0
training articles' questions and sentences, embedded by both models in 461 s):

| set | MiniLM | mpnet | linear MiniLM -> mpnet (cosine with mpnet's question vector) |
|---|---|---|---|
| newsqa-dev (50 questions, 111 sentences) | 0.360 | 0.520 | 0.340 (0.701) |
| squad-dev (144 questions, 2,564 sentences) | 0.625 | 0.611 | 0.438 (0.719) |

A linear map keeps too little of mpnet's sense; the student of
experiments/question_student/train.py reached a held-out cosine of 0.7987 after its first
epoch (0.7777 before training, 638 s) and was stopped: at that pace it would not come near
the 0.99 that ranking with another model's vectors needs. Not pursued.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from qa.embedding.embedder import get_embedder
from qa.ingest.passages import split_sentences
from qa.reader.squad import read_squad

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"


def training_texts(squad_files: list[Path]) -> list[str]:
    texts: dict[str, None] = {}
    for path in squad_files:
        for article in read_squad(path):
            for q in article.questions:
                texts.setdefault(q.question.strip())
            for i in range(len(article.sentences)):
                texts.setdefault(article.sentence_text(i).strip())
    return [t for t in texts if t]


def set_items(folder: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """(every sentence of the set's articles, [(question, expect)] answerable)."""
    sentences: list[str] = []
    for path in sorted((folder / "articles").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---"):
            text = text.split("---", 2)[2]
        for s, e in split_sentences(text):
            sentences.append(" ".join(text[s:e].split()))
    items = []
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("answerable", True) and row.get("expect"):
            items.append((row["q"], row["expect"]))
    return sentences, items


def fold(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def at1(q: np.ndarray, s: np.ndarray, sentences: list[str], items) -> float:
    best = np.argmax(q @ s.T, axis=1)
    return sum(fold(expect) in fold(sentences[b]) for b, (_, expect) in zip(best, items)) / len(items)


class TorchStudent:
    """The student of experiments/question_student/train.py, run with torch."""

    def __init__(self, folder: Path):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModel.from_pretrained(str(folder)).eval()
        state = torch.load(folder / "head.pt")
        self.head = torch.nn.Linear(state["weight"].shape[1], state["weight"].shape[0])
        self.head.load_state_dict(state)

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self.torch
        out = []
        with torch.no_grad():
            for at in range(0, len(texts), 64):
                batch = self.tokenizer(texts[at:at + 64], truncation=True, max_length=128, padding=True,
                                       return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1)
                out.append(torch.nn.functional.normalize(self.head(pooled), dim=-1).numpy())
        return np.concatenate(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--squad", type=Path, default=SHARED / "squad-train" / "squad-v1.1-dev-train-pool.json")
    ap.add_argument("--more-squad", type=Path, action="append", default=[])
    ap.add_argument("--texts", type=Path, default=Path("build/student-texts.npz"))
    ap.add_argument("--student", type=Path)
    args = ap.parse_args()
    mini, mpnet = get_embedder("all-MiniLM-L6-v2"), get_embedder("all-mpnet-base-v2")
    if args.texts.is_file():
        saved = np.load(args.texts, allow_pickle=False)
        texts, x, y = list(saved["texts"]), saved["mini"], saved["mpnet"]
    else:
        texts = training_texts([args.squad, *args.more_squad])
        t = time.perf_counter()
        x = mini.encode(texts)
        y = mpnet.encode(texts)
        print(f"{len(texts)} training texts embedded by both models in {time.perf_counter() - t:.0f} s")
        args.texts.parent.mkdir(parents=True, exist_ok=True)
        np.savez(args.texts, texts=np.array(texts), mini=x, mpnet=y)
    ridge = 1e-2
    w = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ y)

    def mapped(v: np.ndarray) -> np.ndarray:
        m = v @ w
        return m / np.linalg.norm(m, axis=1, keepdims=True)

    student = TorchStudent(args.student) if args.student else None
    for name in ("newsqa-dev", "squad-dev"):
        sentences, items = set_items(SHARED / name)
        questions = [q for q, _ in items]
        s_mini, s_mpnet = mini.encode(sentences), mpnet.encode(sentences)
        q_mini, q_mpnet = mini.encode(questions), mpnet.encode(questions)
        q_map = mapped(q_mini)
        row = [f"{name}: {len(items)} questions, {len(sentences)} sentences",
               f"MiniLM {at1(q_mini, s_mini, sentences, items):.3f}",
               f"mpnet {at1(q_mpnet, s_mpnet, sentences, items):.3f}",
               f"linear MiniLM->mpnet {at1(q_map, s_mpnet, sentences, items):.3f}"
               f" (cosine with mpnet's {np.mean(np.sum(q_map * q_mpnet, axis=1)):.3f})"]
        if student is not None:
            q_student = student.encode(questions)
            row.append(f"student {at1(q_student, s_mpnet, sentences, items):.3f}"
                       f" (cosine with mpnet's {np.mean(np.sum(q_student * q_mpnet, axis=1)):.3f})")
        print("; ".join(row))


if __name__ == "__main__":
    main()
