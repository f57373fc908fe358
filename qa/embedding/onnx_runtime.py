"""Running an exported model with ONNX Runtime: one session for questions, one for indexing.

The model is exported once (:mod:`qa.embedding.onnx_export`); :func:`onnx_runner` gives a
callable from token ids and attention mask to the last hidden states, which
:class:`qa.embedding.embedder.MeanPoolingEmbedder` pools into sentence vectors.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..errors import ModelError
from . import onnx_export


def onnx_runner(model_dir: Path, weights_sha: str, max_length: int, latency_threads: int = 1,
                int8: bool = False) -> "OnnxSessions":
    """The sessions for ``model_dir``'s export (its int8 copy with ``int8``), made on first
    use; :class:`ModelError` when ONNX Runtime is missing or cannot load the export (the
    caller may fall back to torch, for a float32 model)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ModelError("the ONNX backend needs onnxruntime: pip install onnxruntime") from exc
    path = onnx_export.onnx_model(model_dir, weights_sha, max_length, int8=int8)
    try:
        return OnnxSessions(path, latency_threads)
    except Exception as exc:
        onnx_export.discard(weights_sha, int8)
        raise ModelError(f"ONNX Runtime cannot load {path} ({exc}); it will be exported again on next use") from exc


class OnnxSessions:
    """One ONNX file, two ways to run it.

    Called with one batch (a question), it runs on every core: each layer is split over
    the threads. They sleep between layers rather than spin: on a machine whose cores are
    shared, a spinning thread holds a core while the thread it waits for is not running,
    and a question (the question and its name-free twin, one batch) took 1.7x as long
    (42 vs 25 ms p50 on 2 busy cores, `retrieve` on the 400-abstract SciFact index).
    ``bulk`` (indexing) runs batches side by side, one thread each and no spinning (see
    ``qa.embedding.embedder.WORKERS``), in a second session made on first use, so a process that only answers
    questions never holds it.
    """

    def __init__(self, path: Path, latency_threads: int = 1):
        self.path = path
        self._latency = self._session(threads=latency_threads, spin=False)
        self._throughput = None
        self._lock = threading.Lock()
        self._types = any(i.name == "token_type_ids" for i in self._latency.get_inputs())

    def _session(self, threads: int, spin: bool):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def _feeds(self, ids: np.ndarray, mask: np.ndarray) -> dict:
        feeds = {"input_ids": ids, "attention_mask": mask}
        if self._types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return feeds

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self._latency.run(None, self._feeds(ids, mask))[0]

    def bulk(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._throughput is None:
            with self._lock:
                if self._throughput is None:
                    self._throughput = self._session(threads=1, spin=False)
        return self._throughput.run(None, self._feeds(ids, mask))[0]
