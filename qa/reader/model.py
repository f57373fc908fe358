"""Running the shipped reader: a question and candidate sentences in, one score each out
(a logit: higher means the sentence answers better), with ONNX Runtime and the
``tokenizers`` library only (no torch). The graph's sha256 is checked against
``reader.json`` on load, as the embedding model's weights are.

>>> reader = default_reader()
>>> scores = reader.score("How many people signed the petition?",
...                       [("Library saved", "More than 3,000 people signed a petition to keep it open."),
...                        ("Library saved", "The library opened in 1904.")])
>>> bool(scores[0] > scores[1])
True
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ModelError
from .inputs import pair_text

MODEL_DIR = Path(__file__).resolve().parent / "model"
# Candidates read in one run, at most: sorted by length, so that each batch pads little.
BATCH = 6


class Reader:
    """The cross-encoder of one model folder (``reader.json``, the graph, ``tokenizer.json``),
    loaded on first use. Thread-safe."""

    def __init__(self, model_dir: str | Path = MODEL_DIR, threads: int = 2):
        self.model_dir = Path(model_dir)
        self.threads = threads
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self.manifest = self._read_manifest()

    def _read_manifest(self) -> dict:
        path = self.model_dir / "reader.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"the reader's manifest {path} cannot be read ({exc}); reinstall qa-news "
                             "(pip install -e .) or train it again (docs/reader.md)") from exc

    @property
    def reads_context(self) -> bool:
        """Whether this reader was trained to read the sentence before each candidate too."""
        return bool(((self.manifest.get("training") or {}).get("settings") or {}).get("context_sentences", 0))

    @property
    def name(self) -> str:
        return f"reader-{self.manifest['sha256'][:12]}"

    def _load(self):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    from ..embedding.model_files import weights_sha256

                    graph = self.model_dir / self.manifest["graph"]
                    digest = weights_sha256(graph)
                    if digest != self.manifest["sha256"]:
                        raise ModelError(f"{graph} has sha256 {digest}, not the {self.manifest['sha256']} its "
                                         "reader.json names; reinstall qa-news or train the reader again")
                    import onnxruntime as ort
                    from tokenizers import Tokenizer

                    tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                    # The sentence is cut first; a question longer than the whole window is cut too.
                    tokenizer.enable_truncation(int(self.manifest.get("max_length", 128)), strategy="longest_first")
                    tokenizer.no_padding()
                    options = ort.SessionOptions()
                    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                    options.intra_op_num_threads = self.threads
                    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    self._tokenizer = tokenizer
                    self._session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        return self._session

    def score(self, question: str, candidates: Sequence[tuple[str, ...]]) -> np.ndarray:
        """One logit per ``(headline, sentence)`` or ``(headline, sentence, sentence before)``
        candidate, in their order (the sentence before is read only by a reader trained
        with it). Candidates are read in batches of similar length (sorted, :data:`BATCH` at
        a time), so that a short sentence is not padded to the longest one's length."""
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        session = self._load()
        context = self.reads_context
        encodings = self._tokenizer.encode_batch(
            [(question, pair_text(c[0], c[1], c[2] if context and len(c) > 2 else "")) for c in candidates])
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        out = np.zeros(len(encodings), dtype=np.float32)
        for at in range(0, len(order), BATCH):
            batch = order[at: at + BATCH]
            width = len(encodings[batch[-1]].ids)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros_like(ids)
            for row, i in enumerate(batch):
                e = encodings[i]
                n = len(e.ids)
                ids[row, :n], types[row, :n], mask[row, :n] = e.ids, e.type_ids, 1
            logits = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            out[batch] = logits[:, 0]
        return out


_DEFAULT: dict[str, Reader] = {}
_DEFAULT_LOCK = threading.Lock()


def default_reader(model_dir: str | Path | None = None) -> Reader:
    """One shared :class:`Reader` per model folder (the shipped one by default)."""
    key = str(Path(model_dir or MODEL_DIR).resolve())
    with _DEFAULT_LOCK:
        if key not in _DEFAULT:
            _DEFAULT[key] = Reader(key)
        return _DEFAULT[key]
