"""Train a question encoder that writes all-mpnet-base-v2's vectors at all-MiniLM-L6-v2's cost.

The student is all-MiniLM-L6-v2 with a linear map 384 -> 768 after its mean pooling
(started from the least-squares map), trained to give each text the unit vector mpnet
gives it (loss: 1 - cosine). The texts are squad-train's questions and sentences (and
`--more-squad` files'), embedded by both models once by ``experiments/try_question_student.py``
into ``build/student-texts.npz``. One article group in twenty is held out to watch the fit.

    python experiments/question_student/train.py --out build/question-student [--epochs 4]

Then ``experiments/try_question_student.py --student build/question-student`` compares
its vectors with mpnet's on newsqa-dev and squad-dev.

Result (ran on 2026-12-07 on 03060ff, 2 cores): 16,593 texts trained on, 873 held out;
held-out cosine with mpnet's vectors 0.7777 before training (the least-squares map alone),
0.7987 after the first epoch (519 steps, 638 s, loss 0.2135); stopped there. Not pursued
(experiments/try_question_student.py).
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=Path, default=Path("build/student-texts.npz"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--max-length", type=int, default=64)
    args = ap.parse_args()

    import torch
    from transformers import AutoModel, AutoTokenizer

    from qa.embedding.model_files import default_model_path

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    saved = np.load(args.texts, allow_pickle=False)
    texts, x, y = list(saved["texts"]), saved["mini"], saved["mpnet"]
    held = np.zeros(len(texts), dtype=bool)
    held[rng.choice(len(texts), size=len(texts) // 20, replace=False)] = True
    train_rows, held_rows = np.flatnonzero(~held), np.flatnonzero(held)
    w = np.linalg.solve(x[train_rows].T @ x[train_rows] + 1e-2 * np.eye(x.shape[1]), x[train_rows].T @ y[train_rows])

    base = default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModel.from_pretrained(str(base))
    head = torch.nn.Linear(x.shape[1], y.shape[1], bias=True)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(w.T.astype(np.float32)))
        head.bias.zero_()
    teacher = torch.from_numpy(y.astype(np.float32))

    def embed(rows) -> torch.Tensor:
        batch = tokenizer([texts[i] for i in rows], truncation=True, max_length=args.max_length,
                          padding=True, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return torch.nn.functional.normalize(head(pooled), dim=-1)

    def held_cosine() -> float:
        model.eval()
        with torch.no_grad():
            cos = [float((embed(held_rows[i:i + 128]) * teacher[held_rows[i:i + 128]]).sum(-1).mean())
                   * len(held_rows[i:i + 128]) for i in range(0, len(held_rows), 128)]
        model.train()
        return sum(cos) / len(held_rows)

    print(f"{len(train_rows)} texts to train on, {len(held_rows)} held out; "
          f"held-out cosine with mpnet before training {held_cosine():.4f}", flush=True)
    params = list(model.parameters()) + list(head.parameters())
    optimiser = torch.optim.AdamW([{"params": list(model.parameters()), "lr": args.lr},
                                   {"params": list(head.parameters()), "lr": args.lr * 20}], weight_decay=0.01)
    steps_per_epoch = math.ceil(len(train_rows) / args.batch)
    total, warmup = steps_per_epoch * args.epochs, max(1, steps_per_epoch // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    started, step = time.time(), 0
    model.train()
    for epoch in range(args.epochs):
        order = rng.permutation(train_rows)
        running = []
        for at in range(0, len(order), args.batch):
            rows = order[at: at + args.batch]
            loss = (1.0 - (embed(rows) * teacher[rows]).sum(-1)).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            running.append(loss.item())
            if step % 100 == 0:
                print(f"epoch {epoch + 1} step {step}/{total} loss {np.mean(running[-100:]):.4f} "
                      f"({time.time() - started:.0f} s)", flush=True)
        print(f"epoch {epoch + 1} done: held-out cosine {held_cosine():.4f} ({time.time() - started:.0f} s)", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(args.out))
    tokenizer.save_pretrained(str(args.out))
    torch.save(head.state_dict(), args.out / "head.pt")
    (args.out / "training.json").write_text(json.dumps({
        "texts": len(texts), "held_out": int(held.sum()), "epochs": args.epochs, "batch": args.batch,
        "lr": args.lr, "seconds": round(time.time() - started), "held_out_cosine": held_cosine()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
