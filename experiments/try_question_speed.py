"""Ways to embed a question faster, against what ships: the question and its name-free twin
(qa.answer.question.strip_names) in one float32 ONNX Runtime batch. None of these ships
(docs/tried.md, answer speed).

Speed: p50 of embedding both texts of each newsqa-dev and SciFact question, taking turns
with the naive pipeline's ``SentenceTransformer.encode`` of the question alone:

* ``float32 batch``     what ships;
* ``float32 parallel``  the two texts side by side, one thread each;
* ``int8 per tensor`` / ``int8 per channel``  ONNX Runtime dynamic quantisation of the model
  (weights int8, activations quantised on the fly), question vectors only: the index keeps
  its float32 vectors. Cosine with the float32 question vectors, lowest and mean.

Quality (``--quality``): ``qa eval`` of newsqa-dev and of the seed questions with each int8
model answering the questions, and without the twin.

    python experiments/try_question_speed.py [--quality]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from qa.bench.common import ROOT, SCIFACT, NaivePipeline, log  # noqa: E402

NEWSQA = ROOT.parent / "shared" / "benchmarks" / "newsqa-dev"


def session(path: str, threads: int = 2):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def quantised(source: str, folder: Path) -> dict[str, str]:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = {}
    for name, per_channel in (("int8 per tensor", False), ("int8 per channel", True)):
        path = folder / f"{name.replace(' ', '-')}.onnx"
        quantize_dynamic(source, str(path), weight_type=QuantType.QInt8, per_channel=per_channel)
        out[name] = str(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true", help="also run qa eval with each int8 model")
    parser.add_argument("--eval-with", metavar="MODEL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.eval_with:
        return eval_with(args.eval_with)

    from qa.answer.question import strip_names
    from qa.embedding.embedder import get_embedder

    embedder = get_embedder()
    embedder.encode(["warm up"])
    run = embedder._load()
    shipped = run._latency
    questions = [json.loads(line)["q"] for line in (NEWSQA / "questions.jsonl").read_text().splitlines() if line.strip()]
    questions += [json.loads(line)["text"] for line in (SCIFACT / "queries.jsonl").read_text().splitlines()[:100]]
    folder = Path(tempfile.mkdtemp(prefix="qa-int8-"))
    log("quantising the model twice (a minute)")
    models = quantised(str(run.path), folder)
    sessions = {name: session(path) for name, path in models.items()}

    def vector(text: str) -> np.ndarray:
        return embedder.encode([text])[0]

    reference = [vector(q) for q in questions]
    for name, s in sessions.items():
        run._latency = s
        cosines = [float(r @ vector(q)) for r, q in zip(reference, questions)]
        log(f"{name}: cosine with float32 question vectors, lowest {min(cosines):.4f}, mean {np.mean(cosines):.4f}")
    run._latency = shipped

    naive = NaivePipeline()
    pool = ThreadPoolExecutor(2)
    run.bulk(np.array([[101, 102]]), np.array([[1, 1]]))

    def parallel(question: str):
        twin = strip_names(question)
        if twin == question:
            return embedder.encode([question])
        return [f.result() for f in [pool.submit(lambda t: embedder.encode([t]), t) for t in (question, twin)]]

    ways = {"float32 batch (shipped)": lambda q: embedder.encode([q, strip_names(q)]),
            "float32 parallel": parallel, "naive encode (question only)": lambda q: naive.encode([q])}
    for name, s in sessions.items():
        def both(q, s=s):
            run._latency = s
            try:
                return embedder.encode([q, strip_names(q)])
            finally:
                run._latency = shipped
        ways[name] = both
    times: dict[str, list[float]] = {name: [] for name in ways}
    for question in questions:
        for name, way in ways.items():
            time.sleep(0.01)
            start = time.perf_counter()
            way(question)
            times[name].append((time.perf_counter() - start) * 1000)
    twins = sum(strip_names(q) != q for q in questions)
    print(f"\n{len(questions)} questions, {twins} with a name-free twin; p50 / p90 ms")
    for name, values in times.items():
        print(f"  {name:30} {statistics.median(values):6.2f} / {np.percentile(values, 90):6.2f}")

    if args.quality:
        import subprocess

        for name, path in models.items():
            print(f"\n== {name}: qa eval ../shared/benchmarks/newsqa-dev, then the seed questions", flush=True)
            subprocess.run([sys.executable, __file__, "--eval-with", path], check=True)
        print("\n== no twin (the question's own vector in its place): the same evaluations", flush=True)
        subprocess.run([sys.executable, __file__, "--eval-with", "no-twin"], check=True)


def eval_with(model: str) -> None:
    """qa eval of newsqa-dev and the seed questions, questions embedded by ``model`` (or,
    with ``"no-twin"``, the shipped model without the name-free twin)."""
    from qa.cli import main as qa_main
    from qa.embedding import onnx_runtime

    if model == "no-twin":
        from qa.answer import retriever

        retriever.strip_names = lambda question: question
        qa_main(["eval", str(NEWSQA)])
        qa_main(["eval", str(ROOT / "tests" / "data" / "dev_questions.jsonl")])
        return

    make = onnx_runtime.OnnxSessions.__init__

    def with_model(self, path, latency_threads=1):
        make(self, path, latency_threads)
        self._latency = session(model, latency_threads)

    onnx_runtime.OnnxSessions.__init__ = with_model
    qa_main(["eval", str(NEWSQA)])
    qa_main(["eval", str(ROOT / "tests" / "data" / "dev_questions.jsonl")])

if __name__ == "__main__":
    main()
