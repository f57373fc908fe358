"""ONNX Runtime's transformer fusions before int8 quantisation, for all-mpnet-base-v2-int8.

The product's int8 copy (:func:`qa.embedding.onnx_export._quantise`) quantises the plain
float32 export. ONNX Runtime's own advice for BERT-like models on CPU is to fuse first
(LayerNorm, Gelu, SkipLayerNorm, attention where its pattern matches:
``onnxruntime.transformers.optimizer``) and quantise the fused graph. This script makes
that copy from the same float32 export and compares it with the product's int8 copy:

* time of a question's vectors (the question and its name-free twin in one batch, the
  product's session settings), the two graphs taking turns question by question;
* plain-cosine sentence@1 on newsqa-dev and squad-dev with each graph on both sides;
* the lowest cosine of each graph's vectors against float32 on those sets' questions.

    python experiments/try_fused_int8.py [MODEL]     # default all-mpnet-base-v2; or all-MiniLM-L6-v2

Needs the model's float32 and int8 exports in the cache (any run with ``--model
all-mpnet-base-v2-int8`` makes them).

Result (ran on 2026-12-07 on f6fc1ee's code, 2-core x86-64 with AVX-512 VNNI; the MiniLM run
had a reader training beside it):

| model | fused | sentence@1 newsqa-dev, int8 / fused int8 | squad-dev | question and twin p50, int8 / fused int8 |
|---|---|---|---|---|
| all-mpnet-base-v2 | 25 SkipLayerNormalization, 12 BiasGelu, no Attention (its relative position bias breaks the pattern) | 0.520 / 0.500 | 0.667 / 0.660 | 24.2 / 26.3 ms |
| all-MiniLM-L6-v2 | 12 SkipLayerNormalization, 6 BiasGelu, 6 Attention, EmbedLayerNormalization | 0.360 / 0.360 | 0.632 / 0.632 | 9.5 / 9.5 ms |

No gain: ONNX Runtime's own graph optimisations at load (``ORT_ENABLE_ALL``) already do what
the offline fusions do for these graphs, and mpnet's fused copy ranks a little worse. The
product's int8 copy stays as it is. (mpnet int8's squad-dev figure here, 0.667, is not
try_mpnet_int8.py's 0.611: this script embeds 32 texts a batch in their order, the product
otherwise, and dynamic int8 quantisation scales activations per batch.)
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from try_question_student import SHARED, at1, set_items  # noqa: E402

from qa.answer.question import strip_names  # noqa: E402
from qa.embedding import onnx_export  # noqa: E402
from qa.embedding.embedder import WORKERS, get_embedder  # noqa: E402
from qa.embedding.model_files import weights_file, weights_sha256  # noqa: E402
from qa.embedding.onnx_runtime import OnnxSessions  # noqa: E402


def fused_copy(float_path: Path, out: Path, heads: int, hidden: int) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    fused = out / "fused-fp32.onnx"
    if not fused.exists():
        model = optimize_model(str(float_path), model_type="bert", num_heads=heads, hidden_size=hidden,
                               opt_level=1, use_gpu=False)
        print("fusions:", model.get_fused_operator_statistics(), flush=True)
        model.save_model_to_file(str(fused))
    quantised = out / "fused-int8.onnx"
    if not quantised.exists():
        quantize_dynamic(str(fused), str(quantised), per_channel=True, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": 1})
    return quantised


def main(name: str) -> None:
    embedder = get_embedder(name + "-int8", backend="onnx")
    embedder.encode(["load"])
    sha = weights_sha256(weights_file(embedder.model_dir))
    float_dir = onnx_export.export_folder(sha)
    int8_path = onnx_export.export_folder(sha, int8=True) / "model.onnx"
    print(f"float32 {float_dir / 'model.onnx'}; product int8 {int8_path} (sha {sha})", flush=True)
    out = Path("build/fused-int8") / name
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    config = json.loads((Path(embedder.model_dir) / "config.json").read_text())
    fused_path = fused_copy(float_dir / "model.onnx", out, heads=config["num_attention_heads"],
                            hidden=config["hidden_size"])
    print(f"fused int8 copy made in {time.perf_counter() - started:.0f} s", flush=True)
    threads = min(WORKERS, 4)
    graphs = {"float32": OnnxSessions(float_dir / "model.onnx", threads), "int8": OnnxSessions(int8_path, threads),
              "fused int8": OnnxSessions(fused_path, threads)}
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(embedder.model_dir))

    def vectors(graph: OnnxSessions, texts: list[str], batch: int = 32) -> np.ndarray:
        rows = []
        for at in range(0, len(texts), batch):
            enc = tokenizer(texts[at: at + batch], padding=True, truncation=True, max_length=384, return_tensors="np")
            ids, mask = enc["input_ids"].astype(np.int64), enc["attention_mask"].astype(np.int64)
            rows.append(onnx_export._pooled(graph(ids, mask), mask))
        return np.concatenate(rows)

    asked: list[str] = []
    for set_name in ("newsqa-dev", "squad-dev"):
        sentences, items = set_items(SHARED / set_name)
        questions = [q for q, _ in items]
        asked += questions
        got = {g: (vectors(s, questions), vectors(s, sentences)) for g, s in graphs.items()}
        line = ", ".join(f"{g} {at1(*v, sentences, items):.3f}" for g, v in got.items())
        low = ", ".join(f"{g} {np.min(np.sum(v[0] * got['float32'][0], 1)):.3f}" for g, v in got.items() if g != "float32")
        print(f"{set_name}: sentence@1 {line}; lowest question cosine vs float32: {low}", flush=True)
    timed = ("int8", "fused int8")
    seconds: dict[str, list[float]] = {g: [] for g in timed}
    for i, question in enumerate(asked):
        enc = tokenizer([question, strip_names(question)], padding=True, return_tensors="np")
        ids, mask = enc["input_ids"].astype(np.int64), enc["attention_mask"].astype(np.int64)
        for g in (timed if i % 2 == 0 else timed[::-1]):
            time.sleep(0.02)
            started = time.perf_counter()
            graphs[g](ids, mask)
            seconds[g].append(time.perf_counter() - started)
    print(f"question and twin, p50 over {len(asked)} questions ({threads} threads): "
          + ", ".join(f"{g} {statistics.median(s) * 1000:.1f} ms" for g, s in seconds.items()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "all-mpnet-base-v2")
