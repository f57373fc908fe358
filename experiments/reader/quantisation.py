"""How far the int8 reader's scores drift from the trained torch model's: 144 squad-train
pairs (an answering and a random sentence for 6 questions of each article), the fp32 graph
and five dynamic-quantisation variants; prints the largest, mean and 95th-percentile error,
the correlation and how often the answering sentence stays above the other.

    python experiments/reader/quantisation.py build/reader    # a folder from qa.reader.training
"""
import sys
import random, numpy as np, torch, onnxruntime as ort, onnx
from pathlib import Path
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from qa.reader.inputs import pair_text
from qa.reader.squad import read_squad
tr = Path(sys.argv[1] if len(sys.argv) > 1 else "build/reader"); work = Path("/tmp/qwork"); work.mkdir(exist_ok=True)
tok = AutoTokenizer.from_pretrained(str(tr)); model = AutoModelForSequenceClassification.from_pretrained(str(tr)).eval()
arts = read_squad(Path("../shared/benchmarks/squad-train/squad-v1.1-dev-train-pool.json"))
rng = random.Random(1); pairs = []
for a in arts[:24]:
    texts = [a.sentence_text(i) for i in range(len(a.sentences))]
    for q in rng.sample(a.questions, min(6, len(a.questions))):
        pairs.append((q.question, a.title, texts[q.sentence]))
        pairs.append((q.question, a.title, rng.choice(texts)))
names = ["input_ids", "attention_mask", "token_type_ids"]
b = tok([p[0] for p in pairs], [pair_text(t, s) for _, t, s in pairs], truncation="only_second", max_length=96, padding=True, return_tensors="pt")
with torch.no_grad(): ref = model(**b).logits[:, 0].numpy()
full = work / "full.onnx"
if not full.exists():
    small = {n: b[n][:2] for n in names}
    torch.onnx.export(model, tuple(small[n] for n in names), str(full), input_names=names, output_names=["logits"],
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names}, opset_version=17, dynamo=False)
def run(path):
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return s.run(None, {n: b[n].numpy() for n in names})[0][:, 0]
def report(name, got):
    e = np.abs(got - ref); pos = ref[0::2] > ref[1::2]; agree = np.mean((got[0::2] > got[1::2]) == pos)
    print(f"{name}: max {e.max():.3f} mean {e.mean():.3f} p95 {np.percentile(e,95):.3f} corr {np.corrcoef(got, ref)[0,1]:.4f} pair-order agree {agree:.3f}")
report("fp32", run(full))
m = onnx.load(str(full)); nodes = [n.name for n in m.graph.node if n.op_type in ("MatMul", "Gemm")]
print(len(nodes), nodes[:3], nodes[-3:])
variants = {
 "pc": dict(per_channel=True),
 "pc_rr": dict(per_channel=True, reduce_range=True),
 "matmul_only": dict(per_channel=True, op_types_to_quantize=["MatMul"]),
 "no_head": dict(per_channel=True, nodes_to_exclude=[n for n in nodes if "classifier" in n or "pooler" in n]),
 "no_ffn_out": dict(per_channel=True, nodes_to_exclude=[n for n in nodes if "output/dense" in n and "attention" not in n]),
}
for k, kw in variants.items():
    out = work / f"{k}.onnx"
    quantize_dynamic(str(full), str(out), weight_type=QuantType.QInt8, **kw)
    report(f"{k} ({out.stat().st_size/1e6:.1f} MB)", run(out))
