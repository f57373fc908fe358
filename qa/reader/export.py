"""A trained reader (a transformers folder from :mod:`qa.reader.training`) turned into what
ships: an int8 ONNX graph, its tokenizer, and ``reader.json`` (sha256 of the graph, the
training settings, the input format). The graph is checked against the torch model on
probe pairs before it is written: its scores must keep their order.

    python -m qa.reader.export build/reader qa/reader/model
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..files import file_sha256
from .inputs import pair_text

OPSET = 17
GRAPH = "reader-int8.onnx"
MANIFEST = "reader.json"
# (question, headline, sentence, the sentence before it): each answering sentence, then another.
_PROBES = [
    ("when was the improvement notice closed?", "Notice closed",
     "The improvement notice was issued in 2016 and this has been closed following Ofsted's latest visit.",
     "Inspectors visited the service in May."),
    ("when was the improvement notice closed?", "Notice closed", "Inspectors praised the care leavers service.",
     "The report was published on Tuesday."),
    ("How many people signed the petition?", "Library saved", "More than 3,000 people signed a petition to keep it open.",
     "The library was due to close in March."),
    ("How many people signed the petition?", "Library saved", "The library opened in 1904 and was extended in 1970.",
     ""),
    ("Who leads the council?", "Budget", "Council leader Jane Smith said the budget was balanced.",
     "The budget was agreed on Monday."),
    ("Who leads the council?", "Budget", "The budget gap is £7.3 million this year.", "Savings are planned."),
]


def check_agreement(got: np.ndarray, expected: np.ndarray, max_error: float = 1.5,
                    min_correlation: float = 0.98, tie: float = 0.25) -> None:
    """The int8 graph's probe scores must be the torch model's, within quantisation error:
    each pair's answering sentence (even places) still above or below its other sentence (odd
    places) as in torch, where torch's two scores are more than ``tie`` apart (a near tie
    may flip within quantisation error), each score within ``max_error``, and (when the scores spread at all) correlated at
    ``min_correlation``. Six layers quantised drift more than three: on 144 SQuAD pairs the
    mean error was 0.11 and the largest 1.2 on scores of about -4 to 4, every pair's order
    kept (experiments/reader/README.md).

    >>> check_agreement(np.array([2.0, -1.0, 0.5, 0.1]), np.array([2.1, -1.05, 0.4, -0.2]))
    >>> check_agreement(np.array([2.0, -1.0, -3.77, -3.73]), np.array([2.1, -1.05, -3.74, -3.75]))  # a near tie
    >>> check_agreement(np.array([2.0, 2.5]), np.array([2.1, -1.0]))
    Traceback (most recent call last):
    ...
    RuntimeError: the int8 graph does not reproduce the trained scores (largest error 3.500, correlation 1.0000, order kept False): [2.  2.5] against [ 2.1 -1. ]
    """
    error = float(np.max(np.abs(got - expected)))
    spread = float(np.ptp(expected))
    correlation = float(np.corrcoef(got, expected)[0, 1]) if spread > 0.1 and len(got) > 2 else 1.0
    decided = np.abs(expected[0::2] - expected[1::2]) > tie
    order_kept = bool(np.all(((got[0::2] > got[1::2]) == (expected[0::2] > expected[1::2]))[decided]))
    if error > max_error or correlation < min_correlation or not order_kept:
        raise RuntimeError(f"the int8 graph does not reproduce the trained scores (largest error {error:.3f}, "
                           f"correlation {correlation:.4f}, order kept {order_kept}): {got} against {expected}")


def export(trained: Path, out: Path, max_length: int | None = None) -> Path:
    """Write ``out``/reader-int8.onnx, tokenizer.json and reader.json from ``trained``; pairs
    are cut at ``max_length`` tokens (default: as in training)."""
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    training = json.loads((trained / "training.json").read_text(encoding="utf-8"))
    max_length = max_length or int(training["settings"]["max_length"])
    tokenizer = AutoTokenizer.from_pretrained(str(trained))
    model = AutoModelForSequenceClassification.from_pretrained(str(trained)).eval()
    context = int(training["settings"].get("context_sentences", 0))
    batch = tokenizer([q for q, _, _, _ in _PROBES], [pair_text(t, s, previous if context else "")
                                                      for _, t, s, previous in _PROBES],
                      truncation="only_second", max_length=max_length, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = model(**batch).logits[:, 0].numpy()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        full = Path(work) / "reader.onnx"
        names = ["input_ids", "attention_mask", "token_type_ids"]
        torch.onnx.export(model, tuple(batch[n] for n in names), str(full), input_names=names,
                          output_names=["logits"], dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names},
                          opset_version=OPSET, dynamo=False)
        quantised = Path(work) / GRAPH
        quantize_dynamic(str(full), str(quantised), weight_type=QuantType.QInt8, per_channel=True)
        session = ort.InferenceSession(str(quantised), providers=["CPUExecutionProvider"])
        got = session.run(None, {n: batch[n].numpy() for n in names})[0][:, 0]
        check_agreement(got, expected)
        shutil.copy(quantised, out / GRAPH)
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    manifest = {
        "graph": GRAPH,
        "sha256": file_sha256(out / GRAPH),
        "max_length": max_length,
        "input": ("question; then sentence [SEP] headline" + (" [SEP] sentence before" if context else "")
                  + " (qa.reader.inputs.pair_text)"),
        "base_model": "all-MiniLM-L6-v2 (sha256 53aa5117...d9db), first layers",
        "training": training,
        "probe_scores": {"torch": [round(float(x), 4) for x in expected], "onnx_int8": [round(float(x), 4) for x in got]},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.reader.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("trained", type=Path, help="folder written by python -m qa.reader.training")
    parser.add_argument("out", type=Path, help="folder to write the shipped reader into (qa/reader/model)")
    args = parser.parse_args(argv)
    export(args.trained, args.out)
    print(f"wrote {args.out / GRAPH} and {args.out / MANIFEST}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
