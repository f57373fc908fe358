"""Other runtimes and precisions for the embedder, against this project's ONNX Runtime path:
seconds to embed the 200-abstract sample's passages and the lowest and mean cosine of their
vectors with the float32 ones. None of these is used by the project (docs/tried.md).

    python experiments/try_runtimes.py                # needs the sample: qa bench --part indexing
    python experiments/try_runtimes.py --limit 200    # fewer passages, quicker

Rows whose package is missing are skipped with a note: OpenVINO and NNCF
(``pip install openvino nncf``), ONNX Runtime's block quantiser (``pip install onnx_ir``).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from qa.bench.common import Results, log, passages_of, scifact_corpus  # noqa: E402


def _pooled(run, tokenizer, texts: list[str], batch: int = 32) -> np.ndarray:
    """Mean-pooled unit vectors, texts sorted by length as the project batches them."""
    encodings = tokenizer.encode_batch(texts)
    lengths = [len(e.ids) for e in encodings]
    order = sorted(range(len(texts)), key=lengths.__getitem__)
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(order), batch):
        rows = order[start:start + batch]
        ids = np.zeros((len(rows), lengths[rows[-1]]), dtype=np.int64)
        mask = np.zeros_like(ids)
        for r, i in enumerate(rows):
            ids[r, :lengths[i]] = encodings[i].ids
            mask[r, :lengths[i]] = 1
        hidden = run(ids, mask)
        weights = mask[..., None].astype(np.float32)
        out[rows] = (hidden * weights).sum(1) / weights.sum(1)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _ort(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 0
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda ids, mask: session.run(None, {"input_ids": ids, "attention_mask": mask,
                                                "token_type_ids": np.zeros_like(ids)})[0]


def _openvino(model, config: dict):
    import openvino as ov

    request = ov.Core().compile_model(model, "CPU", config).create_infer_request()

    def run(ids, mask):
        request.infer({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
        return request.get_output_tensor(0).data.copy()

    return run


def trials(onnx_path: Path, work: Path):
    """(label, a function that makes the runner) for every trial."""
    yield "ONNX Runtime, float32 (this project)", lambda: _ort(onnx_path)

    def dynamic_int8():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        out = work / "dynamic-int8.onnx"
        quantize_dynamic(str(onnx_path), str(out), weight_type=QuantType.QInt8, per_channel=True)
        return _ort(out)

    yield "ONNX Runtime, int8 dynamic quantisation", dynamic_int8

    def block_int8():
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer

        quantiser = MatMulNBitsQuantizer(onnx.load(str(onnx_path)), algo_config=DefaultWeightOnlyQuantConfig(
            block_size=32, is_symmetric=True, accuracy_level=4, bits=8))
        quantiser.process()
        out = work / "block-int8.onnx"
        quantiser.model.save_model_to_file(str(out), False)
        return _ort(out)

    yield "ONNX Runtime, 8-bit MatMulNBits (blocks of 32)", block_int8
    for precision in ("f32", "bf16", "f16"):
        yield f"OpenVINO, {precision}", lambda p=precision: _openvino(str(onnx_path), {
            "INFERENCE_PRECISION_HINT": p, "PERFORMANCE_HINT": "THROUGHPUT"})

    def openvino_int8():
        import nncf
        import openvino as ov

        model = nncf.compress_weights(ov.Core().read_model(str(onnx_path)), mode=nncf.CompressWeightsMode.INT8_ASYM,
                                      ignored_scope=nncf.IgnoredScope(types=["Gather"]))
        return _openvino(model, {"INFERENCE_PRECISION_HINT": "f32", "DYNAMIC_QUANTIZATION_GROUP_SIZE": "32"})

    yield "OpenVINO, int8 weights + activations in groups of 32", openvino_int8


def main(argv=None) -> Results:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample-docs", type=int, default=200, help="SciFact abstracts whose passages are embedded")
    parser.add_argument("--limit", type=int, default=0, help="embed only this many passages (0: all)")
    args = parser.parse_args(argv)

    from tokenizers import Tokenizer

    import qa
    from qa.embedding import onnx_export
    from qa.embedding.model_files import default_model_path
    from qa.files import file_sha256

    embedder = qa.get_embedder()
    embedder.encode(["export the model if it is not cached yet"])
    model = default_model_path()
    onnx_path = onnx_export.onnx_model(model, file_sha256(model / "model.safetensors"))
    tokenizer = Tokenizer.from_file(str(model / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)
    texts = passages_of(scifact_corpus(args.sample_docs))
    texts = texts[:args.limit] if args.limit else texts
    results, reference, base_seconds = Results(), None, None
    with tempfile.TemporaryDirectory() as work:
        for label, make in trials(onnx_path, Path(work)):
            try:
                run = make()
            except ImportError as exc:
                results.add("runtimes", label, "skipped", note=f"needs {exc.name}")
                continue
            _pooled(run, tokenizer, texts[:8])  # load and warm up
            log(f"{label}: embedding {len(texts)} passages")
            started = time.perf_counter()
            vectors = _pooled(run, tokenizer, texts)
            seconds = time.perf_counter() - started
            if reference is None:
                reference, base_seconds = vectors, seconds
            cosines = np.sum(vectors * reference, axis=1)
            results.add("runtimes", label, f"{seconds:.2f} s", ratio=f"{base_seconds / seconds:.2f}x",
                        note=f"cosine with float32: lowest {cosines.min():.4f}, mean {cosines.mean():.4f}")
    print(results.table())
    return results


if __name__ == "__main__":
    main()
